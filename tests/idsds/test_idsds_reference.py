"""IDSDS against ports of the reference (visinf/idsds) and of the CIFAR reproduction's
dummies (tests/idsds/idsds_reference.py): scoring loop, deletion kernels, dummy maps, ties,
reference method settings, torchcam CAMs against their closed forms, fine-tuning details."""

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from rashomon.idsds.deletion import (
    Deletion, idsds_scores, reference_blur_kernel, single_deletion_drops, summarise, tolerant_ranks,
)
from rashomon.idsds.dummies import dummy_maps, numpy_uint8
from rashomon.idsds.evaluation import to_tensor
from rashomon.idsds.finetune import augment, black
from rashomon.idsds.methods import METHODS, principled_maps, uniform_baseline
from rashomon.idsds.models import create_cifar_model, gradcam_layer
from tests.idsds import idsds_reference as ref
from tests.conftest import config


def fixed_images(n: int = 6, seed: int = 0) -> torch.Tensor:
    """Normalised CIFAR-like images with structure (blobs and edges) plus noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:32, :32]
    imgs = []
    for _ in range(n):
        cy, cx, r = rng.integers(6, 26, 2).tolist() + [int(rng.integers(4, 10))]
        blob = ((yy - cy) ** 2 + (xx - cx) ** 2 < r**2)[..., None] * rng.integers(60, 200, 3)
        stripe = (xx > rng.integers(4, 28))[..., None] * rng.integers(0, 80, 3)
        imgs.append(np.clip(blob + stripe + rng.integers(0, 40, (32, 32, 3)), 0, 255).astype(np.uint8))
    return to_tensor(np.stack(imgs))


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return create_cifar_model("resnet20", 10).eval()


@pytest.mark.parametrize("mode", ["value", "random", "blur"])
@pytest.mark.parametrize("output", ["logit", "softmax"])
def test_scores_equal_the_reference_scoring_loop(model, mode, output):
    """Fixed maps through the reference's per-cell, per-image loop (its NaN filter included)
    and through ours (all cells in one batch, tie tolerance 0): the same drops, the same mean."""
    x = fixed_images(6)
    y = torch.tensor([0, 3, 5, 1, 9, 2])
    maps = np.random.default_rng(1).normal(size=(6, 32, 32)).astype(np.float32)
    maps[2] = 1.0                                 # a constant map: undefined, dropped by both
    baseline = {"value": "zeros", "random": "random", "blur": "blur"}[mode]
    ref_mean, ref_r = ref.single_deletion_protocol(model, x, y, torch.from_numpy(maps)[:, None], 4, baseline,
                                                   batch_size=4, generator=torch.Generator().manual_seed(7),
                                                   use_softmax=output == "softmax")
    drops = single_deletion_drops(model, x, y, Deletion(4, mode), output, seed=7, images_per_batch=4)
    ours = idsds_scores(maps, drops, 4)
    ref_r = np.array(ref_r, dtype=float)
    assert np.isnan(ours[2]) and np.isnan(ref_r[2])
    np.testing.assert_allclose(ours, ref_r, rtol=0, atol=1e-12)
    assert summarise(ours)["mean"] == pytest.approx(ref_mean, abs=1e-12)
    assert summarise(ours)["n_undefined"] == 1


def test_reference_blur_kernel_by_hand_and_as_the_port():
    """exp(-((i - c) / (2 sigma))^2) per axis: for size 3, sigma 1 the 1-D weights are
    e^-1/4, 1, e^-1/4 (normalised), and the 2-D kernel is their outer product."""
    k = reference_blur_kernel(3, 1.0)
    w = np.array([np.exp(-0.25), 1.0, np.exp(-0.25)])
    np.testing.assert_allclose(k.numpy(), np.outer(w, w) / np.outer(w, w).sum(), rtol=1e-6)
    torch.testing.assert_close(reference_blur_kernel(7, 5.0), ref.gaussian_smoothing(3, 7, 5.0)[0, 0],
                               rtol=0, atol=0)


def test_random_deletion_is_uniform_minus_one_to_one_and_fresh_per_cell():
    from rashomon.idsds.deletion import deletion_fill

    fill = deletion_fill(torch.zeros(64, 3, 32, 32), Deletion(4, "random"), torch.Generator().manual_seed(0))
    assert fill.min() >= -1 and fill.max() < 1 and abs(float(fill.mean())) < 0.01
    assert abs(float(fill.std()) - 2 / np.sqrt(12)) < 0.01


def test_dummies_equal_the_reproduction_definitions():
    """Every dummy map equals the reproduction's explainer on the same normalised images,
    and so does its IDSDS score on the same drops."""
    x = fixed_images(6)
    cfg = config("idsds").score
    ours = dummy_maps(x, cfg.dummies.gaussian_sigmas, cfg.dummies.entropy_kernels, seed=3)
    theirs = ref.reproduction_dummies(x, cfg.dummies.gaussian_sigmas, cfg.dummies.entropy_kernels, seed=3)
    assert list(ours) == list(theirs) and len(ours) == 37
    drops = np.random.default_rng(2).normal(size=(6, 16))
    for name in theirs:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_array_equal(idsds_scores(ours[name], drops, 4, tie_rtol=cfg.tie_rtol),
                                      idsds_scores(theirs[name], drops, 4, tie_rtol=cfg.tie_rtol), err_msg=name)
    assert ours["Edge-Canny"].max() == 1.0                   # the fixed images do have Canny edges
    assert (ours["Edge-Marr-Hildreth"] < 0).any()            # theirs is signed


def test_the_canny_input_cast_is_numpys_wrapping_cast():
    v = np.array([-1.5, -0.7, 0.0, 254.9, 256.7, -300.2, 513.9], dtype=np.float32)
    np.testing.assert_array_equal(numpy_uint8(v), v.astype(np.uint8))
    np.testing.assert_array_equal(numpy_uint8(v), [255, 0, 0, 254, 0, 212, 1])


def test_centred_gaussians_all_score_the_same_as_the_three_level_map():
    """A centred Gaussian's 4x4 cell sums take three values in exact arithmetic (4 centre
    cells > 8 edge cells > 4 corners), so every sigma must score as that 3-level map."""
    cfg = config("idsds").score
    gaussians = {k: v for k, v in dummy_maps(torch.zeros(5, 3, 32, 32), cfg.dummies.gaussian_sigmas, [3]).items()
                 if k.startswith("Dummy-Gaussian-")}
    drops = np.random.default_rng(0).normal(size=(5, 16))
    level = np.array([[1, 2, 2, 1], [2, 3, 3, 2], [2, 3, 3, 2], [1, 2, 2, 1]], dtype=float)
    expected = [stats.spearmanr(level.ravel(), d).statistic for d in drops]
    for name, maps in gaussians.items():
        np.testing.assert_allclose(idsds_scores(maps, drops, 4, tie_rtol=cfg.tie_rtol), expected, atol=1e-12,
                                   err_msg=name)
    # summed in float32 (as the reference sums), the symmetric cells are not exact ties
    f32 = torch.from_numpy(gaussians["Dummy-Gaussian-8"]).view(5, 4, 8, 4, 8).sum((2, 4)).view(5, 16).numpy()
    assert len(np.unique(f32[0])) > 3


def test_tolerant_ranks_are_scipys_ranks_at_zero_tolerance_and_merge_near_ties():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, (20, 16)).astype(float)
    np.testing.assert_array_equal(tolerant_ranks(a), stats.rankdata(a, axis=1))
    near = np.array([[1.0, 1.0 + 1e-9, 2.0, 3.0]])
    np.testing.assert_array_equal(tolerant_ranks(near, 1e-6), [[1.5, 1.5, 3, 4]])
    np.testing.assert_array_equal(tolerant_ranks(near, 0.0), [[1, 2, 3, 4]])
    assert np.isnan(idsds_scores(np.ones((1, 32, 32)) + np.random.default_rng(0).normal(0, 1e-9, (1, 32, 32)),
                                 np.arange(16.0)[None], 4, tie_rtol=1e-6)).all()


def test_the_reference_settings_are_the_defaults():
    """visinf/idsds: IG 50 steps; NoiseTunnel 4 samples at captum's default SD 1.0;
    torchcam's SmoothGradCAMpp defaults (4, 0.3); every method of its CNN list is scored."""
    cfg = config("idsds").score
    assert (cfg.ig_steps, cfg.nt_samples, cfg.nt_stdev, cfg.sg_cam_samples, cfg.sg_cam_std) == (50, 4, 1.0, 4, 0.3)
    reference = {"Gradient", "IxG", "IG", "IG-U", "IG-SG", "IxG-SG", "IG-SG-SQ", "Grad-CAM", "Grad-CAMpp",
                 "SG-CAMpp", "XG-CAM", "Layer-CAM"}
    assert reference <= set(cfg.methods) and {m for m in METHODS if METHODS.get(m).source == "reference"} == reference
    assert config("idsds").deletion.grid == 4 and config("idsds").deletion.mode == "value"


