"""Schema of metrics/train.json: what the train stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict


class TrainArchitecture(TypedDict):
    plcc_mean: float
    plcc_sd: float
    model_reliability: float
    partial_authenticity_given_quality: float


class TrainMetrics(TypedDict):
    best_architecture: str
    best_plcc: float
    best_plcc_over_noise_ceiling: float
    noise_ceiling: float
    sd: str
    architectures: dict[str, TrainArchitecture]
    label: NotRequired[str]
