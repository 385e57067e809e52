"""Prediction metrics (torchmetrics) and the study's model-level diagnostics."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from scipy import stats
from torchmetrics.functional import mean_squared_error, pearson_corrcoef, spearman_corrcoef

from rashomon.psychometrics.correlation import fisher_z_mean, mean_pairwise_correlation, partial_corr, pearson


def prediction_metrics(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """RMSE, PLCC and SRCC of predictions against targets."""
    p = torch.as_tensor(np.asarray(pred, dtype=np.float64))
    t = torch.as_tensor(np.asarray(target, dtype=np.float64))
    return {
        "rmse": float(mean_squared_error(p, t, squared=False)),
        "plcc": float(pearson_corrcoef(p, t)),
        "srcc": float(spearman_corrcoef(p, t)),
    }


def model_reliability(predictions: Sequence[np.ndarray]) -> float:
    """Mean pairwise Pearson correlation of the variants' predictions on the same images."""
    return mean_pairwise_correlation(predictions)


def variant_ceiling(noise_ceiling: float, reliability: float) -> float:
    """Best PLCC one variant can reach: noise ceiling * sqrt(model reliability)."""
    return float(noise_ceiling * np.sqrt(max(reliability, 0.0)))


def quality_diagnostic(
    predictions: Sequence[np.ndarray], authenticity: np.ndarray, quality: np.ndarray
) -> dict[str, float]:
    """Does the model track quality rather than authenticity? Per variant: corr(pred, quality),
    corr(pred, authenticity) and partial corr(pred, authenticity | quality); t-tests over
    variants: paired quality-vs-authenticity correlation (Fisher z), and the partial
    correlation against 0."""
    r_q = np.array([pearson(p, quality) for p in predictions])
    r_a = np.array([pearson(p, authenticity) for p in predictions])
    r_p = np.array([partial_corr(p, authenticity, quality) for p in predictions])
    out = {
        "corr_quality": fisher_z_mean(r_q), "corr_authenticity": fisher_z_mean(r_a),
        "partial_authenticity_given_quality": fisher_z_mean(r_p),
        "partial_sd": float(np.std(r_p, ddof=0)),
    }
    if len(predictions) > 1:
        t, p = stats.ttest_rel(np.arctanh(r_q), np.arctanh(r_a))
        out.update({"t_quality_vs_authenticity": float(t), "p_quality_vs_authenticity": float(p)})
        t, p = stats.ttest_1samp(np.arctanh(r_p), 0.0)
        out.update({"t_partial_vs_0": float(t), "p_partial_vs_0": float(p)})
    return out
