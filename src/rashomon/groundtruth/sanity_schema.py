"""Schema of metrics/sanity.json: what the sanity stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import TypedDict


class SanityMethod(TypedDict):
    spearman_after_full_randomisation: float
    ssim_after_full_randomisation: float
    spearman_shuffled_ratings: float
    passes: bool | None
    undefined: dict[str, str]


class SanityMetrics(TypedDict):
    rule: str
    n_images: int
    methods: dict[str, SanityMethod]
