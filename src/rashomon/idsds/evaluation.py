"""Measuring the IDSDS models without Lightning (scoring never trains): CIFAR-normalised
tensors, the scored test images, top-1 accuracy and what fine-tuning changed."""

from __future__ import annotations

import copy

import numpy as np
import torch

from rashomon.idsds.cifar import CIFAR100_MEAN, CIFAR100_STD, load_label_names, load_split
from rashomon.idsds.deletion import Deletion, delete_cells
from rashomon.idsds.idsds_params import IdsdsConfig


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> normalised float (N, 3, H, W) with the CIFAR-100 statistics."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    return (x - torch.tensor(CIFAR100_MEAN).view(1, 3, 1, 1)) / torch.tensor(CIFAR100_STD).view(1, 3, 1, 1)


def score_data(cfg: IdsdsConfig) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The first `idsds.score.n_images` test images (all when null), their labels, the class count."""
    images, labels = load_split(cfg.data, "test")
    n = len(images) if cfg.score.n_images is None else min(cfg.score.n_images, len(images))
    return to_tensor(images[:n]), torch.from_numpy(labels[:n]), len(load_label_names(cfg.data))


@torch.no_grad()
def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, deletion: Deletion | None = None,
             seed: int = 0) -> float:
    """Top-1 accuracy; with `deletion`, on images with one random cell deleted."""
    model.eval()
    if deletion is not None:
        gen = torch.Generator().manual_seed(seed)
        x = delete_cells(x, torch.randint(0, deletion.grid ** 2, (len(x),), generator=gen), deletion, gen)
    preds = torch.cat([model(x[i:i + 512]).argmax(1) for i in range(0, len(x), 512)])
    return float((preds == y).float().mean())


def finetune_changes(original: torch.nn.Module, finetuned: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict:
    """Mean |softmax difference| and mean |Grad-CAM difference| (maps scaled to max 1)
    between the original and fine-tuned model on the same images."""
    from rashomon.idsds.methods import principled_maps

    with torch.no_grad():
        p0, p1 = original(x).softmax(-1), finetuned(x).softmax(-1)
    m0 = principled_maps("Grad-CAM", original, x, y, None).numpy()
    m1 = principled_maps("Grad-CAM", finetuned, x, y, None).numpy()

    def scaled(m):
        return m / np.maximum(m.reshape(len(m), -1).max(1), 1e-12)[:, None, None]

    return {"softmax_mean_abs_diff": float((p0 - p1).abs().mean()),
            "gradcam_mean_abs_diff": float(np.abs(scaled(m0) - scaled(m1)).mean())}


def clone(model: torch.nn.Module) -> torch.nn.Module:
    return copy.deepcopy(model)
