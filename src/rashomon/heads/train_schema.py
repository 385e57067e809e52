"""Schema of metrics/train.json: what the train stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict

from rashomon.core.metric_schemas import Estimate


class TrainArchitecture(TypedDict):
    plcc_mean: float
    plcc_sd: float
    model_reliability: float
    partial_authenticity_given_quality: float


class RashomonSet(TypedDict):
    rule: str
    tolerance: float                       # rashomon_set.tolerance (test PLCC units)
    best: str
    members: list[str]                     # the architectures that predict about equally well
    excluded: dict[str, str]               # every other architecture: why it is out
    plcc: dict[str, Estimate]              # each architecture's test PLCC (variants' mean) with its interval


class TrainMetrics(TypedDict):
    best_architecture: str
    best_plcc: float
    best_plcc_over_noise_ceiling: float
    noise_ceiling: float
    sd: str
    architectures: dict[str, TrainArchitecture]
    rashomon_set: RashomonSet
    label: NotRequired[str]
