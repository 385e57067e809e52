"""The counterfactual method's generator for the stage: trained on the training images (or a
plug-in loaded), on the canvas every architecture's input is cut from, and its reconstruction
quality on the held-out explanation set."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from rashomon.attribution.runner import explanation_ids
from rashomon.backbones import input_grids
from rashomon.backbones.geometry import canvas_of
from rashomon.backbones.preprocess import load_images, unnormalise
from rashomon.core.errors import InputError
from rashomon.core.io import save_torch
from rashomon.counterfactual.counterfactual_params import GeneratorParams
from rashomon.data.manifest import check_image_hashes, sorted_ids
from rashomon.generative.store import load_generator, save_generator
from rashomon.generative.quality import reconstruction_quality
from rashomon.generative.training import train_generator

log = logging.getLogger("rashomon.generator")


@dataclass
class GeneratorResult:
    """metrics/generator.json and what plots/generator/ shows."""
    report: dict
    history: pd.DataFrame            # per epoch (empty for a plug-in)
    held_out_ids: list[str]
    quality: dict[str, torch.Tensor]  # psnr, ssim, reconstruction of every held-out image
    held_out: torch.Tensor           # the held-out images, RGB in [0, 1]


def fit_generator(params: GeneratorParams, manifest: pd.DataFrame, splits: pd.DataFrame, manifest_path: Path,
                  images_csv: Path, out: Path, device: torch.device) -> GeneratorResult:
    """Train the generator (or load the plug-in) and write it (or the plug-in's marker) to `out`."""
    cfg = params.counterfactual.generator
    canvas = canvas_of(input_grids(params.backbones.names).values())   # where every architecture's input is cut from
    held_out = explanation_ids(splits, params.train.scheme, None)
    train_ids = sorted_ids(set(manifest["image_id"]) - set(held_out))
    if len(train_ids) <= cfg.n_val_images:
        raise InputError(f"{manifest_path}: {len(train_ids)} training images, need more than "
                         f"counterfactual.generator.n_val_images = {cfg.n_val_images}")
    check_image_hashes(manifest, images_csv)
    paths = manifest.set_index("image_id")["path"]

    def rgb(ids):
        return unnormalise(load_images(paths.loc[ids].tolist(), canvas))

    test = rgb(held_out)
    report = {"family": cfg.family if not cfg.plugin else f"plugin {cfg.plugin}", "image_size": canvas.input_size,
              "n_train": len(train_ids) - cfg.n_val_images, "n_val": cfg.n_val_images,
              "n_test": len(held_out)}
    history = pd.DataFrame()
    if cfg.plugin:
        model = load_generator(None, cfg.plugin, canvas.input_size)
        save_torch(out, {"plugin": cfg.plugin})   # a marker: the plug-in is loaded by the counterfactual stage
    else:
        data = rgb(train_ids)
        model, result = train_generator(data[:-cfg.n_val_images], data[-cfg.n_val_images:], cfg, device=device)
        save_generator(out, model)
        history = pd.DataFrame(result.history)
        report.update({"best_epoch": result.best_epoch, "best_val_mse": result.best_value,
                       "latent_shape": list(model.encode(test[:1]).shape[1:])})
    quality = reconstruction_quality(model, test, device=device)
    report["held_out"] = {"psnr_db_mean": float(quality["psnr"].mean()), "ssim_mean": float(quality["ssim"].mean()),
                          "psnr_db_min": float(quality["psnr"].min())}
    log.info("generator: held-out PSNR %.2f dB, SSIM %.3f", report["held_out"]["psnr_db_mean"],
             report["held_out"]["ssim_mean"])
    return GeneratorResult(report, history, held_out, quality, test)
