"""Score every method on one fine-tuned model: IDSDS per method, output kind and transform."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch
from scipy import stats

from rashomon.config import IdsdsScoreConfig
from rashomon.idsds.deletion import Deletion, idsds_scores, single_deletion_drops, summarise
from rashomon.idsds.methods import PRINCIPLED, dummy_maps, principled_maps


def score_model(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, rgb: np.ndarray,
                deletion: Deletion, cfg: IdsdsScoreConfig) -> dict[str, Any]:
    """{output: {method: summary}} for every principled method and dummy baseline."""
    maps = {}
    for m in PRINCIPLED:
        torch.manual_seed(cfg.seed)  # SmoothGrad's noise: the same draws whatever ran before
        maps[m] = np.concatenate([principled_maps(m, model, x[i:i + 32], y[i:i + 32], cfg)
                                  for i in range(0, len(x), 32)])
    maps.update(dummy_maps(rgb, cfg.seed))
    out: dict[str, Any] = {}
    for output in cfg.outputs:
        drops = single_deletion_drops(model, x, y, deletion, output, cfg.seed)
        out[output] = {m: summarise(idsds_scores(mp, drops, deletion.grid, cfg.transform)) for m, mp in maps.items()}
    return out


def ranking(scores: Mapping[str, Mapping[str, float]]) -> list[str]:
    return sorted(scores, key=lambda m: -np.nan_to_num(scores[m]["mean"], nan=-np.inf))


def rank_change(a: Mapping[str, Mapping[str, float]], b: Mapping[str, Mapping[str, float]]) -> float:
    """Kendall tau between two score tables' method means (logits vs softmax)."""
    methods = [m for m in a if np.isfinite(a[m]["mean"]) and np.isfinite(b[m]["mean"])]
    return float(stats.kendalltau([a[m]["mean"] for m in methods], [b[m]["mean"] for m in methods]).statistic)


def dummy_warnings(scores: Mapping[str, Mapping[str, float]], principled: tuple[str, ...] = PRINCIPLED) -> list[dict]:
    """Every (dummy, principled) pair where the dummy scores higher: the protocol then
    cannot be trusted to rank that principled method."""
    flags = []
    for d in (m for m in scores if m not in principled):
        for p in (m for m in scores if m in principled):
            if np.isfinite(scores[d]["mean"]) and scores[d]["mean"] > np.nan_to_num(scores[p]["mean"], nan=-np.inf):
                flags.append({"dummy": d, "principled": p, "dummy_score": scores[d]["mean"],
                              "principled_score": scores[p]["mean"]})
    return flags
