"""The reliability report: how well can any model predict these ratings at all?"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from rashomon.data.manifest import DIMENSIONS
from rashomon.psychometrics import (
    bimodality, pearson, ratings_matrix, split_half_reliability, zscore_per_rater,
)

log = logging.getLogger("rashomon.reliability")


def reliability_report(
    manifest: pd.DataFrame, long: pd.DataFrame | None, cfg: Mapping[str, Any],
    likert_range: tuple[float, float] = (0, 5), source: str = "ratings_long",
) -> dict[str, Any]:
    """Reliability metrics for the kept images; per-rater parts only when `long` exists."""
    seed = int(cfg.get("seed", 0))
    report: dict[str, Any] = {
        "n_images": int(len(manifest)),
        "quality_authenticity_pearson": pearson(manifest["quality"], manifest["authenticity"]),
        "bimodality": {d: bimodality(manifest[d].to_numpy(), seed) for d in DIMENSIONS},
        "mean_sd_pearson": {
            d: pearson(manifest[d], manifest[f"{d}_sd"]) for d in DIMENSIONS if f"{d}_sd" in manifest
        },
    }
    ids = manifest["image_id"].astype(str).tolist()
    if long is None:
        report["per_rater_data"] = False
        report["skipped"] = ["split-half reliability", "Spearman-Brown", "noise ceiling from raters"]
        given = cfg.get("noise_ceiling")
        report["noise_ceiling"] = {"authenticity": given} if given is not None else {}
        report["noise_ceiling_source"] = "user-given (reliability.noise_ceiling)" if given is not None else "none"
        log.warning("no per-rater table: split-half reliability skipped; noise ceiling %s",
                    "taken from params" if given is not None else "unavailable")
        return report
    report["per_rater_data"] = True
    report["split_half"] = {}
    for d in DIMENSIONS:
        matrix = zscore_per_rater(ratings_matrix(long, d, ids, source, likert_range))
        res = split_half_reliability(matrix, int(cfg.get("n_splits", 20)), seed)
        res.pop("split_rs")
        report["split_half"][d] = res
    report["noise_ceiling"] = {d: report["split_half"][d]["noise_ceiling"] for d in DIMENSIONS}
    report["noise_ceiling_source"] = "split-half over raters"
    return report


def compare_with_truth(report: dict[str, Any], manifest: pd.DataFrame, truth_csv: Path) -> dict[str, Any]:
    """Synthetic data only: the true ceiling (corr of observed MOS with the simulated
    population mean) on the same kept images, against the measured one."""
    truth = pd.read_csv(truth_csv, dtype={"image_id": str}).set_index("image_id")
    truth = truth.loc[manifest["image_id"].astype(str)]
    out = {}
    for d in DIMENSIONS:
        true = pearson(manifest[d].to_numpy(), truth[f"population_{d}"].to_numpy())
        measured = report["noise_ceiling"].get(d)
        out[d] = {"true_noise_ceiling": true, "measured_noise_ceiling": measured,
                  "abs_error": None if measured is None else abs(measured - true)}
    return out
