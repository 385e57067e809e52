"""The params the explain and explain_figures stages read (shared sections only)."""

from __future__ import annotations

from dataclasses import dataclass

from rashomon.core.config import BackbonesConfig, ComputeConfig, DataConfig, Determinism, ExplainConfig, TrainConfig


@dataclass(frozen=True)
class ExplainParams:
    """The sections the explain stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    train: TrainConfig
    explain: ExplainConfig
    compute: ComputeConfig
    determinism: Determinism


@dataclass(frozen=True)
class ExplainFiguresParams:
    """The sections the explain_figures stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    backbones: BackbonesConfig
    explain: ExplainConfig
    determinism: Determinism
