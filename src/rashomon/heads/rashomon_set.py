"""The Rashomon set: the architectures that predict the target about equally well (test PLCC
within a tolerance of the best's, or intervals that overlap the best's), never a model that
predicts nothing. Across-architecture agreement of explanations is a claim about this set."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from rashomon.core.config import InferenceConfig
from rashomon.core.errors import InputError
from rashomon.inference.intervals import percentile_interval
from rashomon.psychometrics.correlation import pearson


RULE = ("test PLCC (the variants' mean, 95% interval over images and trained variants) above 0, and within "
        "`rashomon_set.tolerance` of the best architecture's or with an interval that overlaps the best's")


def plcc_estimates(predictions: pd.DataFrame, truth: pd.Series, inference: InferenceConfig) -> dict[str, dict]:
    """Per architecture: the mean over variants of each variant's test PLCC, on the test images
    every variant shares, with its expanded percentile-bootstrap 95% interval over those images
    and the variants (`truth`: by image id)."""
    out = {}
    for arch, group in predictions[predictions.subset == "test"].groupby("architecture", sort=False):
        wide = group.pivot(index="image_id", columns="variant", values="prediction").dropna()
        pred, y = wide.to_numpy(dtype=np.float64), truth.loc[wide.index].to_numpy(dtype=np.float64)
        value = float(np.mean([pearson(pred[:, k], y) for k in range(pred.shape[1])]))
        low, high = plcc_interval(pred, y, inference)
        out[str(arch)] = {"value": value, "ci_low": low, "ci_high": high, "n": int(len(y))}
    return out


def _mean_plcc(pred: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Mean over variants of Pearson r, for a batch of resamples: pred (B, n, K), y (B, n) -> (B,);
    `weights` (B, K): each variant's share of a resample (None: equal)."""
    pc = pred - pred.mean(axis=1, keepdims=True)
    yc = (y - y.mean(axis=1, keepdims=True))[:, :, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (pc * yc).sum(1) / np.sqrt((pc ** 2).sum(1) * (yc ** 2).sum(1))
    return r.mean(axis=1) if weights is None else (r * weights).sum(axis=1)


def plcc_interval(pred: np.ndarray, y: np.ndarray, inference: InferenceConfig, chunk: int = 500,
              over_variants: bool = True) -> tuple[float, float]:
    """The expanded percentile interval of the mean PLCC over images resampled with replacement
    and, with `over_variants`, the trained variants (seeds) resampled too, independently (a
    two-level bootstrap: the interval includes training randomness; with identical variants it is
    the images-only interval). Vectorised: a Python loop of 10,000 resamples x variants took minutes."""
    n, k = pred.shape
    if n < 3:
        return math.nan, math.nan
    rng, seeds = np.random.default_rng(inference.seed), np.random.default_rng([inference.seed, 1])
    values = []
    for start in range(0, inference.n_resamples, chunk):
        b = min(chunk, inference.n_resamples - start)
        rows = rng.integers(0, n, (b, n))
        weights = seeds.multinomial(k, np.full(k, 1 / k), size=b) / k if over_variants else None
        values.append(_mean_plcc(pred[rows], y[rows], weights))
    return percentile_interval(np.concatenate(values), n)


def rashomon_set(plcc: dict[str, dict], tolerance: float) -> dict[str, Any]:
    """Members and, for every other architecture, why it is out (`plcc`: from `plcc_estimates`)."""
    best = max(plcc, key=lambda a: np.nan_to_num(plcc[a]["value"], nan=-np.inf))
    top = plcc[best]
    members, excluded = [], {}
    for name, e in plcc.items():
        if not (math.isfinite(e["ci_low"]) and e["ci_low"] > 0):
            excluded[name] = f"predicts nothing: test PLCC {e['value']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"
        elif top["value"] - e["value"] <= tolerance or e["ci_high"] >= top["ci_low"]:
            members.append(name)
        else:
            excluded[name] = (f"predicts worse: test PLCC {e['value']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}], "
                              f"more than {tolerance:g} below the best ({best}, {top['value']:.3f} "
                              f"[{top['ci_low']:.3f}, {top['ci_high']:.3f}]) and no overlap")
    return {"rule": RULE, "tolerance": tolerance, "best": best, "members": members, "excluded": excluded,
            "plcc": plcc}


def rashomon_members(train_metrics: dict[str, Any], names: list[str], path: str) -> dict[str, Any]:
    """The Rashomon set the train stage wrote (`path`: metrics/train.json), checked against the
    architectures this run explains."""
    found = train_metrics.get("rashomon_set")
    if not isinstance(found, dict) or not isinstance(found.get("members"), list):
        raise InputError(f"{path}: no rashomon_set (rerun the train stage)")
    unknown = [m for m in found["members"] + list(found.get("excluded", {})) if m not in names]
    if unknown or set(found["members"]) | set(found.get("excluded", {})) != set(names):
        raise InputError(f"{path}: its rashomon_set covers {sorted(set(found['members']) | set(found['excluded']))}, "
                         f"not backbones.names {names} (rerun the train stage)")
    return found
