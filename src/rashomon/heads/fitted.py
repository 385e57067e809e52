"""A trained head with its target standardisation: saving, loading, predicting.

On disk a head is two files: `v{k}.pt`, its state dict (tensors only, read with
`weights_only=True`, so a crafted file cannot run code), and `v{k}.json`, its metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rashomon.core.device import module_device
from rashomon.heads.head import make_head
from rashomon.core.errors import InputError
from rashomon.core.io import load_tensors, read_json, save_torch, write_json


def to_rating_units(z: torch.Tensor, mean: torch.Tensor | float, sd: torch.Tensor | float) -> torch.Tensor:
    """A head's standardised output back to rating units (heads learn (y - mean) / sd)."""
    return z * sd + mean


@dataclass
class FittedHead:
    head: nn.Module
    kind: str
    dropout: float
    target_mean: float
    target_sd: float
    epochs: int
    best_val_loss: float

    def scores(self, embedding: torch.Tensor) -> torch.Tensor:
        """Predictions in rating units from embeddings (B, d), differentiable."""
        return to_rating_units(self.head(embedding).squeeze(-1), self.target_mean, self.target_sd)

    def predict(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        """Predictions (rating units) as numpy, computed where the head is."""
        self.head.eval()
        with torch.no_grad():
            x = torch.as_tensor(x, dtype=torch.float32).to(module_device(self.head))
            return self.scores(x).cpu().numpy()

    def metadata(self) -> dict[str, Any]:
        """Everything but the weights, as JSON-ready values."""
        return {"kind": self.kind, "dropout": self.dropout, "target_mean": self.target_mean,
                "target_sd": self.target_sd, "epochs": self.epochs, "best_val_loss": self.best_val_loss}


HEAD_KEYS = ("kind", "dropout", "target_mean", "target_sd", "epochs", "best_val_loss")


def sidecar(path: Path) -> Path:
    """The JSON metadata file beside a head's weights file."""
    return Path(path).with_suffix(".json")


def save_head(fitted: FittedHead, path: Path, meta: dict[str, Any]) -> None:
    """Weights (tensors only) to `path`, metadata (plus `meta`) to its JSON sidecar."""
    save_torch(path, fitted.head.state_dict())
    write_json(sidecar(path), {**fitted.metadata(), **meta})


def load_head(path: Path) -> FittedHead:
    """A saved head, ready to predict from embeddings; never unpickles code."""
    path = Path(path)
    if not path.is_file() or not sidecar(path).is_file():
        missing = path if not path.is_file() else sidecar(path)
        raise InputError(f"{missing}: head file missing (rerun the train stage)")
    weights = load_tensors(path, "a head saved by rashomon")
    try:
        meta = read_json(sidecar(path))
    except (ValueError, OSError) as exc:
        raise InputError(f"{sidecar(path)}: not a head's metadata saved by rashomon "
                         f"({str(exc).splitlines()[0]})") from exc
    missing = [k for k in HEAD_KEYS if k not in meta]
    if not isinstance(weights, dict) or "0.weight" not in weights or missing:
        raise InputError(f"{path}: not a head saved by rashomon (missing {missing or ['0.weight']})")
    head = make_head(weights["0.weight"].shape[1], meta["kind"], meta["dropout"])
    try:
        head.load_state_dict(weights)
    except RuntimeError as exc:
        raise InputError(f"{path}: head weights do not fit a {meta['kind']} head ({str(exc).splitlines()[0]})") from exc
    return FittedHead(head.eval(), meta["kind"], float(meta["dropout"]), float(meta["target_mean"]),
                      float(meta["target_sd"]), int(meta["epochs"]), float(meta["best_val_loss"]))
