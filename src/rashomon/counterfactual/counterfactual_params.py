"""The `counterfactual` section and the params the counterfactual stage reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from rashomon.core.config import (
    BackbonesConfig,
    Bounds,
    ComputeConfig,
    Count,
    DataConfig,
    Determinism,
    ExplainConfig,
    NonNegative,
    NonNegativeInt,
    Positive,
    TrainConfig,
)
from rashomon.generative.generator_params import GeneratorConfig


@dataclass(frozen=True)
class CounterfactualConfig:
    n_images: Count                # explanation-set images (the first n)
    n_variants: Count              # variants per architecture edited one by one, besides the variants' mean
    ensemble: bool                 # also edit the bagged ensemble (from the ensemble stage)
    change: Positive               # target change of predicted authenticity, rating units (raise and lower)
    lam: NonNegative               # Liu et al.'s lambda: weight of the (scaled) prediction loss
    p: Annotated[int, Bounds(1, why="the norm of the edit size")]   # ||I - G(I; z')||_p
    steps: Count                   # Adam steps on the latent edit
    lr: Positive
    tolerance: Annotated[float, Bounds(0, 1, open_high=True)]   # reached when the change is >= (1 - tolerance) x change
    n_figures: NonNegativeInt
    generator: GeneratorConfig


@dataclass(frozen=True)
class GeneratorParams:
    """The sections the generator stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    counterfactual: CounterfactualConfig
    compute: ComputeConfig
    determinism: Determinism


@dataclass(frozen=True)
class CounterfactualParams:
    """The sections the counterfactual stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    explain: ExplainConfig
    counterfactual: CounterfactualConfig
    compute: ComputeConfig
    determinism: Determinism
