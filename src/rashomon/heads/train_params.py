"""The params the train stage reads (its own section, `train`, is shared with every stage that loads heads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from rashomon.core.config import (
    BackbonesConfig,
    Bounds,
    ComputeConfig,
    DataConfig,
    Determinism,
    InferenceConfig,
    TrainConfig,
)
from rashomon.core.errors import InputError
from rashomon.data.split_params import SplitConfig


def check_seeds_fit_splits(train: TrainConfig, split: SplitConfig) -> None:
    """Each of `train.seeds` variants trains on its own split variant."""
    if train.seeds > split.n_variants:
        raise InputError(f"params.yaml: train.seeds={train.seeds} exceeds split.n_variants="
                         f"{split.n_variants}: each variant needs its own split")


@dataclass(frozen=True)
class RashomonSetConfig:
    """The `rashomon_set` section: which architectures predict about equally well (heads/rashomon_set.py)."""

    tolerance: Annotated[float, Bounds(0, 2, why="test PLCC units")]   # within this of the best's PLCC


@dataclass(frozen=True)
class TrainParams:
    """The sections the train stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    split: SplitConfig
    rashomon_set: RashomonSetConfig
    inference: InferenceConfig
    compute: ComputeConfig
    determinism: Determinism

    def __post_init__(self) -> None:
        check_seeds_fit_splits(self.train, self.split)
