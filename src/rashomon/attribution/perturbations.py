"""Perturbation batches (MPM's masks, LIME's superpixel patterns) and scoring them with
every variant: one scorer that the local loop here and the Lightning predict loop
(attribution/predict.py) both run, so the two give the same scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import torch
from torch import Tensor, nn

from rashomon.attribution.incremental import Incremental, Patched, masked_state, supports
from rashomon.variants.scored_model import ScoredModel


def square_masks(centres: Tensor, side: int, h: int, w: int) -> Tensor:
    """Boolean (n, h, w) masks: a side x side square centred at each (y, x) centre."""
    half = side // 2
    rows = (torch.arange(h, device=centres.device).view(1, -1) - centres[:, :1]).abs() <= half
    cols = (torch.arange(w, device=centres.device).view(1, -1) - centres[:, 1:]).abs() <= half
    return rows[:, :, None] & cols[:, None, :]


@dataclass
class Perturbation:
    """A batch of perturbed versions of image `image` (an index into the explained images)."""

    image: int

    def __len__(self) -> int:
        return 1

    def apply(self, image: Tensor) -> Tensor:
        """The perturbed images (B, 3, H, W); the base class leaves the image as it is."""
        return image[None]


@dataclass
class Original(Perturbation):
    """The unperturbed image (the reference score)."""


@dataclass
class SquareMasks(Perturbation):
    """MPM: a side x side square around each centre (y, x) set to `fill`."""

    centres: Tensor
    side: int
    fill: float

    def __len__(self) -> int:
        return len(self.centres)

    def apply(self, image: Tensor) -> Tensor:
        _, h, w = image.shape
        masks = square_masks(self.centres, self.side, h, w).unsqueeze(1)
        return torch.where(masks, torch.full_like(image, self.fill), image.unsqueeze(0))

    def patched(self, image: Tensor) -> Patched:
        """The same masked images as changed rectangles, for incremental inference."""
        return masked_state(image, self.centres, self.side, self.fill)


@dataclass
class SuperpixelPatterns(Perturbation):
    """LIME: superpixels with keep[b, s] False replaced by the image's mean colour."""

    keep: Tensor          # (B, S) bool
    segments: Tensor      # (H, W) superpixel labels 0..S-1

    def __len__(self) -> int:
        return len(self.keep)

    def apply(self, image: Tensor) -> Tensor:
        baseline = image.mean(dim=(1, 2), keepdim=True).expand_as(image)
        keep = self.keep[:, self.segments].unsqueeze(1)
        return torch.where(keep, image.unsqueeze(0), baseline.unsqueeze(0))


class PerturbationScorer:
    """Every variant's scores (B, K) for a perturbation batch. The current image is kept so
    that incremental inference reuses its activations across the image's batches (one
    engine per stem: a bagged ensemble's members each have theirs)."""

    def __init__(self, model: ScoredModel | nn.Module, incremental: bool = False):
        self.model = model
        # a model without shared stems (any other nn.Module) is scored as a whole
        self.sets = list(model.stem_groups()) if isinstance(model, ScoredModel) else []
        self.incremental = incremental and bool(self.sets) and all(supports(v.backbone) and not v.resamples
                                                                    for v in self.sets)
        self.engines = [Incremental() for _ in self.sets] if self.incremental else []
        self.batches = 0
        self._index: int | None = None
        self._image: Tensor | None = None

    def __call__(self, image: Tensor, perturbation: Perturbation) -> Tensor:
        self.batches += 1
        if perturbation.image != self._index:
            self._index, self._image = perturbation.image, image
            for engine in self.engines:
                engine.new_image()
        if self.incremental and isinstance(perturbation, SquareMasks):
            state = perturbation.patched(self._image)
            scores = [v.scores_from_stem(tuple(o.full() for o in engine.stem(v.backbone, state)))
                      for v, engine in zip(self.sets, self.engines)]
            return self.model.combine(scores)
        # channels_last input: oneDNN's fast layout, 1.3-1.5x per forward pass of the small backbones at
        # batch 256 (benchmarks/bench_scoring_layout.py); as thread-independent as the default layout
        return self.model(perturbation.apply(self._image).contiguous(memory_format=torch.channels_last))

    def counts(self) -> dict[str, Any]:
        """Batches scored and, with incremental inference, conv MACs computed and what full
        maps would cost (over every stem) and where it first ran in full."""
        out: dict[str, Any] = {"batches": self.batches}
        if self.incremental:
            stats = [e.stats for e in self.engines]
            out |= {"conv_macs": sum(s.macs for s in stats), "conv_macs_full": sum(s.full_macs for s in stats),
                    "full_from": next((s.first_fallback for s in stats if s.first_fallback), None)}
        return out


def summarise_counts(per_rank: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The scorers' counts over processes: batches scored by each; with incremental
    inference, the share of conv MACs skipped (pooled) and where it first ran in full."""
    out: dict[str, Any] = {"batches_per_rank": [c["batches"] for c in per_rank]}
    incremental = [c for c in per_rank if "conv_macs" in c]
    if incremental:
        full = sum(c["conv_macs_full"] for c in incremental)
        out["conv_macs_skipped"] = 1 - sum(c["conv_macs"] for c in incremental) / full if full else 0.0
        out["full_from"] = next((c["full_from"] for c in incremental if c["full_from"]), None)
    return out
