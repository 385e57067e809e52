"""Positive and negative controls for the ground-truth verdict: can a method find the cue at
all? On each frozen backbone, with the study's head-training code and seeds, heads are fitted
to the artifact alone (cue-only: the positive control), to the global degradation alone
(cue-blind: a model that ignores the artifact) and to the study's target, explained with each
method, and scored against the artifact masks. The strongest positive control is one
end-to-end cue detector per family (groundtruth/detector.py). The verdicts, from the per-image
scores and the twins' checks, are groundtruth/controls_verdicts.py's."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import pandas as pd
import torch

from rashomon.attribution import Inputs, build_method
from rashomon.attribution.runner import ModelParams, explanation_ids
from rashomon.backbones import create_backbone, get_spec
from rashomon.backbones.geometry import grid_of
from rashomon.backbones.preprocess import denormalise, load_images
from rashomon.backbones.weights import weights_for
from rashomon.core.config import TrainConfig
from rashomon.core.parallel import map_units
from rashomon.data.manifest import GENERATOR, manifest_hash
from rashomon.data.splits import subset_ids
from rashomon.data.truth import SYNTHETIC_LABEL
from rashomon.groundtruth.controls_params import ControlsConfig, ControlsParams
from rashomon.groundtruth.controls_verdicts import CUE_BLIND, CUE_ONLY, DETECTOR, KIND, STUDY, method_controls
from rashomon.groundtruth.cues import CueMaps
from rashomon.groundtruth.detector import Detector, fit_detector, stem_outputs
from rashomon.groundtruth.evaluate import PROTOTYPE, localisation_table, reference_table
from rashomon.heads.features import FeatureCache
from rashomon.heads.training import fit_head
from rashomon.inference import bootstrap_mean, verdict
from rashomon.psychometrics.correlation import pearson
from rashomon.variants.reliance import effects_table, load_twins, predict_images, reliance
from rashomon.variants.variant_set import VariantSet

log = logging.getLogger("rashomon.controls")


def controls_images(truth: pd.DataFrame, ids: list[str], n: int) -> list[str]:
    """`n` of `ids` with an artifact, balanced over the kinds of artifact (the first of each kind
    in `ids`' order, the explanation set's stratified random order, so each kind's share spans
    the generators; the remainder goes to the first kinds by name), in `ids`' order: every kind
    gets enough images for its own verdict."""
    with_artifact = [i for i in ids if truth.loc[i, "artifact_strength"] > 0]
    kinds = sorted(truth.loc[with_artifact, KIND].unique())
    chosen: set[str] = set()
    for k, kind in enumerate(kinds):
        quota = n // len(kinds) + (k < n % len(kinds))
        chosen.update([i for i in with_artifact if truth.loc[i, KIND] == kind][:quota])
    return [i for i in with_artifact if i in chosen]


def control_targets(truth: pd.DataFrame, manifest: pd.DataFrame, target: str) -> dict[str, pd.Series]:
    """Each control's target per image id, signed like authenticity (the cue lowers it), so
    every map is scored the same way (cue score = -map)."""
    return {CUE_ONLY: -truth["artifact_visibility"], CUE_BLIND: -truth["global_badness"], STUDY: manifest[target]}


class DetectorParams(ModelParams, Protocol):
    """The sections a family's detector reads (the controls' params, or every section)."""

    controls: ControlsConfig


@dataclass(frozen=True)
class ControlsInputs:
    """Where the stage's inputs lie."""
    features: Path
    pretrained: Path
    cue_maps: Path        # the artifact masks, as ingest stored them
    dataset: Path         # the synthesizer's folder: the twins


@dataclass
class ControlsResult:
    """metrics/controls.json and plots/controls/localisation.csv."""
    report: dict
    localisation: pd.DataFrame


