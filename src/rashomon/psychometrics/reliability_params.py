"""The `reliability` section and the params the reliability stage reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from rashomon.core.config import Bounds, Count, DataConfig, Determinism, Seed


@dataclass(frozen=True)
class ReliabilityConfig:
    n_splits: Count
    seed: Seed
    zscore_raters: bool            # false: the study's recipe on raw ratings
    noise_ceiling: Annotated[float, Bounds(0, 1, open_low=True)] | None   # used only without a per-rater table


@dataclass(frozen=True)
class ReliabilityParams:
    """The sections the reliability stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    reliability: ReliabilityConfig
    determinism: Determinism
