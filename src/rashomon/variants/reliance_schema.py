"""Schema of metrics/reliance.json: what the reliance stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import TypedDict

from rashomon.core.metric_schemas import Skipped


class RelianceArchitecture(TypedDict):
    n_images: int
    n_artifact_images: int
    artifact_effect_mean: float
    artifact_effect_p: float
    artifact_effect_ci_low: float        # 95% interval over the artifact images
    artifact_effect_ci_high: float
    degradation_effect_mean: float
    r2_artifact_visibility: float
    r2_degradation: float
    partial_r_artifact_given_degradation: float
    partial_p: float
    variants_relying_on_artifact: int
    relies_on_artifact: bool | None


class RelianceResult(TypedDict):
    label: str
    relying_on_artifact: list[str]
    sign: str
    architectures: dict[str, RelianceArchitecture]
    n_relying_on_artifact: int


RelianceMetrics = RelianceResult | Skipped
