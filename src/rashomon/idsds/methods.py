"""Principled attribution methods for IDSDS, under the reference's names and settings
(visinf/idsds `evaluate.py`): captum for gradients, IG and NoiseTunnel, torchcam for the
CAM family, as the reference calls them. Each returns (N, H, W) maps (channels summed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from rashomon.core.registry import Registry
from rashomon.idsds.idsds_params import IdsdsScoreConfig
from rashomon.idsds.models import gradcam_layer

Attribute = Callable[[nn.Module, torch.Tensor, torch.Tensor, IdsdsScoreConfig], torch.Tensor]
IG_CHUNK = 256   # captum's internal_batch_size: the same integral in chunks, 2-3x faster on CPU than one batch


@dataclass(frozen=True)
class IdsdsMethod:
    """One principled method: its map, whether its sign carries meaning (then each configured
    transform gives one row, `IG-raw`, `IG-abs`), and where its definition comes from."""

    attribute: Attribute
    signed: bool
    source: str       # "reference" (visinf/idsds) or "rashomon" (ours, beside the reference's)


METHODS: Registry[IdsdsMethod] = Registry("IDSDS principled method")


def method(name: str, signed: bool, source: str = "reference") -> Callable[[Attribute], Attribute]:
    def wrap(fn: Attribute) -> Attribute:
        METHODS.register(name)(IdsdsMethod(fn, signed, source))
        return fn
    return wrap


class SoftmaxOutput(nn.Module):
    """The reference's `use_softmax`: maps and drops are both taken on softmax outputs."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x).softmax(1)


def _cam_layer(net: nn.Module) -> nn.Module:
    return gradcam_layer(net.model if isinstance(net, SoftmaxOutput) else net)


def _x(x: torch.Tensor) -> torch.Tensor:
    return x.clone().requires_grad_(True)


