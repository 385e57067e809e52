"""The `consistency` section and the params the consistency stage reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from rashomon.core.config import (
    BackbonesConfig,
    Bounds,
    ComputeConfig,
    DataConfig,
    Determinism,
    ExplainConfig,
    InferenceConfig,
    Names,
    NonNegativeInt,
    TrainConfig,
)


@dataclass(frozen=True)
class ConsistencyConfig:
    percents: Names[Annotated[float, Bounds(0, 100, open_low=True, why="a percentage of the pixels")]]
    topk_fraction: Annotated[float, Bounds(0, 1, open_low=True)]   # top-k of the disagreement metrics, share of pixels
    train_images: NonNegativeInt   # training images with Grad-CAM maps (from the cache) for the relations; 0 = none


@dataclass(frozen=True)
class ConsistencyParams:
    """The sections the consistency stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    explain: ExplainConfig
    consistency: ConsistencyConfig
    inference: InferenceConfig
    compute: ComputeConfig
    determinism: Determinism
