"""Schema of metrics/idsds_finetune.json: what the idsds_finetune stage writes and the report reads.
(No `from __future__ import annotations`: TypedDict must see NotRequired at class creation.)"""

from typing import NotRequired, TypedDict


class FinetuneModel(TypedDict):
    original: str
    accuracy_original_clean: float
    accuracy_original_deleted: float
    accuracy_finetuned_clean: float
    accuracy_finetuned_deleted: float
    softmax_mean_abs_diff: float
    gradcam_mean_abs_diff: float


class IdsdsFinetuneMetrics(TypedDict):
    deletion_mode: str
    checkpoint: str
    models: dict[str, FinetuneModel]
    label: NotRequired[str]
