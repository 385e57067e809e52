"""Grids: where inputs and maps lie in the source image, and moving between them, checked
against torchvision's own resize and centre crop and against hand-computed masks."""

import numpy as np
import pytest
import torch
from torchvision.transforms import functional as TF

from rashomon.backbones import input_grids
from rashomon.backbones.geometry import Grid, canvas_of, common_of, crop_side, mask_on_grid, resample, resample_maps


def test_the_study_grids_meet_on_densenet161s_canvas_and_are_compared_on_the_224_grid():
    grids = input_grids(["vgg16", "resnet152", "densenet161", "efficientnet_b3"])
    assert grids["densenet161"] == Grid(300, 320) and grids["vgg16"] == Grid(224, 256)
    assert canvas_of(grids.values()) == Grid(300, 320)       # widest view (93.75%), finest pixels
    assert common_of(grids.values()) == Grid(224, 256)       # the view all of them see (87.5%)
    assert crop_side(Grid(300, 320), Grid(224, 256)) == 280  # 300 x 0.875 / 0.9375
    with pytest.raises(ValueError, match="cannot be cut"):
        crop_side(Grid(224, 256), Grid(300, 320))
    # a wide but coarse grid and a narrow fine one: the canvas takes the view of one, the pixels of the other
    assert canvas_of([Grid(64, 64), Grid(96, 128)]) == Grid(96, 96)
    assert common_of([Grid(64, 64), Grid(96, 128)]) == Grid(64, 85)


def test_resample_is_the_identity_on_one_grid_and_otherwise_matches_preprocessing_from_the_source():
    maps = np.random.default_rng(0).normal(size=(2, 3, 64, 64)).astype(np.float32)
    assert resample_maps(maps, Grid(64, 64), Grid(64, 64)) is maps
    # a smooth source image: preprocessing it straight to a 48/56 grid, or to a 64/64 canvas
    # first and then cutting the 48/56 grid from the canvas, gives the same pixels up to resampling
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 224), torch.linspace(0, 1, 224), indexing="ij")
    source = torch.stack([torch.sin(3 * yy), torch.cos(2 * xx), yy * xx])
    direct = TF.center_crop(TF.resize(source, 56, antialias=True), 48)
    canvas = TF.center_crop(TF.resize(source, 64, antialias=True), 64)
    via = resample(canvas, Grid(64, 64), Grid(48, 56))
    assert via.shape == direct.shape == (3, 48, 48)
    assert float((via - direct).abs().max()) < 0.03
    shifted = TF.resize(canvas, [48, 48], antialias=True)    # forgetting the crop is visibly wrong
    assert float((shifted - direct).abs().max()) > 0.1


def test_a_mask_is_cut_where_the_image_is():
    mask = np.zeros((112, 112))
    mask[40:72, 40:72] = 1
    on = mask_on_grid(mask, Grid(48, 56))  # resize to 56 (nearest samples source 2i+1), crop 4 px each side
    expected = np.zeros((48, 48), bool)
    expected[16:32, 16:32] = True
    np.testing.assert_array_equal(on, expected)
    same = mask_on_grid(mask[:64, :64] > 0.5, Grid(64, 64))
    np.testing.assert_array_equal(same, mask[:64, :64] > 0.5)
