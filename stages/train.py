"""Stage train: Lightning regression heads on cached embeddings, 10 variants per architecture."""

import logging
from pathlib import Path

import pandas as pd

from rashomon import plotting
from rashomon.backbones import get_spec
from rashomon.cli import stage
from rashomon.errors import InputError
from rashomon.data.manifest import manifest_hash, read_manifest
from rashomon.evaluation import evaluate_predictions
from rashomon.features import FeatureCache
from rashomon.io import atomic_path, read_json, write_csv, write_json
from rashomon.training import quiet_lightning, train_variants

log = logging.getLogger("rashomon.train")


def run(params, args):
    """Write models/heads/, data/predictions.csv, metrics/train.json, plots/train/."""
    quiet_lightning()
    cfg, target = params["train"], params["data"]["target"]
    if int(cfg["seeds"]) > int(params["split"]["n_variants"]):
        raise InputError(f"train.seeds={cfg['seeds']} exceeds split.n_variants={params['split']['n_variants']}: "
                         "each variant trains on its own split")
    manifest = read_manifest(args.manifest, rating_range=params["data"]["rating_range"], check_images=False)
    digest = manifest_hash(manifest)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    targets = dict(zip(manifest["image_id"], manifest[target]))
    frames = []
    with atomic_path(args.out, is_dir=True) as heads_dir:
        for name in params["backbones"]["names"]:
            cache = FeatureCache(Path(args.features) / name, digest)
            frames.append(train_variants(
                cache.embedding(), cache.ids, targets, splits, arch=name, kind=get_spec(name).head,
                scheme=cfg["scheme"], n_variants=int(cfg["seeds"]), cfg=cfg, out_dir=heads_dir,
                log_dir=Path(args.dvclive)))
            log.info("%s: %d heads trained", name, int(cfg["seeds"]))
    predictions = pd.concat(frames, ignore_index=True)
    write_csv(args.predictions, predictions)
    reliability = read_json(args.reliability)
    ceiling = (reliability.get("noise_ceiling") or {}).get(target)
    report, table = evaluate_predictions(predictions, manifest, target, ceiling)
    if "label" in reliability:
        report["label"] = "SYNTHETIC data; backbones pretrained on synthetic data"
    write_json(args.metrics, report)
    plots = Path(args.plots)
    write_csv(plots / "architectures.csv", table)
    plotting.bars(table, "architecture", "plcc", "plcc_sd", ceiling, plots / "plcc_by_architecture.png",
                  "test PLCC (mean +- SD over variants); dashed: noise ceiling")


main = stage(run, ("--manifest", {"default": "data/manifest_kept.csv"}),
             ("--splits", {"default": "data/splits.csv"}),
             ("--features", {"default": "data/features"}),
             ("--reliability", {"default": "metrics/reliability.json"}),
             ("--out", {"default": "models/heads"}),
             ("--predictions", {"default": "data/predictions.csv"}),
             ("--metrics", {"default": "metrics/train.json"}),
             ("--plots", {"default": "plots/train"}),
             ("--dvclive", {"default": "dvclive/train"}))

if __name__ == "__main__":
    main()
