"""Schema of metrics/ensemble.json: what the ensemble stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict


class Scores(TypedDict):
    rmse: float
    plcc: float
    srcc: float


class BestSingle(TypedDict):
    architecture: str | None
    plcc: float


class Gain(TypedDict):
    """An ensemble's PLCC minus the best single architecture's (mean over its variants), its interval."""
    difference: float
    ci_low: float
    ci_high: float
    n: int
    ci_level: float                              # Bonferroni over the ensemble's claims (97.5% for two)


class EnsembleMetrics(TypedDict):
    n_test_images: int
    members: int
    bagging: Scores
    stacking: Scores
    stacking_weights: dict[str, float]
    best_single: BestSingle
    mean_single_plcc: float
    attribution: dict[str, float]                # n_images, each method's summary, <a>_vs_<b>_pearson_mean
    undefined: dict[str, str]
    verdict_family: str                          # the multiplicity correction of the two claims
    bagging_beats_best_single: bool | None
    stacking_beats_best_single: bool | None
    bagging_minus_best_single_plcc: NotRequired[Gain]
    stacking_minus_best_single_plcc: NotRequired[Gain]
