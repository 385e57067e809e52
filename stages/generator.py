"""Stage generator: the counterfactual method's generative model, trained on the training images."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

from pathlib import Path

import pandas as pd

from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.io import atomic_path, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.counterfactual.counterfactual_params import GeneratorParams
from rashomon.data.manifest import read_manifest
from rashomon.generative.figures import reconstruction_figure
from rashomon.generative.fit import fit_generator
from rashomon.generative.generator_schema import GeneratorMetrics


def run(params, args):
    """Write models/generator.pt, metrics/generator.json and plots/generator/ (history,
    reconstructions of held-out explanation-set images)."""
    check_backbone_names(params.backbones)
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    result = fit_generator(params, manifest, splits, Path(args.manifest), Path(args.images), Path(args.out),
                           resolve_device(params.compute))
    quality, history = result.quality, result.history
    with atomic_path(args.plots, is_dir=True) as plots:
        write_csv(plots / "history.csv", history if len(history) else pd.DataFrame({"epoch": []}))
        write_csv(plots / "held_out.csv", pd.DataFrame({"image_id": result.held_out_ids,
                                                        "psnr_db": quality["psnr"].numpy(),
                                                        "ssim": quality["ssim"].numpy()}))
        reconstruction_figure(result.held_out[:8].numpy(), quality["reconstruction"][:8].numpy(),
                              plots / "reconstructions.png")
    write_metrics(args.metrics, result.report, GeneratorMetrics)


main = stage(run, "--manifest", "--images", "--splits", "--out", "--metrics", "--plots", params=GeneratorParams)

if __name__ == "__main__":
    main()
