"""What an architecture family is: how its models split into stem and tail, how its
checkpoints name their keys, and how incremental inference walks its stem; the registry.

The tail must reproduce the full model exactly from the target activation, so where
the network has a skip connection around the target layer (ResNet's identity, DenseNet's
concatenated features) the stem also returns that side input.

Every tail is `rest(mix(channelwise(target, *side)))`: a channel-wise part (output
channel c depends on target channel c only; shape (N, C_total, k)), a linear mixing
(identity, or VGG's fc1) and the nonlinear rest. Pruning uses this to evaluate the
zeroing of every channel as a low-rank update instead of a full tail pass.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from contextlib import contextmanager
from typing import Any, ClassVar, Iterator

import torch
from torch import nn

from rashomon.core.errors import InputError
from rashomon.core.registry import Registry


class Tail(nn.Module):
    """The part after the target layer, with the structure pruning and Grad-CAM use. Every
    subclass sets these in `__init__` (class-level values would shadow registered modules)."""

    target_offset: int                   # where the target's channels start in `channelwise`'s output
    mix_weight: torch.Tensor | None      # the linear mixing after pooling (None: identity)
    mix_bias: torch.Tensor | None
    rest: nn.Module                      # everything after the mixing

    def channelwise(self, target: torch.Tensor, *side: torch.Tensor) -> torch.Tensor:
        """(N, C_total, k): output channel c depends on target channel c only."""
        raise NotImplementedError

    def cam_layers(self) -> dict[str, nn.Module]:
        """Modules whose *output* is a later Grad-CAM target (after_bn, block_output)."""
        raise NotImplementedError


class Family(ABC):
    """One architecture family (torchvision module layouts). Subclasses set `name`, may set
    `classifier`, `head_keys` and `incremental`, and implement `split`."""

    name: ClassVar[str]
    classifier: ClassVar[str] = "classifier"   # the model's attribute holding its classification head
    head_keys: ClassVar[str] = r"^$"    # checkpoint keys of the classifier (absent from self-supervised files)
    incremental: ClassVar[bool] = False  # `incremental_stem` walks this family's stem (exact incremental MPM)

    @abstractmethod
    def split(self, model: nn.Module, target_layer: str) -> tuple[nn.Module, Tail]:
        """(stem, tail): stem(x) -> (target, *side); tail(target, *side) -> the embedding."""

    def reference_embedding(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The embedding by the unsplit model's own forward (classifier removed): the
        independent check that stem + tail is exact."""
        with replaced(model, self.classifier, nn.Identity()):
            return model(x)

    def checkpoint_key(self, key: str) -> str:
        """A checkpoint's key renamed to what the model calls it (old file formats)."""
        return key

    def is_head_key(self, key: str) -> bool:
        return re.match(self.head_keys, key) is not None

    def incremental_stem(self, engine: Any, stem: nn.Module, state: Any) -> tuple[Any, ...]:
        """The stem's outputs (target, *side) as Patched states, computed by `engine`
        (attribution.incremental.Incremental) layer by layer."""
        raise TypeError(f"no incremental path for the {self.name} family")


FAMILIES: Registry[Family] = Registry("backbone family")


def register_family(cls: type[Family]) -> type[Family]:
    """Class decorator: make family `cls` available to BackboneSpec(family=cls.name)."""
    FAMILIES.register(cls.name)(cls())
    return cls


def check_target_layer(model: nn.Module, target_layer: str) -> None:
    """The target layer must be a conv layer of `model`; otherwise list the valid ones."""
    convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    if target_layer not in convs:
        raise InputError(f"target layer {target_layer!r} does not exist or is not a conv layer; "
                         f"conv layers: {', '.join(convs[-8:])} (last 8 of {len(convs)})")


@contextmanager
def replaced(model: nn.Module, attr: str, module: nn.Module) -> Iterator[nn.Module]:
    """`model.<attr>` temporarily replaced by `module` (the classifier removed, for a reference forward)."""
    saved = getattr(model, attr)
    setattr(model, attr, module)
    try:
        yield model
    finally:
        setattr(model, attr, saved)
