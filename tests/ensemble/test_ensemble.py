"""Bagging, stacking and the bagged ensemble's attributions against explicit computations."""

import dataclasses

import numpy as np
import torch
from torch import nn
from torchvision.transforms import functional as TF

from rashomon.attribution import attribute
from rashomon.backbones.geometry import Grid
from rashomon.ensemble.combine import BaggedEnsemble, bagging, stacking_oof
from rashomon.variants.variant_set import VariantSet
from tests.attribution.test_attribution import real_variants


def test_bagging_is_the_mean_of_its_members():
    members = np.random.default_rng(0).normal(size=(7, 5))
    np.testing.assert_allclose(bagging(members), members.mean(1))


def test_stacking_recovers_a_known_linear_combination():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3))
    y = 2.0 + x @ np.array([0.5, -1.0, 0.25])
    folds = np.arange(100) % 5
    oof, weights = stacking_oof(x, y, folds)
    np.testing.assert_allclose(weights, [2.0, 0.5, -1.0, 0.25], atol=1e-10)
    np.testing.assert_allclose(oof, y, atol=1e-10)   # exact model: out-of-fold is exact too
    noisy = y + rng.normal(scale=0.5, size=100)
    oof, _ = stacking_oof(x, noisy, folds)
    for f in range(5):                               # each fold is predicted by a model that never saw it
        from sklearn.linear_model import LinearRegression
        held = folds == f
        ref = LinearRegression().fit(x[~held], noisy[~held]).predict(x[held])
        np.testing.assert_allclose(oof[held], ref)


class Averaged(nn.Module):
    """The explicitly averaged model: full forward of every member, mean over all variants."""

    def __init__(self, members):
        super().__init__()
        self.members = members

    def __len__(self):
        return 1

    def forward(self, x):
        preds = [m.backbone.tail(m.backbone.stem(x)[0], *m.backbone.stem(x)[1:]) for m in self.members]
        scores = [torch.stack([m.head_scores(p, k) for k in range(len(m))], 1) for m, p in zip(self.members, preds)]
        return torch.cat(scores, 1).mean(1, keepdim=True)


