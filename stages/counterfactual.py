"""Stage counterfactual: latent edits that raise and lower each model's predicted authenticity."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from pathlib import Path

import pandas as pd

from rashomon.attribution.runner import explanation_ids
from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.io import atomic_path, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.counterfactual.counterfactual_params import CounterfactualParams
from rashomon.counterfactual.counterfactual_schema import CounterfactualMetrics
from rashomon.counterfactual.explain import CounterfactualInputs, explain_counterfactuals
from rashomon.counterfactual.figures import counterfactual_figure
from rashomon.data.manifest import check_image_hashes, read_manifest, safe_filename
from rashomon.data.truth import read_truth


def run(params, args):
    """Write data/explanations/counterfactual/ ({arch}.npz maps and edits, ensemble.npz),
    metrics/counterfactual.json and plots/counterfactual/ (edit table, figures)."""
    cfg = params.counterfactual
    check_backbone_names(params.backbones)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range).set_index("image_id")
    ids = explanation_ids(pd.read_csv(args.splits, dtype={"image_id": str}), params.train.scheme, cfg.n_images)
    check_image_hashes(manifest.loc[ids].reset_index(), args.images)
    paths = CounterfactualInputs(Path(args.generator), Path(params.data.root), Path(args.pretrained), Path(args.heads),
                                 Path(args.pruning), Path(args.ensemble), tuple(Path(c) for c in args.compare or []))
    with atomic_path(args.out, is_dir=True) as tmp:
        result = explain_counterfactuals(params, manifest, ids, read_truth(args.truth), paths, tmp,
                                         resolve_device(params.compute))
    table = result.edits
    with atomic_path(args.plots, is_dir=True) as plots:
        write_csv(plots / "edits.csv", table)
        write_csv(plots / "failed.csv", table[~table.reached])
        for i, image_id in enumerate(ids[: cfg.n_figures]):
            counterfactual_figure(result.rgb[i], {n: e[i] for n, e in result.figure_edits.items()},
                                  f"image {image_id}: edits of the mean model (target +-{cfg.change:g})",
                                  plots / f"image_{safe_filename(image_id)}.png")
    write_metrics(args.metrics, result.report, CounterfactualMetrics)


main = stage(run, "--manifest", "--images", "--splits", "--truth", "--generator", "--pretrained",
             "--heads", "--pruning", "--ensemble",
             ("--compare", {"action": "append", "required": True,
                            "help": "a method's map folder to compare with (repeatable)"}),
             "--out", "--metrics", "--plots", params=CounterfactualParams)

if __name__ == "__main__":
    main()
