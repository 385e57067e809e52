"""Loading weights from a local file or an existing torch hub cache; never downloads."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from rashomon.backbones.family import FAMILIES, Family
from rashomon.backbones.registry import BackboneSpec, get_spec, list_backbones
from rashomon.core.config import BackbonesConfig
from rashomon.core.errors import InputError
from rashomon.core.io import load_tensors


def hub_cache_path(spec: BackboneSpec) -> Path | None:
    """Where torch.hub would have cached this architecture's ImageNet weights."""
    if spec.weights_file is None:
        return None
    return Path(torch.hub.get_dir()) / "checkpoints" / spec.weights_file


def resolve_weights(spec: BackboneSpec, configured: str | None) -> Path:
    """The weights file to use: the configured path, else the hub cache; clear error if absent."""
    path = Path(configured) if configured else hub_cache_path(spec)
    if path is None:
        raise InputError(f"{spec.name}: no weights configured; set backbones.weights.{spec.name} to a state-dict file")
    if not path.is_file():
        hint = f" (expected name {spec.weights_file}, in {hub_cache_path(spec).parent})" if spec.weights_file else ""
        raise InputError(
            f"{spec.name}: weights file {path} not found. Nothing is downloaded: put the weights "
            f"there{hint}, or set backbones.weights.{spec.name}: /path/to/file.pth")
    return path


def _clean(state: dict, family: Family) -> dict:
    """The state dict inside a checkpoint (wrappers' prefixes removed, the family's renames)."""
    for key in ("state_dict", "model", "backbone"):
        if key in state and isinstance(state[key], dict):
            state = state[key]
    return {family.checkpoint_key(re.sub(r"^(module\.|model\.|backbone\.)", "", k)): v for k, v in state.items()}


def load_weights(model: nn.Module, spec: BackboneSpec, path: Path) -> None:
    """Load a state dict into `model`; a file for another architecture is refused with
    the missing, unexpected and mis-shaped keys listed."""
    if not path.is_file():
        raise InputError(f"{spec.name}: weights file {path} does not exist")
    family = FAMILIES.get(spec.family)
    state = load_tensors(path, f"{spec.name} weights (a state dict of tensors)")
    if not isinstance(state, dict):
        raise InputError(f"{spec.name}: weights file {path} holds a {type(state).__name__}, not a state dict")
    state = _clean(state, family)
    own = model.state_dict()
    mismatched = [f"{k}: file {tuple(v.shape)} vs model {tuple(own[k].shape)}"
                  for k, v in state.items() if k in own and tuple(v.shape) != tuple(own[k].shape)]
    missing = [k for k in own if k not in state and not family.is_head_key(k) and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in own]
    if mismatched or missing or unexpected:
        parts = []
        if mismatched:
            parts.append(f"shape mismatch {mismatched[:5]}")
        if missing:
            parts.append(f"missing {missing[:5]} ({len(missing)} in all)")
        if unexpected:
            parts.append(f"unexpected {unexpected[:5]} ({len(unexpected)} in all)")
        raise InputError(f"{spec.name}: weights file {path} does not fit this architecture: " + "; ".join(parts))
    model.load_state_dict(state, strict=False)


def check_backbone_names(cfg: BackbonesConfig) -> None:
    """Every name in `backbones.names` and every `backbones.weights` key must be registered
    (a misspelled key would otherwise be ignored and other weights used)."""
    for key, group in (("backbones.names", cfg.names), ("backbones.weights", list(cfg.weights))):
        unknown = [n for n in group if n not in list_backbones()]
        if unknown:
            raise InputError(f"params.yaml: {key}: unknown architecture {unknown[0]!r}; "
                             f"registered: {', '.join(list_backbones())}")
    if not cfg.names:
        raise InputError("params.yaml: backbones.names is empty")


def weights_for(name: str, cfg: BackbonesConfig, pretrained_dir: Path) -> Path:
    """The weights a pipeline stage uses for `name`: `backbones.weights.<name>` if set,
    else the in-pipeline pretrained file (default backbones), else the torch hub cache."""
    configured = cfg.weights.get(name)
    if not configured and get_spec(name).pretrain:
        configured = str(Path(pretrained_dir) / f"{name}.pt")
    return resolve_weights(get_spec(name), configured)
