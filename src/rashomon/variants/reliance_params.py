"""The params the reliance stage reads (shared sections only)."""

from __future__ import annotations

from dataclasses import dataclass

from rashomon.core.config import BackbonesConfig, ComputeConfig, DataConfig, Determinism, InferenceConfig, TrainConfig


@dataclass(frozen=True)
class RelianceParams:
    """The sections the reliance stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    inference: InferenceConfig
    compute: ComputeConfig
    determinism: Determinism
