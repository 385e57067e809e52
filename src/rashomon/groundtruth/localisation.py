"""Localisation scores of one map against a binary ground-truth mask (Quantus' definitions,
made tie-aware). `score` is the cue direction: high = "this pixel is the cue"; for signed
maps of predicted authenticity that is -map (the artifact lowers authenticity).

Every score is NaN (undefined) for a constant score or an empty/full mask, where Quantus
would report a number that depends on argsort's tie order (AUC 0.5, pointing hit 1).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

SCORES = ("auroc", "auroc_abs", "mass", "pointing", "rank")


def _defined(score: np.ndarray, mask: np.ndarray) -> bool:
    n_in = int(mask.sum())
    return 0 < n_in < mask.size and bool(np.ptp(score) > 0)


def auroc(score: np.ndarray, mask: np.ndarray) -> float:
    """Area under the ROC curve of pixels ranked by `score` (Mann-Whitney U, ties count 1/2)."""
    s, m = score.ravel().astype(np.float64), mask.ravel() > 0.5
    if not _defined(s, m):
        return float("nan")
    ranks = stats.rankdata(s)
    n_pos, n_neg = int(m.sum()), int((~m).sum())
    return float((ranks[m].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def relevance_mass(score: np.ndarray, mask: np.ndarray) -> float:
    """Share of the positive part of `score` that falls inside the mask (Arras et al. 2022)."""
    s, m = np.clip(score.ravel().astype(np.float64), 0, None), mask.ravel() > 0.5
    if not _defined(score.ravel(), m) or s.sum() == 0:
        return float("nan")
    return float(s[m].sum() / s.sum())


def pointing_game(score: np.ndarray, mask: np.ndarray) -> float:
    """Whether the maximum falls in the mask (Zhang et al. 2018); with tied maxima, the
    share of them inside the mask, i.e. the hit rate under a random tie-break."""
    s, m = score.ravel(), mask.ravel() > 0.5
    if not _defined(s, m):
        return float("nan")
    return float(m[s == s.max()].mean())


def rank_accuracy(score: np.ndarray, mask: np.ndarray) -> float:
    """Relevance rank accuracy (Arras et al. 2022): of the K = |mask| top-scored pixels, the
    share inside the mask; pixels tied at the K-th value count in proportion."""
    s, m = score.ravel().astype(np.float64), mask.ravel() > 0.5
    if not _defined(s, m):
        return float("nan")
    k = int(m.sum())
    kth = np.partition(s, s.size - k)[s.size - k]
    above, tied = s > kth, s == kth
    hits = m[above].sum() + (k - above.sum()) * m[tied].mean()
    return float(hits / k)


def localisation_scores(score: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """All scores of one cue-direction map; `auroc_abs` ranks by |score| (sign-blind)."""
    return {"auroc": auroc(score, mask), "auroc_abs": auroc(np.abs(score), mask),
            "mass": relevance_mass(score, mask), "pointing": pointing_game(score, mask),
            "rank": rank_accuracy(score, mask)}
