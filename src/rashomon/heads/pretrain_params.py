"""The `pretrain` section and the params the pretrain stage reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from rashomon.core.config import (
    BackbonesConfig,
    Bounds,
    ComputeConfig,
    Count,
    Determinism,
    Names,
    NonNegative,
    Positive,
    Seed,
)
from rashomon.core.errors import InputError


@dataclass(frozen=True)
class PretrainConfig:
    n_images: Count
    n_val_images: Count
    n_probe_images: Count
    epochs: Count
    batch_size: Count
    lr: Positive
    seed: Seed
    barlow_lambda: NonNegative
    barlow_batch_size: Annotated[int, Bounds(2, why="Barlow Twins standardises over the batch")]
    barlow_epochs: Count
    tasks: Names[Literal["object", "material", "colour", "degradation"]]  # supervised pretraining targets

    def __post_init__(self) -> None:
        if "object" not in self.tasks:
            raise InputError("params.yaml: pretrain.tasks must include 'object' (the linear probe's target)")


@dataclass(frozen=True)
class PretrainParams:
    """The sections the pretrain stage reads (its `params:` in dvc.yaml)."""

    backbones: BackbonesConfig
    pretrain: PretrainConfig
    compute: ComputeConfig
    determinism: Determinism
