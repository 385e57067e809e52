"""Are explanations identifiable? Within each architecture (variants' maps per image) and
across architectures (prototype maps on the common grid), against the bagged ensemble, and
beside the models' behaviour: the consistency stage's analysis as tables and one report."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rashomon.attribution import METHODS, Inputs, build_method
from rashomon.attribution.method import stored_methods
from rashomon.attribution.runner import ensemble_maps_file, explained_variants, explanation_ids, load_maps
from rashomon.backbones import input_grids
from rashomon.backbones.geometry import canvas_of, common_of, resample_maps
from rashomon.consistency.consistency_params import ConsistencyParams
from rashomon.consistency.hierarchical import within_minus_across
from rashomon.consistency.tables import (
    across_over_ceiling,
    across_table,
    correct_over_methods,
    head_representations,
    matrix_metrics,
    method_summary,
    pair_matrices,
    prototype_reliability,
    relation,
    require_seed_robustness,
    rsm_similarity,
    within_table,
)
from rashomon.data.manifest import manifest_hash, sorted_ids
from rashomon.heads.features import FeatureCache
from rashomon.heads.metrics import model_reliability
from rashomon.inference import bootstrap_mean

log = logging.getLogger("rashomon.consistency")


@dataclass(frozen=True)
class ConsistencyInputs:
    """Where the stage's inputs lie."""
    explanations: Path
    ensemble: Path
    features: Path
    pretrained: Path
    heads: Path
    pruning: Path


@dataclass
class ConsistencyResult:
    """metrics/consistency.json and the tables under plots/consistency/."""
    report: dict
    within: pd.DataFrame
    across: pd.DataFrame
    relations: pd.DataFrame
    matrices: pd.DataFrame


