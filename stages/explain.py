"""Stage explain@<method>: maps of every variant of every architecture (a DVC matrix stage)."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import pandas as pd

from rashomon.attribution import METHODS, build_method
from rashomon.attribution.explain_params import ExplainParams
from rashomon.attribution.explain_schema import ExplainMetrics
from rashomon.attribution.method import check_explain_config
from rashomon.attribution.runner import (explain_architecture, explained_variants, explanation_ids, map_summary,
                                        save_maps)
from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import dvc_matrix_item, stage
from rashomon.core.device import resolve_device
from rashomon.core.errors import InputError
from rashomon.core.io import atomic_path
from rashomon.core.metrics import write_metrics
from rashomon.data.manifest import check_image_hashes, manifest_hash, read_manifest
from rashomon.heads.features import FeatureCache

log = logging.getLogger("rashomon.explain")


def explained_method(args) -> str:
    """`--method`, else the item of DVC's explain@<method> (dvc.yaml writes no params value into a command)."""
    name = args.method or dvc_matrix_item("explain")
    if name is None:
        raise InputError("explain: which method? give --method <name> "
                         "(under DVC the stage name explain@<name> says it)")
    in_explain = [m for m in METHODS if METHODS.get(m).in_explain]
    if name not in in_explain:
        raise InputError(f"explain: unknown attribution method {name!r}; explain runs: {', '.join(in_explain)}")
    return name


def run(params, args):
    """Write <out>/<method>/{arch}.npz and <metrics>/explain_<method>.json."""
    cfg = params.explain
    name = explained_method(args)
    check_backbone_names(params.backbones)
    check_explain_config(cfg)
    method = build_method(cfg, name, resolve_device(params.compute))
    n_images = method.options.n_images
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    ids = explanation_ids(splits, params.train.scheme, n_images)
    if method.reads == "pixels":
        check_image_hashes(manifest[manifest["image_id"].isin(ids)], args.images)
    report = {"method": method.name, "n_images": len(ids), "pruned_variants": cfg.use_pruned, "architectures": {},
              **method.header()}
    with atomic_path(Path(args.out) / name, is_dir=True) as tmp:
        for arch in params.backbones.names:
            variants = explained_variants(arch, params, Path(args.pretrained), Path(args.heads), Path(args.pruning))
            cache = FeatureCache(Path(args.features) / arch, manifest_hash(manifest))
            result = explain_architecture(method, variants.backbone, variants, cache, manifest.set_index("image_id"),
                                          ids)
            save_maps(tmp / f"{arch}.npz", ids, result.maps, result.info)
            report["architectures"][arch] = map_summary(method, result)
            log.info("%s %s: %d images%s", method.name, arch, len(ids),
                     f" (perturbation batches per process: {result.info['batches_per_rank']})"
                     if "batches_per_rank" in result.info else "")
    write_metrics(Path(args.metrics) / f"explain_{name}.json", report, ExplainMetrics)


main = stage(run, ("--method", {"default": None}), "--manifest",
             "--images", "--splits", "--features", "--pretrained", "--heads", "--pruning", "--out",
             "--metrics", params=ExplainParams)

if __name__ == "__main__":
    main()
