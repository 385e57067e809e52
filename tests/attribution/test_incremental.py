"""Exact incremental inference for MPM: every registered family's stem on masked images,
computed incrementally, equals the stem run on the masked images in full. In float64,
so that "exact" can be asserted to 1e-9 (float32 rounding differs with the batch shape)."""

import numpy as np
import pytest
import torch

from rashomon.attribution.incremental import Incremental, Patched, masked_state
from rashomon.attribution import attribute
from rashomon.attribution.perturbations import square_masks
from rashomon.backbones import create_backbone, list_backbones
from tests.attribution.test_attribution import real_variants


def randomise_batchnorm(model: torch.nn.Module, seed: int = 0) -> None:
    """Non-trivial running statistics, so BatchNorm is not (close to) the identity."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


def close(a: torch.Tensor, b: torch.Tensor) -> None:
    torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9 * float(b.abs().max()))


def test_reading_a_window_pastes_the_rectangle_and_pads_outside():
    base = torch.arange(2 * 6 * 6, dtype=torch.float32).view(2, 6, 6)
    values = -torch.ones(2, 2, 2, 3)
    state = Patched(base, torch.tensor([[1, 1], [4, 3]]), values)
    full = state.full()
    expected = base.expand(2, 2, 6, 6).clone()
    expected[0, :, 1:3, 1:4] = -1
    expected[1, :, 4:6, 3:6] = -1
    assert torch.equal(full, expected)
    window = state.read(torch.tensor([[-1, -1], [3, 3]]), 3, 4, pad=9.0)
    assert torch.equal(window[0, :, 0], torch.full((2, 4), 9.0))
    assert torch.equal(window[0, :, 1:, 0], torch.full((2, 2), 9.0))
    assert torch.equal(window[0, :, 1:, 1:], expected[0, :, 0:2, 0:3])
    assert torch.equal(window[1, :, :, :3], expected[1, :, 3:6, 3:6]) and (window[1, :, :, 3] == 9).all()


SMALL = ["resnet_small", "vgg_small", "densenet_small", "efficientnet_small"]


# windows until the rectangles cover the map (every family); switching to full maps once they
# cover a quarter (the switch is in the shared sliding-window code: the small families and the
# backbone it is for, ResNet152)
@pytest.mark.parametrize("name, full_above", [(n, 1.0) for n in list_backbones()]
                         + [(n, 0.25) for n in [*SMALL, "resnet152"]])
def test_incremental_stem_equals_the_full_stem(name, full_above):
    torch.manual_seed(0)
    backbone = create_backbone(name).double()
    randomise_batchnorm(backbone.model)
    size = 64 if backbone.spec.input_size <= 64 else 96
    image = torch.randn(3, size, size, dtype=torch.float64)
    centres = torch.tensor([[0, 0], [size // 2, size // 3], [size - 1, 5], [size - 2, size - 1]])
    with torch.no_grad():
        for side in (3, 17, 33) if name in SMALL else (3, 33):   # the study's backbones: small and large rectangles
            masks = square_masks(centres, side, size, size).unsqueeze(1)
            expected = backbone.stem(torch.where(masks, torch.zeros(()), image[None]))
            engine = Incremental(full_above)
            outs = engine.stem(backbone, masked_state(image, centres, side, 0.0))
            assert len(outs) == len(expected)
            for got, want in zip(outs, expected):
                close(got.full(), want)
            if side == 33 and full_above < 1:
                assert engine.stats.switched > 0   # the switch to full maps was exercised


@pytest.mark.parametrize("name", SMALL)
def test_mpm_incremental_equals_mpm_full(name):
    _, variants = real_variants(name, k=2)
    variants = variants.double()
    variants.masks[1, :3] = 0  # a pruned variant
    images = torch.randn(1, 3, 64, 64, dtype=torch.float64)
    full = attribute("mpm", images, variants, stride=8, progress=False, incremental=False)
    inc = attribute("mpm", images, variants, stride=8, progress=False, incremental=True)
    np.testing.assert_allclose(inc.maps, full.maps, rtol=1e-6, atol=1e-6 * np.abs(full.maps).max())
    assert inc.info["incremental"] and 0 < inc.info["conv_macs_skipped"] < 1
