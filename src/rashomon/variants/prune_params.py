"""The `prune` section and the params the prune stage reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rashomon.core.config import BackbonesConfig, ComputeConfig, DataConfig, Determinism, NonNegativeInt, TrainConfig


@dataclass(frozen=True)
class PruneConfig:
    fit_on: Literal["test", "val"]
    max_iterations: NonNegativeInt | None   # null = until no zeroing lowers RMSE; 0 = no pruning


@dataclass(frozen=True)
class PruneParams:
    """The sections the prune stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    prune: PruneConfig
    compute: ComputeConfig
    determinism: Determinism
