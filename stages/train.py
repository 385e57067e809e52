"""Stage train: Lightning regression heads on cached embeddings, one per split variant."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import pandas as pd

from rashomon.backbones import get_spec
from rashomon.backbones.weights import check_backbone_names
from rashomon.core import plotting
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.fitting import quiet_lightning
from rashomon.core.io import atomic_path, read_json, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.data.manifest import manifest_hash, read_manifest
from rashomon.data.truth import read_truth
from rashomon.heads.evaluation import train_report
from rashomon.heads.features import FeatureCache
from rashomon.heads.train_params import TrainParams
from rashomon.heads.train_schema import TrainMetrics
from rashomon.heads.training import train_variants

log = logging.getLogger("rashomon.train")


def run(params, args):
    """Write models/heads/, data/predictions.csv, metrics/train.json, plots/train/, dvclive/train/."""
    quiet_lightning()
    cfg, target = params.train, params.data.target
    check_backbone_names(params.backbones)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    digest = manifest_hash(manifest)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    targets = dict(zip(manifest["image_id"], manifest[target]))
    frames = []
    device = resolve_device(params.compute)
    with atomic_path(args.out, is_dir=True) as heads_dir, atomic_path(args.dvclive, is_dir=True) as live_dir:
        for name in params.backbones.names:
            cache = FeatureCache(Path(args.features) / name, digest)
            frames.append(train_variants(cache.embedding(), cache.ids, targets, splits, arch=name,
                                         kind=get_spec(name).head, cfg=cfg, out_dir=heads_dir, log_dir=live_dir,
                                         device=device))
            log.info("%s: %d heads trained", name, cfg.seeds)
        predictions = pd.concat(frames, ignore_index=True)
        write_csv(args.predictions, predictions)
    ceiling = (read_json(args.reliability).get("noise_ceiling") or {}).get(target)
    report, table, variants = train_report(predictions, manifest, target, ceiling, read_truth(args.truth) is not None,
                                           params.rashomon_set.tolerance, params.inference)
    with atomic_path(args.plots, is_dir=True) as plots:
        write_csv(plots / "architectures.csv", table)
        write_csv(plots / "variants.csv", variants)
        plotting.bars(table, "architecture", "plcc", "plcc_sd", ceiling, plots / "plcc_by_architecture.png",
                      "test PLCC (mean +- SD over variants); dashed: noise ceiling")
    write_metrics(args.metrics, report, TrainMetrics)


main = stage(run, "--manifest", "--splits", "--features", "--reliability", "--truth", "--out",
             "--predictions", "--metrics", "--plots", "--dvclive", params=TrainParams)

if __name__ == "__main__":
    main()
