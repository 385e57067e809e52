"""Registry of backbone architectures and the one factory that builds them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from rashomon.backbones.family import FAMILIES, Family, check_target_layer
from rashomon.backbones.geometry import Grid, grid_of
from rashomon.core.errors import InputError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class BackboneSpec:
    """What the pipeline needs to know about one architecture."""

    name: str
    family: str                 # a registered Family: vgg | resnet | densenet | efficientnet | ...
    build: Callable[[], nn.Module]
    target_layer: str           # Grad-CAM / pruning layer, dotted name in the full model
    input_size: int             # centre-crop size
    resize_size: int            # shorter side before cropping
    head: str = "study"         # "study" (d-512-128-1) or "vgg" (4096-128-1)
    weights_file: str | None = None   # file name in the torch hub cache (real weights)
    pretrain: str | None = None       # "supervised" | "barlow_twins": trained in-pipeline
    description: str = ""


_REGISTRY: dict[str, BackboneSpec] = {}


def register(spec: BackboneSpec) -> BackboneSpec:
    _REGISTRY[spec.name] = spec
    return spec


def list_backbones() -> list[str]:
    return sorted(_REGISTRY)


def get_spec(name: str) -> BackboneSpec:
    if name not in _REGISTRY:
        raise InputError(f"unknown architecture {name!r}; registered: {', '.join(list_backbones())}")
    return _REGISTRY[name]


def input_grids(names) -> dict[str, Grid]:
    """Each named architecture's input grid (where its input lies in the source image)."""
    return {name: grid_of(get_spec(name)) for name in names}


class Backbone(nn.Module):
    """A frozen backbone as stem + tail, with the full model kept for reference."""

    def __init__(self, spec: BackboneSpec, model: nn.Module):
        super().__init__()
        self.spec = spec
        self.model = model
        self.family: Family = FAMILIES.get(spec.family)
        check_target_layer(model, spec.target_layer)
        self.stem, self.tail = self.family.split(model, spec.target_layer)
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tail(*self.stem(x))

    def train(self, mode: bool = True) -> "Backbone":
        # frozen: batch norm statistics and dropout always in inference mode
        return super().train(False)
