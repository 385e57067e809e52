"""Stage explain@<method>: maps of every variant of every architecture (a DVC matrix stage)."""

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rashomon.backbones import create_backbone
from rashomon.backbones.weights import weights_for
from rashomon.cli import stage
from rashomon.data.manifest import manifest_hash, read_manifest
from rashomon.explain import explain_architecture, explanation_ids, save_maps, within_consistency
from rashomon.features import FeatureCache
from rashomon.io import atomic_path, write_json
from rashomon.variants import load_variants

log = logging.getLogger("rashomon.explain")


def run(params, args):
    """Write data/explanations/<method>/{arch}.npz and metrics/explain_<method>.json."""
    method = args.method
    cfg = params["explain"]
    options = dict(cfg[method] or {})
    n_images = options.pop("n_images", None)
    manifest = read_manifest(args.manifest, rating_range=params["data"]["rating_range"], check_images=False)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    ids = explanation_ids(splits, params["train"]["scheme"], n_images)
    n_variants = int(params["train"]["seeds"])
    report = {"method": method, "n_images": len(ids), "options": options,
              "pruned_variants": bool(cfg["use_pruned"]), "architectures": {}}
    with atomic_path(args.out, is_dir=True) as tmp:
        for name in params["backbones"]["names"]:
            backbone = create_backbone(name, weights_for(name, params["backbones"], Path(args.pretrained)))
            masks = np.load(Path(args.pruning) / f"{name}.npz")["masks"] if cfg["use_pruned"] else None
            variants = load_variants(backbone, Path(args.heads), n_variants, masks)
            cache = FeatureCache(Path(args.features) / name, manifest_hash(manifest))
            result, seconds = explain_architecture(method, backbone, variants, cache,
                                                   manifest.set_index("image_id"), ids, options)
            save_maps(tmp / f"{name}.npz", ids, result.maps, result.info)
            within = within_consistency(result.maps)
            entry = {"seconds": seconds, "images_per_second": len(ids) / seconds,
                     "within_architecture_consistency": float(np.nanmean(within))}
            if "fidelity" in result.info:
                entry["lime_fidelity_r2_mean"] = float(np.nanmean(result.info["fidelity"]))
            report["architectures"][name] = entry
            log.info("%s %s: %d images in %.1fs", method, name, len(ids), seconds)
    write_json(args.metrics, report)


main = stage(run, ("--method", {"required": True}),
             ("--manifest", {"default": "data/manifest_kept.csv"}),
             ("--splits", {"default": "data/splits.csv"}),
             ("--features", {"default": "data/features"}),
             ("--pretrained", {"default": "models/pretrained"}),
             ("--heads", {"default": "models/heads"}),
             ("--pruning", {"default": "data/pruning"}),
             ("--out", {"required": True}),
             ("--metrics", {"required": True}))

if __name__ == "__main__":
    torch.set_num_threads(max(1, torch.get_num_threads()))
    main()
