"""The registry of attribution methods and the one `attribute()` entry point."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from rashomon.core.registry import Registry
from rashomon.variants.variant_set import VariantSet


@dataclass
class Attribution:
    maps: np.ndarray                       # (N, K, H, W), signed
    info: dict[str, Any] = field(default_factory=dict)   # per-image extras (e.g. LIME fidelity (N, K))


METHODS: Registry[Callable[..., Attribution]] = Registry("attribution method")


def attribute(method: str, images: torch.Tensor | None, variants: VariantSet, **options: Any) -> Attribution:
    """Attribution maps of every variant for every image, by `method`."""
    return METHODS.get(method)(images, variants, **options)


def minmax(maps: np.ndarray) -> np.ndarray:
    """Display view: each map scaled to [0, 1] (signed maps stay the analysed quantity)."""
    lo = maps.min(axis=(-2, -1), keepdims=True)
    hi = maps.max(axis=(-2, -1), keepdims=True)
    return (maps - lo) / np.where(hi > lo, hi - lo, 1.0)
