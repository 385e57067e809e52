"""Stage reliance: what each architecture's heads rely on, measured with the simulator's twins."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import pandas as pd

from rashomon.attribution.runner import explanation_ids
from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.io import write_csv
from rashomon.core.metrics import write_metrics
from rashomon.data.manifest import read_manifest
from rashomon.data.truth import SYNTHETIC_LABEL, read_truth
from rashomon.variants.reliance_params import RelianceParams
from rashomon.variants.reliance_run import measure_reliance
from rashomon.variants.reliance_schema import RelianceMetrics

log = logging.getLogger("rashomon.reliance")


def run(params, args):
    """Write metrics/reliance.json and plots/reliance/effects.csv (the shared test set)."""
    check_backbone_names(params.backbones)
    truth = read_truth(args.truth)
    if truth is None:
        reason = "no twins: reliance needs the synthetic default's ground truth"
        log.info("skipped: %s", reason)
        write_metrics(args.metrics, {"skipped": reason}, RelianceMetrics)
        write_csv(Path(args.plots) / "effects.csv", pd.DataFrame({"architecture": [], "image_id": []}))
        return
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range).set_index("image_id")
    ids = explanation_ids(pd.read_csv(args.splits, dtype={"image_id": str}), params.train.scheme, None)
    report = {"label": SYNTHETIC_LABEL, "relying_on_artifact": [],
              "sign": "effects = prediction on the twin minus on the image; partial r < 0 = tracks the artifact",
              "architectures": {}}
    frames = []
    device = resolve_device(params.compute)
    for name in params.backbones.names:
        result = measure_reliance(name, params, manifest, ids, truth, Path(params.data.root), Path(args.pretrained),
                                  Path(args.heads), device)
        entry = result.entry
        report["architectures"][name] = entry
        if entry["relies_on_artifact"]:
            report["relying_on_artifact"].append(name)
        frames.append(result.effects)
        log.info("%s: partial r(artifact | degradation) = %.3f, artifact effect %.2f", name,
                 entry["partial_r_artifact_given_degradation"], entry["artifact_effect_mean"])
    report["n_relying_on_artifact"] = len(report["relying_on_artifact"])
    write_csv(Path(args.plots) / "effects.csv", pd.concat(frames, ignore_index=True))
    write_metrics(args.metrics, report, RelianceMetrics)


main = stage(run, "--manifest", "--splits", "--truth", "--pretrained", "--heads", "--metrics",
             "--plots", params=RelianceParams)

if __name__ == "__main__":
    main()
