"""The `sanity` section and the params the sanity stage reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from rashomon.core.config import (
    BackbonesConfig,
    Bounds,
    ComputeConfig,
    Count,
    DataConfig,
    Determinism,
    ExplainConfig,
    Names,
    Seed,
    Text,
    TrainConfig,
    check_method_names,
)


@dataclass(frozen=True)
class SanityConfig:
    methods: Names[Text]
    n_images: Count                # explanation-set images per architecture (variant 0)
    stem_steps: Count              # the stem's layers are randomised in this many groups, from the top
    options: dict[str, dict[str, Any]]   # per method, options that differ from explain.<method> here
    pass_below: Annotated[float, Bounds(-1, 1, why="a Spearman correlation")]   # passes if Spearman(|map|) is below
    seed: Seed

    def __post_init__(self) -> None:
        check_method_names("sanity.methods", self.methods)
        check_method_names("sanity.options", list(self.options))


@dataclass(frozen=True)
class SanityParams:
    """The sections the sanity stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    explain: ExplainConfig
    sanity: SanityConfig
    compute: ComputeConfig
    determinism: Determinism
