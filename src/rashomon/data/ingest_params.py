"""The params the ingest stage reads (only `data`, shared with the stages downstream)."""

from __future__ import annotations

from dataclasses import dataclass

from rashomon.core.config import DataConfig, Determinism


@dataclass(frozen=True)
class IngestParams:
    """The sections the ingest stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    determinism: Determinism
