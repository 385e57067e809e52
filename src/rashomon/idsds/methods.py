"""Attribution maps for IDSDS: principled methods (captum where it fits) and the dummy
baselines of the reproduction, each returning (N, H, W) maps (channels summed)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from rashomon.config import IdsdsScoreConfig
from rashomon.idsds.models import gradcam_layer
from rashomon.registry import Registry

GAUSSIAN_SIGMAS = (1, 2, 4, 6, 8, 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 128, 160, 256)
ENTROPY_KERNELS = (3, 5, 7, 9, 13, 17, 31)


METHODS: Registry[Callable[..., torch.Tensor]] = Registry("IDSDS principled method")


def _x(x: torch.Tensor) -> torch.Tensor:
    return x.clone().requires_grad_(True)


@METHODS.register("gradient")
def gradient(model, x, y, cfg):
    from captum.attr import Saliency

    return Saliency(model).attribute(_x(x), target=y, abs=False).sum(1)


@METHODS.register("input_x_gradient")
def input_x_gradient(model, x, y, cfg):
    from captum.attr import InputXGradient

    return InputXGradient(model).attribute(_x(x), target=y).sum(1)


@METHODS.register("integrated_gradients")
def integrated_gradients(model, x, y, cfg):
    from captum.attr import IntegratedGradients

    return IntegratedGradients(model).attribute(_x(x), target=y, n_steps=cfg.ig_steps).sum(1)


@METHODS.register("ig_smoothgrad")
def ig_smoothgrad(model, x, y, cfg):
    from captum.attr import IntegratedGradients, NoiseTunnel

    nt = NoiseTunnel(IntegratedGradients(model))
    return nt.attribute(_x(x), target=y, nt_type="smoothgrad", nt_samples=cfg.sg_samples, stdevs=cfg.sg_stdev,
                        n_steps=cfg.ig_steps // 2).sum(1)


@METHODS.register("gradcam")
def gradcam(model, x, y, cfg):
    from captum.attr import LayerAttribution, LayerGradCam

    cam = LayerGradCam(model, gradcam_layer(model)).attribute(_x(x), target=y, relu_attributions=True)
    return LayerAttribution.interpolate(cam, x.shape[-2:], interpolate_mode="bilinear")[:, 0]


@METHODS.register("occlusion")
def occlusion(model, x, y, cfg):
    from captum.attr import Occlusion

    win = cfg.occlusion_window
    return Occlusion(model).attribute(_x(x), target=y, sliding_window_shapes=(3, win, win),
                                      strides=(3, win // 2, win // 2), baselines=0.0).sum(1)


@METHODS.register("gradcam_pp")
def gradcam_pp(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, cfg: Any = None) -> torch.Tensor:
    """Grad-CAM++ (Chattopadhay et al. 2018) with the exponential-score closed form:
    alpha = g^2 / (2 g^2 + sum(A) g^3), weights = sum(alpha * relu(g))."""
    layer = gradcam_layer(model)
    store = {}
    handle = layer.register_forward_hook(lambda m, i, o: store.update(a=o))  # returns None: output unchanged
    with torch.enable_grad():
        out = model(x)
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


PRINCIPLED = tuple(METHODS)


def principled_maps(method: str, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
                    cfg: IdsdsScoreConfig | None) -> np.ndarray:
    """(N, H, W) maps of principled method `method` for the true labels `y`."""
    model.eval()
    return METHODS.get(method)(model, x, y, cfg).detach().numpy()


# ------------------------------------------------------------ dummy baselines

def _unit_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")


def gray(rgb: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) in [0, 1] -> (N, H, W) luminance."""
    return rgb @ np.array([0.299, 0.587, 0.114])


def dummy_maps(rgb: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Every dummy baseline for images `rgb` (N, H, W, 3) in [0, 1]: image-independent or
    model-independent maps a sound protocol should rank below principled methods."""
    from skimage.feature import canny

    n, h, w, _ = rgb.shape
    g = gray(rgb)
    yy, xx = _unit_grid(h, w)
    out: dict[str, np.ndarray] = {}
    for s in GAUSSIAN_SIGMAS:
        out[f"gaussian_{s}"] = np.broadcast_to(np.exp(-(xx**2 + yy**2) / (2 * s**2)), (n, h, w)).copy()
    centred = torch.from_numpy((g - g.mean(axis=(1, 2), keepdims=True)) ** 2).float().unsqueeze(1)
    for k in ENTROPY_KERNELS:
        out[f"entropy_{k}"] = F.avg_pool2d(centred, k, stride=1, padding=k // 2, count_include_pad=False)[:, 0].numpy()
    rng = np.random.default_rng(seed)
    u = rng.random((n, h, w))
    out["random_uniform"] = u
    out["random_squared"] = u**2          # squared for real (the reproduction forgot to)
    out["random_plus_one"] = u + 1
    dx = np.stack([ndimage.sobel(im, axis=1) for im in g])
    dy = np.stack([ndimage.sobel(im, axis=0) for im in g])
    out["sobel"] = np.abs(dx) + np.abs(dy)
    gy, gx = np.gradient(g, axis=(1, 2))
    out["gradient_magnitude"] = np.sqrt(gx**2 + gy**2)
    out["canny"] = np.stack([canny(im, sigma=1.0) for im in g]).astype(float)
    out["marr_hildreth"] = np.abs(np.stack([ndimage.gaussian_laplace(im, sigma=1.0, truncate=2.0) for im in g]))
    fy, fx = np.meshgrid(np.fft.fftshift(np.fft.fftfreq(h)) * 2, np.fft.fftshift(np.fft.fftfreq(w)) * 2, indexing="ij")
    radius = np.sqrt(fx**2 + fy**2)
    spectrum = np.fft.fftshift(np.fft.fft2(g), axes=(1, 2))
    for name, keep in (("lowpass", radius < 0.4), ("highpass", radius > 0.6), ("bandpass", (radius > 0.3) & (radius < 0.6))):
        out[name] = np.abs(np.fft.ifft2(np.fft.ifftshift(spectrum * keep, axes=(1, 2))))
    return out


def oracle_map(drops: np.ndarray, h: int, w: int, grid: int) -> np.ndarray:
    """A map whose cell sums are the drops themselves (IDSDS = 1 by construction)."""
    cells = drops.reshape(-1, grid, grid) / ((h // grid) * (w // grid))
    return np.repeat(np.repeat(cells, h // grid, axis=1), w // grid, axis=2)

