"""The `controls` section and the params the controls stage reads."""

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
    InferenceConfig,
    Names,
    NonNegativeInt,
    Positive,
    Text,
    TrainConfig,
    check_method_names,
)
from rashomon.groundtruth.groundtruth_params import GroundtruthConfig


@dataclass(frozen=True)
class ControlsConfig:
    """Positive and negative controls of the ground-truth verdict (groundtruth/controls.py)."""

    methods: Names[Text]           # explained with explain.<method>'s options
    n_images: Count                # artifact images of the explanation set scored per control
    seeds: Count                   # heads per control (split variants 0..seeds-1, the train stage's code)
    detector_epochs: NonNegativeInt  # end-to-end cue detector per family: fine-tuning epochs (0: none)
    detector_lr: Positive
    blind_margin: Annotated[float, Bounds(0, 1, open_low=True, why="a share of the cue-only heads' effect")]

    def __post_init__(self) -> None:
        check_method_names("controls.methods", self.methods)


@dataclass(frozen=True)
class ControlsParams:
    """The sections the controls stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    explain: ExplainConfig
    groundtruth: GroundtruthConfig
    controls: ControlsConfig
    inference: InferenceConfig
    compute: ComputeConfig
    determinism: Determinism
