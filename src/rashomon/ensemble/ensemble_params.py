"""The `ensemble` section and the params the ensemble stage reads."""

from __future__ import annotations

from dataclasses import dataclass

from rashomon.core.config import (
    BackbonesConfig,
    ComputeConfig,
    Count,
    DataConfig,
    Determinism,
    ExplainConfig,
    InferenceConfig,
    NonNegativeInt,
    TrainConfig,
)


@dataclass(frozen=True)
class EnsembleConfig:
    prune_max_iterations: NonNegativeInt | None   # SBS on each variant's validation set (null = until RMSE stops
                                                  # falling; 0 = no pruning)
    n_images: Count                # explanation-set images with MPM and LIME maps of the bagged ensemble


@dataclass(frozen=True)
class EnsembleParams:
    """The sections the ensemble stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    explain: ExplainConfig
    ensemble: EnsembleConfig
    inference: InferenceConfig
    compute: ComputeConfig
    determinism: Determinism
