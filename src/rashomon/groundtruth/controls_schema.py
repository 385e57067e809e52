"""Schema of metrics/controls.json: what the controls stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict

from rashomon.core.metric_schemas import Estimate, PairedDifference, Skipped
from rashomon.variants.reliance_schema import RelianceArchitecture


class ControlsKind(TypedDict):
    cue_only: Estimate                   # on this kind of artifact's images only
    cue_blind: Estimate
    study_target: Estimate
    detector: NotRequired[Estimate]
    detector_minus_gaussian: NotRequired[PairedDifference]
    detector_beats_gaussian: NotRequired[bool | None]


class ControlsEntry(TypedDict):
    cue_only: Estimate                   # prototype AUROC of heads fitted to the artifact alone
    cue_blind: Estimate                  # ... to the global degradation alone
    study_target: Estimate               # ... to the study's target (unpruned, same code)
    discrimination: PairedDifference     # cue_only - cue_blind AUROC, paired over images
    separates: bool | None
    positive_minus_gaussian: PairedDifference
    detector: NotRequired[Estimate]                     # the end-to-end cue detector's prototype AUROC
    detector_minus_gaussian: NotRequired[PairedDifference]
    detector_beats_gaussian: NotRequired[bool | None]
    by_kind: dict[str, ControlsKind]     # the same scores per kind of artifact (checkerboard, colour shift, ...)


class ControlsMethod(TypedDict):
    architectures: dict[str, ControlsEntry]
    separates_on: list[str]
    credited: bool | None                # separates the controls on at least one architecture
    finds_detector_cue_on: NotRequired[list[str]]   # where its map of the detector beats the centred Gaussian
    finds_detector_cue: NotRequired[bool | None]
    finds_detector_cue_by_kind: NotRequired[dict[str, bool | None]]   # per kind of artifact, on any architecture


class KindEffect(TypedDict):
    """The twin effect of removing one kind of artifact (no-artifact twin minus image, the models' mean)."""
    value: float
    ci_low: float
    ci_high: float
    n: int
    uses_it: bool | None                 # interval above 0
    mean_visibility: float               # of these images (the cue-only target's units: -visibility)


class ControlsReliance(RelianceArchitecture):
    artifact_effect_by_kind: dict[str, KindEffect]


class ControlsResult(TypedDict):
    label: str
    controls: dict[str, str]
    n_images: int
    n_images_by_kind: dict[str, int]     # the artifact images are balanced over kinds
    cue_score: str
    architectures: dict[str, dict[str, float]]   # <control>_test_r (detector_test_r: one per family)
    reliance: dict[str, dict[str, ControlsReliance]]   # per architecture and control: the twins' verdict
    methods: dict[str, ControlsMethod]


ControlsMetrics = ControlsResult | Skipped
