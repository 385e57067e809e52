"""Psychometrics of rating data: split-half reliability, Spearman-Brown, noise ceiling,
partial correlation, bimodality.

Conventions follow the study: per-rater z-scoring, 20 random half splits of the raters,
Fisher-z mean of the split-half correlations, Spearman-Brown to the full panel,
noise ceiling = sqrt(reliability).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from rashomon.errors import InputError


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two vectors (NaN if either is constant)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    xc, yc = x - x.mean(), y - y.mean()
    denom = np.sqrt((xc**2).sum() * (yc**2).sum())
    return float((xc * yc).sum() / denom) if denom > 0 else float("nan")


def partial_corr(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> float:
    """Correlation of x and y with the linear effect of z removed from both."""
    rxy, rxz, ryz = pearson(x, y), pearson(x, z), pearson(y, z)
    return (rxy - rxz * ryz) / np.sqrt((1 - rxz**2) * (1 - ryz**2))


def fisher_z_mean(rs: Sequence[float]) -> float:
    """Average correlations in Fisher-z space (r clipped away from +-1)."""
    z = np.arctanh(np.clip(np.asarray(rs, float), -0.999999, 0.999999))
    return float(np.tanh(z.mean()))


def spearman_brown(r: float, factor: float = 2.0) -> float:
    """Reliability of a test `factor` times as long as the one with reliability r."""
    return factor * r / (1 + (factor - 1) * r)


def zscore_per_rater(matrix: np.ndarray) -> np.ndarray:
    """z-score each rater's row (raters x images), ignoring missing (NaN) cells."""
    mean = np.nanmean(matrix, axis=1, keepdims=True)
    sd = np.nanstd(matrix, axis=1, ddof=1, keepdims=True)
    return (matrix - mean) / np.where(sd > 0, sd, 1.0)


def split_half_reliability(
    matrix: np.ndarray, n_splits: int = 20, seed: int = 0
) -> dict[str, float | list[float]]:
    """Split-half reliability of the per-image mean rating.

    `matrix` is raters x images (NaN = not rated). Raters are split at random into
    halves (12/13 for 25) `n_splits` times; per split, the per-image means of the two
    halves are correlated. Returns the Fisher-z mean split-half r, its Spearman-Brown
    correction to the full panel, and the noise ceiling sqrt(SB).
    """
    n_raters = matrix.shape[0]
    if n_raters < 2:
        raise InputError(f"split-half reliability needs >= 2 raters, got {n_raters}")
    rng = np.random.default_rng(seed)
    rs = []
    for _ in range(n_splits):
        perm = rng.permutation(n_raters)
        a, b = perm[: n_raters // 2], perm[n_raters // 2:]
        ma, mb = np.nanmean(matrix[a], axis=0), np.nanmean(matrix[b], axis=0)
        ok = np.isfinite(ma) & np.isfinite(mb)
        rs.append(pearson(ma[ok], mb[ok]))
    r = fisher_z_mean(rs)
    sb = spearman_brown(r)
    return {
        "split_half_r": r,
        "split_half_r_sd": float(np.std(rs, ddof=1)) if len(rs) > 1 else 0.0,
        "spearman_brown": sb,
        "noise_ceiling": float(np.sqrt(max(sb, 0.0))),
        "n_raters": int(n_raters),
        "n_images": int(matrix.shape[1]),
        "split_rs": [float(x) for x in rs],
    }


def bimodality(values: np.ndarray, seed: int = 0) -> dict[str, float | bool]:
    """Gaussian-mixture evidence for two modes: BIC(1 comp) - BIC(2 comps) (> 10: strong)."""
    from sklearn.mixture import GaussianMixture

    x = np.asarray(values, float).reshape(-1, 1)
    bics = [GaussianMixture(k, random_state=seed, n_init=3).fit(x).bic(x) for k in (1, 2)]
    delta = float(bics[0] - bics[1])
    return {"bic_1": float(bics[0]), "bic_2": float(bics[1]), "delta_bic": delta, "bimodal": delta > 10}


def ratings_matrix(
    long: pd.DataFrame, dimension: str, image_ids: Sequence[str], source: str,
    rating_range: Sequence[float] = (0, 5),
) -> np.ndarray:
    """Raters x images matrix for one dimension from a long (image, rater, dimension,
    rating) table, restricted and ordered to `image_ids`; validates the table."""
    missing = {"image", "rater", "dimension", "rating"} - set(long.columns)
    if missing:
        raise InputError(f"{source}: missing column(s) {sorted(missing)}")
    sub = long[long["dimension"] == dimension]
    if sub.empty:
        raise InputError(f"{source}: no ratings for dimension {dimension!r}")
    values = pd.to_numeric(sub["rating"], errors="coerce")
    if values.isna().any():
        row = sub.index[np.flatnonzero(values.isna().to_numpy())[0]]
        raise InputError(f"{source}: rating is NaN or not a number at row {row}")
    lo, hi = rating_range
    bad = (values < lo) | (values > hi)
    if bad.any():
        row = sub.index[np.flatnonzero(bad.to_numpy())[0]]
        raise InputError(f"{source}: rating {values[row]} at row {row} is outside [{lo}, {hi}]")
    dup = sub.duplicated(["image", "rater"])
    if dup.any():
        row = sub.index[np.flatnonzero(dup.to_numpy())[0]]
        raise InputError(f"{source}: duplicated (image, rater) for {dimension} at row {row}")
    table = sub.assign(image=sub["image"].astype(str), rating=values).pivot(
        index="rater", columns="image", values="rating")
    absent = [i for i in image_ids if i not in table.columns]
    if absent:
        raise InputError(f"{source}: no {dimension} ratings for image(s) {absent[:5]} ({len(absent)} in all)")
    return table[list(image_ids)].to_numpy(dtype=float)
