"""Is each explanation right? Every stored method x architecture (and the bagged ensemble)
scored against the artifact masks, beside reference maps, with twin faithfulness and
deletion curves: the ground-truth stage's analysis, returned as tables and one report."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rashomon.attribution.method import stored_methods
from rashomon.attribution.runner import ensemble_maps_file, explained_variants, load_maps
from rashomon.backbones import input_grids
from rashomon.backbones.geometry import canvas_of
from rashomon.backbones.preprocess import denormalise, load_images
from rashomon.core.io import write_csv
from rashomon.data.manifest import GENERATOR, check_image_hashes, sorted_ids
from rashomon.data.truth import SYNTHETIC_LABEL
from rashomon.groundtruth.controls_verdicts import KIND
from rashomon.groundtruth.cues import CueMaps
from rashomon.groundtruth.evaluate import (
    PROTOTYPE,
    deletion_summary,
    deletion_table,
    faithfulness,
    localisation_table,
    reference_table,
    judge_references,
    reference_verdicts,
    summarise,
)
from rashomon.groundtruth.figures import auroc_figure, auroc_summary, deletion_figure
from rashomon.groundtruth.groundtruth_params import GroundtruthParams
from rashomon.groundtruth.human import (
    SIMULATOR,
    VERDICT_FAMILY,
    HumanGroundTruth,
    assess_human_ground_truth,
    write_outputs,
)
from rashomon.groundtruth.localisation import SCORES
from rashomon.groundtruth.references import REFERENCES

log = logging.getLogger("rashomon.groundtruth")


@dataclass(frozen=True)
class GroundTruthInputs:
    """Where the stage's inputs lie."""
    images: Path          # data/images.csv (hashes of the images deletion curves read)
    explanations: Path    # the map store
    ensemble: Path        # the bagged ensemble's maps
    pretrained: Path
    heads: Path
    pruning: Path


@dataclass
class GroundTruthResult:
    """metrics/groundtruth.json and the tables under plots/groundtruth/."""
    report: dict
    localisation: pd.DataFrame
    references: pd.DataFrame
    deletion: pd.DataFrame
    summary: pd.DataFrame
    heatmap: HumanGroundTruth     # the same maps scored as against human heatmaps (report["heatmap"])


