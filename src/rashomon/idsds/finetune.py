"""Training and in-domain fine-tuning of CIFAR classifiers on PyTorch Lightning, as the
reproduction does it: SGD with momentum, StepLR, RandomCrop(32, padding 4) with black
padding + flip, one random cell deleted in half the images, and the checkpoint with the
best clean validation top-1 kept; and what fine-tuning changed."""

from __future__ import annotations

import copy

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from rashomon.core.config import FinetuneConfig, SgdConfig
from rashomon.core.fitting import fit, seed_everything
from rashomon.idsds.cifar import CIFAR100_MEAN, CIFAR100_STD
from rashomon.idsds.deletion import Deletion, delete_cells


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> normalised float (N, 3, H, W) with the CIFAR-100 statistics."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
    return (x - torch.tensor(CIFAR100_MEAN).view(1, 3, 1, 1)) / torch.tensor(CIFAR100_STD).view(1, 3, 1, 1)


def black() -> torch.Tensor:
    """A black pixel in normalised space, (1, 3, 1, 1): torchvision pads before normalising."""
    return (-torch.tensor(CIFAR100_MEAN) / torch.tensor(CIFAR100_STD)).view(1, 3, 1, 1)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """RandomCrop(32, padding 4, black padding) + horizontal flip, per image."""
    n, c, h, w = x.shape
    padded = black().expand(n, c, h + 8, w + 8).clone()
    padded[..., 4:4 + h, 4:4 + w] = x
    dx, dy = torch.randint(0, 9, (2, n), generator=gen)
    out = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    flip = torch.rand(n, generator=gen) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), out.flip(-1), out)


def random_deletions(x: torch.Tensor, deletion: Deletion, probability: float, gen: torch.Generator) -> torch.Tensor:
    """One random grid cell deleted in a share `probability` of the images."""
    g = deletion.grid
    cells = torch.randint(0, g * g, (len(x),), generator=gen)
    cells[torch.rand(len(x), generator=gen) >= probability] = -1
    return delete_cells(x, cells, deletion, gen)


class Classifier(pl.LightningModule):
    """Cross-entropy training with augmentation and, for fine-tuning, random cell deletions."""

    def __init__(self, model: torch.nn.Module, cfg: SgdConfig, deletion: Deletion | None, probability: float):
        super().__init__()
        self.model, self.cfg, self.deletion, self.probability = model, cfg, deletion, probability
        self.gen = torch.Generator().manual_seed(cfg.seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def training_step(self, batch, _):
        x, y = batch
        x = augment(x, self.gen)
        if self.deletion is not None:
            x = random_deletions(x, self.deletion, self.probability, self.gen)
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(x))
        self.log("train_accuracy", (logits.argmax(1) == y).float().mean(), on_step=False, on_epoch=True,
                 batch_size=len(x))
        return loss

    def validation_step(self, batch, _):
        x, y = batch  # clean images, as the reference validates
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y), on_epoch=True, batch_size=len(x))
        self.log("val_accuracy", (logits.argmax(1) == y).float().mean(), on_epoch=True, batch_size=len(x))

    def configure_optimizers(self):
        c = self.cfg
        opt = torch.optim.SGD(self.parameters(), lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
        return [opt], [torch.optim.lr_scheduler.StepLR(opt, step_size=c.step_size, gamma=c.gamma)]


def train(model: torch.nn.Module, train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor],
          cfg: SgdConfig, deletion: Deletion | None = None) -> list[dict]:
    """Train `model` in place, keeping the epoch with the best clean validation top-1 (the
    first such, as the reference's `acc1 > best_acc1`); with `deletion` (a FinetuneConfig),
    in-domain fine-tuning. Returns the per-epoch history."""
    seed_everything(cfg.seed)
    probability = cfg.delete_probability if isinstance(cfg, FinetuneConfig) and deletion is not None else 0.0
    module = Classifier(model, cfg, deletion, probability)
    loader_gen = torch.Generator().manual_seed(cfg.seed)
    result = fit(module, DataLoader(TensorDataset(*train), batch_size=cfg.batch_size, shuffle=True, generator=loader_gen),
                 DataLoader(TensorDataset(*val), batch_size=512), max_epochs=cfg.epochs, monitor="val_accuracy",
                 mode="max", progress=True)
    model.eval()
    return [{**row, "kept": row["epoch"] == result.best_epoch} for row in result.history]


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
