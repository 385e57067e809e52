"""Where a model input or a map lies in the source image (shorter side resized, centre
cropped), and moving inputs, maps and masks between such grids, so that architectures
with different input sizes (the study's DenseNet161 at 320/300 px) meet on one grid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import numpy as np
import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from PIL.Image import Image


@dataclass(frozen=True)
class Grid:
    """A square grid of `input_size` pixels: the centre crop of the image resized so that
    its shorter side is `resize_size` (the study's preprocessing: 256/224, DenseNet161 320/300)."""

    input_size: int
    resize_size: int

    @property
    def field_of_view(self) -> float:
        """The share of the image's shorter side that the grid covers."""
        return self.input_size / self.resize_size


def grid_of(spec) -> Grid:
    """The grid of a backbone's input (anything with input_size and resize_size)."""
    return Grid(int(spec.input_size), int(spec.resize_size))


def _with_side(side: int, like: Grid) -> Grid:
    return like if side == like.input_size else Grid(side, round(side / like.field_of_view))


def canvas_of(grids: Iterable[Grid]) -> Grid:
    """The grid every member's input is cut from: the widest field of view at the finest pixels."""
    grids = list(grids)
    widest = max(grids, key=lambda g: (g.field_of_view, g.input_size))
    return _with_side(max(g.input_size for g in grids), widest)


def common_of(grids: Iterable[Grid]) -> Grid:
    """The grid on which maps of all of them are compared: the field of view every one of
    them sees (the narrowest) at the coarsest pixels."""
    grids = list(grids)
    narrowest = min(grids, key=lambda g: (g.field_of_view, g.input_size))
    return _with_side(min(g.input_size for g in grids), narrowest)


def crop_side(src: Grid, dst: Grid) -> int:
    """Pixels of the centre of `src` that cover the field of view of `dst`."""
    if dst.field_of_view > src.field_of_view * (1 + 1e-6):
        raise ValueError(f"grid {dst} sees more of the image than {src}: it cannot be cut from it")
    return max(1, round(src.input_size * dst.field_of_view / src.field_of_view))


def resample(x: torch.Tensor, src: Grid, dst: Grid, mode: str = "bilinear") -> torch.Tensor:
    """(..., S, S) on `src` -> (..., dst.input_size, dst.input_size) on `dst`: centre crop
    (torchvision's rounding), then resize (antialiased bilinear, or nearest for masks).
    The identity when the grids are equal. Linear, so it commutes with normalisation."""
    if src == dst:
        return x
    side, size = x.shape[-1], crop_side(src, dst)
    top = int(round((side - size) / 2.0))
    x = x[..., top:top + size, top:top + size]
    if size == dst.input_size:
        return x
    lead = x.shape[:-2]
    flat = x.reshape(-1, 1, size, size)
    out = (F.interpolate(flat, size=(dst.input_size,) * 2, mode="nearest") if mode == "nearest" else
           F.interpolate(flat, size=(dst.input_size,) * 2, mode="bilinear", align_corners=False, antialias=True))
    return out.reshape(*lead, dst.input_size, dst.input_size)


def resample_maps(maps: np.ndarray, src: Grid, dst: Grid) -> np.ndarray:
    """Maps (..., S, S) from `src` to `dst` (unchanged, same array, when the grids are equal)."""
    if src == dst:
        return maps
    return resample(torch.as_tensor(np.asarray(maps, dtype=np.float32)), src, dst).numpy()


def _resize_crop(img: "Image", grid: Grid, interpolation: str) -> "Image":
    """A PIL image resized (shorter side to `grid.resize_size`) and centre cropped to
    `grid.input_size`: the preprocessing's geometry, so a map lies where the image's pixels do."""
    from torchvision.transforms import functional as TF

    mode = getattr(TF.InterpolationMode, interpolation)
    return TF.center_crop(TF.resize(img, grid.resize_size, interpolation=mode), grid.input_size)


def mask_on_grid(mask: np.ndarray, grid: Grid) -> np.ndarray:
    """A binary image-space mask (H, W) on `grid` (nearest neighbour)."""
    from PIL import Image

    binary = np.asarray(mask) > 0.5
    if binary.shape == (grid.input_size,) * 2 and grid.input_size == grid.resize_size:
        return binary
    return np.asarray(_resize_crop(Image.fromarray(binary.astype(np.uint8) * 255), grid, "NEAREST")) > 127


def heat_on_grid(heat: np.ndarray, grid: Grid) -> np.ndarray:
    """A continuous image-space map (H, W) on `grid` (bilinear)."""
    from PIL import Image

    if heat.shape == (grid.input_size,) * 2 and grid.input_size == grid.resize_size:
        return heat.astype(np.float64)
    img = Image.fromarray(np.asarray(heat, dtype=np.float32), mode="F")
    return np.asarray(_resize_crop(img, grid, "BILINEAR"), dtype=np.float64)
