"""Trivial reference maps that a method must beat to be called right: a centred Gaussian
(objects and artifacts are rarely at the border), Sobel edges of the image (no model at
all) and uniform noise."""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2gray
from skimage.filters import sobel

REFERENCES = ("gaussian", "sobel", "random")


def gaussian_map(size: int, sigma: float) -> np.ndarray:
    """A centred isotropic Gaussian with SD `sigma` (a fraction of the side)."""
    t = (np.arange(size) + 0.5) / size - 0.5
    return np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma**2))


def sobel_map(rgb: np.ndarray) -> np.ndarray:
    """Sobel edge magnitude of the grey image (H, W, 3 in [0, 1])."""
    return sobel(rgb2gray(rgb))


def reference_maps(rgb: np.ndarray, sigma: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each reference map (as a cue score: high = cue) for one image."""
    size = rgb.shape[0]
    return {"gaussian": gaussian_map(size, sigma), "sobel": sobel_map(rgb), "random": rng.random((size, size))}
