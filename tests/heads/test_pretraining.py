"""In-pipeline pretraining: scenes with materials and no authenticity artifacts, the
multi-task loss, and the Barlow Twins views and loss."""

import math

import numpy as np
import pytest
import torch

from rashomon.backbones import create_backbone
from rashomon.backbones.small import N_PRETRAIN_OUTPUTS
from rashomon.backbones.preprocess import normalise
from rashomon.data.synthetic import COLOURS, MATERIALS, OBJECT_CLASSES, degrade_global, material_texture, render_scene
from rashomon.heads.pretraining import (DEGRADATION_LEVELS, TASKS, augment, barlow_twins_loss, degradation_level,
                                       pretraining_images, task_loss)


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


@pytest.mark.parametrize("badness, level", [(0.0, 0), (0.1249, 0), (0.125, 1), (0.26, 2), (0.3749, 2), (0.375, 3),
                                             (0.4999, 3)])
def test_degradation_level_is_the_quarter_of_the_badness_range(badness, level):
    assert degradation_level(badness) == level and DEGRADATION_LEVELS[level]


def test_degradation_label_is_the_level_of_the_badness_each_scene_was_degraded_with():
    """Replays the scenes' draws: each label is the level of the badness its image received, and
    the labels of the drawn tasks and the images are the ones drawn before the degradation task existed."""
    x, y = pretraining_images(40, 32, seed=3)
    rng = np.random.default_rng(3)
    drawn = np.stack([rng.integers(0, len(TASKS[t]), 40) for t in ("object", "material", "colour")], axis=1)
    assert np.array_equal(y[:, :3].numpy(), drawn)
    for i, (obj, material, colour) in enumerate(drawn):
        scene = render_scene(rng, 32, OBJECT_CLASSES[obj], list(COLOURS)[colour], MATERIALS[material])
        badness = rng.uniform(0, 0.5)
        assert int(y[i, 3]) == degradation_level(badness)
        replayed = torch.from_numpy(degrade_global(rng, scene, badness)).permute(2, 0, 1)
        assert torch.equal(x[i], normalise(replayed[None])[0])
    assert len(set(y[:, 3].tolist())) == len(DEGRADATION_LEVELS)


def test_task_loss_by_hand():
    logits = torch.zeros(4, N_PRETRAIN_OUTPUTS)
    y = torch.tensor([[0, 1, 2]] * 4)
    loss, acc = task_loss(logits, y, ["object", "material", "colour"])
    assert float(loss) == pytest.approx(math.log(8) + math.log(5) + math.log(6), rel=1e-6)
    with_degradation, _ = task_loss(logits, torch.tensor([[0, 1, 2, 3]] * 4), list(TASKS))
    assert float(with_degradation) == pytest.approx(math.log(8) + math.log(5) + math.log(6) + math.log(4), rel=1e-6)
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
