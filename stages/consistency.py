"""Stage consistency: are explanations identifiable within and across architectures?"""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from pathlib import Path

import pandas as pd

from rashomon.attribution.method import stored_methods
from rashomon.backbones.weights import check_backbone_names
from rashomon.consistency.assess import ConsistencyInputs, assess_consistency
from rashomon.consistency.consistency_params import ConsistencyParams
from rashomon.consistency.consistency_schema import ConsistencyMetrics
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.io import atomic_path, read_json, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.core.plotting import heatmaps
from rashomon.data.manifest import read_manifest
from rashomon.heads.rashomon_set import rashomon_members


def run(params, args):
    """Write metrics/consistency.json and plots/consistency/ (tables, pair matrices, heatmaps)."""
    check_backbone_names(params.backbones)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    predictions = pd.read_csv(args.predictions, dtype={"image_id": str})
    rashomon = rashomon_members(read_json(args.train_metrics), params.backbones.names, args.train_metrics)
    paths = ConsistencyInputs(Path(args.explanations), Path(args.ensemble), Path(args.features),
                              Path(args.pretrained), Path(args.heads), Path(args.pruning))
    result = assess_consistency(params, manifest, splits, predictions, rashomon, paths, resolve_device(params.compute))
    matrices = result.matrices
    with atomic_path(args.plots, is_dir=True) as tmp:
        write_csv(tmp / "within.csv", result.within)
        write_csv(tmp / "across.csv", result.across)
        write_csv(tmp / "relations.csv", result.relations)
        for method in stored_methods(params.explain):
            pearson = matrices[(matrices.method == method) & (matrices.metric == "pearson")]
            write_csv(tmp / f"across_pearson_{method}.csv", pearson[["a", "b", "mean", "sd", "min", "max"]])
        write_csv(tmp / "matrices.csv", matrices)
        heatmaps(matrices[matrices.metric == "pearson"], params.backbones.names, tmp / "across_pearson.png",
                 "across architectures: mean Pearson r of prototype maps over images")
    write_metrics(args.metrics, result.report, ConsistencyMetrics)


main = stage(run, "--manifest", "--splits", "--predictions", "--train-metrics", "--explanations", "--ensemble",
             "--features", "--pretrained", "--heads", "--pruning", "--metrics", "--plots", params=ConsistencyParams)

if __name__ == "__main__":
    main()
