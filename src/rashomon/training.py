"""Training regression heads on cached embeddings with PyTorch Lightning.

Targets are standardised with the training set's mean/SD (stored with the head) so one
learning rate suits any rating scale; predictions are returned in rating units.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from rashomon.heads import make_head

log = logging.getLogger("rashomon.training")


class NonFiniteLoss(RuntimeError):
    pass


class HeadRegressor(pl.LightningModule):
    """MSE regression of a standardised target from a fixed embedding; keeps the best
    validation state so early stopping returns the best head, not the last."""

    def __init__(self, head: nn.Module, lr: float = 1e-3, name: str = "head"):
        super().__init__()
        self.head = head
        self.lr = lr
        self.name = name
        self.best_val = float("inf")
        self.best_state: dict[str, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x).squeeze(-1)

    def training_step(self, batch, _):
        x, y = batch
        loss = nn.functional.mse_loss(self(x), y)
        if not torch.isfinite(loss):
            raise NonFiniteLoss(f"{self.name}: loss became {loss.item()} at epoch {self.current_epoch}")
        self.log("train_loss", loss, on_step=False, on_epoch=True, batch_size=len(x))
        return loss

    def validation_step(self, batch, _):
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self(x), y), on_epoch=True, batch_size=len(x))

    def on_validation_epoch_end(self) -> None:
        val = float(self.trainer.callback_metrics.get("val_loss", float("inf")))
        if val < self.best_val:
            self.best_val = val
            self.best_state = copy.deepcopy(self.head.state_dict())

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr)


@dataclass
class FittedHead:
    head: nn.Module
    target_mean: float
    target_sd: float
    epochs: int
    best_val_loss: float

    def predict(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        self.head.eval()
        with torch.no_grad():
            z = self.head(torch.as_tensor(x, dtype=torch.float32)).squeeze(-1)
        return z.numpy() * self.target_sd + self.target_mean

    def state(self) -> dict[str, Any]:
        return {"head": self.head.state_dict(), "target_mean": self.target_mean, "target_sd": self.target_sd,
                "epochs": self.epochs, "best_val_loss": self.best_val_loss}


def fit_head(
    x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *,
    kind: str = "study", seed: int = 0, lr: float = 1e-3, batch_size: int = 64,
    max_epochs: int = 250, patience: int = 15, name: str = "head",
    logger: Any = False, extra_callbacks: list[Callback] | None = None,
) -> FittedHead:
    """Train one head (Adam, MSE, early stopping on validation loss)."""
    pl.seed_everything(seed, workers=True, verbose=False)
    mean, sd = float(np.mean(y_train)), float(np.std(y_train) or 1.0)
    xt = torch.as_tensor(x_train, dtype=torch.float32)
    xv = torch.as_tensor(x_val, dtype=torch.float32)
    yt = torch.as_tensor((y_train - mean) / sd, dtype=torch.float32)
    yv = torch.as_tensor((y_val - mean) / sd, dtype=torch.float32)
    if not (torch.isfinite(xt).all() and torch.isfinite(xv).all()):
        raise NonFiniteLoss(f"{name}: embeddings contain NaN/inf")
    module = HeadRegressor(make_head(xt.shape[1], kind), lr=lr, name=name)
    gen = torch.Generator().manual_seed(seed)
    train_dl = DataLoader(TensorDataset(xt, yt), batch_size=batch_size, shuffle=True, generator=gen)
    val_dl = DataLoader(TensorDataset(xv, yv), batch_size=1024)
    trainer = pl.Trainer(
        max_epochs=max_epochs, accelerator="auto", devices=1, logger=logger,
        callbacks=[EarlyStopping("val_loss", patience=patience, mode="min"), *(extra_callbacks or [])],
        enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
        deterministic=True, num_sanity_val_steps=0, log_every_n_steps=1,
    )
    trainer.fit(module, train_dl, val_dl)
    if module.best_state is not None:
        module.head.load_state_dict(module.best_state)
    head = module.head.cpu().eval()
    return FittedHead(head, mean, sd, trainer.current_epoch, module.best_val)


def save_head(fitted: FittedHead, path: Path, meta: dict[str, Any]) -> None:
    from rashomon.io import atomic_path

    with atomic_path(path) as tmp:
        torch.save({**fitted.state(), **meta}, tmp)


def quiet_lightning() -> None:
    """Lightning prints device banners and tips for every Trainer; 50 heads make that noise."""
    for name in ("lightning.pytorch", "lightning.fabric", "lightning.pytorch.utilities.rank_zero",
                 "lightning.pytorch.accelerators.cuda"):
        logging.getLogger(name).setLevel(logging.WARNING)
    import warnings

    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    warnings.filterwarnings("ignore", message=".*log_every_n_steps.*")


def train_variants(
    embeddings: np.ndarray, ids: list[str], targets: dict[str, float], splits, *, arch: str,
    kind: str, scheme: str, n_variants: int, cfg: dict, out_dir: Path, log_dir: Path | None = None,
):
    """Train one head per split variant of `scheme`; save each; return predictions for
    every image (with its subset) as a long DataFrame."""
    import pandas as pd

    from rashomon.splits import subset_ids

    row = {i: k for k, i in enumerate(ids)}
    frames = []
    for v in range(n_variants):
        parts = {s: subset_ids(splits, scheme, v, s) for s in ("train", "val", "test")}
        take = {s: np.asarray([row[i] for i in parts[s]]) for s in parts}
        y = {s: np.asarray([targets[i] for i in parts[s]]) for s in parts}
        logger = False
        if log_dir is not None:
            from dvclive.lightning import DVCLiveLogger

            logger = DVCLiveLogger(dir=str(log_dir / arch / f"v{v}"), save_dvc_exp=False, dvcyaml=False)
        seed = int(cfg.get("seed", 0)) + v
        try:
            fitted = fit_head(
                embeddings[take["train"]], y["train"], embeddings[take["val"]], y["val"], kind=kind,
                seed=seed, lr=float(cfg.get("lr", 1e-3)), batch_size=int(cfg.get("batch_size", 64)),
                max_epochs=int(cfg.get("max_epochs", 250)), patience=int(cfg.get("patience", 15)),
                name=f"{arch} variant {v}", logger=logger)
        except NonFiniteLoss as exc:
            from rashomon.errors import InputError

            raise InputError(f"training stopped: {exc}") from exc
        save_head(fitted, out_dir / arch / f"v{v}.pt",
                  {"architecture": arch, "variant": v, "scheme": scheme, "kind": kind, "seed": seed})
        pred = fitted.predict(embeddings)
        subset = pd.Series("unused", index=ids)
        for s in parts:
            subset.loc[parts[s]] = s
        frames.append(pd.DataFrame({"architecture": arch, "variant": v, "image_id": ids,
                                    "subset": subset.to_numpy(), "prediction": pred,
                                    "epochs": fitted.epochs}))
    return pd.concat(frames, ignore_index=True)


def load_head(path: Path) -> FittedHead:
    """A saved head, ready to predict from embeddings."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    head = make_head(state["head"]["0.weight"].shape[1], state["kind"])
    head.load_state_dict(state["head"])
    return FittedHead(head.eval(), state["target_mean"], state["target_sd"], state["epochs"], state["best_val_loss"])
