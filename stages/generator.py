"""Stage generator: the counterfactual method's generative model, trained on the training images."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import pandas as pd
import torch

from rashomon.attribution.runner import explanation_ids
from rashomon.backbones import input_grids
from rashomon.backbones.geometry import canvas_of
from rashomon.backbones.preprocess import load_images, unnormalise
from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.data.manifest import check_image_hashes, read_manifest
from rashomon.core.device import resolve_device
from rashomon.core.errors import InputError
from rashomon.generative import load_generator, save_generator
from rashomon.generative.autoencoder import train_generator
from rashomon.generative.figures import reconstruction_figure
from rashomon.generative.quality import reconstruction_quality
from rashomon.core.io import atomic_path, write_csv, write_json

log = logging.getLogger("rashomon.generator")


def run(params, args):
    """Write models/generator.pt, metrics/generator.json and plots/generator/ (history,
    reconstructions of held-out explanation-set images)."""
    cfg = params.counterfactual.generator
    check_backbone_names(params.backbones)
    canvas = canvas_of(input_grids(params.backbones.names).values())   # where every architecture's input is cut from
    manifest = read_manifest(args.manifest, rating_range=params.data.rating_range)
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    held_out = explanation_ids(splits, params.train.scheme, None)
    train_ids = sorted(set(manifest["image_id"]) - set(held_out), key=lambda s: (len(s), s))
    if len(train_ids) <= cfg.n_val_images:
        raise InputError(f"{args.manifest}: {len(train_ids)} training images, need more than "
                         f"counterfactual.generator.n_val_images = {cfg.n_val_images}")
    check_image_hashes(manifest, args.images)
    paths = manifest.set_index("image_id")["path"]

    def rgb(ids):
        return unnormalise(load_images(paths.loc[ids].tolist(), canvas))

    test = rgb(held_out)
    report = {"family": cfg.family if not cfg.plugin else f"plugin {cfg.plugin}", "image_size": canvas.input_size,
              "n_train": len(train_ids) - cfg.n_val_images, "n_val": cfg.n_val_images,
              "n_test": len(held_out)}
    history = pd.DataFrame()
    device = resolve_device(params.compute)
    if cfg.plugin:
        model = load_generator(None, cfg.plugin, canvas.input_size)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(args.out) as tmp:   # a marker: the plug-in is loaded by the counterfactual stage
            torch.save({"plugin": cfg.plugin}, tmp)
    else:
        data = rgb(train_ids)
        model, result = train_generator(data[:-cfg.n_val_images], data[-cfg.n_val_images:], cfg, device=device)
        save_generator(Path(args.out), model)
        history = pd.DataFrame(result.history)
        report.update({"best_epoch": result.best_epoch, "best_val_mse": result.best_value,
                       "latent_shape": list(model.encode(test[:1]).shape[1:])})
    quality = reconstruction_quality(model, test, device=device)
    report["held_out"] = {"psnr_db_mean": float(quality["psnr"].mean()), "ssim_mean": float(quality["ssim"].mean()),
                          "psnr_db_min": float(quality["psnr"].min())}
    log.info("generator: held-out PSNR %.2f dB, SSIM %.3f", report["held_out"]["psnr_db_mean"],
             report["held_out"]["ssim_mean"])
    with atomic_path(args.plots, is_dir=True) as plots:
        write_csv(plots / "history.csv", history if len(history) else pd.DataFrame({"epoch": []}))
        write_csv(plots / "held_out.csv", pd.DataFrame({"image_id": held_out, "psnr_db": quality["psnr"].numpy(),
                                                        "ssim": quality["ssim"].numpy()}))
        reconstruction_figure(test[:8].numpy(), quality["reconstruction"][:8].numpy(), plots / "reconstructions.png")
    write_json(args.metrics, report)


main = stage(run, ("--manifest", {"default": "data/manifest_kept.csv"}),
             ("--images", {"default": "data/images.csv"}),
             ("--splits", {"default": "data/splits.csv"}),
             ("--out", {"default": "models/generator.pt"}),
             ("--metrics", {"default": "metrics/generator.json"}),
             ("--plots", {"default": "plots/generator"}))

if __name__ == "__main__":
    main()
