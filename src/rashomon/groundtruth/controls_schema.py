"""Schema of metrics/controls.json: what the controls stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict

from rashomon.core.metric_schemas import ClaimVerdict, Estimate, PairedDifference, Skipped
from rashomon.variants.reliance_schema import RelianceArchitecture


class ControlsKind(TypedDict):
    cue_only: Estimate                   # on this kind of artifact's images only
    study_target: Estimate
    detector: NotRequired[Estimate]
    detector_versus: NotRequired[dict[str, PairedDifference]]   # right_sign (vs 0.5), gaussian, sobel, random
    finds_detector_cue: NotRequired[ClaimVerdict]


class BlindCheck(TypedDict):
    value: bool | None                   # the cue-blind heads' twin effect within the equivalence margin
    reason: str


class ControlsEntry(TypedDict):
    cue_only: Estimate                   # prototype AUROC of heads fitted to the artifact alone
    cue_blind: Estimate                  # ... to the global degradation alone
    study_target: Estimate               # ... to the study's target (unpruned, same code)
    positive_versus: dict[str, PairedDifference]              # cue-only AUROC minus: 0.5 in the twins' sign
    positive_versus_sign_blind: dict[str, PairedDifference]   # (right_sign), cue_blind, gaussian, sobel, random
    negative_control_blind: BlindCheck
    credited: ClaimVerdict               # every comparison of positive_versus shown, both controls valid
    credited_sign_blind: ClaimVerdict    # the same on |map| (reported beside)
    finds_positive_cue: ClaimVerdict     # the cue-only heads' maps beat every reference (no cue-blind needed)
    detector: NotRequired[Estimate]                     # the end-to-end cue detector's prototype AUROC
    detector_versus: NotRequired[dict[str, PairedDifference]]
    finds_detector_cue: NotRequired[ClaimVerdict]
    by_kind: dict[str, ControlsKind]     # the same scores per kind of artifact (checkerboard, colour shift, ...)


class ControlsMethod(TypedDict):
    architectures: dict[str, ControlsEntry]
    credited: bool | None                # credited on at least one architecture (Holm over architectures)
    credited_on: list[str]
    credited_sign_blind: bool | None
    credited_sign_blind_on: list[str]
    finds_positive_cue: bool | None
    finds_positive_cue_on: list[str]
    finds_detector_cue_on: NotRequired[list[str]]   # where its map of the detector beats every reference
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
    target_sd: dict[str, float]          # each control's target SD on the test images (the twin effects' scale)
    blind_margin: float                  # controls.blind_margin
    verdict_family: str                  # what each family of verdicts is corrected over
    architectures: dict[str, dict[str, float]]   # <control>_test_r (detector_test_r: one per family)
    reliance: dict[str, dict[str, ControlsReliance]]   # per architecture and control: the twins' verdict
    methods: dict[str, ControlsMethod]


ControlsMetrics = ControlsResult | Skipped