def fit_control(embedding: np.ndarray, ids: list[str], y: pd.Series, splits: pd.DataFrame, cfg: TrainConfig,
                kind: str, seeds: int, device: torch.device) -> tuple[list, float]:
    """Heads for one control, one per split variant as the train stage fits them; and the test
    Pearson r of their mean prediction with the control's target."""
    row = {i: k for k, i in enumerate(ids)}
    heads = []
    for v in range(seeds):
        train, val = (subset_ids(splits, cfg.scheme, v, s) for s in ("train", "val"))
        heads.append(fit_head(embedding[[row[i] for i in train]], y.loc[train].to_numpy(),
                              embedding[[row[i] for i in val]], y.loc[val].to_numpy(), kind=kind, seed=cfg.seed + v,
                              lr=cfg.lr, batch_size=cfg.batch_size, max_epochs=cfg.max_epochs,
                              patience=cfg.patience, dropout=cfg.dropout, device=device))
    test = explanation_ids(splits, cfg.scheme, None)
    pred = np.mean([h.predict(embedding[[row[i] for i in test]]) for h in heads], axis=0)
    return heads, pearson(pred, y.loc[test].to_numpy())


def twin_predictions(variants: VariantSet, twins: dict[str, torch.Tensor],
                     device: torch.device) -> dict[str, np.ndarray]:
    """Every variant's predictions (N, K) on the test images ("image") and on each of their twins."""
    return {kind: predict_images(variants, x, device=device) for kind, x in twins.items()}


def control_reliance(pred: dict[str, np.ndarray], truth: pd.DataFrame, ids: list[str], inference) -> dict:
    """What a control's models use, measured with the twins as the reliance stage does, and per
    kind of artifact (a model can use one kind and not another)."""
    return {**reliance(pred["image"], pred["no_artifact"], pred["no_degradation"],
                       truth.loc[ids, "artifact_visibility"].to_numpy(), truth.loc[ids, "global_badness"].to_numpy(),
                       inference.seed, inference.n_resamples),
            "artifact_effect_by_kind": effects_by_kind(pred, truth, ids, inference)}


def effects_by_kind(pred: dict[str, np.ndarray], truth: pd.DataFrame, ids: list[str], inference) -> dict:
    """Per kind of artifact: the twin effect of removing it (the reliance stage's per-image
    effect, no-artifact twin minus image, the variants' mean) over the images with that kind, its
    interval, and whether the models use it (interval above 0; undefined below `inference.min_n` images)."""
    per_image = effects_table("", ids, pred["image"], pred["no_artifact"], pred["no_degradation"], truth)
    per_image[KIND] = truth.loc[ids, KIND].to_numpy()
    out = {}
    with_artifact = per_image[per_image.artifact_visibility > 0]   # the artifact images, as `reliance` counts them
    for kind, g in with_artifact.groupby(KIND):
        est = bootstrap_mean(g.artifact_effect.to_numpy(), inference.seed, inference.n_resamples)
        out[kind] = {**est.as_dict(), "uses_it": verdict(est.ci_low, est.n, inference.min_n),
                     "mean_visibility": float(g.artifact_visibility.mean())}
    return out


def prototype_scores(maps: np.ndarray, masks: np.ndarray, ids: list[str]) -> pd.DataFrame:
    """Localisation scores of the prototype (variant-mean) of `maps` (N, K, H, W) only."""
    table = localisation_table(maps.astype(np.float64).mean(1, keepdims=True), masks, ids)
    return table[table.level == PROTOTYPE]


def control_detector(name: str, params: DetectorParams, manifest: pd.DataFrame, splits: pd.DataFrame, y: pd.Series,
                     test_images: torch.Tensor, paths: ControlsInputs, device: torch.device) -> Detector:
    """Architecture `name` fine-tuned end to end on the cue-only target (split variant 0);
    `test_images`: the explanation set's, already loaded."""
    backbone = create_backbone(name, weights_for(name, params.backbones, paths.pretrained))
    parts = {s: subset_ids(splits, params.train.scheme, 0, s) for s in ("train", "val")}
    images = {s: load_images(manifest.loc[i, "path"].tolist(), backbone.spec) for s, i in parts.items()}
    images["test"], parts["test"] = test_images, explanation_ids(splits, params.train.scheme, None)
    return fit_detector(backbone, images, {s: y.loc[i].to_numpy() for s, i in parts.items()}, params.train,
                        params.controls.detector_epochs, params.controls.detector_lr, device)


