"""One PyTorch Lightning fit for every training loop here (heads, pretraining, IDSDS
training and fine-tuning): seeded, deterministic, best-validation weights returned
(never the last epoch's), a per-epoch history, optional progress bar and logger."""

from __future__ import annotations

import copy
import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping
from torch.utils.data import DataLoader

from rashomon.core.device import CPU, trainer_options
from rashomon.core.progress import lightning_bar


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch: call before building a model, so its init is seeded too."""
    pl.seed_everything(seed, workers=True, verbose=False)


def quiet_lightning() -> None:
    """Lightning prints device banners and tips for every Trainer; 50 heads (or a predict
    loop per architecture) make that noise."""
    for name in ("lightning.pytorch", "lightning.fabric", "lightning.pytorch.utilities.rank_zero",
                 "lightning.pytorch.accelerators.cuda"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*LeafSpec.*")
    warnings.filterwarnings("ignore", message=".*log_every_n_steps.*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*infer the batch indices.*")   # predict items carry their index


class KeepBest(Callback):
    """Keep (in memory) the module's weights at the best value of `monitor`."""

    def __init__(self, monitor: str, mode: str = "min"):
        self.monitor, self.sign = monitor, 1.0 if mode == "min" else -1.0
        self.best = float("inf")
        self.best_epoch = -1
        self.state: dict[str, torch.Tensor] | None = None

    def on_validation_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        if trainer.sanity_checking or value is None:
            return
        if self.sign * float(value) < self.best:
            self.best = self.sign * float(value)
            self.best_epoch = trainer.current_epoch
            self.state = copy.deepcopy(module.state_dict())


class History(Callback):
    """Every epoch's logged metrics (after validation), as a list of dicts."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.rows.append({"epoch": trainer.current_epoch + 1,
                          **{k: float(v) for k, v in sorted(trainer.callback_metrics.items())}})


@dataclass
class FitResult:
    best_value: float
    best_epoch: int            # 1-based epoch whose weights were kept
    epochs_run: int
    history: list[dict[str, float]] = field(default_factory=list)


def fit(module: pl.LightningModule, train: DataLoader, val: DataLoader, *, max_epochs: int,
        monitor: str = "val_loss", mode: str = "min", patience: int | None = None,
        logger: Any = False, progress: bool = False, device: torch.device = CPU) -> FitResult:
    """Train `module` on `device` (Lightning's accelerator) and load its best-validation
    weights back into it, on the CPU."""
    keep, history = KeepBest(monitor, mode), History()
    callbacks: list[Callback] = [keep, history]
    if patience is not None:
        callbacks.append(EarlyStopping(monitor, patience=patience, mode=mode))
    trainer = pl.Trainer(
        max_epochs=max_epochs, **trainer_options(device), logger=logger, callbacks=callbacks,
        enable_progress_bar=lightning_bar(progress), enable_model_summary=False, enable_checkpointing=False,
        deterministic=True, num_sanity_val_steps=0, log_every_n_steps=1,
    )
    module.train()  # Lightning keeps the mode it is given; a model built frozen (eval) must train
    trainer.fit(module, train, val)
    if keep.state is not None:
        module.load_state_dict(keep.state)
    module.cpu().eval()
    return FitResult(keep.sign * keep.best, keep.best_epoch + 1, trainer.current_epoch, history.rows)
