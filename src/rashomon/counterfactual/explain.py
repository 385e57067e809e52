"""Counterfactual explanations for every architecture (and the bagged ensemble): latent edits
that raise and lower the prediction, their maps, what they achieved, how they agree with the
other methods' maps and with the artifact-free twin: the counterfactual stage's analysis."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rashomon.attribution import Inputs
from rashomon.attribution.methods.counterfactual import Counterfactual, CounterfactualOptions
from rashomon.attribution.runner import (
    ensemble_from_masks,
    explained_variants,
    load_maps,
    save_maps,
    within_consistency,
)
from rashomon.backbones import input_grids
from rashomon.backbones.geometry import canvas_of, resample_maps
from rashomon.backbones.preprocess import load_images, rgb_on_grid, unnormalise
from rashomon.counterfactual.counterfactual_params import CounterfactualParams
from rashomon.counterfactual.evaluate import TWINS_SKIPPED, edit_table, map_agreement, summary, twin_cosine
from rashomon.data.images import load_rgb
from rashomon.data.twins import twin_path
from rashomon.generative.store import load_generator
from rashomon.variants.scored_model import MEAN

log = logging.getLogger("rashomon.counterfactual")


@dataclass(frozen=True)
class CounterfactualInputs:
    """Where the stage's inputs lie."""
    generator: Path
    dataset: Path           # data.root (the twins of the synthetic default)
    pretrained: Path
    heads: Path
    pruning: Path
    ensemble: Path
    compare: tuple[Path, ...]   # the other methods' map folders


@dataclass
class CounterfactualResult:
    """metrics/counterfactual.json, every edit, and what the figures show."""
    report: dict
    edits: pd.DataFrame
    rgb: np.ndarray                        # the explained images on the canvas, [0, 1]
    figure_edits: dict[str, np.ndarray]    # per model: the mean model's edits (N, 2, 3, H, W)


def explain_counterfactuals(params: CounterfactualParams, manifest: pd.DataFrame, ids: list[str],
                            truth: pd.DataFrame | None, paths: CounterfactualInputs, out_dir: Path,
                            device: torch.device) -> CounterfactualResult:
    """Edit every image for every model; write each model's maps to `out_dir/{name}.npz` as
    they are made (bounded memory) and return the report and the edit table."""
    cfg, names = params.counterfactual, params.backbones.names
    options = CounterfactualOptions(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(CounterfactualOptions)})
    report: dict = {"n_images": len(ids), "target_change": cfg.change, "tolerance": cfg.tolerance,
                    "edit_size": "mean |I' - I| over pixels and RGB channels in [0, 1]",
                    "map_sign": "|lowering edit| - |raising edit| per pixel (negative: must change to raise)",
                    "architectures": {}}
    tables, figure_edits = [], {}
    grids = input_grids(names)
    canvas = canvas_of(grids.values())   # edits happen here; each model crops/resizes to its own input
    generator = load_generator(paths.generator, cfg.generator.plugin, canvas.input_size)
    images = load_images(manifest.loc[ids, "path"].tolist(), canvas)
    rgb = unnormalise(images).numpy()
    twins = (np.stack([rgb_on_grid(canvas)(load_rgb(twin_path(paths.dataset, "no_artifact", i))).numpy() for i in ids])
             if truth is not None else None)   # the artifact-free twins (synthetic data only)
    if twins is None:
        report["skipped"] = {"raise_edit_vs_twin_cosine": TWINS_SKIPPED}
        log.info("skipped the twin comparison: %s", TWINS_SKIPPED)
    for name in [*names, *(["ensemble"] if cfg.ensemble else [])]:
        if name == "ensemble":
            model = ensemble_from_masks(params, paths.pretrained, paths.heads, paths.ensemble)
            variant_ids, labels = [MEAN], ["ensemble"]
        else:
            model = explained_variants(name, params, paths.pretrained, paths.heads,
                                       paths.pruning).on_canvas(canvas)
            variant_ids = [*range(min(cfg.n_variants, len(model))), MEAN]
            labels = [f"v{k}" for k in variant_ids[:-1]] + ["mean"]
        method = Counterfactual(options, generator=generator, variant_ids=variant_ids, desc=f"counterfactual {name}",
                                device=device)
        result = method.attribute(Inputs(images, ids=list(ids)), model)
        info = result.info
        # an architecture's maps on its own input grid (as its other methods' maps); the ensemble's on the canvas
        maps = result.maps if name == "ensemble" else resample_maps(result.maps, canvas, grids[name])
        per_variant = maps[:, :-1] if name != "ensemble" else maps
        extras = {**info, "mean_model_maps": maps[:, -1]}
        table = edit_table(ids, labels, info, name, cfg.change)
        entry = {"variants": summary(table[table.model.str.startswith("v")]) if name != "ensemble" else None,
                 "mean_model": summary(table[table.model.isin(["mean", "ensemble"])])}
        if name != "ensemble":
            entry["within_architecture_consistency"] = float(np.nanmean(within_consistency(per_variant)))
            entry["agreement_with"] = {}
            for folder in paths.compare:   # the other methods' map folders (deps in dvc.yaml)
                other, path = Path(folder).name, Path(folder) / f"{name}.npz"
                if path.is_file():
                    stored = load_maps(path)
                    entry["agreement_with"][other] = map_agreement(
                        per_variant, ids, stored["maps"], [str(i) for i in stored["image_ids"]])
        if twins is not None:   # does the raising edit remove the artifact? (images with one)
            has_artifact = truth.loc[ids, "artifact_strength"].to_numpy() > 0
            raised = info["edited"][:, :, 1].astype(np.float32) / 255
            cos = np.stack([twin_cosine(raised[i], rgb[i], twins[i]) for i in range(len(ids))])
            extras["twin_cosine"] = cos
            entry["raise_edit_vs_twin_cosine"] = {
                "mean_model": float(np.nanmean(cos[has_artifact, -1])) if has_artifact.any() else float("nan"),
                "n_images": int(has_artifact.sum())}
            if name != "ensemble" and cos.shape[1] > 1 and has_artifact.any():
                entry["raise_edit_vs_twin_cosine"]["variants"] = float(np.nanmean(cos[has_artifact, :-1]))
        save_maps(out_dir / f"{name}.npz", ids, per_variant, extras)
        tables.append(table)
        figure_edits[name] = info["edited"][:, -1].astype(np.float32) / 255   # mean model (N, 2, 3, H, W)
        report["architectures"][name] = entry
        mm = entry["mean_model"]
        log.info("%s: raise reached %.0f%%, lower reached %.0f%% (mean model)", name,
                 100 * mm["raise"]["success_rate"], 100 * mm["lower"]["success_rate"])
    table = pd.concat(tables, ignore_index=True)
    failed = table[~table.reached]
    report["overall"] = {"success_rate": float(table.reached.mean()), "n_edits": len(table),
                         "n_failed": len(failed), "edit_size_mean": float(table.edit_size.mean())}
    return CounterfactualResult(report, table, rgb, figure_edits)
