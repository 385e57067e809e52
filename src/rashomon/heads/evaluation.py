"""Per-architecture evaluation of trained variants: accuracy, reliability, ceilings and
the quality diagnostic. Headline numbers (for metrics/) and a per-variant table (for
plots/) are kept apart, so `dvc exp show` stays readable."""

from __future__ import annotations

from typing import Any

import pandas as pd

from rashomon.core.config import InferenceConfig
from rashomon.heads.metrics import model_reliability, prediction_metrics, quality_diagnostic, variant_ceiling
from rashomon.heads.rashomon_set import plcc_estimates, rashomon_set

SD_CONVENTION = "population SD over variants (ddof=0, as the study)"


def evaluate_predictions(
    predictions: pd.DataFrame, manifest: pd.DataFrame, target: str, noise_ceiling: float | None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """(per-architecture report, per-variant table) on each variant's test images."""
    truth = manifest.set_index("image_id")
    report: dict[str, Any] = {}
    rows = []
    for arch, group in predictions.groupby("architecture", sort=False):
        test = group[group["subset"] == "test"]
        preds, arch_rows = [], []
        for v, g in test.groupby("variant"):
            y = truth.loc[g["image_id"], target].to_numpy()
            arch_rows.append({"architecture": arch, "variant": int(v),
                              **prediction_metrics(g["prediction"].to_numpy(), y),
                              "epochs": int(g["epochs"].iloc[0])})
            preds.append(g.set_index("image_id")["prediction"].rename(int(v)))
        rows += arch_rows
        frame = pd.DataFrame(arch_rows)
        common = pd.concat(preds, axis=1, join="inner")  # images in every variant's test set
        columns = [common[c].to_numpy() for c in common.columns]
        reliability = model_reliability(columns)
        ids = common.index
        diag = quality_diagnostic(columns, truth.loc[ids, "authenticity"].to_numpy(),
                                  truth.loc[ids, "quality"].to_numpy())
        summary = {f"{m}_{stat}": float(frame[m].mean() if stat == "mean" else frame[m].std(ddof=0))
                   for m in ("rmse", "plcc", "srcc") for stat in ("mean", "sd")}
        report[str(arch)] = {
            **summary, "model_reliability": reliability, "n_variants": int(len(frame)),
            "n_common_test_images": int(len(ids)),
            "variant_ceiling": variant_ceiling(noise_ceiling, reliability) if noise_ceiling is not None else None,
            "plcc_over_noise_ceiling": summary["plcc_mean"] / noise_ceiling if noise_ceiling else None,
            "corr_quality": diag["corr_quality"], "corr_authenticity": diag["corr_authenticity"],
            "partial_authenticity_given_quality": diag["partial_authenticity_given_quality"],
            "p_partial_vs_0": diag.get("p_partial_vs_0"),
        }
    return report, pd.DataFrame(rows)


HEADLINE = ("plcc_mean", "plcc_sd", "model_reliability", "partial_authenticity_given_quality")


def headline(report: dict[str, Any], noise_ceiling: float | None) -> dict[str, Any]:
    """The few numbers `dvc metrics diff` and `dvc exp show` carry; the rest goes to tables."""
    best = max(report, key=lambda a: report[a]["plcc_mean"])
    return {"best_architecture": best, "best_plcc": report[best]["plcc_mean"],
            "best_plcc_over_noise_ceiling": report[best]["plcc_over_noise_ceiling"],
            "noise_ceiling": noise_ceiling, "sd": SD_CONVENTION,
            "architectures": {a: {k: r[k] for k in HEADLINE} for a, r in report.items()}}


SYNTHETIC_TRAIN_LABEL = "SYNTHETIC data; backbones pretrained on synthetic data"


def train_report(predictions: pd.DataFrame, manifest: pd.DataFrame, target: str, noise_ceiling: float | None,
                 synthetic: bool, tolerance: float,
                 inference: InferenceConfig) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """metrics/train.json (with the Rashomon set), and the per-architecture and per-variant
    tables under plots/train/."""
    per_arch, variants = evaluate_predictions(predictions, manifest, target, noise_ceiling)
    report = headline(per_arch, noise_ceiling)
    truth = manifest.set_index("image_id")[target]
    report["rashomon_set"] = rashomon_set(plcc_estimates(predictions, truth, inference), tolerance)
    if synthetic:
        report["label"] = SYNTHETIC_TRAIN_LABEL
    table = pd.DataFrame([{"architecture": a, **r} for a, r in per_arch.items()]).rename(columns={"plcc_mean": "plcc"})
    return report, table, variants
