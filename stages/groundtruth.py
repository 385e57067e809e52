"""Stage groundtruth: is each explanation right? Localisation against the artifact mask,
reference maps, faithfulness to the model's twin effects, deletion curves."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from rashomon.attribution.runner import ensemble_maps_file, explained_variants, load_maps, stored_methods
from rashomon.backbones import input_grids
from rashomon.backbones.geometry import Grid, canvas_of, mask_on_grid
from rashomon.backbones.preprocess import denormalise, load_images
from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.data.images import load_mask
from rashomon.data.manifest import check_image_hashes, read_manifest
from rashomon.data.truth import SYNTHETIC_LABEL, read_truth
from rashomon.core.device import resolve_device
from rashomon.groundtruth.evaluate import (PROTOTYPE, deletion_summary, deletion_table, faithfulness,
                                           localisation_table, reference_table, reference_verdicts, summarise)
from rashomon.groundtruth.localisation import SCORES
from rashomon.core.io import atomic_path, write_csv, write_json
from rashomon.core.plotting import plt, save_figure

log = logging.getLogger("rashomon.groundtruth")


def run(params, args):
    """Write metrics/groundtruth.json and plots/groundtruth/{localisation,references,deletion}.csv."""
    cfg, names = params.groundtruth, params.backbones.names
    check_backbone_names(params.backbones)
    truth = read_truth(args.truth)
    plots = Path(args.plots)
    device = resolve_device(params.compute)
    if truth is None:
        with atomic_path(plots, is_dir=True) as tmp:
            for table in ("localisation", "references", "deletion"):
                write_csv(tmp / f"{table}.csv", pd.DataFrame({"method": [], "architecture": []}))
        reason = "no artifact masks: ground truth exists only for the synthetic default"
        log.info("skipped: %s", reason)
        write_json(args.metrics, {"skipped": reason})
        return
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range).set_index("image_id")
    effects = pd.read_csv(args.effects, dtype={"image_id": str}).set_index(["architecture", "image_id"])
    report = {"label": SYNTHETIC_LABEL, "cue_score": "-map (the artifact lowers authenticity); auroc_abs ranks |map|",
              "methods": {}, "references": {}}
    loc_frames, del_frames = [], []
    variants_of = {name: explained_variants(name, params, Path(args.pretrained), Path(args.heads), Path(args.pruning))
                   for name in names}
    mask_files: dict[str, np.ndarray] = {}
    grids = input_grids(names)
    canvas = canvas_of(grids.values())   # the bagged ensemble's maps lie here

    def masks_for(ids: list[str], grid: Grid) -> np.ndarray:
        """The artifact masks of `ids` on the maps' grid (each file read once)."""
        for i in ids:
            if i not in mask_files:
                mask_files[i] = load_mask(truth.loc[i, "mask_path"])
        return np.stack([mask_on_grid(mask_files[i], grid) for i in ids])

    for method in stored_methods(params):
        entry: dict = {"architectures": {}}
        for name in names:
            stored = load_maps(Path(args.explanations) / method / f"{name}.npz")
            ids = [str(i) for i in stored["image_ids"]]
            maps = stored["maps"]
            masks = masks_for(ids, grids[name])
            table = localisation_table(maps, masks, ids)
            loc_frames.append(table.assign(method=method, architecture=name))
            proto = summarise(table[table.level == PROTOTYPE])
            variants_mean = table[table.level != PROTOTYPE].groupby("level")[list(SCORES)].mean()
            twin = effects.loc[name].reindex(ids)["artifact_effect"].to_numpy()
            row = {**proto, "variant_auroc_mean": float(variants_mean["auroc"].mean()),
                   "variant_auroc_sd": float(variants_mean["auroc"].std(ddof=1)),
                   "twin_agreement": faithfulness(maps, masks, twin)}
            if "twin_cosine" in stored:   # counterfactual: does the raising edit remove the artifact?
                row["raise_edit_vs_twin_cosine"] = float(np.nanmean(stored["twin_cosine"][masks.any(axis=(1, 2))]))
            # deletion curves: the first images, through the explained (pruned) variants
            variants = variants_of[name]
            del_ids = ids[: cfg.deletion_images]
            check_image_hashes(manifest.loc[del_ids].reset_index(), args.images)
            images = load_images(manifest.loc[del_ids, "path"].tolist(), variants.backbone.spec)
            curves = deletion_table(variants, images, maps[: len(del_ids)], del_ids, grid=cfg.grid,
                                    steps=cfg.deletion_steps, n_random=cfg.deletion_random, fill=cfg.deletion_fill,
                                    seed=cfg.seed, device=device)
            del_frames.append(curves.assign(method=method, architecture=name))
            row["deletion"] = deletion_summary(curves)
            entry["architectures"][name] = row
            log.info("%s %s: AUROC %.3f, deletion gain %.3f", method, name, proto["auroc"], row["deletion"]["gain"])
        ensemble_file = ensemble_maps_file(method, Path(args.ensemble), Path(args.explanations))
        if ensemble_file.is_file():  # the bagged ensemble's maps (MPM, LIME): localisation and twin agreement
            stored = load_maps(ensemble_file)
            ids = [str(i) for i in stored["image_ids"]]
            masks = masks_for(ids, canvas)
            table = localisation_table(stored["maps"], masks, ids)
            loc_frames.append(table.assign(method=method, architecture="ensemble"))
            twin = effects["artifact_effect"].unstack(0).reindex(ids)[names].mean(axis=1).to_numpy()
            entry["architectures"]["ensemble"] = {**summarise(table[table.level == PROTOTYPE]),
                                                  "twin_agreement": faithfulness(stored["maps"], masks, twin),
                                                  "deletion": None}
        report["methods"][method] = entry
    # reference maps on the union of explained images (scored per method's image set below)
    all_ids = sorted({i for f in loc_frames for i in f["image_id"]}, key=lambda s: (len(s), s))
    if all_ids:
        rgb = denormalise(load_images(manifest.loc[all_ids, "path"].tolist(), variants_of[names[0]].backbone.spec))
        masks = masks_for(all_ids, grids[names[0]])
        refs = reference_table(rgb, masks, all_ids, cfg.gaussian_sigma, cfg.seed)
    else:   # no explained image has an artifact: every reference score (and verdict) is undefined
        refs = pd.DataFrame(columns=["image_id", "reference", *SCORES])
    for method, entry in report["methods"].items():
        method_ids = set(pd.concat(loc_frames).query("method == @method")["image_id"])
        ref_scores = {r: summarise(t[t.image_id.isin(method_ids)]) for r, t in refs.groupby("reference")}
        entry["references"] = {r: ref_scores[r]["auroc"] for r in ref_scores}
        entry.update(reference_verdicts(entry["architectures"], ref_scores))
    report["references"] = {r: summarise(t) for r, t in refs.groupby("reference")}
    summary = auroc_summary(report)
    deletion = pd.concat(del_frames, ignore_index=True)
    with atomic_path(plots, is_dir=True) as tmp:
        write_csv(tmp / "localisation.csv", pd.concat(loc_frames, ignore_index=True))
        write_csv(tmp / "references.csv", refs)
        write_csv(tmp / "deletion.csv", deletion)
        write_csv(tmp / "summary.csv", summary)
        auroc_figure(summary, tmp / "auroc.png")
        deletion_figure(deletion, tmp / "deletion.png")
    write_json(args.metrics, report)


