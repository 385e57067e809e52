"""Schema of metrics/pretrain.json: what the pretrain stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import TypedDict


class PretrainArchitecture(TypedDict):
    mode: str
    best_epoch: int
    best_val_loss: float
    linear_probe_accuracy: float


class PretrainMetrics(TypedDict):
    label: str
    chance: float
    architectures: dict[str, PretrainArchitecture]
