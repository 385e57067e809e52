"""In-pipeline pretraining of the default's small backbones (ImageNet weights cannot be
fetched here), on PyTorch Lightning like every other training loop. Images are freshly
generated synthetic scenes, disjoint from the rated set; supervised backbones learn the
object class, the Barlow Twins one learns without labels. The weights of the best
validation epoch are kept. Everything trained here is labelled 'pretrained on
synthetic data'.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from rashomon.backbones import create_backbone
from rashomon.backbones.preprocess import normalise
from rashomon.backbones.small import N_PRETRAIN_OUTPUTS
from rashomon.core.device import CPU
from rashomon.core.fitting import fit, seed_everything
from rashomon.data.synthetic import COLOURS, MATERIALS, OBJECT_CLASSES, degrade_global, render_scene
from rashomon.heads.pretrain_params import PretrainConfig

CHANCE = 1 / len(OBJECT_CLASSES)  # linear-probe chance level: one of the simulator's object classes
BADNESS_MAX = 0.5   # a pretraining scene's global badness (blur, noise, contrast loss) is drawn from [0, 0.5)
DEGRADATION_LEVELS: tuple[str, ...] = ("none", "mild", "moderate", "strong")  # quarters of [0, BADNESS_MAX)
TASKS: dict[str, tuple[str, ...]] = {"object": OBJECT_CLASSES, "material": MATERIALS, "colour": tuple(COLOURS),
                                     "degradation": DEGRADATION_LEVELS}
DRAWN_TASKS = ("object", "material", "colour")   # labels drawn before rendering; degradation follows from the scene
assert sum(map(len, TASKS.values())) == N_PRETRAIN_OUTPUTS, "backbones.small must emit one logit per task class"


def degradation_level(badness: float) -> int:
    """Index in DEGRADATION_LEVELS of a global badness in [0, BADNESS_MAX): its quarter of the range
    (the pretraining scenes' draw), so the backbones learn to see blur, noise and contrast loss
    as quality IQA networks do (DB-CNN's distortion-level pretraining), never the artifact."""
    return min(int(badness / BADNESS_MAX * len(DEGRADATION_LEVELS)), len(DEGRADATION_LEVELS) - 1)


def pretraining_images(n: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` normalised scenes and their labels, one column per task in TASKS' order; the
    degradation label is the quarter of [0, BADNESS_MAX) that the scene's global badness falls in."""
    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size, 3), dtype=np.float32)
    drawn = np.stack([rng.integers(0, len(TASKS[t]), n) for t in DRAWN_TASKS], axis=1)
    level = np.empty(n, dtype=drawn.dtype)
    for i, (obj, material, colour) in enumerate(drawn):
        img = render_scene(rng, size, OBJECT_CLASSES[obj], TASKS["colour"][colour], MATERIALS[material])
        badness = rng.uniform(0, BADNESS_MAX)
        level[i] = degradation_level(badness)
        images[i] = degrade_global(rng, img, badness)
    labels = np.concatenate([drawn, level[:, None]], axis=1)
    return normalise(torch.from_numpy(images).permute(0, 3, 1, 2)), torch.from_numpy(labels)


def task_loss(logits: torch.Tensor, y: torch.Tensor, tasks: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed cross-entropy over the configured tasks' logit blocks; object-class accuracy."""
    blocks = dict(zip(TASKS, logits.split([len(c) for c in TASKS.values()], dim=1)))
    columns = {task: k for k, task in enumerate(TASKS)}
    loss = sum(nn.functional.cross_entropy(blocks[t], y[:, columns[t]]) for t in tasks)
    return loss, (blocks["object"].argmax(1) == y[:, 0]).float().mean()


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Barlow Twins views: random flip, shifted crop (pad 6) and brightness/contrast jitter.
    Measured on the default: the paper's stronger views (resized crops to 35%, colour
    jitter, grayscale, blur) gave the heads a test PLCC of 0.16-0.18, these 0.26."""
    n, _, h, w = x.shape   # draws from the CPU generator `gen` (the same on any device), then moved to x's
    flip = (torch.rand(n, generator=gen) < 0.5).to(x.device)
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
    padded = nn.functional.pad(x, (6, 6, 6, 6), mode="reflect")
    dx, dy = torch.randint(0, 13, (2, n), generator=gen)
    x = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    contrast = (1 + 0.4 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)).to(x.device)
    bright = (0.4 * (torch.rand(n, 1, 1, 1, generator=gen) - 0.5)).to(x.device)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * contrast + mean + bright



def barlow_twins_loss(z1: torch.Tensor, z2: torch.Tensor, lambd: float) -> torch.Tensor:
    """Zbontar et al. 2021: push the cross-correlation of the two views' projections to I."""
    n = z1.shape[0]
    z1 = (z1 - z1.mean(0)) / (z1.std(0) + 1e-6)
    z2 = (z2 - z2.mean(0)) / (z2.std(0) + 1e-6)
    c = z1.T @ z2 / n
    on = (torch.diagonal(c) - 1).pow(2).sum()
    off = (c - torch.diag(torch.diagonal(c))).pow(2).sum()
    return on + lambd * off


class Pretrainer(pl.LightningModule):
    """Supervised (cross-entropy on the object class) or Barlow Twins pretraining of one
    backbone's full model; validation loss picks the epoch whose weights are kept."""

    def __init__(self, name: str, cfg: PretrainConfig, seed: int):
        super().__init__()
        backbone = create_backbone(name)
        self.model, self.mode, self.cfg = backbone.model, backbone.spec.pretrain, cfg
        self.__dict__["embed"] = backbone  # stem+tail over the model's own modules; not a second registration
        self.projector = None
        if self.mode == "barlow_twins":
            with torch.no_grad():
                dim = backbone(torch.zeros(2, 3, backbone.spec.input_size, backbone.spec.input_size)).shape[1]
            self.projector = nn.Sequential(nn.Linear(dim, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Linear(256, 256))
        for p in self.model.parameters():
            p.requires_grad_(True)
        self.model.to(memory_format=torch.channels_last)  # oneDNN's fast layout: 1.2-1.4x per CPU step (measured)
        self.gen = torch.Generator().manual_seed(seed)
        self.seed = seed
        barlow = self.mode == "barlow_twins"
        self.epochs = cfg.barlow_epochs if barlow else cfg.epochs
        self.batch_size = cfg.barlow_batch_size if barlow else cfg.batch_size

    def loss(self, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
        x = x.contiguous(memory_format=torch.channels_last)
        if self.mode == "barlow_twins":
            z1 = self.projector(self.embed(augment(x, gen)))
            z2 = self.projector(self.embed(augment(x, gen)))
            return barlow_twins_loss(z1, z2, self.cfg.barlow_lambda), None
        return task_loss(self.model(x), y, self.cfg.tasks)

    def training_step(self, batch, _):
        loss, acc = self.loss(*batch, self.gen)
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(batch[0]))
        if acc is not None:
            self.log("train_accuracy", acc, on_step=False, on_epoch=True, batch_size=len(batch[0]))
        return loss

    def on_validation_epoch_start(self) -> None:
        self.val_gen = torch.Generator().manual_seed(self.seed + 1)  # the same views every epoch

    def validation_step(self, batch, _):
        loss, acc = self.loss(*batch, self.val_gen)
        self.log("val_loss", loss, on_epoch=True, batch_size=len(batch[0]))
        if acc is not None:
            self.log("val_accuracy", acc, on_epoch=True, batch_size=len(batch[0]))

    def configure_optimizers(self):
        optimiser = torch.optim.Adam([p for p in self.parameters() if p.requires_grad], lr=self.cfg.lr)
        return {"optimizer": optimiser,
                "lr_scheduler": torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=self.epochs)}


def pretrain_backbone(name: str, train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor],
                      cfg: PretrainConfig, logger: Any = False, device: torch.device = CPU) -> dict[str, Any]:
    """Train backbone `name` on `device`; returns its best-validation state dict (CPU) and training summary."""
    seed_everything(cfg.seed)
    module = Pretrainer(name, cfg, cfg.seed)
    loader_gen = torch.Generator().manual_seed(cfg.seed)
    result = fit(module, DataLoader(TensorDataset(*train), batch_size=module.batch_size, shuffle=True,
                                    generator=loader_gen, drop_last=True),
                 DataLoader(TensorDataset(*val), batch_size=256), max_epochs=module.epochs, logger=logger,
                 progress=True, device=device)
    state = {k: v.contiguous() for k, v in module.model.state_dict().items()}   # back from channels_last
    return {"state_dict": state, "mode": module.mode, "best_epoch": result.best_epoch,
            "best_val_loss": result.best_value, "history": result.history}


def class_probe_accuracy(name: str, state: dict, x: torch.Tensor, y: torch.Tensor, n_train: int,
                         device: torch.device = CPU) -> float:
    """Linear-probe (logistic regression) accuracy on held-out images: a check that the
    frozen features learnt something, comparable across supervised and self-supervised."""
    from sklearn.linear_model import LogisticRegression

    backbone = create_backbone(name)
    backbone.model.load_state_dict(state)
    backbone.to(device)
    with torch.no_grad():
        emb = torch.cat([backbone(x[i:i + 256].to(device)).cpu() for i in range(0, len(x), 256)]).numpy()
    y = y[:, 0].numpy()  # the object class
    clf = LogisticRegression(max_iter=2000).fit(emb[:n_train], y[:n_train])
    return float(clf.score(emb[n_train:], y[n_train:]))
