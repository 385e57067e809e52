"""The strongest positive control: an end-to-end cue detector, a whole backbone fine-tuned
(Lightning, the heads' regressor and early stopping) with the study's head on one target.
Frozen-backbone heads can only use what pretraining put in the embedding; a detector learns
its own features, so if no method localises even its cue, that is a finding about the methods."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from rashomon.backbones import Backbone
from rashomon.core.config import TrainConfig
from rashomon.core.device import CPU
from rashomon.core.fitting import fit, seed_everything
from rashomon.heads.fitted import FittedHead
from rashomon.heads.head import make_head
from rashomon.heads.training import HeadRegressor
from rashomon.psychometrics.correlation import pearson
from rashomon.variants.reliance import predict_images
from rashomon.variants.variant_set import VariantSet


class DetectorRegressor(HeadRegressor):
    """HeadRegressor whose embedding is a trainable backbone (batch norm kept in inference mode)."""

    def __init__(self, backbone: Backbone, head: torch.nn.Module, lr: float, name: str):
        super().__init__(head, lr, name)
        self.backbone = backbone

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x)).squeeze(-1)


@dataclass
class Detector:
    """A fine-tuned backbone and its head, as a one-variant VariantSet, with its test r."""
    variants: VariantSet
    test_r: float
    epochs: int


def fit_detector(backbone: Backbone, images: dict[str, torch.Tensor], y: dict[str, np.ndarray],
                 cfg: TrainConfig, epochs: int, lr: float, device: torch.device = CPU) -> Detector:
    """Fine-tune `backbone` (changed in place) with a fresh head on `images`/`y` split into
    train, val and test; keep the best-validation weights; freeze it again."""
    seed_everything(cfg.seed)
    mean, sd = float(np.mean(y["train"])), float(np.std(y["train"]) or 1.0)
    z = {s: torch.as_tensor((v - mean) / sd, dtype=torch.float32) for s, v in y.items()}
    for p in backbone.parameters():
        p.requires_grad_(True)
    with torch.no_grad():
        dim = backbone(images["train"][:2]).shape[1]
    module = DetectorRegressor(backbone, make_head(dim, backbone.spec.head, cfg.dropout), lr, backbone.spec.name)
    gen = torch.Generator().manual_seed(cfg.seed)
    with warnings.catch_warnings():   # batch norm stays in inference mode by design (Backbone.train)
        warnings.filterwarnings("ignore", message=".*module\\(s\\) in eval mode")
        result = fit(module, DataLoader(TensorDataset(images["train"], z["train"]), batch_size=32, shuffle=True,
                                        generator=gen),
                     DataLoader(TensorDataset(images["val"], z["val"]), batch_size=256), max_epochs=epochs,
                     patience=cfg.patience, device=device)
    for p in backbone.parameters():
        p.requires_grad_(False)
    variants = VariantSet(backbone, [FittedHead(module.head.eval(), backbone.spec.head, cfg.dropout, mean, sd,
                                                result.epochs_run, result.best_value)])
    pred = predict_images(variants, images["test"], batch_size=256)[:, 0]
    return Detector(variants, pearson(pred, y["test"]), result.epochs_run)


def stem_outputs(backbone: Backbone, images: torch.Tensor, batch_size: int = 256) -> list[torch.Tensor]:
    """The (fine-tuned) stem's outputs (target, *side) for `images`: what the cache holds for a frozen one."""
    with torch.no_grad():
        parts = [backbone.stem(b) for b in images.split(batch_size)]
    return [torch.cat(p) for p in zip(*parts)]
