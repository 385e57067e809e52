"""Training and in-domain fine-tuning of CIFAR classifiers, and what fine-tuning changed."""

from __future__ import annotations

import copy
from typing import Any, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from rashomon.idsds.cifar import CIFAR100_MEAN, CIFAR100_STD
from rashomon.idsds.deletion import delete_cells


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> normalised float (N, 3, H, W) with the CIFAR-100 statistics."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    return (x - torch.tensor(CIFAR100_MEAN).view(1, 3, 1, 1)) / torch.tensor(CIFAR100_STD).view(1, 3, 1, 1)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """RandomCrop(32, padding 4) + horizontal flip, per image."""
    n, _, h, w = x.shape
    padded = F.pad(x, (4, 4, 4, 4))
    dx, dy = torch.randint(0, 9, (2, n), generator=gen)
    out = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    flip = torch.rand(n, generator=gen) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), out.flip(-1), out)


def train(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: Mapping[str, Any],
          deletion: Mapping[str, Any] | None = None, desc: str = "train") -> list[dict]:
    """SGD (momentum .9) with StepLR; with `deletion`, one random grid cell is deleted in
    a fraction `probability` of each batch's images (in-domain fine-tuning)."""
    gen = torch.Generator().manual_seed(int(cfg.get("seed", 0)))
    torch.manual_seed(int(cfg.get("seed", 0)))
    opt = torch.optim.SGD(model.parameters(), lr=float(cfg["lr"]), momentum=0.9, weight_decay=float(cfg.get("weight_decay", 5e-4)))
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=int(cfg["step_size"]), gamma=0.1)
    bs, history = int(cfg.get("batch_size", 128)), []
    for epoch in range(int(cfg["epochs"])):
        model.train()
        perm = torch.randperm(len(x), generator=gen)
        total, correct = 0.0, 0
        for start in tqdm(range(0, len(x), bs), desc=f"{desc} {epoch + 1}/{cfg['epochs']}", leave=False, mininterval=5):
            idx = perm[start:start + bs]
            xb, yb = augment(x[idx], gen), y[idx]
            if deletion is not None:
                g = int(deletion["grid"])
                cells = torch.randint(0, g * g, (len(idx),), generator=gen)
                cells[torch.rand(len(idx), generator=gen) >= float(deletion["probability"])] = -1
                xb = delete_cells(xb, cells, g, deletion.get("mode", "value"), float(deletion.get("value", 0.0)), gen)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
        sched.step()
        history.append({"epoch": epoch + 1, "loss": total / len(x), "train_accuracy": correct / len(x)})
    model.eval()
    return history


@torch.no_grad()
def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, grid: int | None = None, seed: int = 0) -> float:
    """Top-1 accuracy; with `grid`, on images with one random cell deleted."""
    model.eval()
    if grid is not None:
        gen = torch.Generator().manual_seed(seed)
        x = delete_cells(x, torch.randint(0, grid * grid, (len(x),), generator=gen), grid)
    preds = torch.cat([model(x[i:i + 512]).argmax(1) for i in range(0, len(x), 512)])
    return float((preds == y).float().mean())


def finetune_changes(original: torch.nn.Module, finetuned: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict:
    """Mean |softmax difference| and mean |Grad-CAM difference| (maps scaled to max 1)
    between the original and fine-tuned model on the same images."""
    from rashomon.idsds.methods import principled_maps

    with torch.no_grad():
        p0, p1 = original(x).softmax(-1), finetuned(x).softmax(-1)
    m0 = principled_maps("gradcam", original, x, y, {})
    m1 = principled_maps("gradcam", finetuned, x, y, {})

    def scaled(m):
        return m / np.maximum(m.reshape(len(m), -1).max(1), 1e-12)[:, None, None]

    return {"softmax_mean_abs_diff": float((p0 - p1).abs().mean()),
            "gradcam_mean_abs_diff": float(np.abs(scaled(m0) - scaled(m1)).mean())}


def clone(model: torch.nn.Module) -> torch.nn.Module:
    return copy.deepcopy(model)