@dataclass(frozen=True)
class ControlsTask:
    """One unit of the controls, everything a worker process needs: an architecture's control
    heads (part "heads"), or its family's end-to-end detector (part "detector")."""
    name: str
    part: Literal["heads", "detector"]
    params: ControlsParams
    manifest: pd.DataFrame   # indexed by image id
    digest: str              # the manifest's hash (the feature cache checks it)
    splits: pd.DataFrame
    truth: pd.DataFrame
    targets: dict[str, pd.Series]
    test: list[str]          # every test image (reliance), with or without an artifact
    ids: list[str]           # the controls' artifact images (maps)
    paths: ControlsInputs
    device: torch.device


@dataclass
class ControlsPart:
    """What one unit adds to the report: test r per control, reliance per control, map scores."""
    scores: dict
    reliance: dict
    frames: list[pd.DataFrame]


def run_controls_task(task: ControlsTask) -> ControlsPart:
    """One unit of the controls (`task.part`), with the explanation set's images and masks."""
    spec = get_spec(task.name)
    masks = CueMaps(task.paths.cue_maps).masks(task.ids, grid_of(spec))
    images = load_images(task.manifest.loc[task.ids, "path"].tolist(), spec)
    twins = {"image": load_images(task.manifest.loc[task.test, "path"].tolist(), spec)}
    methods = [build_method(task.params.explain, m, task.device) for m in task.params.controls.methods]
    part = control_heads if task.part == "heads" else family_detector
    return part(task, methods, images, masks, twins)


def control_heads(task: ControlsTask, methods: list, images: torch.Tensor, masks: np.ndarray,
                  twins: dict[str, torch.Tensor]) -> ControlsPart:
    """Fit every control's heads on one architecture's frozen features (one stem pass for all of
    them), check them with the twins, explain them with every method and score the maps, beside
    the references' scores."""
    params, name, ids, test, device = task.params, task.name, task.ids, task.test, task.device
    spec = get_spec(name)
    backbone = create_backbone(name, weights_for(name, params.backbones, task.paths.pretrained))
    cache = FeatureCache(task.paths.features / name, task.digest)
    embedding = cache.embedding(cache.ids)
    refs = reference_table(denormalise(images), masks, ids, params.groundtruth.gaussian_sigma, params.groundtruth.seed)
    frames = [refs.rename(columns={"reference": "control"}).assign(architecture=name, method="reference")]
    inputs = {"pixels": Inputs(images, ids=list(ids)),
              "stem": Inputs(stem_outputs=cache.stem_outputs(ids), size=(spec.input_size,) * 2)}
    scores, fitted, reliances = {}, {}, {}
    for control, y in task.targets.items():
        fitted[control], r = fit_control(embedding, cache.ids, y, task.splits, params.train, spec.head,
                                         params.controls.seeds, device)
        scores[f"{control}_test_r"] = r
        log.info("%s %s: test r %.3f", name, control, r)
    every_head = VariantSet(backbone, [h for heads in fitted.values() for h in heads])  # one stem pass for all
    pred = twin_predictions(every_head, {**twins, **load_twins(task.paths.dataset, test, spec)}, device)
    for control, columns in head_columns(fitted).items():
        reliances[control] = control_reliance({k: p[:, columns] for k, p in pred.items()}, task.truth, test,
                                              params.inference)
    for method in methods:
        maps = method.attribute(inputs[method.reads], every_head).maps
        for control, columns in head_columns(fitted).items():
            frames.append(prototype_scores(maps[:, columns], masks, ids)
                          .assign(architecture=name, method=method.name, control=control))
    return ControlsPart(scores, reliances, frames)


