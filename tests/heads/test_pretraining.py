"""In-pipeline pretraining: scenes with materials and no authenticity artifacts, the
multi-task loss, and the Barlow Twins views and loss."""

import math

import numpy as np
import pytest
import torch

from rashomon.backbones import create_backbone
from rashomon.backbones.small import N_PRETRAIN_OUTPUTS
from rashomon.data.synthetic import MATERIALS, material_texture
from rashomon.heads.pretraining import TASKS, augment, barlow_twins_loss, pretraining_images, task_loss


def test_pretraining_images_are_labelled_per_task_and_reproducible():
    x, y = pretraining_images(12, 32, seed=5)
    assert x.shape == (12, 3, 32, 32) and y.shape == (12, len(TASKS))
    for col, classes in enumerate(TASKS.values()):
        assert 0 <= int(y[:, col].min()) and int(y[:, col].max()) < len(classes)
    x2, y2 = pretraining_images(12, 32, seed=5)
    assert torch.equal(x, x2) and torch.equal(y, y2)


@pytest.mark.parametrize("material", MATERIALS)
def test_materials(material):
    tex = material_texture(np.random.default_rng(0), 32, material, 0.5, 0.5)
    assert tex.shape == (32, 32) and tex.min() >= -1 and tex.max() <= 1
    assert (np.ptp(tex) == 0) == (material == "plain")


def test_every_small_backbone_emits_one_logit_per_task_class():
    assert N_PRETRAIN_OUTPUTS == sum(len(c) for c in TASKS.values())
    for name in ("vgg_small", "resnet_small", "densenet_small", "efficientnet_small"):
        assert create_backbone(name).model(torch.zeros(2, 3, 64, 64)).shape == (2, N_PRETRAIN_OUTPUTS)


def test_task_loss_by_hand():
    logits = torch.zeros(4, N_PRETRAIN_OUTPUTS)
    y = torch.tensor([[0, 1, 2]] * 4)
    loss, acc = task_loss(logits, y, ["object", "material", "colour"])
    assert float(loss) == pytest.approx(math.log(8) + math.log(5) + math.log(6), rel=1e-6)
    only_object, _ = task_loss(logits, y, ["object"])
    assert float(only_object) == pytest.approx(math.log(8), rel=1e-6)
    logits[:, 3] = 10.0  # object logit 3 wins: accuracy counts the object block only
    _, acc = task_loss(logits, torch.tensor([[3, 0, 0], [3, 0, 0], [1, 0, 0], [3, 4, 5]]), ["object"])
    assert float(acc) == 0.75


def test_barlow_views_and_loss():
    x = torch.randn(6, 3, 32, 32)
    a = augment(x, torch.Generator().manual_seed(1))
    b = augment(x, torch.Generator().manual_seed(1))
    c = augment(x, torch.Generator().manual_seed(2))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c)
    z = torch.linalg.qr(torch.randn(64, 8))[0] * 8  # orthogonal columns: cross-correlation = identity
    z = z - z.mean(0)
    assert float(barlow_twins_loss(z, z, 0.005)) < 0.1
    assert float(barlow_twins_loss(z, -z, 0.005)) == pytest.approx(8 * 4, rel=0.05)  # diagonal -1: (−1 − 1)^2 each
