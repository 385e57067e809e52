"""Schema of metrics/counterfactual.json: what the counterfactual stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict


class EditSummary(TypedDict):
    success_rate: float
    n_failed: int
    achieved_change_mean: float
    edit_size_mean: float


class TwinCosine(TypedDict):
    mean_model: float
    n_images: int
    variants: NotRequired[float]


class CounterfactualModel(TypedDict):
    variants: dict[str, EditSummary] | None      # lower / raise; None for the ensemble
    mean_model: dict[str, EditSummary]
    within_architecture_consistency: NotRequired[float]
    agreement_with: NotRequired[dict[str, float]]
    raise_edit_vs_twin_cosine: NotRequired[TwinCosine]


class Overall(TypedDict):
    success_rate: float
    n_edits: int
    n_failed: int
    edit_size_mean: float


class CounterfactualMetrics(TypedDict):
    n_images: int
    target_change: float
    tolerance: float
    edit_size: str
    map_sign: str
    architectures: dict[str, CounterfactualModel]
    overall: Overall
    skipped: NotRequired[dict[str, str]]
