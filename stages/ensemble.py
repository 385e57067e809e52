"""Stage ensemble: bagging and stacking of every architecture's validation-pruned variants,
and the bagged ensemble's MPM and LIME maps."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from pathlib import Path

import pandas as pd

from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.io import atomic_path, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.data.manifest import read_manifest
from rashomon.ensemble.assess import EnsembleInputs, assess_ensembles
from rashomon.ensemble.ensemble_params import EnsembleParams
from rashomon.ensemble.ensemble_schema import EnsembleMetrics


def run(params, args):
    """Write data/ensemble/ (val-pruning masks, ensemble maps), metrics/ensemble.json, plots/ensemble/."""
    check_backbone_names(params.backbones)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    paths = EnsembleInputs(Path(args.images), Path(args.features), Path(args.pretrained), Path(args.heads))
    with atomic_path(args.out, is_dir=True) as tmp:
        result = assess_ensembles(params, manifest, splits, paths, tmp, resolve_device(params.compute))
    with atomic_path(args.plots, is_dir=True) as plots:
        write_csv(plots / "models.csv", result.models)
    write_metrics(args.metrics, result.report, EnsembleMetrics)


main = stage(run, "--manifest", "--images", "--splits", "--features", "--pretrained", "--heads", "--out",
             "--metrics", "--plots", params=EnsembleParams)

if __name__ == "__main__":
    main()
