"""The end-to-end cue detector: a fine-tuned backbone that learns a local cue its frozen
embedding was never trained on, frozen again, and explained through its own stem."""

import numpy as np
import pytest
import torch

from rashomon.backbones import create_backbone
from rashomon.groundtruth.detector import fit_detector, stem_outputs
from tests.conftest import config


def cue_images(n: int, seed: int) -> tuple[torch.Tensor, np.ndarray]:
    """Noise images whose target is the brightness of a bright square in the top-left quadrant."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 64, 64, generator=gen) * 0.3
    y = torch.rand(n, generator=gen)
    x[:, :, 4:20, 4:20] += 2 * y.view(-1, 1, 1, 1)
    return x, y.numpy()


@pytest.fixture(scope="module")
def detector():
    torch.manual_seed(0)
    backbone = create_backbone("resnet_small")
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    parts = {"train": cue_images(96, 1), "val": cue_images(32, 2), "test": cue_images(40, 3)}
    result = fit_detector(backbone, {s: p[0] for s, p in parts.items()}, {s: p[1] for s, p in parts.items()},
                          config("train", patience=20), epochs=12, lr=1e-3)
    return result, before, parts


def test_the_detector_learns_its_cue_and_is_frozen_again(detector):
    result, before, parts = detector
    backbone = result.variants.backbone
    assert result.test_r > 0.8 and 1 <= result.epochs <= 12
    changed = [k for k, v in backbone.state_dict().items() if v.dtype.is_floating_point and
               "running" not in k and not torch.equal(v, before[k])]
    assert any(k.startswith("model.conv1") for k in changed)          # the stem itself was fine-tuned
    assert not any(p.requires_grad for p in backbone.parameters()) and not backbone.training
    assert all(torch.equal(before[k], v) for k, v in backbone.state_dict().items() if "running" in k)  # BN frozen


def test_its_stem_outputs_reproduce_its_predictions(detector):
    """What MPM reads (the fine-tuned stem's outputs) gives what the detector predicts on pixels."""
    result, _, parts = detector
    x = parts["test"][0]
    with torch.no_grad():
        from_stem = result.variants.scores_from_stem(stem_outputs(result.variants.backbone, x, batch_size=16))
        from_pixels = result.variants(x)
    assert from_stem.shape == (40, 1)
    torch.testing.assert_close(from_stem, from_pixels)
    r = np.corrcoef(from_pixels[:, 0].numpy(), parts["test"][1])[0, 1]
    assert r == pytest.approx(result.test_r, abs=1e-5)
