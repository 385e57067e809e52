"""Scores of one map against a continuous human heatmap: the MIT/Tuebingen saliency
benchmark's definitions (Bylinskii et al. 2019, "What do different evaluation metrics tell
us about saliency models?"), with the heatmap standing where fixations stand there.

`score` is the cue direction (high = "people see the problem here"); `heat` is the human
map (non-negative; a binary mask is the special case). Every score is NaN (undefined) for
a constant `score` or an empty heatmap, where the benchmark's code would divide by zero or
report a number set by argsort's tie order.
"""

from __future__ import annotations

import numpy as np

from rashomon.groundtruth.localisation import auroc

SCORES = ("auroc", "auc_judd", "nss", "cc", "kl", "sim")
EPS = np.finfo(np.float64).eps   # the benchmark's MATLAB `eps` (2.2204e-16) in KL


def _defined(score: np.ndarray, heat: np.ndarray) -> bool:
    return bool(np.ptp(score) > 0) and bool(heat.max() > 0)


def _as_distribution(x: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1], then sum to 1 (the benchmark's normalisation for SIM and KL)."""
    x = (x - x.min()) / np.ptp(x) if np.ptp(x) > 0 else np.ones_like(x)
    return x / x.sum()


def nss(score: np.ndarray, heat: np.ndarray) -> float:
    """Normalised scanpath saliency: the z-scored map averaged with the heatmap as weights
    (equal to the mean at the fixated pixels when the heatmap is binary). Ranges over R; 0 = chance."""
    s, h = score.ravel().astype(np.float64), heat.ravel().astype(np.float64)
    if not _defined(s, h):
        return float("nan")
    z = (s - s.mean()) / s.std(ddof=1)   # the benchmark's std (MATLAB default: n - 1)
    return float((z * h).sum() / h.sum())


def cc(score: np.ndarray, heat: np.ndarray) -> float:
    """Pearson's linear correlation between map and heatmap; 1 = the heatmap itself."""
    s, h = score.ravel().astype(np.float64), heat.ravel().astype(np.float64)
    if not _defined(s, h) or np.ptp(h) == 0:
        return float("nan")
    return float(np.corrcoef(s, h)[0, 1])


def kl(score: np.ndarray, heat: np.ndarray) -> float:
    """KL divergence of the map from the heatmap, both as distributions; 0 = same, lower is better."""
    s, h = score.ravel().astype(np.float64), heat.ravel().astype(np.float64)
    if not _defined(s, h):
        return float("nan")
    q, p = _as_distribution(s), h / h.sum()
    return float((p * np.log(EPS + p / (q + EPS))).sum())


def sim(score: np.ndarray, heat: np.ndarray) -> float:
    """Histogram intersection of map and heatmap as distributions; 1 = same, 0 = disjoint."""
    s, h = score.ravel().astype(np.float64), heat.ravel().astype(np.float64)
    if not _defined(s, h):
        return float("nan")
    return float(np.minimum(_as_distribution(s), _as_distribution(h)).sum())


def top_pixels(heat: np.ndarray, fraction: float) -> np.ndarray:
    """The `fraction` of pixels with the highest heat (ties at the cut kept), only where heat > 0."""
    h = heat.astype(np.float64)
    k = max(1, int(round(fraction * h.size)))
    cut = np.partition(h.ravel(), h.size - k)[h.size - k]
    return (h >= cut) & (h > 0)


def auc_judd(score: np.ndarray, fixations: np.ndarray) -> float:
    """AUC-Judd: thresholds at the map's values on the fixated pixels; true positives are
    fixations at or above, false positives the other pixels at or above (the benchmark's
    AUC_Judd.m, without its random tie-breaking jitter); trapezoid from (0, 0) to (1, 1)."""
    s, f = score.ravel().astype(np.float64), fixations.ravel() > 0.5
    n_fix, n_pix = int(f.sum()), s.size
    if not np.ptp(s) > 0 or n_fix == 0 or n_fix == n_pix:
        return float("nan")
    thresholds = np.sort(s[f])[::-1]
    above = np.searchsorted(np.sort(s), thresholds, side="left")   # pixels below each threshold
    n_above = n_pix - above
    tp = np.arange(1, n_fix + 1) / n_fix
    fp = (n_above - np.arange(1, n_fix + 1)) / (n_pix - n_fix)
    tp, fp = np.concatenate([[0.0], tp, [1.0]]), np.concatenate([[0.0], fp, [1.0]])
    return float(np.trapezoid(tp, fp))


def saliency_scores(score: np.ndarray, heat: np.ndarray, threshold: float, top_fraction: float) -> dict[str, float]:
    """Every score of one cue-direction map against one heatmap: AUROC against the heatmap
    above `threshold` (a share of its maximum), AUC-Judd against its top `top_fraction` pixels."""
    h = heat.astype(np.float64)
    if not h.max() > 0:
        return {name: float("nan") for name in SCORES}
    return {"auroc": auroc(score, h >= threshold * h.max()), "auc_judd": auc_judd(score, top_pixels(h, top_fraction)),
            "nss": nss(score, h), "cc": cc(score, h), "kl": kl(score, h), "sim": sim(score, h)}
