"""The `filter` section and the params the filter stage reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from rashomon.core.config import DataConfig, Determinism, Distinct, NonEmpty, PromptIndex, Unique


@dataclass(frozen=True)
class FilterConfig:
    keep_prompts: Annotated[list[PromptIndex], NonEmpty("null keeps every prompt; [] would keep none"),
                            Unique()] | None
    exclude_prompts: Distinct[PromptIndex]
    exclude_challenges: Distinct[str]
    exclude_categories: Distinct[str]
    keep_categories_prompts: Distinct[PromptIndex]


@dataclass(frozen=True)
class FilterParams:
    """The sections the filter stage reads (its `params:` in dvc.yaml)."""

    data: DataConfig
    filter: FilterConfig
    determinism: Determinism
