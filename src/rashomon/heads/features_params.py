"""The params the features stage reads (shared sections only)."""

from __future__ import annotations

from dataclasses import dataclass

from rashomon.core.config import BackbonesConfig, ComputeConfig, DataConfig, Determinism


@dataclass(frozen=True)
class FeaturesParams:
    """The sections the features stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    compute: ComputeConfig
    determinism: Determinism
