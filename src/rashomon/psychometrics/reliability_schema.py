"""Schema of metrics/reliability.json: what the reliability stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict


class SplitHalf(TypedDict):
    split_half_r: float
    spearman_brown: float
    noise_ceiling: float
    n_raters: int
    n_images: int


class TrueCeiling(TypedDict):
    true_noise_ceiling: float
    measured_noise_ceiling: float
    abs_error: float


class ReliabilityMetrics(TypedDict):
    n_images: int
    quality_authenticity_pearson: float
    bimodality_delta_bic: dict[str, float]
    mean_sd_pearson: dict[str, float]
    per_rater_data: bool
    recipe: NotRequired[str]
    skipped: NotRequired[str]
    split_half: NotRequired[dict[str, SplitHalf]]
    noise_ceiling: dict[str, float]
    noise_ceiling_source: str
    label: NotRequired[str]
    synthetic_truth: NotRequired[dict[str, TrueCeiling]]
