"""Ports, for tests only, of the IDSDS reference (visinf/idsds `single_deletion.py`,
`GaussianSmoothing`) and of the CIFAR reproduction's dummy explainers (Zabicka, Cieslik &
Burgess: `DummyAttributionExplainer`, `EdgeDetectionExplainer`, `FrequencyExplainer`).

Written to follow their code step by step (per image, per cell, scipy per image, their
NaN filter) so that rashomon's batched versions can be checked against them. Changes:
CPU only, a torch.Generator instead of the global RNG where noise is drawn, no resize
to 224 (CIFAR maps keep the input size), maps returned as one channel.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats
from torchvision import transforms


def gaussian_smoothing(channels: int, kernel_size: int, sigma: float) -> torch.Tensor:
    """The reference's GaussianSmoothing weight, (channels, 1, k, k)."""
    kernel = 1
    grids = torch.meshgrid([torch.arange(kernel_size, dtype=torch.float32)] * 2, indexing="ij")
    for grid in grids:
        mean = (kernel_size - 1) / 2
        kernel = kernel * (1 / (sigma * math.sqrt(2 * math.pi)) * torch.exp(-((grid - mean) / (2 * sigma)) ** 2))
    kernel = kernel / torch.sum(kernel)
    return kernel.view(1, 1, kernel_size, kernel_size).repeat(channels, 1, 1, 1)


