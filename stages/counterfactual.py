"""Stage counterfactual: latent edits that raise and lower each model's predicted authenticity."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from rashomon.attribution import attribute
from rashomon.attribution.counterfactual import MEAN
from rashomon.attribution.runner import (ensemble_from_masks, explained_variants, explanation_ids, load_maps,
                                        save_maps, within_consistency)
from rashomon.backbones import input_grids
from rashomon.backbones.geometry import canvas_of, resample_maps
from rashomon.backbones.preprocess import load_images, rgb_on_grid, unnormalise
from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.counterfactual.evaluate import TWINS_SKIPPED, edit_table, map_agreement, summary, twin_cosine
from rashomon.counterfactual.figures import counterfactual_figure
from rashomon.data.images import load_rgb
from rashomon.data.manifest import check_image_hashes, read_manifest, safe_filename
from rashomon.data.synthetic import twin_path
from rashomon.data.truth import read_truth
from rashomon.core.device import resolve_device
from rashomon.generative import load_generator
from rashomon.core.io import atomic_path, write_csv, write_json

log = logging.getLogger("rashomon.counterfactual")


def run(params, args):
    """Write data/explanations/counterfactual/ ({arch}.npz maps and edits, ensemble.npz),
    metrics/counterfactual.json and plots/counterfactual/ (edit table, figures)."""
    cfg, names = params.counterfactual, params.backbones.names
    check_backbone_names(params.backbones)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range).set_index("image_id")
    ids = explanation_ids(pd.read_csv(args.splits, dtype={"image_id": str}), params.train.scheme, cfg.n_images)
    check_image_hashes(manifest.loc[ids].reset_index(), args.images)
    truth = read_truth(args.truth)
    options = {"change": cfg.change, "lam": cfg.lam, "p": cfg.p, "steps": cfg.steps, "lr": cfg.lr,
               "tolerance": cfg.tolerance}
    report: dict = {"n_images": len(ids), "target_change": cfg.change, "tolerance": cfg.tolerance,
                    "edit_size": "mean |I' - I| over pixels and RGB channels in [0, 1]",
                    "map_sign": "|lowering edit| - |raising edit| per pixel (negative: must change to raise)",
                    "architectures": {}}
    tables, figure_edits = [], {}
    device = resolve_device(params.compute)
    grids = input_grids(names)
    canvas = canvas_of(grids.values())   # edits happen here; each model crops/resizes to its own input
    generator = load_generator(Path(args.generator), cfg.generator.plugin, canvas.input_size)
    images = load_images(manifest.loc[ids, "path"].tolist(), canvas)
    rgb = unnormalise(images).numpy()
    twins = (np.stack([rgb_on_grid(canvas)(load_rgb(twin_path(args.dataset, "no_artifact", i))).numpy() for i in ids])
             if truth is not None else None)   # the artifact-free twins (synthetic data only)
    if twins is None:
        report["skipped"] = {"raise_edit_vs_twin_cosine": TWINS_SKIPPED}
        log.info("skipped the twin comparison: %s", TWINS_SKIPPED)
    with atomic_path(args.out, is_dir=True) as tmp:
        for name in [*names, *(["ensemble"] if cfg.ensemble else [])]:
            if name == "ensemble":
                model = ensemble_from_masks(params, Path(args.pretrained), Path(args.heads), Path(args.ensemble))
                variant_ids, labels = [MEAN], ["ensemble"]
            else:
                model = explained_variants(name, params, Path(args.pretrained), Path(args.heads),
                                           Path(args.pruning)).on_canvas(canvas)
                variant_ids = [*range(min(cfg.n_variants, len(model))), MEAN]
                labels = [f"v{k}" for k in variant_ids[:-1]] + ["mean"]
            result = attribute("counterfactual", images, model, generator=generator, variant_ids=variant_ids,
                               desc=f"counterfactual {name}", device=device, **options)
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
                for folder in args.compare or []:   # the other methods' map folders (deps in dvc.yaml)
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
            save_maps(tmp / f"{name}.npz", ids, per_variant, extras)
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
    with atomic_path(args.plots, is_dir=True) as plots:
        write_csv(plots / "edits.csv", table)
        write_csv(plots / "failed.csv", failed)
        for i, image_id in enumerate(ids[: cfg.n_figures]):
            counterfactual_figure(rgb[i], {n: e[i] for n, e in figure_edits.items()},
                                  f"image {image_id}: edits of the mean model (target +-{cfg.change:g})",
                                  plots / f"image_{safe_filename(image_id)}.png")
    write_json(args.metrics, report)


main = stage(run, ("--manifest", {"default": "data/manifest_kept.csv"}),
             ("--images", {"default": "data/images.csv"}),
             ("--splits", {"default": "data/splits.csv"}),
             ("--truth", {"default": "data/truth.csv"}),
             ("--dataset", {"default": "data/synthetic"}),
             ("--generator", {"default": "models/generator.pt"}),
             ("--pretrained", {"default": "models/pretrained"}),
             ("--heads", {"default": "models/heads"}),
             ("--pruning", {"default": "data/pruning"}),
             ("--ensemble", {"default": "data/ensemble"}),
             ("--compare", {"action": "append", "help": "a method's map folder to correlate with (repeatable)"}),
             ("--out", {"default": "data/explanations/counterfactual"}),
             ("--metrics", {"default": "metrics/counterfactual.json"}),
             ("--plots", {"default": "plots/counterfactual"}))

if __name__ == "__main__":
    main()
