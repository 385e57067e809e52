"""Schema of metrics/features.json: what the features stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import TypedDict


class FeaturesArchitecture(TypedDict):
    cache_max_relative_error: float
    n_images: int


FeaturesMetrics = dict[str, FeaturesArchitecture]
