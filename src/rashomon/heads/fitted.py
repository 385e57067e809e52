"""A trained head with its target standardisation: saving, loading, predicting."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rashomon.heads.head import make_head
from rashomon.io import save_torch


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
        self.head.eval()
        with torch.no_grad():
            return self.scores(torch.as_tensor(x, dtype=torch.float32)).numpy()

    def state(self) -> dict[str, Any]:
        return {"head": self.head.state_dict(), "kind": self.kind, "dropout": self.dropout,
                "target_mean": self.target_mean, "target_sd": self.target_sd,
                "epochs": self.epochs, "best_val_loss": self.best_val_loss}


def save_head(fitted: FittedHead, path: Path, meta: dict[str, Any]) -> None:
    save_torch(path, {**fitted.state(), **meta})


def load_head(path: Path) -> FittedHead:
    """A saved head, ready to predict from embeddings."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    head = make_head(state["head"]["0.weight"].shape[1], state["kind"], state["dropout"])
    head.load_state_dict(state["head"])
    return FittedHead(head.eval(), state["kind"], state["dropout"], state["target_mean"], state["target_sd"],
                      state["epochs"], state["best_val_loss"])
