"""All trained variants of one architecture on one shared frozen backbone.

A variant is a head plus a channel mask on the target layer (all ones when unpruned;
zeroing a channel's activation equals zeroing its kernel and bias). `scores_from_stem`
takes the stem's outputs once and returns every variant's prediction, so perturbation
methods push each perturbed image through the stem a single time for all variants.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

from rashomon.backbones import Backbone
from rashomon.backbones.geometry import Grid, grid_of, resample
from rashomon.core.device import CPU, module_device, to_device
from rashomon.heads.fitted import FittedHead, load_head, to_rating_units
from rashomon.variants.scored_model import MEAN


def apply_channel_mask(target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Target activations (B, C, h, w) with channel c scaled by mask[c] (0 = pruned); a
    leading batch of masks (M, C) gives (M, B, C, h, w)."""
    if mask.dim() == 1:
        return target * mask.view(1, -1, 1, 1)
    return target.unsqueeze(0) * mask[:, None, :, None, None]


class VariantSet(nn.Module):
    """Every variant of one architecture; its inputs lie on the backbone's own grid, or on
    `canvas` (a bagged ensemble's common input), which `stem` crops and resizes from."""

    def __init__(self, backbone: Backbone, heads: Sequence[FittedHead], masks: torch.Tensor | None = None,
                 canvas: Grid | None = None):
        super().__init__()
        self.backbone = backbone
        self.canvas = canvas   # None: the backbone's own grid
        self.fitted = list(heads)
        self.heads = nn.ModuleList([h.head.eval() for h in heads])
        for p in self.heads.parameters():
            p.requires_grad_(False)
        self.register_buffer("means", torch.tensor([h.target_mean for h in heads], dtype=torch.float32))
        self.register_buffer("sds", torch.tensor([h.target_sd for h in heads], dtype=torch.float32))
        channels = None
        if masks is None:
            with torch.no_grad():
                size = backbone.spec.input_size
                channels = backbone.stem(torch.zeros(1, 3, size, size, device=module_device(backbone)))[0].shape[1]
            masks = torch.ones(len(heads), channels)
        self.register_buffer("masks", torch.as_tensor(masks, dtype=torch.float32))
        self.eval()

    def __len__(self) -> int:
        return len(self.heads)

    @property
    def pruned(self) -> bool:
        return bool((self.masks < 1).any())

    def select(self, k: int) -> "VariantSet":
        """Variant k alone (for per-variant comparisons)."""
        return VariantSet(self.backbone, [self.fitted[k]], self.masks[k:k + 1], self.canvas)

    def on_canvas(self, canvas: Grid) -> "VariantSet":
        """The same variants taking inputs on `canvas` (shared heads, masks and backbone)."""
        return VariantSet(self.backbone, self.fitted, self.masks, canvas)

    @property
    def resamples(self) -> bool:
        """Whether inputs are cut from a canvas other than the backbone's own grid."""
        return self.canvas is not None and self.canvas != grid_of(self.backbone.spec)

    def stem(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The backbone's stem outputs for inputs on this set's canvas."""
        return self.backbone.stem(resample(x, self.canvas, grid_of(self.backbone.spec)) if self.resamples else x)

    def head_scores(self, embedding: torch.Tensor, k: int) -> torch.Tensor:
        """Variant k's prediction (rating units) from an embedding."""
        return to_rating_units(self.heads[k](embedding).squeeze(-1), self.means[k], self.sds[k])

    def variant_from_stem(self, outs: Sequence[torch.Tensor], k: int) -> torch.Tensor:
        """Variant k's prediction (B,) from stem outputs (target, *side)."""
        target, *side = outs
        return self.head_scores(self.backbone.tail(apply_channel_mask(target, self.masks[k]), *side), k)

    def scores_from_stem(self, outs: Sequence[torch.Tensor]) -> torch.Tensor:
        """All variants' predictions (B, K); the tail runs once per distinct mask."""
        target, *side = outs
        unique, inverse = torch.unique(self.masks, dim=0, return_inverse=True)
        embeddings = [self.backbone.tail(apply_channel_mask(target, m), *side) for m in unique]
        return torch.stack([self.head_scores(embeddings[int(inverse[k])], k) for k in range(len(self))], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scores_from_stem(self.stem(x))

    def stem_groups(self) -> list["VariantSet"]:
        """ScoredModel: one stem serves every variant."""
        return [self]

    def combine(self, group_scores: Sequence[torch.Tensor]) -> torch.Tensor:
        """ScoredModel: the one group's scores are the model's."""
        return group_scores[0]

    def item_predictions(self, x: torch.Tensor, which: torch.Tensor) -> torch.Tensor:
        """ScoredModel: prediction (B,) of item i by variant which[i] or their mean (MEAN);
        the stem runs once for all items."""
        outs = self.stem(x)
        pred = x.new_zeros(len(x))
        for k in torch.unique(which).tolist():
            rows = torch.nonzero(which == k).squeeze(1)
            part = [o[rows] for o in outs]
            value = self.scores_from_stem(part).mean(1) if k == MEAN else self.variant_from_stem(part, k)
            pred = pred.index_put((rows,), value)
        return pred


@torch.no_grad()
def stem_scores(variants: VariantSet, outs: Sequence[torch.Tensor], device: torch.device = CPU) -> np.ndarray:
    """All variants' predictions (N, K) from (cached) stem outputs, computed on `device`."""
    variants.to(device)
    return variants.scores_from_stem(to_device(outs, device)).cpu().numpy()


def load_variants(backbone: Backbone, heads_dir: Path, n_variants: int | None = None,
                  masks: np.ndarray | None = None) -> VariantSet:
    """Heads `heads_dir/{arch}/v{k}.pt` (k < n_variants, default all) with optional masks."""
    files = sorted((heads_dir / backbone.spec.name).glob("v*.pt"), key=lambda p: int(p.stem[1:]))
    if n_variants is not None:
        files = files[:n_variants]
    heads = [load_head(f) for f in files]
    return VariantSet(backbone, heads, None if masks is None else torch.as_tensor(masks[: len(heads)]))
