"""Stage groundtruth: is each explanation right? Localisation against the artifact mask,
reference maps, faithfulness to the model's twin effects, deletion curves."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import pandas as pd

from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.io import atomic_path, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.data.manifest import read_manifest
from rashomon.data.truth import read_truth
from rashomon.groundtruth.assess import GroundTruthInputs, assess_ground_truth, write_plots
from rashomon.groundtruth.cues import CueMaps
from rashomon.groundtruth.groundtruth_params import GroundtruthParams
from rashomon.groundtruth.groundtruth_schema import GroundtruthMetrics
from rashomon.groundtruth.human import NO_GROUND_TRUTH, assess_human_ground_truth, write_outputs

log = logging.getLogger("rashomon.groundtruth")


def run(params, args):
    """Write metrics/groundtruth.json and plots/groundtruth/ (tables and figures)."""
    check_backbone_names(params.backbones)
    truth = read_truth(args.truth)
    plots = Path(args.plots)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range).set_index("image_id")
    cues = CueMaps(Path(args.cue_maps))
    if truth is None and len(cues):   # human heatmaps (RichHF-18K)
        human = assess_human_ground_truth(params, manifest, cues, Path(args.explanations))
        with atomic_path(plots, is_dir=True) as tmp:
            write_outputs(human, tmp, "human")
            write_csv(tmp / "references.csv", human.references)
        return write_metrics(args.metrics, human.report, GroundtruthMetrics)
    if truth is None:
        log.info("skipped: %s", NO_GROUND_TRUTH)
        with atomic_path(plots, is_dir=True) as tmp:
            for table in ("localisation", "references", "deletion"):
                write_csv(tmp / f"{table}.csv", pd.DataFrame({"method": [], "architecture": []}))
        return write_metrics(args.metrics, {"skipped": NO_GROUND_TRUTH}, GroundtruthMetrics)
    effects = pd.read_csv(args.effects, dtype={"image_id": str}).set_index(["architecture", "image_id"])
    paths = GroundTruthInputs(Path(args.images), Path(args.explanations), Path(args.ensemble),
                              Path(args.pretrained), Path(args.heads), Path(args.pruning))
    result = assess_ground_truth(params, manifest, truth, effects, cues, paths, resolve_device(params.compute))
    with atomic_path(plots, is_dir=True) as tmp:
        write_plots(result, tmp)
    write_metrics(args.metrics, result.report, GroundtruthMetrics)


main = stage(run, "--manifest", "--images", "--truth", "--cue-maps", "--explanations", "--effects", "--ensemble",
             "--pretrained", "--heads", "--pruning", "--metrics", "--plots", params=GroundtruthParams)

if __name__ == "__main__":
    main()
