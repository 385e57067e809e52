"""Stage prune: SBS channel pruning of every head on cached target activations."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from rashomon.backbones import create_backbone
from rashomon.backbones.weights import check_backbone_names, weights_for
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.io import atomic_path, write_csv, write_npz
from rashomon.core.metrics import write_metrics
from rashomon.data.manifest import manifest_hash, read_manifest
from rashomon.heads.features import FeatureCache
from rashomon.variants.prune_params import PruneParams
from rashomon.variants.prune_schema import PruneMetrics
from rashomon.variants.pruning import effect_rows, masks_archive, prune_variants, pruning_report

log = logging.getLogger("rashomon.prune")


def run(params, args):
    """Write data/pruning/{arch}.npz (keep-masks, K x C), metrics/prune.json (test-set means)
    and plots/prune/baseline_vs_pruned.csv (every variant, fit and test sets)."""
    cfg, scheme, target = params.prune, params.train.scheme, params.data.target
    check_backbone_names(params.backbones)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    truth = manifest.set_index("image_id")[target]
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    rows = []
    device = resolve_device(params.compute)
    with atomic_path(args.out, is_dir=True) as tmp:
        for name in params.backbones.names:
            backbone = create_backbone(name, weights_for(name, params.backbones, Path(args.pretrained)))
            cache = FeatureCache(Path(args.features) / name, manifest_hash(manifest))
            start = time.perf_counter()
            pruned = prune_variants(backbone, cache, Path(args.heads), splits, scheme=scheme, subset=cfg.fit_on,
                                    target=truth, n_variants=params.train.seeds, max_iterations=cfg.max_iterations,
                                    desc="SBS", device=device)
            rows += effect_rows(name, backbone, cache, pruned, splits, scheme, truth, device)
            log.info("%s: SBS took %.1f s for %d variants (wall time is logged, not a metric: metrics are "
                     "byte-reproducible)", name, time.perf_counter() - start, len(pruned))
            write_npz(tmp / f"{name}.npz", **masks_archive(pruned))
            log.info("%s: removed %.1f channels on average", name, np.mean([(~p.mask).sum() for p in pruned]))
    table = pd.DataFrame(rows)
    report = pruning_report(table, cfg.fit_on)
    write_csv(Path(args.plots) / "baseline_vs_pruned.csv", table)
    write_metrics(args.metrics, report, PruneMetrics)


main = stage(run, "--manifest", "--splits", "--features", "--pretrained", "--heads", "--out", "--metrics",
             "--plots", params=PruneParams)

if __name__ == "__main__":
    main()