def _layer_grads(model, x, y):
    from captum._utils.gradient import compute_layer_gradients_and_eval

    (g,), (a,) = compute_layer_gradients_and_eval(model, gradcam_layer(model), x, target_ind=y)
    return g.detach().double(), a.detach().double()


def _minmax_up(cam):
    cam = cam - cam.amin(dim=(1, 2), keepdim=True)
    cam = cam / (cam.amax(dim=(1, 2), keepdim=True) + 1e-8)
    return F.interpolate(cam[:, None], (32, 32), mode="bilinear", align_corners=False)[:, 0]


@pytest.mark.parametrize("name", ["Grad-CAM", "Grad-CAMpp", "XG-CAM", "Layer-CAM"])
def test_torchcam_cams_equal_their_closed_forms(model, name):
    """torchcam, as the reference runs it, against captum's layer gradients: ReLU, min-max
    per image, bilinear to the input. torchcam's Grad-CAM++ weights are sum(g^2 relu(g)):
    its alpha division is applied to a masked copy and lost (0.4.0 and 0.5.0 alike)."""
    x, y = fixed_images(4), torch.tensor([1, 2, 3, 4])
    g, a = _layer_grads(model, x, y)
    if name == "Grad-CAM":
        w = g.mean(dim=(2, 3), keepdim=True)
    elif name == "Grad-CAMpp":
        w = (g**2 * g.clamp_min(0)).sum(dim=(2, 3), keepdim=True)
    elif name == "XG-CAM":
        w = ((g * a).sum(dim=(2, 3)) / (a.sum(dim=(2, 3)) + 1e-8))[..., None, None]
    else:
        w = g.clamp_min(0)
    expected = _minmax_up(F.relu((w * a).sum(1)))
    ours = principled_maps(name, model, x, y, config("idsds").score)
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-3, atol=1e-5)


