"""Split-half reliability and the noise ceiling, by the study's recipe.

The study's code (DESIGN.md): a rater x image matrix of RAW ratings, 20 random splits
of the raters into halves (12/13 for 25), Pearson of the two halves' image means,
Spearman-Brown 2r/(1+r) applied to EACH split, Fisher-z mean of the corrected values
(clipped at +-0.999999), back-transform; noise ceiling = sqrt(reliability), NaN if
negative. `zscore_raters=True` z-scores each rater (population SD) first: an option,
not the study.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from rashomon.core.errors import InputError
from rashomon.psychometrics.correlation import fisher_z_mean, pearson, spearman_brown


def zscore_per_rater(matrix: np.ndarray) -> np.ndarray:
    """z-score each rater's row (raters x images; population SD), ignoring NaN cells."""
    mean = np.nanmean(matrix, axis=1, keepdims=True)
    sd = np.nanstd(matrix, axis=1, ddof=0, keepdims=True)
    return (matrix - mean) / np.where(sd > 0, sd, 1.0)


def split_half_reliability(matrix: np.ndarray, n_splits: int, seed: int,
                           zscore_raters: bool = False) -> dict[str, float | list[float]]:
    """Split-half reliability of the per-image mean rating and the noise ceiling.

    `matrix` is raters x images (NaN = not rated)."""
    n_raters = matrix.shape[0]
    if n_raters < 2:
        raise InputError(f"split-half reliability needs >= 2 raters, got {n_raters}")
    if zscore_raters:
        matrix = zscore_per_rater(matrix)
    rng = np.random.default_rng(seed)
    rs, corrected = [], []
    for _ in range(n_splits):
        perm = rng.permutation(n_raters)
        a, b = perm[: n_raters // 2], perm[n_raters // 2:]
        ma, mb = np.nanmean(matrix[a], axis=0), np.nanmean(matrix[b], axis=0)
        ok = np.isfinite(ma) & np.isfinite(mb)
        r = pearson(ma[ok], mb[ok])
        rs.append(r)
        corrected.append(spearman_brown(r))
    reliability = fisher_z_mean(corrected)
    return {
        "split_half_r": fisher_z_mean(rs),
        "spearman_brown": reliability,
        "noise_ceiling": float(np.sqrt(reliability)) if reliability >= 0 else float("nan"),
        "n_raters": int(n_raters),
        "n_images": int(matrix.shape[1]),
        "split_rs": [float(x) for x in rs],
    }


def bimodality(values: np.ndarray, seed: int) -> dict[str, float | bool]:
    """Gaussian-mixture evidence for two modes: BIC(1 comp) - BIC(2 comps) (> 10: strong)."""
    from sklearn.mixture import GaussianMixture

    x = np.asarray(values, float).reshape(-1, 1)
    bics = [GaussianMixture(k, random_state=seed, n_init=3).fit(x).bic(x) for k in (1, 2)]
    delta = float(bics[0] - bics[1])
    return {"bic_1": float(bics[0]), "bic_2": float(bics[1]), "delta_bic": delta, "bimodal": delta > 10}


def ratings_matrix(long: pd.DataFrame, dimension: str, image_ids: Sequence[str], source: str) -> np.ndarray:
    """Raters x images matrix for one dimension of a validated long table, ordered to `image_ids`."""
    sub = long[long["dimension"] == dimension]
    if sub.empty:
        raise InputError(f"{source}: no ratings for dimension {dimension!r}")
    table = sub.assign(image=sub["image"].astype(str)).pivot(index="rater", columns="image", values="rating")
    absent = [i for i in image_ids if i not in table.columns]
    if absent:
        raise InputError(f"{source}: no {dimension} ratings for image(s) {absent[:5]} ({len(absent)} in all)")
    return table[list(image_ids)].to_numpy(dtype=float)
