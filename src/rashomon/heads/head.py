"""The study's regression heads on a frozen embedding."""

from __future__ import annotations

from torch import nn

from rashomon.core.errors import InputError


def make_head(in_dim: int, kind: str, dropout: float) -> nn.Sequential:
    """`study`: Linear(d,512)-ReLU-Dropout-Linear(512,128)-ReLU-Dropout-Linear(128,1);
    `vgg` (on fc2's features): Linear(d,128)-ReLU-Dropout-Linear(128,1)."""
    if kind == "vgg":
        return nn.Sequential(nn.Linear(in_dim, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 1))
    if kind == "study":
        return nn.Sequential(
            nn.Linear(in_dim, 512), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(512, 128), nn.ReLU(), nn.Dropout(dropout), nn.Linear(128, 1))
    raise InputError(f"unknown head kind {kind!r} (study, vgg)")
