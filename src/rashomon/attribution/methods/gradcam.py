"""Grad-CAM for a scalar output, from cached stem outputs through the tail only.

The target is the stem's last conv output (`conv`, the study's layer: before BatchNorm for
every family here), or later in the tail: the BatchNorm output (`after_bn`) or the
activation that enters global pooling (`block_output`). A signed map taken before
BatchNorm carries a per-image constant (sum over channels of weight x BN running mean)
that can set the sign of the whole map; `constant_share` measures it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from rashomon.attribution.method import Attribution, AttributionMethod, Inputs, register_method
from rashomon.core.config import Count
from rashomon.core.device import to_device
from rashomon.variants.variant_set import VariantSet, apply_channel_mask


CAM_TARGETS = ("conv", "after_bn", "block_output")


def _cam_at_layer(variants: VariantSet, target: torch.Tensor, side: Sequence[torch.Tensor],
                  layer: str) -> torch.Tensor:
    """(K, B, h, w) Grad-CAM at a tail module's output, captured with a forward hook."""
    module = variants.backbone.tail.cam_layers()[layer]
    captured: list[torch.Tensor] = []

    def hook(_m, _i, out):
        captured.append(out)
        return out.clone()  # an in-place op after the layer (VGG's ReLU) must not overwrite what we keep

    handle = module.register_forward_hook(hook)
    try:
        with torch.enable_grad():
            x = target.clone().requires_grad_(True)   # puts the frozen tail's activations in the graph
            total = sum(variants.variant_from_stem((x, *side), j).sum() for j in range(len(variants)))
            grads = torch.autograd.grad(total, captured)
    finally:
        handle.remove()
    return torch.stack([(g.mean(dim=(-2, -1), keepdim=True) * a.detach()).sum(1) for g, a in zip(grads, captured)])


def gradcam_from_stem(variants: VariantSet, outs: Sequence[torch.Tensor], size: tuple[int, int],
                      relu: bool = False, target_layer: str = "conv") -> torch.Tensor:
    """Grad-CAM of every variant from stem outputs: d(score)/d(target activation), channel
    weights = spatial mean of the gradient, weighted sum of the (masked) activations,
    bilinear upsampling to the input size. Returns (B, K, H, W)."""
    target, *side = [o.detach() for o in outs]
    k = len(variants)
    if target_layer == "conv":
        a = target.unsqueeze(0).expand(k, *target.shape).clone().requires_grad_(True)
        with torch.enable_grad():
            total = sum(variants.variant_from_stem((a[j], *side), j).sum() for j in range(k))
            (grad,) = torch.autograd.grad(total, a)
        masked = apply_channel_mask(target, variants.masks)                 # (K, B, C, h, w)
        cam = (grad.mean(dim=(-2, -1), keepdim=True) * masked).sum(dim=2)   # (K, B, h, w)
    elif target_layer in CAM_TARGETS:
        cam = _cam_at_layer(variants, target, side, target_layer)
    else:
        raise ValueError(f"unknown Grad-CAM target {target_layer!r}; choose from {CAM_TARGETS}")
    if relu:
        cam = cam.clamp_min(0)
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)
    return cam.transpose(0, 1)


def constant_share(maps: np.ndarray) -> np.ndarray:
    """Per map, the share of its energy that is its spatial mean (mean^2 / mean of squares):
    1 for a constant map, 0 for a map that averages to zero. NaN for an all-zero map."""
    flat = maps.reshape(*maps.shape[:-2], -1).astype(np.float64)
    energy = (flat ** 2).mean(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(energy > 0, flat.mean(-1) ** 2 / energy, np.nan)


def single_signed(maps: np.ndarray) -> np.ndarray:
    """Per map, whether every pixel has the same sign (the constant dominates)."""
    flat = maps.reshape(*maps.shape[:-2], -1)
    return (flat >= 0).all(-1) | (flat <= 0).all(-1)


@dataclass(frozen=True)
class GradcamOptions:
    n_images: Count | None = None   # null = the whole shared test set
    relu: bool = False
    target_layer: Literal["conv", "after_bn", "block_output"] = "conv"   # conv = the study's (before BatchNorm)


@register_method
class GradCam(AttributionMethod):
    """Grad-CAM for a scalar output, on `device`; from the feature cache's stem outputs
    (no stem pass), or from images through the stem once."""

    name, Options, reads, supports_ensemble = "gradcam", GradcamOptions, "stem", False
    batch_size = 64   # images per backward pass

    def attribute(self, inputs: Inputs, model: VariantSet) -> Attribution:
        opts, device = self.options, self.device
        model.to(device)
        stem_outputs, images = inputs.stem_outputs, inputs.images
        if stem_outputs is None:
            with torch.no_grad():
                stem_outputs = model.backbone.stem(images.to(device))
        size = inputs.size or (tuple(images.shape[-2:]) if images is not None
                               else (model.backbone.spec.input_size,) * 2)
        n, step = stem_outputs[0].shape[0], self.batch_size
        maps = [gradcam_from_stem(model, to_device([o[i:i + step] for o in stem_outputs], device), size, opts.relu,
                                  opts.target_layer).cpu() for i in range(0, n, step)]
        return Attribution(torch.cat(maps).numpy())

    def summary(self, result: Attribution) -> dict[str, float]:
        """The per-image constant of a signed map (docs/explanations.md)."""
        return {"constant_share_mean": float(np.nanmean(constant_share(result.maps))),
                "single_signed_maps_share": float(single_signed(result.maps).mean())}

    def header(self) -> dict[str, str]:
        return {"target_layer": self.options.target_layer}


def gradcam_full_model(variants: VariantSet, images: torch.Tensor, k: int, relu: bool = False) -> torch.Tensor:
    """The standard path, for comparison: a full forward (stem included) and backward to
    the target layer for variant k alone (frozen weights: no gradient needed below it)."""
    with torch.enable_grad():
        target, *side = variants.backbone.stem(images)
        target.requires_grad_(True)
        variants.variant_from_stem((target, *side), k).sum().backward()
    masked = apply_channel_mask(target.detach(), variants.masks[k])
    cam = (target.grad.mean(dim=(-2, -1), keepdim=True) * masked).sum(1, keepdim=True)
    if relu:
        cam = cam.clamp_min(0)
    return F.interpolate(cam, size=images.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
