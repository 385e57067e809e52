"""Per-architecture evaluation of trained variants: accuracy, reliability, ceilings,
and the quality diagnostic, as one JSON-ready dict and one plot table."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rashomon.metrics import model_reliability, prediction_metrics, quality_diagnostic, variant_ceiling


def evaluate_predictions(
    predictions: pd.DataFrame, manifest: pd.DataFrame, target: str, noise_ceiling: float | None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Metrics on each variant's test images; architecture means +- SD."""
    truth = manifest.set_index("image_id")
    report: dict[str, Any] = {}
    table = []
    for arch, group in predictions.groupby("architecture", sort=False):
        test = group[group["subset"] == "test"]
        per_variant = {}
        preds = []
        for v, g in test.groupby("variant"):
            y = truth.loc[g["image_id"], target].to_numpy()
            per_variant[int(v)] = {**prediction_metrics(g["prediction"].to_numpy(), y),
                                   "epochs": int(g["epochs"].iloc[0])}
            preds.append(g.set_index("image_id")["prediction"].rename(int(v)))
        frame = pd.DataFrame(per_variant).T
        common = pd.concat(preds, axis=1, join="inner")  # images in every variant's test set
        reliability = model_reliability([common[c].to_numpy() for c in common.columns])
        ids = common.index
        diag = quality_diagnostic([common[c].to_numpy() for c in common.columns],
                                  truth.loc[ids, "authenticity"].to_numpy(), truth.loc[ids, "quality"].to_numpy())
        summary = {f"{m}_{stat}": float(getattr(frame[m], stat)(ddof=1) if stat == "std" else frame[m].mean())
                   for m in ("rmse", "plcc", "srcc") for stat in ("mean", "std")}
        ceiling = variant_ceiling(noise_ceiling, reliability) if noise_ceiling is not None else None
        report[str(arch)] = {
            **summary, "model_reliability": reliability, "n_common_test_images": int(len(ids)),
            "variant_ceiling": ceiling,
            "plcc_over_noise_ceiling": summary["plcc_mean"] / noise_ceiling if noise_ceiling else None,
            "quality_diagnostic": diag, "variants": per_variant,
        }
        table.append({"architecture": arch, "plcc": summary["plcc_mean"], "plcc_sd": summary["plcc_std"],
                      "srcc": summary["srcc_mean"], "rmse": summary["rmse_mean"],
                      "model_reliability": reliability, "variant_ceiling": ceiling,
                      "corr_quality": diag["corr_quality"],
                      "partial_authenticity_given_quality": diag["partial_authenticity_given_quality"]})
    best = max(report, key=lambda a: report[a]["plcc_mean"])
    return {"architectures": report, "best_architecture": best,
            "best_plcc": report[best]["plcc_mean"], "noise_ceiling": noise_ceiling}, pd.DataFrame(table)
