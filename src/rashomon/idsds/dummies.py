"""The reproduction's dummy attribution maps (Zabicka, Cieslik & Burgess), batched: maps a
sound protocol should rank below every principled method because they ignore the model
(or the image). Each is computed as their explainers compute it, on the normalised input,
and named as they name it (`Dummy-Gaussian-8`, `Edge-Sobel`, `Frequency-high`, ...)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.transforms.functional import gaussian_blur

SOBEL_X = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
LAPLACIAN_4 = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
FREQUENCY_BANDS = {"low": (None, 0.4), "band": (0.3, 0.6), "high": (0.6, None)}   # radius on a [-1, 1] grid


def _conv(gray: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) convolved with a 3x3 kernel, zero padding (theirs: F.conv2d, padding 1)."""
    return F.conv2d(gray, kernel.view(1, 1, 3, 3), padding=1)


def channel_mean(x: torch.Tensor) -> torch.Tensor:
    """Their grey image for entropy and edges: the mean over the normalised channels, (N, 1, H, W)."""
    return x.mean(dim=1, keepdim=True)


def gaussian(n: int, h: int, w: int, sigma: float) -> torch.Tensor:
    """exp(-(x^2 + y^2) / (2 sigma^2)) on a [-1, 1] grid, the same for every image."""
    gx, gy = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    return torch.exp(-(gx**2 + gy**2) / (2 * sigma**2)).expand(n, h, w)


def entropy(x: torch.Tensor, kernel: int) -> torch.Tensor:
    """Local-variance proxy for entropy: avg_pool of (grey - its global mean)^2, padding
    counted in the average (avg_pool2d's default, as theirs)."""
    gray = channel_mean(x)
    centred = (gray - gray.mean(dim=(1, 2, 3), keepdim=True)) ** 2
    return F.avg_pool2d(centred, kernel, stride=1, padding=(kernel - 1) // 2)[:, 0]


def sobel(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Their Sobel derivatives of the channel-mean grey image, zero padded."""
    gray = channel_mean(x)
    return _conv(gray, SOBEL_X)[:, 0], _conv(gray, SOBEL_X.T.contiguous())[:, 0]


def marr_hildreth(x: torch.Tensor) -> torch.Tensor:
    """Signed Marr-Hildreth: torchvision's GaussianBlur(5, sigma 1), then a 4-neighbour Laplacian."""
    return _conv(gaussian_blur(channel_mean(x), [5, 5], [1.0, 1.0]), LAPLACIAN_4)[:, 0]


def numpy_uint8(values: np.ndarray) -> np.ndarray:
    """numpy's float -> uint8 cast on x86 written out (truncate, then wrap modulo 256): their
    Canny input is the normalised image times 255, cast so, which wraps negative values."""
    return (np.trunc(values).astype(np.int64) % 256).astype(np.uint8)


def canny(x: torch.Tensor) -> torch.Tensor:
    """OpenCV Canny (thresholds 100, 200) of cv2's RGB->grey of uint8(normalised image * 255), in {0, 1}."""
    import cv2

    rgb = numpy_uint8(x.permute(0, 2, 3, 1).numpy() * 255)
    edges = [cv2.Canny(cv2.cvtColor(np.ascontiguousarray(im), cv2.COLOR_RGB2GRAY), 100, 200) for im in rgb]
    return torch.from_numpy(np.stack(edges) / 255.0).float()


def frequency(x: torch.Tensor, band: str) -> torch.Tensor:
    """Real part of the inverse FFT of the luminance (0.2989/0.587/0.114 of the normalised
    channels) with a radial mask on a [-1, 1] grid, min-max scaled per image."""
    gray = 0.2989 * x[:, 0] + 0.5870 * x[:, 1] + 0.1140 * x[:, 2]
    h, w = gray.shape[-2:]
    shifted = torch.fft.fftshift(torch.fft.fft2(gray), dim=(-2, -1))
    yy = torch.linspace(-1, 1, h).view(-1, 1).expand(h, w)
    xx = torch.linspace(-1, 1, w).view(1, -1).expand(h, w)
    radius = torch.sqrt(xx**2 + yy**2)
    low, high = FREQUENCY_BANDS[band]
    keep = torch.ones(h, w, dtype=torch.bool)
    if low is not None:
        keep &= radius > low
    if high is not None:
        keep &= radius < high
    out = torch.fft.ifft2(torch.fft.ifftshift(shifted * keep.float(), dim=(-2, -1))).real
    lo = out.amin(dim=(-2, -1), keepdim=True)
    hi = out.amax(dim=(-2, -1), keepdim=True)
    return (out - lo) / (hi - lo + 1e-8)


def dummy_maps(x: torch.Tensor, gaussian_sigmas: Sequence[float], entropy_kernels: Sequence[int],
               seed: int = 0) -> dict[str, np.ndarray]:
    """Every dummy for normalised images x (N, 3, H, W): name -> (N, H, W) float32 maps.
    Their `Dummy-Random-Squared` is not squared (their code draws U(0, 1) again): kept so,
    an independent second uniform map; each random map has its own seed."""
    n, _, h, w = x.shape
    x = x.detach().float()
    out: dict[str, torch.Tensor] = {}
    for s in gaussian_sigmas:
        out[f"Dummy-Gaussian-{s:g}"] = gaussian(n, h, w, s)
    for k in entropy_kernels:
        out[f"Dummy-Entropy-{k}"] = entropy(x, k)
    for i, (name, shift) in enumerate((("Dummy-Random", 0.0), ("Dummy-Random-Squared", 0.0),
                                       ("Dummy-Random-Plus-One", 1.0))):
        out[name] = torch.rand((n, h, w), generator=torch.Generator().manual_seed(seed + i)) + shift
    dx, dy = sobel(x)
    out["Edge-Sobel"] = dx.abs() + dy.abs()
    out["Edge-Gradient"] = torch.sqrt(dx**2 + dy**2 + 1e-8)
    out["Edge-Canny"] = canny(x)
    out["Edge-Marr-Hildreth"] = marr_hildreth(x)
    for band in ("low", "band", "high"):
        out[f"Frequency-{band}"] = frequency(x, band)
    return {k: v.contiguous().numpy() for k, v in out.items()}


def oracle_map(drops: np.ndarray, h: int, w: int, grid: int) -> np.ndarray:
    """A map whose cell sums are the drops themselves (IDSDS = 1 by construction)."""
    cells = drops.reshape(-1, grid, grid) / ((h // grid) * (w // grid))
    return np.repeat(np.repeat(cells, h // grid, axis=1), w // grid, axis=2)
