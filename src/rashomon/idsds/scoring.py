"""Score every method on one fine-tuned model: IDSDS per output kind, principled method
(under each configured transform if its sign matters) and dummy baseline."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch
from scipy import stats
from tqdm import tqdm

from rashomon.core.errors import InputError
from rashomon.idsds.deletion import Deletion, idsds_scores, single_deletion_drops, summarise
from rashomon.idsds.dummies import dummy_maps
from rashomon.idsds.idsds_params import IdsdsScoreConfig
from rashomon.idsds.methods import METHODS, principled_maps

BATCH = 32


def check_method_names(names: list[str]) -> None:
    """Every `idsds.score.methods` entry must be a registered principled method."""
    unknown = [n for n in names if n not in METHODS]
    if unknown:
        raise InputError(f"params.yaml: idsds.score.methods: unknown IDSDS method {unknown[0]!r}; "
                         f"available: {', '.join(METHODS)}")


def row_names(method: str, transforms: list[str]) -> list[tuple[str, str]]:
    """(row name, transform) pairs: `IG-raw`, `IG-abs` for signed methods, `Grad-CAM` (raw) otherwise."""
    if METHODS.get(method).signed:
        return [(f"{method}-{t}", t) for t in transforms]
    return [(method, "raw")]


def method_maps(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, output: str,
                cfg: IdsdsScoreConfig) -> dict[str, np.ndarray]:
    """Every configured principled method's maps (N, H, W) on `output`, in batches of 32."""
    maps = {}
    for name in tqdm(cfg.methods, desc=f"attributions ({output})", leave=False):
        torch.manual_seed(cfg.seed)  # NoiseTunnel / SG-CAMpp noise: the same draws whatever ran before
        maps[name] = torch.cat([principled_maps(name, model, x[i:i + BATCH], y[i:i + BATCH], cfg, output)
                                for i in range(0, len(x), BATCH)]).numpy()
    return maps


def score_model(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, deletion: Deletion,
                cfg: IdsdsScoreConfig) -> dict[str, dict[str, dict[str, Any]]]:
    """{output: {row: summary}} for every principled method (maps and drops on the same
    output, as the reference's use_softmax) and every dummy baseline (raw, as theirs)."""
    dummies = dummy_maps(x, cfg.dummies.gaussian_sigmas, cfg.dummies.entropy_kernels, cfg.seed)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for output in cfg.outputs:
        drops = single_deletion_drops(model, x, y, deletion, output, cfg.seed)
        table: dict[str, dict[str, Any]] = {}
        for name, maps in method_maps(model, x, y, output, cfg).items():
            for row, transform in row_names(name, cfg.transforms):
                scores = idsds_scores(maps, drops, deletion.grid, transform, cfg.tie_rtol)
                table[row] = {"principled": True, "source": METHODS.get(name).source, "transform": transform,
                              **summarise(scores)}
        for name, maps in dummies.items():
            scores = idsds_scores(maps, drops, deletion.grid, "raw", cfg.tie_rtol)
            table[name] = {"principled": False, "source": "reproduction", "transform": "raw", **summarise(scores)}
        out[output] = table
    return out


def ranking(scores: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return sorted(scores, key=lambda m: -np.nan_to_num(scores[m]["mean"], nan=-np.inf))


def rank_change(a: Mapping[str, Mapping[str, Any]], b: Mapping[str, Mapping[str, Any]]) -> float:
    """Kendall tau between two score tables' method means (logits vs softmax)."""
    methods = [m for m in a if m in b and np.isfinite(a[m]["mean"]) and np.isfinite(b[m]["mean"])]
    return float(stats.kendalltau([a[m]["mean"] for m in methods], [b[m]["mean"] for m in methods]).statistic)


def dummy_warnings(scores: Mapping[str, Mapping[str, Any]]) -> list[dict]:
    """Every (dummy, principled) pair where the dummy scores higher: the protocol then
    cannot be trusted to rank that principled method."""
    flags = []
    principled = [m for m in scores if scores[m]["principled"]]
    for d in (m for m in scores if not scores[m]["principled"]):
        for p in principled:
            if np.isfinite(scores[d]["mean"]) and scores[d]["mean"] > np.nan_to_num(scores[p]["mean"], nan=-np.inf):
                flags.append({"dummy": d, "principled": p, "dummy_score": scores[d]["mean"],
                              "principled_score": scores[p]["mean"]})
    return flags


def reliability_warning(scores: Mapping[str, Mapping[str, Any]]) -> bool | None:
    """Whether some dummy outranks a principled method; None (undefined) when every dummy
    or every principled method scored NaN, so nothing can be compared."""
    means = {kind: [scores[m]["mean"] for m in scores if scores[m]["principled"] == kind] for kind in (True, False)}
    if not all(np.isfinite(v).any() for v in means.values() if len(v)) or not all(len(v) for v in means.values()):
        return None
    return bool(dummy_warnings(scores))


def classifies(correct: int, n: int, n_classes: int) -> dict[str, Any]:
    """Clean top-1 of the scored model with its exact (Clopper-Pearson) 95% interval: a model
    whose interval reaches chance (1 / classes) classifies nothing, and a ranking of
    attribution methods on it means nothing (`ranked` false)."""
    ci = stats.binomtest(correct, n).proportion_ci(confidence_level=0.95, method="exact") if n else None
    low, high = (float(ci.low), float(ci.high)) if ci is not None else (float("nan"), float("nan"))
    return {"accuracy_clean": correct / n if n else float("nan"), "accuracy_ci_low": low, "accuracy_ci_high": high,
            "chance": 1 / n_classes, "ranked": bool(low > 1 / n_classes)}


def unranked(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A model's headline with its ranking withheld: the best method and dummy become undefined."""
    reason = (f"the model classifies at chance: clean top-1 {entry['accuracy_clean']:.3f} "
              f"[{entry['accuracy_ci_low']:.3f}, {entry['accuracy_ci_high']:.3f}] reaches 1/classes = "
              f"{entry['chance']:.3f}; its attribution scores are reported but not ranked")
    withheld = ("best_method", "best_score", "best_dummy", "best_dummy_score", "n_dummy_outranks_principled",
                "reliability_warning")
    return {**entry, **{k: None for k in withheld}, "undefined": {"ranking": reason}}


def headline(scores: Mapping[str, Mapping[str, Mapping[str, Any]]], output: str
             ) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """One model's line in metrics/idsds.json from its scores per output: the best method and
    dummy on `output`, the logit-vs-softmax rank change, the dummies that outrank a principled
    method (also returned in full) and the ranking."""
    warnings = dummy_warnings(scores[output])
    order = ranking(scores[output])
    best_dummy = next(m for m in order if not scores[output][m]["principled"])
    entry = {
        "output": output,
        "best_method": order[0], "best_score": scores[output][order[0]]["mean"],
        "best_dummy": best_dummy, "best_dummy_score": scores[output][best_dummy]["mean"],
        "kendall_tau_logit_vs_softmax": (rank_change(scores["logit"], scores["softmax"])
                                         if {"logit", "softmax"} <= set(scores) else None),
        "n_dummy_outranks_principled": len(warnings),
        "reliability_warning": reliability_warning(scores[output]),
    }
    return entry, warnings, order
