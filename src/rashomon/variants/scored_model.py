"""What every attributable model offers the attribution methods: its shared-stem groups and
how their scores combine, and per-item predictions. `VariantSet` and `BaggedEnsemble`
implement it; methods and scorers use it instead of asking which class they hold."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import torch
from torch import nn

MEAN = -1   # the "variant" index of the variants' mean model


@runtime_checkable
class ScoredModel(Protocol):
    """A model whose outputs (B, K) are the scores of K variants (or of one combined model)."""

    def stem_groups(self) -> Sequence[nn.Module]:
        """The variant sets (VariantSet) whose stems run once per input for all their variants."""

    def combine(self, group_scores: Sequence[torch.Tensor]) -> torch.Tensor:
        """The model's scores (B, K) from each stem group's variant scores, in stem_groups() order."""

    def item_predictions(self, x: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
        """Prediction (B,) of item i by variant which[i] (MEAN: the variants' mean)."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...
