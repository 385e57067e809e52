"""Map agreement metrics on constructed-answer-checkable definitions: Pearson correlation,
IoU of the top p% pixels (`>=` the percentile, ties included, as the study's code), and
the disagreement metrics of Krishna et al. 2022 / OpenXAI (feature, rank, sign and
signed-rank agreement of the top-k features by |attribution|)."""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

import numpy as np

from rashomon.psychometrics.correlation import mean_pairwise_correlation


def pearson_matrix(maps: np.ndarray) -> np.ndarray:
    """(K, K) Pearson correlations of K maps (any shape each); NaN rows for constant maps."""
    flat = maps.reshape(len(maps), -1).astype(np.float64)
    flat = flat - flat.mean(1, keepdims=True)
    norm = np.linalg.norm(flat, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (flat @ flat.T) / np.outer(norm, norm)


def top_region(m: np.ndarray, percent: float) -> np.ndarray:
    """Pixels at or above the (100 - percent)th percentile (numpy's linear interpolation)."""
    return m >= np.percentile(m, 100 - percent)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else float("nan")


def iou_matrix(maps: np.ndarray, percent: float) -> np.ndarray:
    """(K, K) IoU of the maps' top-`percent`% regions."""
    regions = [top_region(m, percent) for m in maps]
    k = len(maps)
    out = np.eye(k)
    for i, j in combinations(range(k), 2):
        out[i, j] = out[j, i] = iou(regions[i], regions[j])
    return out


def mean_offdiagonal(matrix: np.ndarray) -> float:
    """Mean over the K(K-1)/2 pairs (upper triangle), ignoring undefined pairs."""
    values = matrix[np.triu_indices(len(matrix), 1)]
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def iou_column(percent: float) -> str:
    """The name of the IoU@p column and metric: `iou5` for 5 (the config refuses two
    percents with the same name)."""
    return f"iou{percent:g}"


def agreement(maps: np.ndarray, percents: Sequence[float]) -> dict[str, float]:
    """Mean pairwise Pearson and IoU@p of K maps of one image."""
    out = {"pearson": mean_pairwise_correlation(list(maps))}   # = explain's within-architecture consistency
    for p in percents:
        out[iou_column(p)] = mean_offdiagonal(iou_matrix(maps, p))
    return out


def disagreement(a: np.ndarray, b: np.ndarray, k: int) -> dict[str, float]:
    """Krishna et al. 2022: of the top-k features by |attribution| of two explanations,
    the share in both (feature agreement), at the same rank (rank), in both with the same
    sign (sign), and at the same rank with the same sign (signed rank)."""
    a, b = a.ravel(), b.ravel()
    top_a = np.argsort(-np.abs(a), kind="stable")[:k]
    top_b = np.argsort(-np.abs(b), kind="stable")[:k]
    common = np.intersect1d(top_a, top_b)
    same_sign = np.sign(a[common]) == np.sign(b[common])
    same_rank = top_a == top_b
    return {"feature": len(common) / k, "rank": float(same_rank.mean()),
            "sign": float(same_sign.sum() / k),
            "signed_rank": float((same_rank & (np.sign(a[top_a]) == np.sign(b[top_b]))).mean())}