def test_ig_u_uses_one_uniform_baseline_for_every_image(model):
    from captum.attr import IntegratedGradients

    cfg = dataclasses.replace(config("idsds").score, ig_steps=8, seed=5)
    x, y = fixed_images(3), torch.tensor([0, 1, 2])
    base = uniform_baseline(x, 5)
    assert base.shape == (1, 3, 32, 32) and base.min() >= -1 and base.max() < 1
    expected = IntegratedGradients(model).attribute(x, target=y, baselines=base, n_steps=8).sum(1)
    torch.testing.assert_close(principled_maps("IG-U", model, x, y, cfg), expected, rtol=1e-4, atol=1e-7)


def test_softmax_maps_are_taken_through_the_softmax(model):
    """The reference's use_softmax wraps the model: Gradient on softmax = chain rule of the logit gradients."""
    cfg = config("idsds").score
    x, y = fixed_images(2), torch.tensor([1, 2])
    xg = x.clone().requires_grad_(True)
    p = model(xg).softmax(1).gather(1, y[:, None]).sum()
    (expected,) = torch.autograd.grad(p, xg)
    torch.testing.assert_close(principled_maps("Gradient", model, x, y, cfg, "softmax"), expected.sum(1))
    assert not torch.allclose(principled_maps("Gradient", model, x, y, cfg, "logit"), expected.sum(1))


def test_crop_padding_is_black_before_normalisation():
    """RandomCrop(32, padding 4) pads the uint8 image with 0: in normalised space, -mean/std."""
    x = torch.zeros(64, 3, 32, 32)                        # the dataset mean colour everywhere
    out = augment(x, torch.Generator().manual_seed(0))
    padded = (out != 0).any(1)
    assert padded.any() and not padded.all()
    torch.testing.assert_close(out.permute(0, 2, 3, 1)[padded], black().view(1, 3).expand(int(padded.sum()), 3))
    assert (black() < 0).all()