def family_detector(task: ControlsTask, methods: list, images: torch.Tensor, masks: np.ndarray,
                    twins: dict[str, torch.Tensor]) -> ControlsPart:
    """The architecture fine-tuned end to end on the cue-only target (its family's detector),
    checked with the twins, explained with every method and scored."""
    params, name, ids, test, device = task.params, task.name, task.ids, task.test, task.device
    spec = get_spec(name)
    detector = control_detector(name, params, task.manifest, task.splits, task.targets[CUE_ONLY], twins["image"],
                                task.paths, device)
    twins = {**twins, **load_twins(task.paths.dataset, test, spec)}
    reliances = {DETECTOR: control_reliance(twin_predictions(detector.variants, twins, device), task.truth, test,
                                            params.inference)}
    tuned = {"pixels": Inputs(images, ids=list(ids)),
             "stem": Inputs(stem_outputs=stem_outputs(detector.variants.backbone, images), size=(spec.input_size,) * 2)}
    frames = [prototype_scores(method.attribute(tuned[method.reads], detector.variants).maps, masks, ids)
              .assign(architecture=name, method=method.name, control=DETECTOR) for method in methods]
    log.info("%s detector (%d epochs): test r %.3f", name, detector.epochs, detector.test_r)
    return ControlsPart({f"{DETECTOR}_test_r": detector.test_r}, reliances, frames)


def head_columns(fitted: dict[str, list]) -> dict[str, slice]:
    """Each control's columns among all controls' heads, stacked in `fitted`'s order."""
    out, start = {}, 0
    for control, heads in fitted.items():
        out[control], start = slice(start, start + len(heads)), start + len(heads)
    return out


def run_controls(params: ControlsParams, manifest: pd.DataFrame, splits: pd.DataFrame, truth: pd.DataFrame,
                 paths: ControlsInputs, device: torch.device) -> ControlsResult:
    """Fit, explain and score every control on every architecture with every method (`truth`
    indexed by image id): an architecture's heads, or a family's detector, per unit of work, over
    `compute.workers` processes."""
    cfg, inference, digest = params.controls, params.inference, manifest_hash(manifest)
    manifest = manifest.set_index("image_id")
    targets = control_targets(truth, manifest, params.data.target)
    test = explanation_ids(splits, params.train.scheme, None)   # reliance: every test image, with or without
    ids = controls_images(truth, test, cfg.n_images)
    report: dict = {"label": SYNTHETIC_LABEL, "controls": {CUE_ONLY: "-artifact visibility", CUE_BLIND:
                    "-global degradation", STUDY: params.data.target}, "n_images": len(ids),
                    "n_images_by_kind": truth.loc[ids, KIND].value_counts().sort_index().to_dict(),
                    "cue_score": "-map", "architectures": {}, "reliance": {}, "methods": {}}
    first_of_family: dict[str, str] = {}
    for name in params.backbones.names:
        first_of_family.setdefault(get_spec(name).family, name)
    # the first architecture of each family fits the family's detector; the longest units go first (balance)
    units = [(name, "detector") for name in first_of_family.values()] if cfg.detector_epochs else []
    units += [(name, "heads") for name in params.backbones.names]
    tasks = [ControlsTask(name, part, params, manifest, digest, splits, truth, targets, test, ids, paths, device)
             for name, part in units]
    parts = dict(zip(units, map_units(run_controls_task, tasks, params.compute.workers, "controls", device)))
    frames = []
    for name in params.backbones.names:   # the report in the architectures' order, heads before the detector
        mine = [parts[unit] for unit in ((name, "heads"), (name, "detector")) if unit in parts]
        report["architectures"][name] = {k: v for p in mine for k, v in p.scores.items()}
        report["reliance"][name] = {k: v for p in mine for k, v in p.reliance.items()}
        frames += [f for p in mine for f in p.frames]
    table = pd.concat(frames, ignore_index=True)
    table[KIND] = truth.loc[table.image_id, KIND].to_numpy()
    table[GENERATOR] = manifest.loc[table.image_id, GENERATOR].to_numpy()   # which images: the sample
    report["target_sd"] = {c: float(y.loc[test].std()) for c, y in targets.items()}   # the twin effects' scale
    report["blind_margin"] = cfg.blind_margin
    report["verdict_family"] = ("per method, each verdict (credited, credited_sign_blind, finds_positive_cue, "
                                "finds_detector_cue and each kind's) Holm-corrected over the architectures")
    for method_name in cfg.methods:
        report["methods"][method_name] = method_controls(table, method_name, report["reliance"], report["target_sd"],
                                                         cfg.blind_margin, inference)
    return ControlsResult(report, table)
