"""The params the report stage reads."""

from __future__ import annotations

from dataclasses import dataclass

from rashomon.core.config import DataConfig, Determinism
from rashomon.idsds.idsds_params import IdsdsConfig


@dataclass(frozen=True)
class ReportParams:
    """The sections the report stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    idsds: IdsdsConfig
    determinism: Determinism