def _zeros(x: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(x[:1])


@method("Gradient", signed=True)
def gradient(net, x, y, cfg):
    from captum.attr import Saliency

    return Saliency(net).attribute(_x(x), target=y, abs=False).sum(1)


@method("IxG", signed=True)
def input_x_gradient(net, x, y, cfg):
    from captum.attr import InputXGradient

    return InputXGradient(net).attribute(_x(x), target=y).sum(1)


@method("IG", signed=True)
def integrated_gradients(net, x, y, cfg):
    from captum.attr import IntegratedGradients

    return IntegratedGradients(net).attribute(_x(x), target=y, baselines=_zeros(x), n_steps=cfg.ig_steps,
                                              internal_batch_size=IG_CHUNK).sum(1)


def uniform_baseline(x: torch.Tensor, seed: int) -> torch.Tensor:
    """IG-U's baseline: one U(-1, 1) image (about the normalised range), drawn once for all images."""
    return torch.rand(x[:1].shape, generator=torch.Generator().manual_seed(seed)) * 2.0 - 1.0


@method("IG-U", signed=True)
def integrated_gradients_uniform(net, x, y, cfg):
    from captum.attr import IntegratedGradients

    return IntegratedGradients(net).attribute(_x(x), target=y, baselines=uniform_baseline(x, cfg.seed),
                                              n_steps=cfg.ig_steps, internal_batch_size=IG_CHUNK).sum(1)


def _noise_tunnel(net, x, y, cfg, inner: str, nt_type: str) -> torch.Tensor:
    from captum.attr import InputXGradient, IntegratedGradients, NoiseTunnel

    if inner == "IG":
        tunnel = NoiseTunnel(IntegratedGradients(net))
        extra = {"baselines": _zeros(x), "n_steps": cfg.ig_steps, "internal_batch_size": IG_CHUNK}
    else:
        tunnel = NoiseTunnel(InputXGradient(net))
        extra = {}
    return tunnel.attribute(_x(x), target=y, nt_type=nt_type, nt_samples=cfg.nt_samples, stdevs=cfg.nt_stdev,
                            **extra).sum(1)


@method("IG-SG", signed=True)
def ig_smoothgrad(net, x, y, cfg):
    return _noise_tunnel(net, x, y, cfg, "IG", "smoothgrad")


@method("IxG-SG", signed=True)
def ixg_smoothgrad(net, x, y, cfg):
    return _noise_tunnel(net, x, y, cfg, "IxG", "smoothgrad")


@method("IG-SG-SQ", signed=False)
def ig_smoothgrad_squared(net, x, y, cfg):
    return _noise_tunnel(net, x, y, cfg, "IG", "smoothgrad_sq")


def _torchcam(extractor: str, net: nn.Module, x: torch.Tensor, y: torch.Tensor, **options) -> torch.Tensor:
    """A torchcam CAM (ReLU, min-max normalised, as the reference gets it) bilinearly
    upsampled to the input size, as the reference's TorchcamExplainer does."""
    import torchcam.methods

    cls = getattr(torchcam.methods, extractor)
    with torch.enable_grad(), cls(net, target_layer=_cam_layer(net), input_shape=tuple(x.shape[1:]),
                                  **options) as cam:
        scores = net(_x(x))
        maps = cam(y.tolist(), scores)[0]
    return F.interpolate(maps[:, None].detach(), x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]


@method("Grad-CAM", signed=False)
def gradcam(net, x, y, cfg):
    return _torchcam("GradCAM", net, x, y)


@method("Grad-CAMpp", signed=False)
def gradcam_pp(net, x, y, cfg):
    """torchcam's GradCAMpp, as the reference runs it. Its alpha division is applied to a
    masked copy and lost, so the weights are sum(g^2 relu(g)): see `Grad-CAMpp-paper`."""
    return _torchcam("GradCAMpp", net, x, y)


@method("SG-CAMpp", signed=False)
def smooth_gradcam_pp(net, x, y, cfg):
    return _torchcam("SmoothGradCAMpp", net, x, y, num_samples=cfg.sg_cam_samples, std=cfg.sg_cam_std)


@method("XG-CAM", signed=False)
def xgradcam(net, x, y, cfg):
    return _torchcam("XGradCAM", net, x, y)


@method("Layer-CAM", signed=False)
def layercam(net, x, y, cfg):
    return _torchcam("LayerCAM", net, x, y)


@method("Grad-CAMpp-paper", signed=False, source="rashomon")
def gradcam_pp_paper(net: nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: IdsdsScoreConfig | None = None):
    """Grad-CAM++ as published (Chattopadhay et al. 2018), exponential-score closed form:
    alpha = g^2 / (2 g^2 + sum(A) g^3), weights = sum(alpha * relu(g))."""
    layer = _cam_layer(net)
    store = {}
    handle = layer.register_forward_hook(lambda m, i, o: store.update(a=o))  # returns None: output unchanged
    with torch.enable_grad():
        out = net(x)
        a = store["a"]
        (g,) = torch.autograd.grad(out.gather(1, y.view(-1, 1)).sum(), a)
    handle.remove()
    a = a.detach()
    g2, g3 = g**2, g**3
    denom = 2 * g2 + a.sum(dim=(2, 3), keepdim=True) * g3
    alpha = g2 / torch.where(denom != 0, denom, torch.ones_like(denom))
    weights = (alpha * F.relu(g)).sum(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * a).sum(1, keepdim=True))
    return F.interpolate(cam, x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]


@method("Occlusion", signed=True, source="rashomon")
def occlusion(net, x, y, cfg):
    from captum.attr import Occlusion

    win = cfg.occlusion_window
    return Occlusion(net).attribute(_x(x), target=y, sliding_window_shapes=(3, win, win),
                                    strides=(3, win // 2, win // 2), baselines=0.0).sum(1)


def principled_maps(name: str, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                    cfg: IdsdsScoreConfig | None, output: str = "logit") -> torch.Tensor:
    """(N, H, W) maps of method `name` for the true labels `y`, on logits or on softmax outputs."""
    model.eval()
    net = SoftmaxOutput(model) if output == "softmax" else model
    return METHODS.get(name).attribute(net, x, y, cfg).detach()
