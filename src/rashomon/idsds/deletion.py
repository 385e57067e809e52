"""Grid-cell deletion (the one implementation: IDSDS here, the ground-truth deletion curves
too) and the single-deletion score, as the reference (visinf/idsds) does them.

Score of a map on one image = Spearman correlation between the drop of the target
output when each grid cell is deleted and the map's sum over that cell. Cell sums are
ranked with a relative tolerance, so cells that are equal in exact arithmetic (a centred
Gaussian's symmetric cells) tie instead of being ordered by float rounding. Constant maps
(or constant drops) make Spearman undefined: reported as NaN and counted. (The reference's
filter `type(x) == np.float64` drops those NaNs too: scipy returns a Python float NaN for
constant input, so means agree.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats
from tqdm import tqdm

from rashomon.core.errors import InputError


def cell_masks(h: int, w: int, grid: int) -> torch.Tensor:
    """Boolean (grid*grid, h, w): cell c covers rows (c // grid) and cols (c % grid)."""
    if grid < 2 or h % grid or w % grid:
        raise InputError(f"grid {grid} must be >= 2 and divide the {h}x{w} image (grid-cell deletion)")
    ys = torch.arange(h) // (h // grid)
    xs = torch.arange(w) // (w // grid)
    cell = ys[:, None] * grid + xs[None, :]
    return cell[None] == torch.arange(grid * grid)[:, None, None]


@dataclass(frozen=True)
class Deletion:
    """How a grid cell is deleted (the reference's `sd_baseline`): `value` fills it with
    `value` in normalised space (0 = the dataset mean colour: the reference's `zeros`);
    `random` with U(-1, 1) noise; `blur` with the image blurred by the reference's
    GaussianSmoothing of size `blur_kernel` and `blur_sigma` (CIFAR reproduction: 7, 5)."""

    grid: int
    mode: str = "value"
    value: float = 0.0
    blur_kernel: int = 7
    blur_sigma: float = 5.0


def reference_blur_kernel(size: int, sigma: float) -> torch.Tensor:
    """The reference's GaussianSmoothing kernel, (size, size), computed as it does:
    a product of exp(-((i - c) / (2 sigma))^2) per axis (an effective SD of sigma * sqrt(2)),
    normalised to sum 1."""
    kernel = torch.ones(())
    for grid in torch.meshgrid([torch.arange(size, dtype=torch.float32)] * 2, indexing="ij"):
        mean = (size - 1) / 2
        kernel = kernel * (1 / (sigma * math.sqrt(2 * math.pi)) * torch.exp(-((grid - mean) / (2 * sigma)) ** 2))
    return kernel / kernel.sum()


def deletion_fill(x: torch.Tensor, deletion: Deletion, generator: torch.Generator | None = None) -> torch.Tensor:
    """What deleted pixels of each image become, (N, 3, H, W)."""
    if deletion.mode == "value":
        return torch.full_like(x, deletion.value)
    if deletion.mode == "random":
        return torch.rand(x.shape, generator=generator) * 2.0 - 1.0
    if deletion.mode == "blur":
        k = deletion.blur_kernel
        if k < 1 or k % 2 == 0:
            raise InputError(f"idsds: deletion blur_kernel must be a positive odd number, not {k}")
        weight = reference_blur_kernel(k, deletion.blur_sigma).expand(x.shape[1], 1, k, k)
        return F.conv2d(x, weight, padding=k // 2, groups=x.shape[1])   # zero padding, as the reference
    raise InputError(f"idsds: unknown deletion mode {deletion.mode!r} (value, random, blur)")


def delete_cells(x: torch.Tensor, cells: torch.Tensor, deletion: Deletion,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Delete cell `cells[i]` of image i (cells < 0: keep the image)."""
    masks = cell_masks(x.shape[-2], x.shape[-1], deletion.grid)
    keep_all = cells < 0
    m = masks[cells.clamp_min(0)].unsqueeze(1) & ~keep_all.view(-1, 1, 1, 1)
    return torch.where(m, deletion_fill(x, deletion, generator), x)


def delete_cell_sets(image: torch.Tensor, deleted: torch.Tensor, grid: int, fill: float) -> torch.Tensor:
    """One copy of `image` (C, H, W) per row of `deleted` (B, grid^2, bool), with the
    row's cells set to `fill` -> (B, C, H, W)."""
    masks = cell_masks(image.shape[-2], image.shape[-1], grid).flatten(1).to(torch.float32)   # (G2, H*W)
    pixels = (deleted.to(torch.float32) @ masks > 0).view(len(deleted), 1, *image.shape[-2:])
    return torch.where(pixels, torch.full((), fill, dtype=image.dtype), image.unsqueeze(0))


@torch.no_grad()
def single_deletion_drops(model: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor, deletion: Deletion,
                          output: str = "logit", seed: int = 0, images_per_batch: int = 32) -> np.ndarray:
    """Drops (N, grid^2) of the true-label output when each cell is deleted; all cells of
    `images_per_batch` images (and the images themselves) go through the model in one batch."""
    if output not in ("logit", "softmax"):
        raise InputError(f"idsds: output must be 'logit' or 'softmax', not {output!r}")
    grid = deletion.grid
    g2 = grid * grid
    masks = cell_masks(x.shape[-2], x.shape[-1], grid)
    gen = torch.Generator().manual_seed(seed)
    drops = []
    model.eval()
    for start in tqdm(range(0, len(x), images_per_batch), desc=f"deletions ({output})", leave=False,
                      disable=len(x) <= images_per_batch):
        xb, yb = x[start:start + images_per_batch], labels[start:start + images_per_batch]
        if deletion.mode == "random":   # fresh noise for every deleted cell, drawn cell by cell as the reference
            fill = torch.stack([deletion_fill(xb, deletion, gen) for _ in range(g2)], 1)
        else:
            fill = deletion_fill(xb, deletion, gen)[:, None]
        deleted = torch.where(masks[None, :, None], fill, xb[:, None])
        batch = torch.cat([xb[:, None], deleted], 1).flatten(0, 1)        # (b*(g2+1), 3, H, W)
        out = model(batch)
        if output == "softmax":
            out = out.softmax(-1)
        target = out.view(len(xb), g2 + 1, -1).gather(2, yb.view(-1, 1, 1).expand(-1, g2 + 1, 1))[..., 0]
        drops.append((target[:, :1] - target[:, 1:]).numpy())
    return np.concatenate(drops)


def transform_maps(maps: np.ndarray, transform: str) -> np.ndarray:
    """The reference's attribution transforms: raw, abs or relu."""
    if transform == "abs":
        return np.abs(maps)
    if transform == "relu":
        return np.maximum(maps, 0)
    if transform != "raw":
        raise InputError(f"idsds: transform must be raw, abs or relu, not {transform!r}")
    return maps


def cell_sums(maps: np.ndarray, grid: int, transform: str = "raw") -> np.ndarray:
    """Per-cell sums (N, grid^2), in float64, of maps (N, H, W) after raw / abs / relu."""
    maps = transform_maps(np.asarray(maps, dtype=np.float64), transform)
    n, h, w = maps.shape
    return maps.reshape(n, grid, h // grid, grid, w // grid).sum(axis=(2, 4)).reshape(n, grid * grid)


def tolerant_ranks(values: np.ndarray, rtol: float = 0.0) -> np.ndarray:
    """Average ranks (1-based) per row, where sorted neighbours closer than rtol * max|row|
    tie; rtol 0 gives scipy's rankdata(method='average')."""
    values = np.asarray(values, dtype=np.float64)
    n, k = values.shape
    order = np.argsort(values, axis=1, kind="stable")
    s = np.take_along_axis(values, order, 1)
    scale = np.abs(values).max(1, keepdims=True)
    breaks = np.diff(s, axis=1) > rtol * scale
    group = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(breaks, 1)], 1)
    flat = (group + np.arange(n)[:, None] * k).ravel()
    position = np.tile(np.arange(1, k + 1, dtype=np.float64), n)
    mean_position = np.bincount(flat, position, n * k) / np.maximum(np.bincount(flat, minlength=n * k), 1)
    ranks = np.empty_like(s)
    np.put_along_axis(ranks, order, mean_position[flat].reshape(n, k), 1)
    return ranks


def rowwise_spearman(a: np.ndarray, b: np.ndarray, rtol_a: float = 0.0) -> np.ndarray:
    """Spearman per row (average ranks for ties, `a` tied within rtol_a); NaN where a row is constant."""
    ra = tolerant_ranks(a, rtol_a)
    rb = stats.rankdata(b, axis=1)
    ra -= ra.mean(1, keepdims=True)
    rb -= rb.mean(1, keepdims=True)
    denom = np.sqrt((ra**2).sum(1) * (rb**2).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (ra * rb).sum(1) / np.where(denom > 0, denom, 1), np.nan)


def idsds_scores(maps: np.ndarray, drops: np.ndarray, grid: int, transform: str = "raw",
                 tie_rtol: float = 0.0) -> np.ndarray:
    """Per-image single-deletion scores (NaN = undefined); cell sums within tie_rtol of the
    image's largest |cell sum| count as ties."""
    return rowwise_spearman(cell_sums(maps, grid, transform), drops, tie_rtol)


def summarise(scores: np.ndarray) -> dict[str, float]:
    """Mean and 95% t-interval over images with a defined score; undefined ones counted."""
    ok = scores[np.isfinite(scores)]
    out = {"n_images": int(len(scores)), "n_undefined": int(len(scores) - len(ok))}
    if len(ok) == 0:
        return {**out, "mean": float("nan"), "ci95_low": float("nan"), "ci95_high": float("nan")}
    mean = float(ok.mean())
    half = float(stats.t.ppf(0.975, len(ok) - 1) * ok.std(ddof=1) / np.sqrt(len(ok))) if len(ok) > 1 else float("nan")
    return {**out, "mean": mean, "ci95_low": mean - half, "ci95_high": mean + half}
