"""Stage explain@<method>: maps of every variant of every architecture (a DVC matrix stage)."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from rashomon.attribution.gradcam import constant_share, single_signed
from rashomon.attribution.runner import (explain_architecture, explained_variants, explanation_ids, method_options,
                                        save_maps, within_consistency)
from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.data.manifest import check_image_hashes, manifest_hash, read_manifest
from rashomon.heads.features import FeatureCache
from rashomon.core.io import atomic_path, write_json

log = logging.getLogger("rashomon.explain")


def run(params, args):
    """Write data/explanations/<method>/{arch}.npz and metrics/explain_<method>.json."""
    method, cfg = args.method, params.explain
    check_backbone_names(params.backbones)
    n_images, options = method_options(params, method, resolve_device(params.compute))
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    ids = explanation_ids(splits, params.train.scheme, n_images)
    if method != "gradcam":  # perturbation methods read the image files
        check_image_hashes(manifest[manifest["image_id"].isin(ids)], args.images)
    report = {"method": method, "n_images": len(ids), "pruned_variants": cfg.use_pruned, "architectures": {}}
    if method == "gradcam":
        report["target_layer"] = cfg.gradcam.target_layer
    with atomic_path(args.out, is_dir=True) as tmp:
        for name in params.backbones.names:
            variants = explained_variants(name, params, Path(args.pretrained), Path(args.heads), Path(args.pruning))
            backbone = variants.backbone
            cache = FeatureCache(Path(args.features) / name, manifest_hash(manifest))
            result = explain_architecture(method, backbone, variants, cache, manifest.set_index("image_id"), ids,
                                          options)
            save_maps(tmp / f"{name}.npz", ids, result.maps, result.info)
            entry = {"within_architecture_consistency": float(np.nanmean(within_consistency(result.maps)))}
            if method == "gradcam":  # the per-image constant of a signed map (docs/explanations.md: gradcam)
                entry["constant_share_mean"] = float(np.nanmean(constant_share(result.maps)))
                entry["single_signed_maps_share"] = float(single_signed(result.maps).mean())
            if result.info.get("incremental"):
                entry["mpm_conv_macs_skipped"] = float(result.info["conv_macs_skipped"])
            if "fidelity" in result.info:
                entry["lime_fidelity_r2_mean"] = float(np.nanmean(result.info["fidelity"]))
            report["architectures"][name] = entry
            log.info("%s %s: %d images%s", method, name, len(ids),
                     f" (perturbation batches per process: {result.info['batches_per_rank']})"
                     if "batches_per_rank" in result.info else "")
    write_json(args.metrics, report)


main = stage(run, ("--method", {"required": True, "choices": ["gradcam", "lime", "mpm"]}),
             ("--manifest", {"default": "data/manifest_kept.csv"}),
             ("--images", {"default": "data/images.csv"}),
             ("--splits", {"default": "data/splits.csv"}),
             ("--features", {"default": "data/features"}),
             ("--pretrained", {"default": "models/pretrained"}),
             ("--heads", {"default": "models/heads"}),
             ("--pruning", {"default": "data/pruning"}),
             ("--out", {"required": True}),
             ("--metrics", {"required": True}))

if __name__ == "__main__":
    main()
