"""Schema of metrics/consistency.json: what the consistency stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict

from rashomon.core.metric_schemas import Estimate, PairedDifference
from rashomon.heads.train_schema import RashomonSet


class CorrectedDifference(PairedDifference):
    adjusted_p: float                            # Holm over the methods (NaN where the verdict is undefined)


class SeedsAndImages(TypedDict):
    """Within minus across with a two-level bootstrap interval: images and each architecture's variants."""
    difference: float
    ci_low: float
    ci_high: float
    n_images: int
    n_variants: dict[str, int]


class MethodConsistency(TypedDict):
    within: dict[str, dict[str, float]]          # per architecture in the Rashomon set: pearson, iou<p>
    across: dict[str, float]                     # over pairs in the set: pearson, iou<p>, the disagreement metrics
    within_mean_pearson: float                   # over the set's members
    across_mean_pearson: float                   # over pairs of the set's members (the headline)
    across_pearson_in_set: Estimate              # per image: mean over the set's pairs; interval over images
    across_pearson_all_pairs: Estimate           # the same over every pair of architectures (secondary)
    within_minus_across: CorrectedDifference   # per image: mean within Pearson - mean across Pearson
    within_minus_across_seeds_and_images: SeedsAndImages | None   # None: fewer than 2 members of 2 variants
    within_exceeds_across: bool | None
    undefined: dict[str, str]
    not_true: NotRequired[dict[str, str]]        # why a shown difference is false after Holm
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
    rashomon_set: RashomonSet                    # from metrics/train.json: the architectures compared
    methods: dict[str, MethodConsistency]
    behaviour: dict[str, Behaviour]
    verdict_family: str                          # the multiplicity correction of within_exceeds_across
    relations: dict[str, Relation]               # "<method>/<architecture>/<set>/<versus>"
