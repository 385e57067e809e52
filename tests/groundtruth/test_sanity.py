"""Sanity checks: the cascade randomises what it says, leaves the caller's model alone,
and separates a model-dependent method from one that ignores the model."""

import numpy as np
import pytest
import torch

from rashomon.attribution import attribute
from rashomon.backbones import create_backbone
from rashomon.groundtruth.sanity import cascade, layer_groups, similarity
from rashomon.heads.fitted import FittedHead
from rashomon.heads.head import make_head
from rashomon.variants.variant_set import VariantSet


def variants(name="resnet_small"):
    torch.manual_seed(0)
    b = create_backbone(name)
    with torch.no_grad():
        dim = b(torch.zeros(1, 3, 64, 64)).shape[1]
    heads = [FittedHead(make_head(dim, b.spec.head, 0.5).eval(), b.spec.head, 0.5, 50.0, 10.0, 0, 0.0)
             for _ in range(2)]
    return VariantSet(b, heads)


def test_layer_groups_go_from_the_top():
    vs = variants("vgg_small")
    steps = layer_groups(vs, n_stem_steps=3)
    labels = [label for label, _ in steps]
    assert labels[0] == "head"
    assert labels[1:4] == ["tail:classifier.3", "tail:classifier.0", "tail:features.19"]   # fc2, fc1, BN
    stem = [n for _, names in steps[4:] for n in names]
    assert stem[0] == "features.18" and stem[-1] == "features.0" and len(steps) == 7


def test_cascade_leaves_the_callers_model_alone_and_randomises_everything():
    vs = variants()
    before = {k: v.clone() for k, v in vs.state_dict().items()}
    seen = []
    cascade(vs, lambda v: seen.append({k: t.clone() for k, t in v.select(0).state_dict().items()})
            or np.zeros((1, 4, 4)), n_stem_steps=2, seed=0)
    for k, v in vs.state_dict().items():
        assert torch.equal(v, before[k]), k
    convs = {f"backbone.model.{n}.weight" for n, m in vs.backbone.model.named_modules()
             if isinstance(m, torch.nn.Conv2d)}   # (BatchNorm weights are re-initialised to 1, as they start)
    weights = sorted(convs) + ["heads.0.0.weight"]
    assert len(weights) > 10
    assert all(not torch.equal(seen[0][k], seen[-1][k]) for k in weights)
    assert torch.equal(seen[0]["heads.0.0.weight"], before["heads.0.0.weight"])
    assert not torch.equal(seen[1]["heads.0.0.weight"], seen[0]["heads.0.0.weight"])   # step 1: the head
    assert torch.equal(seen[1]["backbone.model.conv1.weight"], seen[0]["backbone.model.conv1.weight"])


def test_a_map_that_ignores_the_model_fails_and_gradcam_passes():
    vs = variants()
    images = torch.randn(3, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    fixed = np.random.default_rng(0).random((3, 64, 64))
    ignoring = cascade(vs, lambda v: fixed, n_stem_steps=2, seed=0)
    assert similarity(ignoring[0][1], ignoring[-1][1])["spearman_abs"] == pytest.approx(1.0, abs=1e-12)
    gradcam = cascade(vs, lambda v: attribute("gradcam", images, v).maps[:, 0], n_stem_steps=2, seed=0)
    assert similarity(gradcam[0][1], gradcam[0][1])["spearman_abs"] == pytest.approx(1.0, abs=1e-12)
    assert similarity(gradcam[0][1], gradcam[-1][1])["spearman_abs"] < 0.5
