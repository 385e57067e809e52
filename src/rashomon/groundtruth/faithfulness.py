"""Is a map faithful to the model? (1) Across images, the map's signed mass on the artifact
region against the model's measured twin effect (how much removing the artifact raises
the prediction). (2) Deletion curves: grid cells removed in the map's order against
random orders; a faithful map lowers the prediction faster."""

from __future__ import annotations

import numpy as np
import torch

from rashomon.core.device import module_device
from rashomon.idsds.deletion import cell_sums, delete_cell_sets
from rashomon.inference import spearman_exact
from rashomon.variants.variant_set import VariantSet


def region_mass(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per image, the map's mass in the mask pointing to "lowers authenticity", as a share
    of its total absolute mass: sum(-map * mask) / sum(|map|). NaN for an all-zero map."""
    flat, m = maps.reshape(len(maps), -1).astype(np.float64), masks.reshape(len(masks), -1)
    total = np.abs(flat).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (-flat * m).sum(1) / total, np.nan)


def twin_agreement(mass: np.ndarray, twin_effect: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Spearman correlation of region mass with the twin effect over images where both are
    defined, with its permutation p (exact for few images, never a t-approximation); > 0 = the
    map puts more weight on the artifact where the model reacts to it more."""
    return spearman_exact(mass, twin_effect, seed)


def cell_order(attribution: np.ndarray, grid: int) -> np.ndarray:
    """Grid cells (row-major index) from the most to the least positive summed attribution
    (stable sort: ties keep row-major order)."""
    return np.argsort(-cell_sums(attribution[None], grid)[0], kind="stable")


def deleted_images(image: torch.Tensor, orders: np.ndarray, grid: int, steps: int, fill: float) -> torch.Tensor:
    """For each order (R, G*G): the image with the first 0, G*G/steps, ..., G*G cells
    replaced by `fill` -> (R * (steps + 1), C, H, W)."""
    per_step = np.linspace(0, grid * grid, steps + 1).round().astype(int)
    position = np.argsort(orders, axis=1)                     # where each cell comes in each order
    deleted = position[:, None, :] < per_step[None, :, None]  # (R, steps + 1, G*G)
    return delete_cell_sets(image, torch.from_numpy(deleted.reshape(-1, grid * grid)), grid, fill)


@torch.no_grad()
def deletion_curves(variants: VariantSet, image: torch.Tensor, attribution: np.ndarray, *, grid: int, steps: int,
                    n_random: int, fill: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Change in the variant-mean prediction as cells are deleted: in the map's order
    (steps + 1,) and in `n_random` random orders (n_random, steps + 1). One batch, scored
    where the model is."""
    orders = np.stack([cell_order(attribution, grid)] + [rng.permutation(grid * grid) for _ in range(n_random)])
    batch = deleted_images(image, orders, grid, steps, fill).to(module_device(variants))
    pred = variants(batch).mean(1).cpu().numpy()
    curves = pred.reshape(len(orders), steps + 1)
    curves = curves - curves[:, :1]
    return curves[0], curves[1:]


def curve_area(curve: np.ndarray) -> float:
    """Area under a deletion curve over the deleted fraction in [0, 1] (trapezoid)."""
    x = np.linspace(0, 1, len(curve))
    return float(np.sum((curve[1:] + curve[:-1]) / 2 * np.diff(x)))
