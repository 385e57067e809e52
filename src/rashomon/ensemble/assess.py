"""The study's ensembles: every architecture's variants pruned on their own validation sets,
bagged and stacked on the fixed test set against the single architectures, and the bagged
ensemble's maps by every explain method that supports ensembles: the ensemble stage's analysis."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rashomon.attribution import METHODS, Inputs, build_method
from rashomon.attribution.runner import explanation_ids, save_maps
from rashomon.backbones import create_backbone
from rashomon.backbones.preprocess import load_images
from rashomon.backbones.weights import weights_for
from rashomon.core.config import InferenceConfig
from rashomon.core.io import write_npz
from rashomon.data.manifest import check_image_hashes, manifest_hash
from rashomon.ensemble.combine import BaggedEnsemble, bagging, stacking_oof
from rashomon.ensemble.ensemble_params import EnsembleParams
from rashomon.heads.features import FeatureCache
from rashomon.heads.metrics import prediction_metrics
from rashomon.inference import bootstrap_interval, underpowered, verdict
from rashomon.inference.intervals import LEVEL
from rashomon.inference.verdicts import ALPHA
from rashomon.psychometrics.correlation import pearson
from rashomon.variants.pruning import prune_variants
from rashomon.variants.variant_set import VariantSet, stem_scores

log = logging.getLogger("rashomon.ensemble")


@dataclass(frozen=True)
class EnsembleInputs:
    """Where the stage's inputs lie."""
    images: Path        # data/images.csv
    features: Path
    pretrained: Path
    heads: Path


@dataclass
class EnsembleResult:
    """metrics/ensemble.json and plots/ensemble/models.csv."""
    report: dict
    models: pd.DataFrame