def test_ensemble_mpm_and_lime_equal_those_of_an_explicitly_averaged_model():
    _, a = real_variants("resnet_small", k=2, seed=0)
    _, b = real_variants("efficientnet_small", k=3, seed=1)
    ensemble = BaggedEnsemble([a, b])
    blocks = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    x = nn.functional.interpolate(blocks, size=(64, 64), mode="nearest")   # regions SLIC can segment
    with torch.no_grad():
        np.testing.assert_allclose(ensemble(x).numpy(), Averaged([a, b])(x).numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(ensemble(x)[:, 0].numpy(), torch.cat([a(x), b(x)], 1).mean(1).numpy(), rtol=1e-6)
    opts = dict(mask_sizes=(3, 17), stride=16, progress=False)
    ours = attribute("mpm", x, ensemble, **opts).maps
    explicit = attribute("mpm", x, Averaged([a, b]), **opts).maps
    assert ours.shape == (2, 1, 64, 64)
    np.testing.assert_allclose(ours, explicit, rtol=1e-4, atol=1e-5)
    lime_opts = dict(n_samples=40, n_segments=20, seed=3, progress=False)
    np.testing.assert_allclose(attribute("lime", x, ensemble, **lime_opts).maps,
                               attribute("lime", x, Averaged([a, b]), **lime_opts).maps, rtol=1e-4, atol=1e-5)


def test_ensemble_mpm_with_incremental_inference_per_member_equals_the_full_path():
    """Each member's stem runs incrementally (its own engine); in float64 the maps equal the
    full path's, and the skipped MACs are pooled over both stems."""
    _, a = real_variants("resnet_small", k=2, seed=0)
    _, b = real_variants("vgg_small", k=3, seed=1)
    ensemble = BaggedEnsemble([a.double(), b.double()])
    x = torch.randn(2, 3, 64, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    opts = dict(mask_sizes=(3, 17, 65), stride=8, progress=False)
    full = attribute("mpm", x, ensemble, **opts)
    incremental = attribute("mpm", x, ensemble, incremental=True, **opts)
    np.testing.assert_allclose(incremental.maps, full.maps, rtol=1e-9, atol=1e-9 * np.abs(full.maps).max())
    assert not full.info["incremental"] and incremental.info["incremental"]
    assert 0 < incremental.info["conv_macs_skipped"] < 1


class AveragedOnCanvas(nn.Module):
    """The explicitly averaged model over members of different input sizes: each member's
    input cut from the canvas with torchvision's centre crop and resize, then its full forward."""

    def __init__(self, members, crops):
        super().__init__()
        self.members, self.crops = members, crops

    def __len__(self):
        return 1

    def forward(self, x):
        scores = []
        for m, (crop, size) in zip(self.members, self.crops):
            own = TF.resize(TF.center_crop(x, crop), [size, size], antialias=True) if crop != size else x
            emb = m.backbone.tail(*m.backbone.stem(own))
            scores.append(torch.stack([m.head_scores(emb, k) for k in range(len(m))], 1))
        return torch.cat(scores, 1).mean(1, keepdim=True)


def test_ensemble_of_mixed_input_sizes_equals_an_explicitly_averaged_model():
    """A 64/64 member and a 48/56 member (as the study's 224/256 and DenseNet161's 300/320):
    inputs lie on one 64 px canvas, the second member sees its centre 55 px resized to 48;
    MPM and LIME of the ensemble equal those of the explicit model, and incremental
    inference (exact only on a member's own grid) falls back to the full path."""
    _, a = real_variants("resnet_small", k=2, seed=0)
    b_backbone, b = real_variants("densenet_small", k=2, seed=1)   # as DenseNet161 at 300 px
    b_backbone.spec = dataclasses.replace(b_backbone.spec, input_size=48, resize_size=56)
    # float64 and heads scaled up (sd 1000): differences of maps are far above rounding
    a, b = (VariantSet(m.backbone.double(), [dataclasses.replace(h, head=h.head.double(), target_sd=1e3)
                                             for h in m.fitted], m.masks) for m in (a, b))
    ensemble = BaggedEnsemble([a, b])
    assert ensemble.canvas == Grid(64, 64)
    explicit = AveragedOnCanvas([a, b], [(64, 64), (55, 48)])
    resized = AveragedOnCanvas([a, b], [(64, 64), (64, 48)])   # the second member's input resized, not cut
    blocks = torch.randn(2, 3, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    x = nn.functional.interpolate(blocks, size=(64, 64), mode="nearest")
    with torch.no_grad():
        np.testing.assert_allclose(ensemble(x).numpy(), explicit(x).numpy(), rtol=1e-10)
    opts = dict(mask_sizes=(9, 17), scale_to_input=False, stride=16, progress=False)
    ours = attribute("mpm", x, ensemble, **opts)
    assert ours.maps.shape == (2, 1, 64, 64)
    scale = np.abs(ours.maps).max()
    np.testing.assert_allclose(ours.maps, attribute("mpm", x, explicit, **opts).maps, rtol=0, atol=1e-6 * scale)
    assert np.abs(ours.maps - attribute("mpm", x, resized, **opts).maps).max() > 0.1 * scale
    fallback = attribute("mpm", x, ensemble, incremental=True, **opts)
    assert not fallback.info["incremental"]
    np.testing.assert_allclose(fallback.maps, ours.maps, rtol=0, atol=1e-6 * scale)
    lime_opts = dict(n_samples=40, n_segments=20, seed=3, progress=False)
    lime = attribute("lime", x, ensemble, **lime_opts).maps
    np.testing.assert_allclose(lime, attribute("lime", x, explicit, **lime_opts).maps, rtol=0,
                               atol=1e-6 * np.abs(lime).max())

