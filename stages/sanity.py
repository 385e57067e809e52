"""Stage sanity: cascading model randomisation and shuffled-ratings heads (Adebayo et al. 2018)."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from pathlib import Path

import pandas as pd

from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.io import atomic_path, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.data.manifest import read_manifest
from rashomon.groundtruth.sanity_checks import SanityInputs, plot_cascade, run_sanity_checks
from rashomon.groundtruth.sanity_params import SanityParams
from rashomon.groundtruth.sanity_schema import SanityMetrics


def run(params, args):
    """Write metrics/sanity.json, plots/sanity/cascade.csv and plots/sanity/cascade.png."""
    check_backbone_names(params.backbones)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    paths = SanityInputs(Path(args.images), Path(args.features), Path(args.pretrained), Path(args.heads),
                         Path(args.pruning))
    result = run_sanity_checks(params, manifest, splits, paths, resolve_device(params.compute))
    with atomic_path(args.plots, is_dir=True) as tmp:
        write_csv(tmp / "cascade.csv", result.cascade)
        plot_cascade(result.cascade, tmp / "cascade.png")
    write_metrics(args.metrics, result.report, SanityMetrics)


main = stage(run, "--manifest", "--images", "--splits", "--features", "--pretrained", "--heads", "--pruning",
             "--metrics", "--plots", params=SanityParams)

if __name__ == "__main__":
    main()
