"""The `groundtruth` section and the params the groundtruth stage reads."""

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
    OpenFraction,
    Positive,
    Probability,
    Seed,
    TrainConfig,
)


@dataclass(frozen=True)
class GroundtruthConfig:
    gaussian_sigma: Positive       # SD of the centred Gaussian reference, as a fraction of the side
    grid: Count                    # deletion curves: cells per side
    deletion_steps: Count          # points on a deletion curve after the start
    deletion_random: Annotated[int, Bounds(1, why="the random-order baseline of the deletion gain")]
    deletion_images: Count         # images per method x architecture with deletion curves
    deletion_fill: float           # deleted cells' value in normalised space (0 = dataset mean colour)
    seed: Seed
    heat_threshold: Probability    # human heatmaps: AUROC's cue = pixels at or above this share of the maximum
    top_fraction: OpenFraction     # human heatmaps: AUC-Judd's "fixations" = the heatmap's top pixels


@dataclass(frozen=True)
class GroundtruthParams:
    """The sections the groundtruth stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    explain: ExplainConfig
    groundtruth: GroundtruthConfig
    inference: InferenceConfig
    compute: ComputeConfig
    determinism: Determinism
