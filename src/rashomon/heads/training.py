"""Training regression heads on cached embeddings with PyTorch Lightning.

Targets are standardised with the training set's mean/SD (stored with the head) so one
learning rate suits any rating scale; predictions are returned in rating units.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from rashomon.core.config import TrainConfig
from rashomon.data.splits import subset_ids
from rashomon.core.device import CPU
from rashomon.core.errors import InputError
from rashomon.core.fitting import fit, seed_everything
from rashomon.heads.fitted import FittedHead, save_head
from rashomon.heads.head import make_head


class HeadRegressor(pl.LightningModule):
    """MSE regression of a standardised target from a fixed embedding (Adam)."""

    def __init__(self, head: nn.Module, lr: float, name: str):
        super().__init__()
        self.head, self.lr, self.name = head, lr, name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x).squeeze(-1)

    def on_train_epoch_start(self) -> None:
        self._loss_sum, self._count = torch.zeros((), device=self.device), 0

    def training_step(self, batch, _):
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        if not torch.isfinite(loss):
            raise InputError(f"training stopped: {self.name}: loss became {loss.item()} at epoch {self.current_epoch}")
        self._loss_sum += loss.detach() * len(x)   # logged once per epoch: self.log per step costs ~15%
        self._count += len(x)
        return loss

    def on_train_epoch_end(self) -> None:
        self.log("train_loss", self._loss_sum / self._count)

    def validation_step(self, batch, _):
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self(x), y), on_epoch=True, batch_size=len(x))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def fit_head(
    x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *,
    kind: str, seed: int, lr: float, batch_size: int, max_epochs: int, patience: int, dropout: float,
    name: str = "head", logger: Any = False, device: torch.device = CPU,
) -> FittedHead:
    """Train one head on `device` (Adam, MSE, early stopping on validation loss, best weights
    kept; returned on the CPU)."""
    seed_everything(seed)
    mean, sd = float(np.mean(y_train)), float(np.std(y_train) or 1.0)
    xt = torch.as_tensor(x_train, dtype=torch.float32)
    xv = torch.as_tensor(x_val, dtype=torch.float32)
    if not (torch.isfinite(xt).all() and torch.isfinite(xv).all()):
        raise InputError(f"training stopped: {name}: embeddings contain NaN/inf")
    yt = torch.as_tensor((y_train - mean) / sd, dtype=torch.float32)
    yv = torch.as_tensor((y_val - mean) / sd, dtype=torch.float32)
    module = HeadRegressor(make_head(xt.shape[1], kind, dropout), lr=lr, name=name)
    gen = torch.Generator().manual_seed(seed)
    # whole batches by fancy indexing: the same shuffled batches as shuffle=True, without per-sample collation
    batches = BatchSampler(RandomSampler(xt, generator=gen), batch_size, drop_last=False)
    result = fit(module, DataLoader(TensorDataset(xt, yt), sampler=batches, batch_size=None, generator=gen),
                 DataLoader(TensorDataset(xv, yv), batch_size=1024), max_epochs=max_epochs, patience=patience,
                 logger=logger, device=device)
    return FittedHead(module.head.eval(), kind, dropout, mean, sd, result.epochs_run, result.best_value)


def train_variants(
    embeddings: np.ndarray, ids: list[str], targets: dict[str, float], splits: pd.DataFrame, *, arch: str,
    kind: str, cfg: TrainConfig, out_dir: Path, log_dir: Path | None = None, device: torch.device = CPU,
) -> pd.DataFrame:
    """Train one head per split variant of `cfg.scheme`; save each; return predictions for
    every image (with its subset) as a long DataFrame."""
    row = {i: k for k, i in enumerate(ids)}
    missing = [i for i in splits["image_id"].unique() if i not in row]
    if missing:
        raise InputError(f"splits name image(s) {missing[:5]} that the {arch} feature cache lacks; "
                         "rerun the features stage (dvc repro) so cache and splits come from one manifest")
    frames = []
    for v in range(cfg.seeds):
        parts = {s: subset_ids(splits, cfg.scheme, v, s) for s in ("train", "val", "test")}
        take = {s: np.asarray([row[i] for i in parts[s]]) for s in parts}
        y = {s: np.asarray([targets[i] for i in parts[s]]) for s in parts}
        logger = False
        if log_dir is not None:
            from dvclive.lightning import DVCLiveLogger

            logger = DVCLiveLogger(dir=str(log_dir / arch / f"v{v}"), save_dvc_exp=False, dvcyaml=False)
        seed = cfg.seed + v
        fitted = fit_head(
            embeddings[take["train"]], y["train"], embeddings[take["val"]], y["val"], kind=kind, seed=seed,
            lr=cfg.lr, batch_size=cfg.batch_size, max_epochs=cfg.max_epochs, patience=cfg.patience,
            dropout=cfg.dropout, name=f"{arch} variant {v}", logger=logger, device=device)
        save_head(fitted, out_dir / arch / f"v{v}.pt",
                  {"architecture": arch, "variant": v, "scheme": cfg.scheme, "seed": seed})
        subset = pd.Series("unused", index=ids)
        for s in parts:
            subset.loc[parts[s]] = s
        frames.append(pd.DataFrame({"architecture": arch, "variant": v, "image_id": ids,
                                    "subset": subset.to_numpy(), "prediction": fitted.predict(embeddings),
                                    "epochs": fitted.epochs}))
    return pd.concat(frames, ignore_index=True)
