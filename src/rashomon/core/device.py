"""The compute device: `compute.accelerator` resolved to one torch.device, the Lightning
Trainer options that put a Trainer on that same device, and moving models and tensors there.

Library functions that run a network take `device` (default: the CPU, today's behaviour),
move the model and their inputs there and hand back CPU tensors or numpy arrays. On the
CPU every move is a no-op, so the CPU's bytes do not depend on this module.
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import torch
from torch import nn

from rashomon.core.config import ComputeConfig
from rashomon.core.errors import InputError

CPU = torch.device("cpu")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def resolve_device(cfg: ComputeConfig) -> torch.device:
    """`compute.accelerator` as a torch.device (auto: cuda if available, else cpu; gpu: cuda, else mps)."""
    accelerator = cfg.accelerator
    if accelerator == "cpu":
        return CPU
    if accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    if accelerator == "auto":
        return CPU
    if accelerator in ("gpu", "mps") and _mps_available():
        return torch.device("mps")
    raise InputError(f"params.yaml: compute.accelerator = {accelerator!r}, but torch sees no such device on this "
                     "machine (use auto or cpu)")


def trainer_options(device: torch.device) -> dict[str, Any]:
    """Lightning Trainer options (accelerator, devices) that train on `device` alone."""
    if device.type == "cuda":
        return {"accelerator": "cuda", "devices": [device.index or 0]}
    if device.type == "mps":
        return {"accelerator": "mps", "devices": 1}
    return {"accelerator": "cpu", "devices": 1}


def module_device(module: nn.Module) -> torch.device:
    """Where a module's first parameter (else buffer) lives; the CPU for a module with neither."""
    first = next(itertools.chain(module.parameters(), module.buffers()), None)
    return CPU if first is None else first.device


def to_device(tensors: Sequence[torch.Tensor], device: torch.device) -> list[torch.Tensor]:
    """Each tensor on `device` (no copy where it already is)."""
    return [t.to(device) for t in tensors]
