"""Schema of metrics/idsds.json: what the idsds_score stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict


class IdsdsModel(TypedDict):
    output: str
    best_method: str | None             # None: not ranked (the model classifies at chance)
    best_score: float
    best_dummy: str | None
    best_dummy_score: float
    kendall_tau_logit_vs_softmax: float | None
    n_dummy_outranks_principled: int | None
    reliability_warning: bool | None
    accuracy_clean: float               # top-1 on the scored images, exact 95% interval
    accuracy_ci_low: float
    accuracy_ci_high: float
    chance: float
    ranked: bool                        # the interval lies above chance
    undefined: NotRequired[dict[str, str]]


class IdsdsMetrics(TypedDict):
    grid: int
    n_images: int
    transforms: list[str]
    deletion_mode: str
    models: dict[str, IdsdsModel]
    label: NotRequired[str]
