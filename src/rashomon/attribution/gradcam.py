"""Grad-CAM for a scalar output, from cached stem outputs through the tail only."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from rashomon.attribution.registry import METHODS, Attribution
from rashomon.variants.variant_set import VariantSet, apply_channel_mask


def gradcam_from_stem(variants: VariantSet, outs: Sequence[torch.Tensor], size: tuple[int, int],
                      relu: bool = False) -> torch.Tensor:
    """Grad-CAM of every variant from stem outputs: d(score)/d(target activation), channel
    weights = spatial mean of the gradient, weighted sum of the (masked) activations,
    bilinear upsampling to the input size. Returns (B, K, H, W)."""
    target, *side = [o.detach() for o in outs]
    k = len(variants)
    a = target.unsqueeze(0).expand(k, *target.shape).clone().requires_grad_(True)
    with torch.enable_grad():
        total = sum(variants.variant_from_stem((a[j], *side), j).sum() for j in range(k))
        (grad,) = torch.autograd.grad(total, a)
    masked = apply_channel_mask(target, variants.masks)                 # (K, B, C, h, w)
    cam = (grad.mean(dim=(-2, -1), keepdim=True) * masked).sum(dim=2)   # (K, B, h, w)
    if relu:
        cam = cam.clamp_min(0)
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)
    return cam.transpose(0, 1)


@METHODS.register("gradcam")
def gradcam(images: torch.Tensor | None, variants: VariantSet, *, stem_outputs: Sequence[torch.Tensor] | None = None,
            size: tuple[int, int] | None = None, relu: bool = False, batch_size: int = 64) -> Attribution:
    """Grad-CAM for a scalar output; with `stem_outputs` (the feature cache) no stem pass runs."""
    if stem_outputs is None:
        with torch.no_grad():
            stem_outputs = variants.backbone.stem(images)
    if size is None:
        size = tuple(images.shape[-2:]) if images is not None else (variants.backbone.spec.input_size,) * 2
    n = stem_outputs[0].shape[0]
    maps = [gradcam_from_stem(variants, [o[i:i + batch_size] for o in stem_outputs], size, relu)
            for i in range(0, n, batch_size)]
    return Attribution(torch.cat(maps).numpy())


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
