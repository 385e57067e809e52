"""Typed params: one frozen dataclass per `params.yaml` section, and the one loader.

params.yaml is the only place values live: no field has a default, so a missing key,
an unknown (e.g. misspelled) key or a value of the wrong type stops the stage with one
line naming `section.key`. Checks that need a registry (backbone or CIFAR model names)
live beside that registry, so this module imports nothing heavy.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping, Union

import yaml

from rashomon.errors import InputError

DIMENSIONS: tuple[str, ...] = ("quality", "authenticity", "correspondence")
Dimension = Literal["quality", "authenticity", "correspondence"]


@dataclass(frozen=True)
class DataConfig:
    source: Literal["aigciqa2023", "manifest"]
    root: str                      # dataset folder (DVC tracks it: keep every file the pipeline reads inside)
    reps: int
    generators: list[str] | None
    ratings_long: str | None       # per-rater table, relative to root (or null)
    rating_range: list[float]
    likert_range: list[float]
    target: Dimension

    def __post_init__(self) -> None:
        for key in ("rating_range", "likert_range"):
            lo_hi = getattr(self, key)
            if len(lo_hi) != 2 or lo_hi[0] >= lo_hi[1]:
                raise InputError(f"params.yaml: data.{key} must be [low, high] with low < high, got {lo_hi}")


@dataclass(frozen=True)
class SyntheticConfig:
    n_prompts: int
    reps: int
    n_generators: int
    image_size: int
    n_raters: int
    seed: int
    w_global: float                # latent authenticity = w_global * quality + w_local * (-artifact)
    w_local: float
    signal_sd: float               # Likert SD of the true-score signal
    noise_sd: dict[str, float]     # per-dimension rater noise SD
    halo: float                    # share of a rater's noise shared across dimensions
    artifact_fraction: float
    mismatch_fraction: float
    excluded_challenges: list[str]  # challenges whose prompts get `excluded_offset`
    excluded_offset: float
    population_raters: int

    def __post_init__(self) -> None:
        if set(self.noise_sd) != set(DIMENSIONS):
            raise InputError(f"params.yaml: synthetic.noise_sd needs exactly the keys {list(DIMENSIONS)}, "
                             f"got {sorted(self.noise_sd)}")


@dataclass(frozen=True)
class FilterConfig:
    keep_prompts: list[int] | None
    exclude_prompts: list[int]
    exclude_challenges: list[str]
    exclude_categories: list[str]
    keep_categories_prompts: list[int]


@dataclass(frozen=True)
class ReliabilityConfig:
    n_splits: int
    seed: int
    zscore_raters: bool            # false: the study's recipe on raw ratings
    noise_ceiling: float | None    # used only without a per-rater table


@dataclass(frozen=True)
class SplitConfig:
    seed: int
    n_variants: int
    n_bins: int
    stratify_on: Dimension
    exp1_fractions: list[float]
    exp3_test_fraction: float
    exp3_val_fraction: float
    stacking_folds: int


@dataclass(frozen=True)
class BackbonesConfig:
    names: list[str]
    weights: dict[str, str]
    batch_size: int
    cache_dtype: Literal["float16", "float32"]


@dataclass(frozen=True)
class PretrainConfig:
    n_images: int
    n_val_images: int
    n_probe_images: int
    epochs: int
    batch_size: int
    lr: float
    seed: int
    barlow_lambda: float
    barlow_batch_size: int
    barlow_epochs: int
    tasks: list[Literal["object", "material", "colour"]]  # supervised pretraining targets

    def __post_init__(self) -> None:
        if "object" not in self.tasks:
            raise InputError("params.yaml: pretrain.tasks must include 'object' (the linear probe's target)")


@dataclass(frozen=True)
class TrainConfig:
    scheme: Literal["exp1", "exp3"]
    seeds: int
    seed: int
    lr: float
    batch_size: int
    max_epochs: int
    patience: int
    dropout: float


@dataclass(frozen=True)
class PruneConfig:
    fit_on: Literal["test", "val"]
    max_iterations: int | None


@dataclass(frozen=True)
class GradcamConfig:
    n_images: int | None
    relu: bool
    target_layer: Literal["conv", "after_bn", "block_output"]  # conv = the study's (before BatchNorm)


@dataclass(frozen=True)
class LimeConfig:
    n_images: int | None
    n_segments: int
    compactness: float
    n_samples: int
    keep_prob: float
    kernel_width: float
    alpha: float
    seed: int
    batch_size: int


@dataclass(frozen=True)
class MpmConfig:
    n_images: int | None
    mask_sizes: list[int]
    stride: int
    fill: float
    batch_size: int
    incremental: bool      # exact incremental inference (attribution/incremental.py)


@dataclass(frozen=True)
class ScoringConfig:
    """Lightning Trainer options of the perturbation-scoring predict loop (MPM, LIME)."""

    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"]
    devices: int                                      # -1: every device of the machine
    num_nodes: int
    strategy: Literal["auto", "ddp", "ddp_spawn"]


@dataclass(frozen=True)
class ExplainConfig:
    methods: list[Literal["gradcam", "lime", "mpm"]]
    use_pruned: bool
    n_figures: int
    gradcam: GradcamConfig
    lime: LimeConfig
    mpm: MpmConfig
    scoring: ScoringConfig

    def options(self, method: str) -> tuple[int | None, dict[str, Any]]:
        """(n_images, the method's keyword options) for `attribute()`; perturbation
        methods get the predict loop's Trainer options as `scoring`."""
        opts = dataclasses.asdict(getattr(self, method))
        if method in ("lime", "mpm"):
            opts["scoring"] = dataclasses.asdict(self.scoring)
        return opts.pop("n_images"), opts


@dataclass(frozen=True)
class IdsdsDataConfig:
    n_train: int
    n_test: int
    seed: int


@dataclass(frozen=True)
class SgdConfig:
    epochs: int
    lr: float
    step_size: int
    gamma: float
    momentum: float
    weight_decay: float
    batch_size: int
    seed: int


@dataclass(frozen=True)
class FinetuneConfig(SgdConfig):
    delete_probability: float


@dataclass(frozen=True)
class IdsdsDummiesConfig:
    gaussian_sigmas: list[float]   # the reproduction's centred Gaussians (SD on a [-1, 1] grid)
    entropy_kernels: list[int]     # the reproduction's local-variance window sizes


@dataclass(frozen=True)
class IdsdsScoreConfig:
    n_images: int | None
    outputs: list[Literal["logit", "softmax"]]
    methods: list[str]             # principled methods (IDSDS registry names); checked by the stage
    transforms: list[Literal["raw", "abs", "relu"]]   # applied to signed methods, one row each
    ig_steps: int                  # IG / IG-U / IG-SG steps (reference: 50)
    nt_samples: int                # NoiseTunnel samples for IG-SG, IxG-SG, IG-SG-SQ (reference: 4)
    nt_stdev: float                # NoiseTunnel noise SD, normalised units (reference: captum's default 1.0)
    sg_cam_samples: int            # SG-CAMpp samples (reference: torchcam's default 4)
    sg_cam_std: float              # SG-CAMpp noise SD (reference: torchcam's default 0.3)
    occlusion_window: int          # ours (Occlusion is not in the reference)
    tie_rtol: float                # cell sums within this share of the largest |cell sum| tie
    dummies: IdsdsDummiesConfig
    seed: int


@dataclass(frozen=True)
class IdsdsDeletionConfig:
    grid: int                      # cells per side (reference: 4)
    mode: Literal["value", "random", "blur"]   # the reference's zeros / random / blur
    value: float                   # `value`: deleted cells' value in normalised space (0 = dataset mean colour)
    blur_kernel: int               # `blur`: the reference's GaussianSmoothing (CIFAR reproduction: 7, 5)
    blur_sigma: float


@dataclass(frozen=True)
class IdsdsConfig:
    data: str
    models: list[str]
    weights: dict[str, str]
    vgg_width: float
    deletion: IdsdsDeletionConfig
    val_fraction: float            # of the training images, held out for the best checkpoint
    compare_images: int
    synthetic: IdsdsDataConfig
    pretrain: SgdConfig
    finetune: FinetuneConfig
    score: IdsdsScoreConfig


@dataclass(frozen=True)
class GroundtruthConfig:
    gaussian_sigma: float          # SD of the centred Gaussian reference, as a fraction of the side
    grid: int                      # deletion curves: cells per side
    deletion_steps: int            # points on a deletion curve after the start
    deletion_random: int           # random orders per image
    deletion_images: int           # images per method x architecture with deletion curves
    deletion_fill: float           # deleted cells' value in normalised space (0 = dataset mean colour)
    seed: int


@dataclass(frozen=True)
class EnsembleConfig:
    prune_max_iterations: int | None   # SBS on each variant's validation set (null = until RMSE stops falling)
    n_images: int                  # explanation-set images with MPM and LIME maps of the bagged ensemble


@dataclass(frozen=True)
class ConsistencyConfig:
    percents: list[float]          # IoU of the top p% pixels (>= the percentile)
    topk_fraction: float           # top-k features of the disagreement metrics, as a share of pixels
    train_images: int              # training images with Grad-CAM maps (from the cache) for the relations


@dataclass(frozen=True)
class SanityConfig:
    methods: list[Literal["gradcam", "lime", "mpm"]]
    n_images: int                  # explanation-set images per architecture (variant 0)
    stem_steps: int                # the stem's layers are randomised in this many groups, from the top
    mpm_stride: int                # MPM centres' stride here (other MPM and LIME settings: explain's)
    pass_below: float              # a method passes if Spearman(|map|) after full randomisation is below
    seed: int


@dataclass(frozen=True)
class GeneratorConfig:
    family: Literal["autoencoder", "vae"]
    width: int                     # channels of the first encoder conv (doubled at each downsampling)
    latent_channels: int           # the latent is latent_channels x (size / 2^downsample)^2
    downsample: int
    epochs: int
    lr: float
    batch_size: int
    beta: float                    # VAE: weight of the KL term (unused by the autoencoder)
    n_val_images: int              # training images held out to pick the best epoch
    plugin: str | None             # "package.module:factory" (called with the image size): a better generator
    seed: int


@dataclass(frozen=True)
class CounterfactualConfig:
    n_images: int                  # explanation-set images (the first n)
    n_variants: int                # variants per architecture edited one by one, besides the variants' mean
    ensemble: bool                 # also edit the bagged ensemble (from the ensemble stage)
    change: float                  # target change of predicted authenticity, rating units (raise and lower)
    lam: float                     # Liu et al.'s lambda: weight of the (scaled) prediction loss
    p: int                         # norm of the edit-size term ||I - G(I; z')||_p
    steps: int                     # Adam steps on the latent edit
    lr: float
    tolerance: float               # target reached when the change is >= (1 - tolerance) x change
    n_figures: int
    generator: GeneratorConfig


@dataclass(frozen=True)
class Params:
    data: DataConfig
    synthetic: SyntheticConfig
    filter: FilterConfig
    reliability: ReliabilityConfig
    split: SplitConfig
    backbones: BackbonesConfig
    pretrain: PretrainConfig
    train: TrainConfig
    prune: PruneConfig
    explain: ExplainConfig
    ensemble: EnsembleConfig
    consistency: ConsistencyConfig
    groundtruth: GroundtruthConfig
    sanity: SanityConfig
    counterfactual: CounterfactualConfig
    idsds: IdsdsConfig


def _describe(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _convert(value: Any, tp: Any, where: str) -> Any:
    """`value` checked against the annotation `tp` (ints accepted for floats)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], where)
    if origin is Literal:
        if value not in args:
            raise InputError(f"params.yaml: {where} = {value!r} is not one of {list(args)}")
        return value
    if dataclasses.is_dataclass(tp):
        return parse_section(tp, value, where)
    if origin is list:
        if not isinstance(value, list):
            raise InputError(f"params.yaml: {where} must be a list, got {value!r}")
        return [_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise InputError(f"params.yaml: {where} must be a mapping, got {value!r}")
        return {str(k): _convert(v, args[1], f"{where}.{k}") for k, v in value.items()}
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp in (int, str, bool) and isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
        return value
    raise InputError(f"params.yaml: {where} must be {_describe(tp)}, got {value!r}")


def parse_section(cls: type, data: Any, where: str) -> Any:
    """Build dataclass `cls` from a mapping; unknown, missing or mistyped keys are errors."""
    if not isinstance(data, Mapping):
        raise InputError(f"params.yaml: section {where!r} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in data if k not in names]
    if unknown:
        raise InputError(f"params.yaml: unknown key {where}.{unknown[0]} (known keys of {where}: {', '.join(names)})")
    missing = [k for k in names if k not in data]
    if missing:
        raise InputError(f"params.yaml: missing key {where}.{missing[0]} (every setting lives in params.yaml)")
    return cls(**{k: _convert(data[k], hints[k], f"{where}.{k}") for k in names})


def load_params(path: str | os.PathLike = "params.yaml") -> Params:
    """Read and check the whole params file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: params file does not exist")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    if not isinstance(raw, dict):
        raise InputError(f"{path}: top level must be a mapping of sections")
    hints = typing.get_type_hints(Params)
    unknown = [k for k in raw if k not in hints]
    if unknown:
        raise InputError(f"params.yaml: unknown section {unknown[0]!r} (known: {', '.join(hints)})")
    missing = [k for k in hints if k not in raw]
    if missing:
        raise InputError(f"params.yaml: missing section {missing[0]!r}")
    return Params(**{k: parse_section(hints[k], raw[k], k) for k in hints})