def assess_consistency(params: ConsistencyParams, manifest: pd.DataFrame, splits: pd.DataFrame,
                       predictions: pd.DataFrame, rashomon: dict[str, Any], paths: ConsistencyInputs,
                       device: torch.device) -> ConsistencyResult:
    """Within- and across-architecture agreement of every stored method's maps (the headline over
    the Rashomon set's members, `rashomon` as the train stage wrote it; all pairs beside it), the
    ensemble's against each architecture's, and per architecture the prediction and RSM similarity."""
    cfg, names, target = params.consistency, params.backbones.names, params.data.target
    rating = manifest.set_index("image_id")[target]
    test_ids = explanation_ids(splits, params.train.scheme, None)
    pool = splits[(splits.scheme == params.train.scheme) & (splits.subset != "test")]["image_id"].unique()
    train_ids = sorted_ids(set(pool) - set(test_ids))[: cfg.train_images]
    within_frames, across_frames, matrix_frames, relation_rows = [], [], [], []
    grids = input_grids(names)
    common, canvas = common_of(grids.values()), canvas_of(grids.values())   # maps meet on the common grid
    members = [n for n in names if n in rashomon["members"]]
    report: dict = {"percents": list(cfg.percents), "rashomon_set": rashomon, "methods": {}, "behaviour": {}}

    per_variant = {name: g.pivot(index="image_id", columns="variant", values="prediction")
                   for name, g in predictions.groupby("architecture") if name in names}   # (images, variants)

    def add_relations(method: str, name: str, subset: str, within: pd.DataFrame, ids: list[str]) -> None:
        """Per-image consistency against the rating and the variant-mean absolute error."""
        truth = rating.loc[ids].to_numpy()
        error = np.abs(per_variant[name].loc[ids].mean(axis=1).to_numpy() - truth)
        for other, values in (("rating", truth), ("abs_error", error)):
            relation_rows.append({"method": method, "architecture": name, "set": subset, "versus": other,
                                  **relation(within["pearson"].to_numpy(), values)})

    for method in stored_methods(params.explain):
        prototypes, within_by_arch, n_variants, reliability, native, on_common = {}, {}, {}, {}, {}, {}
        for name in names:
            stored = load_maps(paths.explanations / method / f"{name}.npz")
            ids = [str(i) for i in stored["image_ids"]]
            maps = stored["maps"]
            within = within_table(maps, ids, cfg.percents)
            within_frames.append(within.assign(method=method, architecture=name, set="test"))
            within_by_arch[name], n_variants[name] = within, maps.shape[1]
            reliability[name] = prototype_reliability(maps)
            prototypes[name] = resample_maps(maps.astype(np.float32).mean(1), grids[name], common)
            if name in members:   # every variant's map, for the bootstrap over seeds and images
                native[name], on_common[name] = maps, resample_maps(maps.astype(np.float32), grids[name], common)
            add_relations(method, name, "test", within, ids)
        across = across_table(prototypes, ids, cfg.percents, cfg.topk_fraction).assign(method=method)
        across["in_rashomon_set"] = across.a.isin(members) & across.b.isin(members)
        across_frames.append(across)
        in_set = across[across.in_rashomon_set].drop(columns="in_rashomon_set")
        entry = method_summary({n: within_by_arch[n] for n in members}, in_set, {n: n_variants[n] for n in members},
                               cfg.percents, params.inference)
        require_seed_robustness(entry, within_minus_across(native, on_common, params.inference.seed,
                                                           params.inference.n_resamples))
        entry["across_pearson_in_set"] = per_image_across(in_set, params.inference)       # the headline, with its CI
        entry["across_pearson_all_pairs"] = per_image_across(across, params.inference)    # every architecture
        entry["prototype_reliability"] = reliability   # split-half over variants, Spearman-Brown (the map ceiling)
        entry["across_over_ceiling"] = across_over_ceiling(in_set, reliability)
        ensemble_file = ensemble_maps_file(method, paths.ensemble, paths.explanations)
        if ensemble_file.is_file():  # the bagged ensemble's map against each architecture's prototype
            stored = load_maps(ensemble_file)
            ens_row = {str(i): k for k, i in enumerate(stored["image_ids"])}
            shared = [i for i in ids if i in ens_row]
            rows = [ids.index(i) for i in shared]
            ens = resample_maps(stored["maps"][[ens_row[i] for i in shared], 0].astype(np.float32), canvas, common)
            vs = across_table({"ensemble": ens, **{a: p[rows] for a, p in prototypes.items()}},
                              shared, cfg.percents, cfg.topk_fraction)
            vs = vs[vs.a == "ensemble"].assign(method=method)
            across_frames.append(vs)
            entry["ensemble_vs_architectures_pearson"] = {b: float(g["pearson"].mean()) for b, g in vs.groupby("b")}
        for metric in matrix_metrics(cfg.percents):
            matrix_frames.append(pair_matrices(across, names, metric).assign(method=method))
        report["methods"][method] = entry
        log.info("%s: within %.3f, across %.3f", method, entry["within_mean_pearson"], entry["across_mean_pearson"])

    correct_over_methods(report["methods"])
    report["verdict_family"] = "within_exceeds_across: Holm over the methods"
    # training images (Grad-CAM from the cache) and the behavioural views, per architecture
    cheap_methods = [m for m in params.explain.methods if METHODS.get(m).reads == "stem"]
    for name in names:
        variants = explained_variants(name, params, paths.pretrained, paths.heads, paths.pruning)
        cache = FeatureCache(paths.features / name, manifest_hash(manifest))
        for method in cheap_methods if train_ids else []:   # methods that run from the cache: training images too
            inputs = Inputs(stem_outputs=cache.stem_outputs(train_ids), size=(variants.backbone.spec.input_size,) * 2)
            maps = build_method(params.explain, method, device).attribute(inputs, variants).maps
            within = within_table(maps, train_ids, cfg.percents).assign(method=method, architecture=name, set="train")
            within_frames.append(within)
            add_relations(method, name, "train", within, train_ids)
        test_pred = per_variant[name].loc[test_ids].to_numpy()
        reps = head_representations(variants, cache.stem_outputs(test_ids), device)
        report["behaviour"][name] = {"prediction_similarity": model_reliability(list(test_pred.T)),
                                     "rsm_similarity": rsm_similarity(reps)}
    relations = pd.DataFrame(relation_rows)
    report["relations"] = {f"{r.method}/{r.architecture}/{r.set}/{r.versus}": {"r": r.r, "p": r.p}
                           for r in relations.itertuples()}
    matrices = pd.concat(matrix_frames, ignore_index=True)
    return ConsistencyResult(report, pd.concat(within_frames, ignore_index=True),
                             pd.concat(across_frames, ignore_index=True), relations, matrices)


def per_image_across(across: pd.DataFrame, inference) -> dict[str, Any]:
    """Mean across-architecture Pearson over images (each image: the mean over its pairs), with its
    interval over images; undefined without a pair."""
    per_image = across.groupby("image_id")["pearson"].mean() if len(across) else pd.Series(dtype=float)
    return bootstrap_mean(per_image.to_numpy(), inference.seed, inference.n_resamples).as_dict()
