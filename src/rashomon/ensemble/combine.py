"""Bagging (the mean of all members' predictions) and stacking (a linear meta-learner on
the architectures' predictions, scored out of fold), as in the study's ensemble protocol."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from rashomon.backbones.geometry import Grid, canvas_of, grid_of
from rashomon.variants.variant_set import VariantSet


def bagging(member_predictions: np.ndarray) -> np.ndarray:
    """Mean over members (N, M) -> (N,)."""
    return np.asarray(member_predictions, dtype=np.float64).mean(1)


def stacking_oof(features: np.ndarray, target: np.ndarray, folds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions of a linear meta-learner (least squares with intercept) over
    the folds in `folds` (N,), and the weights (intercept first) fitted on all images."""
    from sklearn.linear_model import LinearRegression   # 0.9 s to import: only stacking needs it

    oof = np.empty(len(target))
    for f in np.unique(folds):
        test = folds == f
        oof[test] = LinearRegression().fit(features[~test], target[~test]).predict(features[test])
    full = LinearRegression().fit(features, target)
    return oof, np.concatenate([[full.intercept_], full.coef_])


class BaggedEnsemble(nn.Module):
    """The bagged ensemble as one model with a single 'variant': the mean over every
    architecture's variants. Each architecture's stem runs once per image for all its
    variants, so perturbation methods cost one stem pass per architecture per image.
    Inputs lie on one canvas (the widest field of view at the finest pixels of the
    members' grids); each member crops and resizes it to its own input, so perturbations
    happen once in one pixel space for any mix of input sizes."""

    def __init__(self, members: Sequence[VariantSet], canvas: Grid | None = None):
        super().__init__()
        self.canvas = canvas if canvas is not None else canvas_of(grid_of(m.backbone.spec) for m in members)
        self.members = nn.ModuleList([m.on_canvas(self.canvas) for m in members])
        self.total = sum(len(m) for m in members)
        self.eval()

    def __len__(self) -> int:
        return 1

    def combine(self, member_scores: Sequence[torch.Tensor]) -> torch.Tensor:
        """ScoredModel: the ensemble's score (B, 1) from each member's variant scores (B, K_m)."""
        return (sum(s.sum(1) for s in member_scores) / self.total).unsqueeze(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.combine([m(x) for m in self.members])

    def stem_groups(self) -> list[VariantSet]:
        """ScoredModel: one stem group per member architecture."""
        return list(self.members)

    def item_predictions(self, x: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
        """ScoredModel: the ensemble has one 'variant', so every item gets its prediction."""
        return self(x)[:, 0]
