"""Schema of metrics/explain.json: what the explain stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict


class ExplainMetrics(TypedDict):
    method: str
    n_images: int
    pruned_variants: bool
    architectures: dict[str, dict[str, float]]   # within_architecture_consistency and the method's own summary
    target_layer: NotRequired[str]
