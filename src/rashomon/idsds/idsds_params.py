"""The `idsds` section and the params the three IDSDS stages read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from rashomon.core.config import (
    Bounds,
    Count,
    Determinism,
    Distinct,
    Names,
    NonNegative,
    Odd,
    OpenFraction,
    Positive,
    Probability,
    Seed,
    Text,
)


@dataclass(frozen=True)
class IdsdsDataConfig:
    n_train: Annotated[int, Bounds(2, why="one image is held out for validation")]
    n_test: Count
    seed: Seed


@dataclass(frozen=True)
class SgdConfig:
    epochs: Count
    lr: Positive
    step_size: Count
    gamma: Positive
    momentum: Annotated[float, Bounds(0, 1, open_high=True)]
    weight_decay: NonNegative
    batch_size: Count
    seed: Seed


@dataclass(frozen=True)
class FinetuneConfig(SgdConfig):
    delete_probability: Probability


@dataclass(frozen=True)
class IdsdsDummiesConfig:
    gaussian_sigmas: Distinct[Positive]   # the reproduction's centred Gaussians (SD on a [-1, 1] grid)
    entropy_kernels: Distinct[Annotated[int, Bounds(1), Odd]]   # the reproduction's local-variance windows


@dataclass(frozen=True)
class IdsdsScoreConfig:
    n_images: Count | None
    outputs: Names[Literal["logit", "softmax"]]
    methods: Names[str]            # principled methods (IDSDS registry names); checked by the stage
    transforms: Names[Literal["raw", "abs", "relu"]]   # applied to signed methods, one row each
    ig_steps: Count                # IG / IG-U / IG-SG steps (reference: 50)
    nt_samples: Count              # NoiseTunnel samples for IG-SG, IxG-SG, IG-SG-SQ (reference: 4)
    nt_stdev: NonNegative          # NoiseTunnel noise SD, normalised units (reference: captum's default 1.0)
    sg_cam_samples: Count          # SG-CAMpp samples (reference: torchcam's default 4)
    sg_cam_std: NonNegative        # SG-CAMpp noise SD (reference: torchcam's default 0.3)
    occlusion_window: Count        # ours (Occlusion is not in the reference)
    tie_rtol: Annotated[float, Bounds(0, 1, open_high=True)]   # cell sums within this share of the largest tie
    dummies: IdsdsDummiesConfig
    seed: Seed


@dataclass(frozen=True)
class IdsdsDeletionConfig:
    grid: Annotated[int, Bounds(2, why="cells per side")]   # reference: 4
    mode: Literal["value", "random", "blur"]   # the reference's zeros / random / blur
    value: float                   # `value`: deleted cells' value in normalised space (0 = dataset mean colour)
    blur_kernel: Annotated[int, Bounds(1), Odd]   # `blur`: the reference's GaussianSmoothing (CIFAR: 7, 5)
    blur_sigma: Positive


@dataclass(frozen=True)
class IdsdsConfig:
    data: Text
    models: Names[str]
    weights: dict[str, Text]
    vgg_width: Positive
    deletion: IdsdsDeletionConfig
    val_fraction: OpenFraction     # of the training images, held out for the best checkpoint
    compare_images: Count
    synthetic: IdsdsDataConfig
    pretrain: SgdConfig
    finetune: FinetuneConfig
    score: IdsdsScoreConfig


@dataclass(frozen=True)
class IdsdsParams:
    """What each of the three IDSDS stages reads."""

    idsds: IdsdsConfig
    determinism: Determinism
