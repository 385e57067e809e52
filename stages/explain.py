"""Stage explain@<method>: maps of every variant of every architecture (a DVC matrix stage)."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import pandas as pd

from rashomon.attribution.runner import (explain_architecture, explained_variants, explanation_ids, map_summary,
                                        method_options, save_maps)
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
            cache = FeatureCache(Path(args.features) / name, manifest_hash(manifest))
            result = explain_architecture(method, variants.backbone, variants, cache, manifest.set_index("image_id"),
                                          ids, options)
            save_maps(tmp / f"{name}.npz", ids, result.maps, result.info)
            report["architectures"][name] = map_summary(method, result)
            log.info("%s %s: %d images%s", method, name, len(ids),
                     f" (perturbation batches per process: {result.info['batches_per_rank']})"
                     if "batches_per_rank" in result.info else "")
    write_json(args.metrics, report)


main = stage(run, ("--method", {"required": True, "choices": ["gradcam", "lime", "mpm"]}), "--manifest",
             "--images", "--splits", "--features", "--pretrained", "--heads", "--pruning", "--out",
             "--metrics")

if __name__ == "__main__":
    main()