def assess_ground_truth(params: GroundtruthParams, manifest: pd.DataFrame, truth: pd.DataFrame, effects: pd.DataFrame,
                        cues: CueMaps, paths: GroundTruthInputs, device: torch.device) -> GroundTruthResult:
    """Score every stored map against the artifact masks (`cues`: the simulator's masks as the
    store holds them, the store human heatmaps come from too), the references and the twin
    effects (`effects`, indexed by architecture and image id); `manifest` and `truth` by image id
    (the localisation table names each image's generator and kind of artifact)."""
    cfg, names = params.groundtruth, params.backbones.names
    report = {"label": SYNTHETIC_LABEL, "cue_score": "-map (the artifact lowers authenticity); auroc_abs ranks |map|",
              "methods": {}, "references": {}}
    loc_frames, del_frames = [], []
    variants_of = {name: explained_variants(name, params, paths.pretrained, paths.heads, paths.pruning)
                   for name in names}
    grids = input_grids(names)
    canvas = canvas_of(grids.values())   # the bagged ensemble's maps lie here

    for method in stored_methods(params.explain):
        entry: dict = {"architectures": {}}
        for name in names:
            stored = load_maps(paths.explanations / method / f"{name}.npz")
            ids = [str(i) for i in stored["image_ids"]]
            maps = stored["maps"]
            masks = cues.masks(ids, grids[name])
            table = localisation_table(maps, masks, ids)
            loc_frames.append(table.assign(method=method, architecture=name))
            proto = summarise(table[table.level == PROTOTYPE], params.inference)
            variants_mean = table[table.level != PROTOTYPE].groupby("level")[list(SCORES)].mean()
            twin = effects.loc[name].reindex(ids)["artifact_effect"].to_numpy()
            row = {**proto, "variant_auroc_mean": float(variants_mean["auroc"].mean()),
                   "variant_auroc_sd": float(variants_mean["auroc"].std(ddof=1)),
                   "twin_agreement": faithfulness(maps, masks, twin, params.inference.seed)}
            if "twin_cosine" in stored:   # counterfactual: does the raising edit remove the artifact?
                row["raise_edit_vs_twin_cosine"] = float(np.nanmean(stored["twin_cosine"][masks.any(axis=(1, 2))]))
            # deletion curves: the first images, through the explained (pruned) variants
            variants = variants_of[name]
            del_ids = ids[: cfg.deletion_images]
            check_image_hashes(manifest.loc[del_ids].reset_index(), paths.images)
            images = load_images(manifest.loc[del_ids, "path"].tolist(), variants.backbone.spec)
            curves = deletion_table(variants, images, maps[: len(del_ids)], del_ids, grid=cfg.grid,
                                    steps=cfg.deletion_steps, n_random=cfg.deletion_random, fill=cfg.deletion_fill,
                                    seed=cfg.seed, device=device)
            del_frames.append(curves.assign(method=method, architecture=name))
            row["deletion"] = deletion_summary(curves)
            entry["architectures"][name] = row
            log.info("%s %s: AUROC %.3f, deletion gain %.3f", method, name, proto["auroc"], row["deletion"]["gain"])
        ensemble_file = ensemble_maps_file(method, paths.ensemble, paths.explanations)
        if ensemble_file.is_file():  # the bagged ensemble's maps (MPM, LIME): localisation and twin agreement
            stored = load_maps(ensemble_file)
            ids = [str(i) for i in stored["image_ids"]]
            masks = cues.masks(ids, canvas)
            table = localisation_table(stored["maps"], masks, ids)
            loc_frames.append(table.assign(method=method, architecture="ensemble"))
            twin = effects["artifact_effect"].unstack(0).reindex(ids)[names].mean(axis=1).to_numpy()
            entry["architectures"]["ensemble"] = {**summarise(table[table.level == PROTOTYPE], params.inference),
                                                  "twin_agreement": faithfulness(stored["maps"], masks, twin,
                                                                                 params.inference.seed),
                                                  "deletion": None}
        report["methods"][method] = entry
    # reference maps on the union of explained images (scored per method's image set below)
    all_ids = sorted_ids({i for f in loc_frames for i in f["image_id"]})
    if all_ids:
        rgb = denormalise(load_images(manifest.loc[all_ids, "path"].tolist(), variants_of[names[0]].backbone.spec))
        masks = cues.masks(all_ids, grids[names[0]])
        refs = reference_table(rgb, masks, all_ids, cfg.gaussian_sigma, cfg.seed)
    else:   # no explained image has an artifact: every reference score (and verdict) is undefined
        refs = pd.DataFrame(columns=["image_id", "reference", *SCORES])
    localisation = pd.concat(loc_frames, ignore_index=True)
    localisation[GENERATOR] = manifest.loc[localisation.image_id, GENERATOR].to_numpy()   # which images: the sample
    localisation[KIND] = truth.loc[localisation.image_id, KIND].to_numpy()
    for method, entry in report["methods"].items():
        scored = localisation[(localisation.method == method) & (localisation.level == PROTOTYPE)]
        by_ref = {r: t[t.image_id.isin(set(scored.image_id))] for r, t in refs.groupby("reference")}
        entry["references"] = {r: summarise(t)["auroc"] for r, t in by_ref.items()}
        entry.update(reference_verdicts({a: t for a, t in scored.groupby("architecture")}, by_ref, params.inference))
    judge_references(report["methods"], REFERENCES, params.inference.min_n)
    report["verdict_family"] = VERDICT_FAMILY
    report["references"] = {r: summarise(t, params.inference) for r, t in refs.groupby("reference")}
    heatmap = assess_human_ground_truth(params, manifest, cues, paths.explanations, SIMULATOR)
    report["heatmap"] = heatmap.report
    return GroundTruthResult(report, localisation, refs,
                             pd.concat(del_frames, ignore_index=True), auroc_summary(report), heatmap)


def write_plots(result: GroundTruthResult, folder: Path) -> None:
    """plots/groundtruth/: the per-image tables, the AUROC bars and deletion curves, and the
    continuous path's table and figure (the masks as heatmaps)."""
    write_outputs(result.heatmap, folder, "heatmap")
    for name in ("localisation", "references", "deletion", "summary"):
        write_csv(folder / f"{name}.csv", getattr(result, name))
    auroc_figure(result.summary, folder / "auroc.png")
    deletion_figure(result.deletion, folder / "deletion.png")
