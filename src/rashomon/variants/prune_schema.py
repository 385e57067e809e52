"""Schema of metrics/prune.json: what the prune stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import TypedDict


class PruneArchitecture(TypedDict):
    channels_removed_mean: float
    channels_removed: list[int]
    baseline_plcc: float
    pruned_plcc: float
    baseline_rmse: float
    pruned_rmse: float


PruneMetrics = dict[str, str | PruneArchitecture]   # fit_on, then one entry per architecture
