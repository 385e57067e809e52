"""The generator interface, saving and loading, and plug-in generators."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol, runtime_checkable

import torch
from torch import nn

from rashomon.core.errors import InputError
from rashomon.generative.autoencoder import ConvAutoencoder
from rashomon.core.io import load_tensors, save_torch


@runtime_checkable
class Generator(Protocol):
    """What a counterfactual needs: RGB (N, 3, H, W) in [0, 1] <-> latent, differentiably."""

    def encode(self, rgb: torch.Tensor) -> torch.Tensor: ...

    def decode(self, z: torch.Tensor) -> torch.Tensor: ...


def save_generator(path: Path, model: ConvAutoencoder) -> None:
    """Architecture settings and weights in one file (atomic, byte-stable)."""
    save_torch(path, {"config": model.config, "state_dict": model.state_dict()})


def load_generator(path: Path | None, plugin: str | None = None, size: int | None = None) -> nn.Module:
    """The trained generator at `path`, or `plugin` ("package.module:factory", called with
    the image size) for a better generator than the default's autoencoder (docs/explanations.md)."""
    if plugin:
        module_name, _, attr = plugin.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as err:
            raise InputError(f"counterfactual.generator.plugin {plugin!r}: cannot import it ({err})") from None
        model = factory(size)
    else:
        if path is None or not Path(path).is_file():
            raise InputError(f"{path}: no trained generator here (run the generator stage)")
        stored = load_tensors(path, "a generator saved by rashomon")
        if not isinstance(stored, dict) or not {"config", "state_dict"} <= set(stored):
            raise InputError(f"{path}: not a generator saved by rashomon (no config and state_dict)")
        model = ConvAutoencoder(**stored["config"])
        model.load_state_dict(stored["state_dict"])
    if not isinstance(model, Generator):
        raise InputError(f"generator {plugin or path}: needs encode() and decode() methods")
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model
