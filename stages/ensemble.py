"""Stage ensemble: bagging and stacking of every architecture's validation-pruned variants,
and the bagged ensemble's MPM and LIME maps."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rashomon.attribution import attribute
from rashomon.attribution.runner import explanation_ids, save_maps
from rashomon.backbones import create_backbone
from rashomon.backbones.preprocess import load_images
from rashomon.backbones.weights import check_backbone_names, weights_for
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.data.manifest import check_image_hashes, manifest_hash, read_manifest
from rashomon.ensemble.combine import BaggedEnsemble, bagging, stacking_oof
from rashomon.heads.features import FeatureCache
from rashomon.heads.metrics import prediction_metrics
from rashomon.core.io import atomic_path, write_csv, write_json, write_npz
from rashomon.psychometrics.correlation import pearson
from rashomon.variants.pruning import prune_variants
from rashomon.variants.variant_set import VariantSet, stem_scores

log = logging.getLogger("rashomon.ensemble")


def run(params, args):
    """Write data/ensemble/ (val-pruning masks, ensemble maps), metrics/ensemble.json, plots/ensemble/."""
    cfg, names, target, scheme = params.ensemble, params.backbones.names, params.data.target, params.train.scheme
    check_backbone_names(params.backbones)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    rating = manifest.set_index("image_id")[target]
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    test_ids = explanation_ids(splits, scheme, None)
    y = rating.loc[test_ids].to_numpy()
    members, per_arch, rows = [], {}, []
    device = resolve_device(params.compute)
    with atomic_path(args.out, is_dir=True) as tmp:
        for name in names:
            backbone = create_backbone(name, weights_for(name, params.backbones, Path(args.pretrained)))
            cache = FeatureCache(Path(args.features) / name, manifest_hash(manifest))
            pruned = prune_variants(backbone, cache, Path(args.heads), splits, scheme=scheme, subset="val",
                                    target=rating, n_variants=params.train.seeds,
                                    max_iterations=cfg.prune_max_iterations, desc="SBS(val)", device=device)
            masks = np.stack([p.mask for p in pruned])
            variants = VariantSet(backbone, [p.head for p in pruned], torch.as_tensor(masks, dtype=torch.float32))
            write_npz(tmp / f"masks_{name}.npz", masks=masks)
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
        check_image_hashes(manifest[manifest["image_id"].isin(ens_ids)], args.images)
        ensemble = BaggedEnsemble(members)   # inputs on one canvas; each member crops/resizes to its own
        images = load_images(manifest.set_index("image_id").loc[ens_ids, "path"].tolist(), ensemble.canvas)
        maps = {}
        for method in ("mpm", "lime"):
            _, opts = params.explain.options(method)
            result = attribute(method, images, ensemble, **opts)
            save_maps(tmp / f"{method}.npz", ens_ids, result.maps, result.info)
            maps[method] = result
    single = table[table.kind == "single (mean over variants)"].set_index("model")
    agreement = [pearson(a[0], b[0]) for a, b in zip(maps["lime"].maps, maps["mpm"].maps)]
    report = {
        "n_test_images": len(test_ids), "members": int(sum(len(m) for m in members)),
        "bagging": table[table.kind == "bagging"].iloc[0][["rmse", "plcc", "srcc"]].to_dict(),
        "stacking": table[table.kind.str.startswith("stacking")].iloc[0][["rmse", "plcc", "srcc"]].to_dict(),
        "stacking_weights": dict(zip(["intercept", *names], map(float, weights))),
        "best_single": ({"architecture": str(single["plcc"].idxmax()), "plcc": float(single["plcc"].max())}
                        if single["plcc"].notna().any() else {"architecture": None, "plcc": float("nan")}),
        "mean_single_plcc": float(single["plcc"].mean()),
        "attribution": {"n_images": len(ens_ids),
                        "lime_fidelity_r2_mean": float(np.mean(maps["lime"].info["fidelity"])),
                        "lime_vs_mpm_pearson_mean": float(np.nanmean(agreement))},
    }
    report["undefined"] = {}
    for kind in ("bagging", "stacking"):   # undefined (null), never false, when a PLCC is NaN (constant predictions)
        plcc, best = report[kind]["plcc"], report["best_single"]["plcc"]
        defined = bool(np.isfinite([plcc, best]).all())
        report[f"{kind}_beats_best_single"] = bool(plcc > best) if defined else None
        if not defined:
            report["undefined"][f"{kind}_beats_best_single"] = (
                f"PLCC undefined for {'the best single architecture' if np.isfinite(plcc) else kind} "
                "(constant predictions on the test set)")
    with atomic_path(args.plots, is_dir=True) as plots:
        write_csv(plots / "models.csv", table.assign(label=table.model + " / " + table.kind))
    write_json(args.metrics, report)


def fold_of(splits: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """The stacking fold of each test image (the split stage's `stacking` scheme)."""
    held_out = splits[(splits.scheme == "stacking") & (splits.subset == "test")].set_index("image_id")["variant"]
    return held_out.loc[ids].to_numpy()


main = stage(run, ("--manifest", {"default": "data/manifest_kept.csv"}),
             ("--images", {"default": "data/images.csv"}),
             ("--splits", {"default": "data/splits.csv"}),
             ("--features", {"default": "data/features"}),
             ("--pretrained", {"default": "models/pretrained"}),
             ("--heads", {"default": "models/heads"}),
             ("--out", {"default": "data/ensemble"}),
             ("--metrics", {"default": "metrics/ensemble.json"}),
             ("--plots", {"default": "plots/ensemble"}))

if __name__ == "__main__":
    main()