def single_deletion_protocol(model, images, targets, attributions, grid, baseline="zeros", blur_kernel=7,
                             blur_sigma=5.0, batch_size=32, generator=None, use_softmax=False):
    """The reference's single-deletion loop over batches: attributions (N, 1, H, W) summed per
    cell, one forward per deleted cell, scipy Spearman per image, NaNs filtered by type,
    mean. Returns (mean, per-image correlations before the filter)."""
    net = (lambda x: model(x).softmax(1)) if use_softmax else model
    weight = gaussian_smoothing(3, blur_kernel, blur_sigma)
    correlations = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = images[start:start + batch_size]
            t = targets[start:start + batch_size]
            a = attributions[start:start + batch_size]
            _, _, h, w = x.shape
            ch, cw = h // grid, w // grid
            attribution_cells, change_cells = [], []
            for row in range(grid):
                for col in range(grid):
                    attribution_cells.append(a[:, :, row * ch:(row + 1) * ch, col * cw:(col + 1) * cw]
                                             .sum(dim=(1, 2, 3)).numpy())
            original = torch.gather(net(x), 1, t.unsqueeze(-1))
            for row in range(grid):
                for col in range(grid):
                    if baseline == "zeros":
                        fill = torch.zeros_like(x)
                    elif baseline == "random":
                        fill = torch.rand(x.shape, generator=generator) * 2.0 - 1.0
                    else:
                        fill = F.conv2d(x.clone(), weight, groups=3, padding=blur_kernel // 2)
                    deleted = x.clone()
                    sl = (slice(None), slice(None), slice(row * ch, (row + 1) * ch), slice(col * cw, (col + 1) * cw))
                    deleted[sl] = fill[sl]
                    without = torch.gather(net(deleted), 1, t.unsqueeze(-1))
                    change_cells.append((original - without).numpy())
            for b in range(len(x)):
                r, _ = stats.spearmanr([c[b] for c in attribution_cells], [c[b] for c in change_cells])
                correlations.append(r)
    kept = [r for r in correlations if type(r) == np.float64]  # noqa: E721 (the reference's filter)
    return sum(kept) / len(kept), correlations


def dummy_explanation(images, kind, sigma=0.5, kernel_size=5):
    """The reproduction's DummyAttributionExplainer, per image, one channel. Random kinds
    draw from the global RNG, as theirs."""
    out = []
    for img in images:
        _, h, w = img.shape
        if kind == "random":
            attr = torch.rand((1, h, w))
        elif kind == "random-squared":
            attr = torch.rand((1, h, w))
        elif kind == "random-plus-one":
            attr = torch.rand((1, h, w)) + 1
        elif kind == "gaussian":
            gx, gy = torch.meshgrid(torch.linspace(-1, 1, w), torch.linspace(-1, 1, h), indexing="ij")
            attr = torch.exp(-(gx**2 + gy**2) / (2 * sigma**2)).unsqueeze(0)
        elif kind == "entropy":
            gray = img.mean(dim=0, keepdim=True)
            attr = F.avg_pool2d((gray - gray.mean()) ** 2, kernel_size=kernel_size, stride=1,
                                padding=(kernel_size - 1) // 2)
        else:
            raise ValueError(kind)
        out.append(attr)
    return torch.stack(out)


def _sobel(gray):
    kx = torch.tensor([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]).float().view(1, 1, 3, 3)
    ky = torch.tensor([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]).float().view(1, 1, 3, 3)
    return F.conv2d(gray.unsqueeze(0), kx, padding=1).squeeze(0), F.conv2d(gray.unsqueeze(0), ky, padding=1).squeeze(0)


def edge_explanation(images, method):
    """The reproduction's EdgeDetectionExplainer, per image, one channel."""
    out = []
    for img in images:
        gray = img.mean(dim=0, keepdim=True)
        if method == "sobel":
            dx, dy = _sobel(gray)
            edge = dx.abs() + dy.abs()
        elif method == "gradient":
            dx, dy = _sobel(gray)
            edge = torch.sqrt(dx**2 + dy**2 + 1e-8)
        elif method == "marr-hildreth":
            blurred = transforms.GaussianBlur(5, 1.0)(gray)
            lap = torch.tensor([[0, 1, 0], [1, -4, 1], [0, 1, 0]]).float().view(1, 1, 3, 3)
            edge = F.conv2d(blurred.unsqueeze(0), lap, padding=1).squeeze(0)
        elif method == "canny":
            arr = img.permute(1, 2, 0).numpy() * 255
            arr = arr.astype(np.uint8)
            edges = cv2.Canny(cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY), threshold1=100, threshold2=200)
            edge = torch.tensor(edges / 255.0, dtype=torch.float32).unsqueeze(0)
        else:
            raise ValueError(method)
        out.append(edge)
    return torch.stack(out)


def frequency_explanation(images, method):
    """The reproduction's FrequencyExplainer, per image, one channel."""
    out = []
    for img in images:
        _, h, w = img.shape
        gray = 0.2989 * img[0] + 0.5870 * img[1] + 0.1140 * img[2]
        shifted = torch.fft.fftshift(torch.fft.fft2(gray))
        y = torch.linspace(-1, 1, h).view(-1, 1).expand(h, w)
        x = torch.linspace(-1, 1, w).view(1, -1).expand(h, w)
        radius = torch.sqrt(x**2 + y**2)
        mask = {"low": radius < 0.4, "high": radius > 0.6, "band": (radius > 0.3) & (radius < 0.6)}[method].float()
        filtered = torch.fft.ifft2(torch.fft.ifftshift(shifted * mask)).real
        filtered = (filtered - filtered.min()) / (filtered.max() - filtered.min() + 1e-8)
        out.append(filtered.unsqueeze(0))
    return torch.stack(out)


def reproduction_dummies(images, gaussian_sigmas, entropy_kernels, seed=0):
    """Every dummy as the reproduction names and computes it, (N, H, W) numpy; each random
    kind after torch.manual_seed(seed + i) (theirs reseeds per explainer run)."""
    maps = {}
    for s in gaussian_sigmas:
        maps[f"Dummy-Gaussian-{s:g}"] = dummy_explanation(images, "gaussian", sigma=s)
    for k in entropy_kernels:
        maps[f"Dummy-Entropy-{k}"] = dummy_explanation(images, "entropy", kernel_size=k)
    for i, (name, kind) in enumerate((("Dummy-Random", "random"), ("Dummy-Random-Squared", "random-squared"),
                                      ("Dummy-Random-Plus-One", "random-plus-one"))):
        torch.manual_seed(seed + i)
        maps[name] = dummy_explanation(images, kind)
    for name, method in (("Edge-Sobel", "sobel"), ("Edge-Gradient", "gradient"), ("Edge-Canny", "canny"),
                         ("Edge-Marr-Hildreth", "marr-hildreth")):
        maps[name] = edge_explanation(images, method)
    for band in ("low", "band", "high"):
        maps[f"Frequency-{band}"] = frequency_explanation(images, band)
    return {k: v[:, 0].numpy() for k, v in maps.items()}