def assess_ensembles(params: EnsembleParams, manifest: pd.DataFrame, splits: pd.DataFrame, paths: EnsembleInputs,
                     out_dir: Path, device: torch.device) -> EnsembleResult:
    """Prune, bag, stack and explain; the validation-pruning masks and the ensemble's maps go
    to `out_dir` (masks_{arch}.npz, mpm.npz, lime.npz)."""
    cfg, names, target, scheme = params.ensemble, params.backbones.names, params.data.target, params.train.scheme
    rating = manifest.set_index("image_id")[target]
    test_ids = explanation_ids(splits, scheme, None)
    y = rating.loc[test_ids].to_numpy()
    members, per_arch, rows = [], {}, []
    for name in names:
        backbone = create_backbone(name, weights_for(name, params.backbones, paths.pretrained))
        cache = FeatureCache(paths.features / name, manifest_hash(manifest))
        pruned = prune_variants(backbone, cache, paths.heads, splits, scheme=scheme, subset="val",
                                target=rating, n_variants=params.train.seeds,
                                max_iterations=cfg.prune_max_iterations, desc="SBS(val)", device=device)
        masks = np.stack([p.mask for p in pruned])
        variants = VariantSet(backbone, [p.head for p in pruned], torch.as_tensor(masks, dtype=torch.float32))
        write_npz(out_dir / f"masks_{name}.npz", masks=masks)
        per_arch[name] = stem_scores(variants, cache.stem_outputs(test_ids), device)
        members.append(variants)
        singles = [prediction_metrics(per_arch[name][:, k], y) for k in range(len(variants))]
        rows.append({"model": name, "kind": "single (mean over variants)",
                     **{m: float(np.mean([s[m] for s in singles])) for m in singles[0]}})
        rows.append({"model": name, "kind": "architecture bagging", **prediction_metrics(bagging(per_arch[name]), y)})
        log.info("%s: %d variants pruned on validation", name, len(variants))
    bagged = bagging(np.concatenate([per_arch[n] for n in names], axis=1))
    folds = fold_of(splits, test_ids)
    features = np.stack([per_arch[n].mean(1) for n in names], axis=1)
    stacked, weights = stacking_oof(features, y, folds)
    rows.append({"model": "ensemble", "kind": "bagging", **prediction_metrics(bagged, y)})
    rows.append({"model": "ensemble", "kind": "stacking (out of fold)", **prediction_metrics(stacked, y)})
    table = pd.DataFrame(rows)
    # attribution of the bagged ensemble
    ens_ids = test_ids[: cfg.n_images]
    check_image_hashes(manifest[manifest["image_id"].isin(ens_ids)], paths.images)
    ensemble = BaggedEnsemble(members)   # inputs on one canvas; each member crops/resizes to its own
    images = load_images(manifest.set_index("image_id").loc[ens_ids, "path"].tolist(), ensemble.canvas)
    attribution: dict[str, Any] = {"n_images": len(ens_ids)}
    maps = {}
    for name in (m for m in params.explain.methods if METHODS.get(m).supports_ensemble):
        method = build_method(params.explain, name)
        maps[name] = method.attribute(Inputs(images, ids=list(ens_ids)), ensemble)
        save_maps(out_dir / f"{name}.npz", ens_ids, maps[name].maps, maps[name].info)
        attribution.update(method.summary(maps[name]))
    for a, b in itertools.combinations(maps, 2):   # do two methods' maps of the ensemble agree?
        agreement = [pearson(x[0], y[0]) for x, y in zip(maps[a].maps, maps[b].maps)]
        attribution[f"{a}_vs_{b}_pearson_mean"] = float(np.nanmean(agreement))
    single = table[table.kind == "single (mean over variants)"].set_index("model")
    report = {
        "n_test_images": len(test_ids), "members": int(sum(len(m) for m in members)),
        "bagging": table[table.kind == "bagging"].iloc[0][["rmse", "plcc", "srcc"]].to_dict(),
        "stacking": table[table.kind.str.startswith("stacking")].iloc[0][["rmse", "plcc", "srcc"]].to_dict(),
        "stacking_weights": dict(zip(["intercept", *names], map(float, weights))),
        "best_single": ({"architecture": str(single["plcc"].idxmax()), "plcc": float(single["plcc"].max())}
                        if single["plcc"].notna().any() else {"architecture": None, "plcc": float("nan")}),
        "mean_single_plcc": float(single["plcc"].mean()),
        "attribution": attribution,
    }
    report["undefined"] = {}
    inference, claims = params.inference, (("bagging", bagged), ("stacking", stacked))
    level = 1 - ALPHA / len(claims)   # Bonferroni over the ensemble's claims (the gains have intervals, no p)
    report["verdict_family"] = f"Bonferroni over the {len(claims)} ensemble claims: {level:.1%} intervals"
    for kind, pred in claims:   # undefined (null), never false, when a PLCC
        plcc, best = report[kind]["plcc"], report["best_single"]["plcc"]   # is NaN (constant predictions)
        defined = bool(np.isfinite([plcc, best]).all())
        report[f"{kind}_beats_best_single"] = None
        if not defined:
            report["undefined"][f"{kind}_beats_best_single"] = (
                f"PLCC undefined for {'the best single architecture' if np.isfinite(plcc) else kind} "
                "(constant predictions on the test set)")
            continue
        low, high = plcc_gain_interval(pred, per_arch[report["best_single"]["architecture"]], y, inference, level)
        report[f"{kind}_minus_best_single_plcc"] = {"difference": plcc - best, "ci_low": low, "ci_high": high,
                                                    "n": len(y), "ci_level": level}
        report[f"{kind}_beats_best_single"] = verdict(low, len(y), inference.min_n)
        if report[f"{kind}_beats_best_single"] is None:
            report["undefined"][f"{kind}_beats_best_single"] = (
                underpowered(len(y), inference.min_n, "test images") or "no interval (too few distinct resamples)")
    return EnsembleResult(report, table.assign(label=table.model + " / " + table.kind))


def plcc_gain_interval(ensemble: np.ndarray, single: np.ndarray, y: np.ndarray, inference: InferenceConfig,
                       level: float = LEVEL) -> tuple[float, float]:
    """Interval (95% unless `level`) over test images (resampled together) of the ensemble's PLCC
    minus the single architecture's mean PLCC over its variants (single: (N, K) predictions)."""
    def gain(idx: np.ndarray) -> float:
        return pearson(ensemble[idx], y[idx]) - float(np.mean([pearson(single[idx, k], y[idx])
                                                                for k in range(single.shape[1])]))
    return bootstrap_interval(gain, len(y), inference.seed, inference.n_resamples, level)


def fold_of(splits: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """The stacking fold of each test image (the split stage's `stacking` scheme)."""
    held_out = splits[(splits.scheme == "stacking") & (splits.subset == "test")].set_index("image_id")["variant"]
    return held_out.loc[ids].to_numpy()