def auroc_summary(report: dict) -> pd.DataFrame:
    """One row per method x architecture (prototype maps) and per reference map."""
    rows = [{"label": f"{m} / {a}", "kind": m, "auroc": r["auroc"], "auroc_abs": r["auroc_abs"]}
            for m, e in report["methods"].items() for a, r in e["architectures"].items()]
    rows += [{"label": f"reference: {r}", "kind": "reference", "auroc": v["auroc"], "auroc_abs": v["auroc_abs"]}
             for r, v in report["references"].items()]
    return pd.DataFrame(rows)


def auroc_figure(summary: pd.DataFrame, path: Path) -> None:
    """AUROC of -map against the artifact mask: methods x architectures beside the references."""
    fig, ax = plt.subplots(figsize=(6.5, 0.28 * len(summary) + 1.2))
    colours = {k: c for k, c in zip(summary["kind"].unique(), plt.rcParams["axes.prop_cycle"].by_key()["color"])}
    colours["reference"] = "grey"
    ax.barh(summary["label"], summary["auroc"], color=[colours[k] for k in summary["kind"]])
    ax.axvline(0.5, color="black", lw=0.8, ls=":")
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("AUROC of -map against the artifact mask (0.5 = chance)")
    ax.set_title("Does the explanation find the cue the raters punish?", fontsize=9)
    save_figure(fig, path)


def deletion_figure(deletion: pd.DataFrame, path: Path) -> None:
    """Mean deletion curves per method and architecture (solid: map order; dotted: random)."""
    methods = list(deletion["method"].unique())
    fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods), 3.3), squeeze=False, sharey=True)
    for ax, method in zip(axes[0], methods):
        for arch, t in deletion[deletion.method == method].groupby("architecture", sort=False):
            mean = t.groupby("fraction")[["map_order", "random_order"]].mean()
            line, = ax.plot(mean.index, mean["map_order"], label=arch)
            ax.plot(mean.index, mean["random_order"], ls=":", color=line.get_color())
        ax.set_title(method)
        ax.set_xlabel("fraction of grid cells deleted (most positive first)")
    axes[0, 0].set_ylabel("change in predicted authenticity")
    axes[0, -1].legend(fontsize=7)
    save_figure(fig, path)


main = stage(run, ("--manifest", {"default": "data/manifest_kept.csv"}),
             ("--images", {"default": "data/images.csv"}),
             ("--truth", {"default": "data/truth.csv"}),
             ("--explanations", {"default": "data/explanations"}),
             ("--effects", {"default": "plots/reliance/effects.csv"}),
             ("--ensemble", {"default": "data/ensemble"}),
             ("--pretrained", {"default": "models/pretrained"}),
             ("--heads", {"default": "models/heads"}),
             ("--pruning", {"default": "data/pruning"}),
             ("--metrics", {"default": "metrics/groundtruth.json"}),
             ("--plots", {"default": "plots/groundtruth"}))

if __name__ == "__main__":
    main()
