"""The reliability report: how well can any model predict these ratings at all?"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from rashomon.core.config import DIMENSIONS
from rashomon.psychometrics.correlation import pearson
from rashomon.psychometrics.reliability import bimodality, ratings_matrix, split_half_reliability
from rashomon.psychometrics.reliability_params import ReliabilityConfig

log = logging.getLogger("rashomon.reliability")


def reliability_report(manifest: pd.DataFrame, long: pd.DataFrame | None, cfg: ReliabilityConfig,
                       source: str) -> dict[str, Any]:
    """Reliability metrics for the kept images; per-rater parts only when `long` exists."""
    report: dict[str, Any] = {
        "n_images": int(len(manifest)),
        "quality_authenticity_pearson": pearson(manifest["quality"], manifest["authenticity"]),
        "bimodality_delta_bic": {d: bimodality(manifest[d].to_numpy(), cfg.seed)["delta_bic"] for d in DIMENSIONS},
        "mean_sd_pearson": {
            d: pearson(manifest[d], manifest[f"{d}_sd"]) for d in DIMENSIONS if f"{d}_sd" in manifest
        },
    }
    ids = manifest["image_id"].astype(str).tolist()
    if long is None:
        report["per_rater_data"] = False
        report["skipped"] = "split-half reliability, Spearman-Brown, noise ceiling from raters (no per-rater table)"
        report["noise_ceiling"] = {"authenticity": cfg.noise_ceiling} if cfg.noise_ceiling is not None else {}
        report["noise_ceiling_source"] = ("user-given (reliability.noise_ceiling)" if cfg.noise_ceiling is not None
                                          else "none")
        log.warning("no per-rater table: split-half reliability skipped; noise ceiling %s",
                    "taken from params" if cfg.noise_ceiling is not None else "unavailable")
        return report
    report["per_rater_data"] = True
    report["recipe"] = ("per-rater z-scores" if cfg.zscore_raters else "raw ratings (the study)") + \
        f", {cfg.n_splits} half splits, Spearman-Brown per split, Fisher-z mean"
    report["split_half"] = {}
    for d in DIMENSIONS:
        res = split_half_reliability(ratings_matrix(long, d, ids, source), cfg.n_splits, cfg.seed, cfg.zscore_raters)
        res.pop("split_rs")
        report["split_half"][d] = res
    report["noise_ceiling"] = {d: report["split_half"][d]["noise_ceiling"] for d in DIMENSIONS}
    report["noise_ceiling_source"] = "split-half over raters"
    return report


def compare_with_truth(report: dict[str, Any], manifest: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Synthetic data only: the true ceiling (corr of observed MOS with the simulated
    population mean) on the same kept images, against the measured one."""
    truth = truth.loc[manifest["image_id"].astype(str)]
    out = {}
    for d in DIMENSIONS:
        true = pearson(manifest[d].to_numpy(), truth[f"population_{d}"].to_numpy())
        measured = report["noise_ceiling"].get(d)
        out[d] = {"true_noise_ceiling": true, "measured_noise_ceiling": measured,
                  "abs_error": None if measured is None else abs(measured - true)}
    return out
