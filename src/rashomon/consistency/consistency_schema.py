"""Schema of metrics/consistency.json: what the consistency stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict

from rashomon.core.metric_schemas import PairedDifference


class MethodConsistency(TypedDict):
    within: dict[str, dict[str, float]]          # per architecture: pearson, iou<p>
    across: dict[str, float]                     # pearson, iou<p>, the disagreement metrics' agreements
    within_mean_pearson: float
    across_mean_pearson: float
    within_minus_across: PairedDifference      # per image: mean within Pearson - mean across Pearson
    within_exceeds_across: bool | None
    undefined: dict[str, str]
    prototype_reliability: dict[str, float]      # split-half over variants, Spearman-Brown: the map ceiling
    across_over_ceiling: dict[str, float]        # "<a>/<b>": across Pearson / sqrt(rel_a x rel_b)
    ensemble_vs_architectures_pearson: NotRequired[dict[str, float]]


class Behaviour(TypedDict):
    prediction_similarity: float
    rsm_similarity: float


class Relation(TypedDict):
    r: float
    p: float


class ConsistencyMetrics(TypedDict):
    percents: list[float]
    methods: dict[str, MethodConsistency]
    behaviour: dict[str, Behaviour]
    relations: dict[str, Relation]               # "<method>/<architecture>/<set>/<versus>"
