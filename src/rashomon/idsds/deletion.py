"""Grid-cell deletion and the single-deletion score.

Score of a map on one image = Spearman correlation between the drop of the target
output when each grid cell is deleted and the map's sum over that cell. Constant maps
(or constant drops) make Spearman undefined: reported as NaN and counted, never
silently dropped (the reference code's NaN filter did not actually drop NaNs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats

from rashomon.errors import InputError


def cell_masks(h: int, w: int, grid: int) -> torch.Tensor:
    """Boolean (grid*grid, h, w): cell c covers rows (c // grid) and cols (c % grid)."""
    if grid < 2 or h % grid or w % grid:
        raise InputError(f"idsds: grid {grid} must be >= 2 and divide the {h}x{w} image")
    ys = torch.arange(h) // (h // grid)
    xs = torch.arange(w) // (w // grid)
    cell = ys[:, None] * grid + xs[None, :]
    return cell[None] == torch.arange(grid * grid)[:, None, None]


@dataclass(frozen=True)
class Deletion:
    """How a grid cell is deleted: `value` (fill with `value` in normalised space; 0 = the
    dataset mean colour), `random` (standard normal noise) or `blur` (9x9 box blur)."""

    grid: int
    mode: str = "value"
    value: float = 0.0


def deletion_fill(x: torch.Tensor, deletion: Deletion, generator: torch.Generator | None = None) -> torch.Tensor:
    """What deleted pixels of each image become, (N, 3, H, W)."""
    if deletion.mode == "value":
        return torch.full_like(x, deletion.value)
    if deletion.mode == "random":
        return torch.randn(x.shape, generator=generator)
    if deletion.mode == "blur":
        return F.avg_pool2d(x, 9, stride=1, padding=4, count_include_pad=False)
    raise InputError(f"idsds: unknown deletion mode {deletion.mode!r} (value, random, blur)")


def delete_cells(x: torch.Tensor, cells: torch.Tensor, deletion: Deletion,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Delete cell `cells[i]` of image i (cells < 0: keep the image)."""
    masks = cell_masks(x.shape[-2], x.shape[-1], deletion.grid)
    keep_all = cells < 0
    m = masks[cells.clamp_min(0)].unsqueeze(1) & ~keep_all.view(-1, 1, 1, 1)
    return torch.where(m, deletion_fill(x, deletion, generator), x)


@torch.no_grad()
def single_deletion_drops(model: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor, deletion: Deletion,
                          output: str = "logit", seed: int = 0, images_per_batch: int = 32) -> np.ndarray:
    """Drops (N, grid^2) of the true-label output when each cell is deleted; all cells of
    an image (and the image itself) go through the model in one batch."""
    if output not in ("logit", "softmax"):
        raise InputError(f"idsds: output must be 'logit' or 'softmax', not {output!r}")
    grid = deletion.grid
    g2 = grid * grid
    masks = cell_masks(x.shape[-2], x.shape[-1], grid)
    gen = torch.Generator().manual_seed(seed)
    drops = []
    model.eval()
    for start in range(0, len(x), images_per_batch):
        xb, yb = x[start:start + images_per_batch], labels[start:start + images_per_batch]
        fill = deletion_fill(xb, deletion, gen)
        deleted = torch.where(masks[None, :, None], fill[:, None], xb[:, None])
        batch = torch.cat([xb[:, None], deleted], 1).flatten(0, 1)        # (b*(g2+1), 3, H, W)
        out = model(batch)
        if output == "softmax":
            out = out.softmax(-1)
        target = out.view(len(xb), g2 + 1, -1).gather(2, yb.view(-1, 1, 1).expand(-1, g2 + 1, 1))[..., 0]
        drops.append((target[:, :1] - target[:, 1:]).numpy())
    return np.concatenate(drops)


def cell_sums(maps: np.ndarray, grid: int, transform: str = "raw") -> np.ndarray:
    """Per-cell sums (N, grid^2) of maps (N, H, W) after raw / abs / relu."""
    if transform == "abs":
        maps = np.abs(maps)
    elif transform == "relu":
        maps = np.maximum(maps, 0)
    elif transform != "raw":
        raise InputError(f"idsds: transform must be raw, abs or relu, not {transform!r}")
    n, h, w = maps.shape
    return maps.reshape(n, grid, h // grid, grid, w // grid).sum(axis=(2, 4)).reshape(n, grid * grid)


def rowwise_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman per row (average ranks for ties); NaN where a row is constant."""
    ra = stats.rankdata(a, axis=1)
    rb = stats.rankdata(b, axis=1)
    ra -= ra.mean(1, keepdims=True)
    rb -= rb.mean(1, keepdims=True)
    denom = np.sqrt((ra**2).sum(1) * (rb**2).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (ra * rb).sum(1) / np.where(denom > 0, denom, 1), np.nan)


def idsds_scores(maps: np.ndarray, drops: np.ndarray, grid: int, transform: str = "raw") -> np.ndarray:
    """Per-image single-deletion scores (NaN = undefined)."""
    return rowwise_spearman(cell_sums(maps, grid, transform), drops)


def summarise(scores: np.ndarray) -> dict[str, float]:
    """Mean and 95% t-interval over images with a defined score; undefined ones counted."""
    ok = scores[np.isfinite(scores)]
    out = {"n_images": int(len(scores)), "n_undefined": int(len(scores) - len(ok))}
    if len(ok) == 0:
        return {**out, "mean": float("nan"), "ci95_low": float("nan"), "ci95_high": float("nan")}
    mean = float(ok.mean())
    half = float(stats.t.ppf(0.975, len(ok) - 1) * ok.std(ddof=1) / np.sqrt(len(ok))) if len(ok) > 1 else float("nan")
    return {**out, "mean": mean, "ci95_low": mean - half, "ci95_high": mean + half}
