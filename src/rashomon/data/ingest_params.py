"""The params the ingest stage reads (only `data`, shared with the stages downstream)."""

from __future__ import annotations

from dataclasses import dataclass

from rashomon.core.config import DataConfig, Determinism


@dataclass(frozen=True)
class IngestParams:
    data: DataConfig
    determinism: Determinism
