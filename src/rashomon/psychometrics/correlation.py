"""Correlation helpers shared by the psychometrics, model metrics and map consistency."""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

FISHER_CLIP = 0.999999


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two vectors (NaN if either is constant)."""
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    xc, yc = x - x.mean(), y - y.mean()
    denom = np.sqrt((xc**2).sum() * (yc**2).sum())
    return float((xc * yc).sum() / denom) if denom > 0 else float("nan")


def partial_corr(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> float:
    """Correlation of x and y with the linear effect of z removed from both."""
    rxy, rxz, ryz = pearson(x, y), pearson(x, z), pearson(y, z)
    return (rxy - rxz * ryz) / np.sqrt((1 - rxz**2) * (1 - ryz**2))


def fisher_z_mean(rs: Sequence[float]) -> float:
    """Average correlations in Fisher-z space (r clipped to +-0.999999, as the study)."""
    z = np.arctanh(np.clip(np.asarray(rs, float), -FISHER_CLIP, FISHER_CLIP))
    return float(np.tanh(z.mean()))


def spearman_brown(r: float, factor: float = 2.0) -> float:
    """Reliability of a test `factor` times as long as the one with reliability r."""
    return factor * r / (1 + (factor - 1) * r)


def mean_pairwise_correlation(rows: Sequence[np.ndarray]) -> float:
    """Mean of the Pearson correlations of every pair of rows (NaN pairs ignored; NaN if
    fewer than two rows): model reliability of predictions, consistency of maps."""
    rs = [pearson(a, b) for a, b in itertools.combinations(rows, 2)]
    rs = [r for r in rs if np.isfinite(r)]
    return float(np.mean(rs)) if rs else float("nan")
