"""Schema of metrics/filter.json: what the filter stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict


class Test(TypedDict):
    t: float
    p: float
    cohens_dz: float


class FilterMetrics(TypedDict):
    n_images: int
    kept: int
    removed: int
    kept_prompts: int
    removed_by_challenge: dict[str, int]
    per_rater: NotRequired[str]                                  # why the rater tests were skipped
    removed_vs_kept_per_rater: NotRequired[dict[str, Test]]
