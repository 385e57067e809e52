"""Training and in-domain fine-tuning of CIFAR classifiers on PyTorch Lightning, as the
reproduction does it: SGD with momentum, StepLR, RandomCrop(32, padding 4) with black
padding + flip, one random cell deleted in half the images, and the checkpoint with the
best clean validation top-1 kept (measuring them: `idsds.evaluation`)."""

from __future__ import annotations

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from rashomon.core.fitting import fit, seed_everything
from rashomon.idsds.cifar import CIFAR100_MEAN, CIFAR100_STD
from rashomon.idsds.deletion import Deletion, delete_cells
from rashomon.idsds.idsds_params import FinetuneConfig, SgdConfig


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
    train_loader = DataLoader(TensorDataset(*train), batch_size=cfg.batch_size, shuffle=True, generator=loader_gen)
    result = fit(module, train_loader,
                 DataLoader(TensorDataset(*val), batch_size=512), max_epochs=cfg.epochs, monitor="val_accuracy",
                 mode="max", progress=True)
    model.eval()
    return [{**row, "kept": row["epoch"] == result.best_epoch} for row in result.history]
