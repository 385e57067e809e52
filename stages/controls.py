"""Stage controls: can a method find the cue at all? Heads fitted to the artifact alone, to the
degradation alone and to the target, and an end-to-end detector per family, checked with the twins,
explained and scored against the artifact masks."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import pandas as pd

from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.io import atomic_path, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.data.manifest import check_image_hashes, read_manifest
from rashomon.data.truth import read_truth
from rashomon.groundtruth.controls import ControlsInputs, run_controls
from rashomon.groundtruth.controls_params import ControlsParams
from rashomon.groundtruth.controls_schema import ControlsMetrics

log = logging.getLogger("rashomon.controls")


def run(params, args):
    """Write metrics/controls.json and plots/controls/localisation.csv."""
    check_backbone_names(params.backbones)
    truth = read_truth(args.truth)
    if truth is None:
        reason = "no artifact masks: the controls exist only for the synthetic default"
        log.info("skipped: %s", reason)
        with atomic_path(args.plots, is_dir=True) as tmp:
            write_csv(tmp / "localisation.csv", pd.DataFrame({"method": [], "architecture": [], "control": []}))
        write_metrics(args.metrics, {"skipped": reason}, ControlsMetrics)
        return
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    check_image_hashes(manifest, args.images)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    paths = ControlsInputs(Path(args.features), Path(args.pretrained), Path(args.cue_maps), Path(params.data.root))
    result = run_controls(params, manifest, splits, truth, paths, resolve_device(params.compute))
    with atomic_path(args.plots, is_dir=True) as tmp:
        write_csv(tmp / "localisation.csv", result.localisation)
    write_metrics(args.metrics, result.report, ControlsMetrics)


main = stage(run, "--manifest", "--images", "--truth", "--cue-maps", "--splits", "--features", "--pretrained",
             "--metrics", "--plots", params=ControlsParams)

if __name__ == "__main__":
    main()
