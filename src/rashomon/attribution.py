"""Attribution methods behind one signature (captum-style), for scalar regression outputs.

    attribute(method, images, variants, **options) -> Attribution(maps (N, K, H, W), info)

`images` are normalised model inputs; `variants` is a VariantSet (every head and pruned
variant of one architecture). Each method computes the expensive shared part once for
all K variants: Grad-CAM starts from (cached) stem outputs and runs only the tail;
MPM and LIME push each perturbed image through the stem once and score every variant.
Maps are signed and in the rating's units per pixel (Grad-CAM: activation x gradient).

Why our own and not captum: captum's Occlusion spreads a window's effect over every
pixel it covers (MPM assigns it to the centre pixel), its Lime fits one surrogate per
example and output (K variants = K stem passes), and neither reuses a shared stem.
Agreement with captum is measured in tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from rashomon.backbones.registry import IMAGENET_MEAN, IMAGENET_STD
from rashomon.errors import InputError
from rashomon.variants import VariantSet


@dataclass
class Attribution:
    maps: np.ndarray                       # (N, K, H, W), signed
    info: dict[str, Any] = field(default_factory=dict)   # per-image extras (e.g. LIME fidelity (N, K))


METHODS: dict[str, Callable[..., Attribution]] = {}


def register_method(name: str):
    def wrap(fn):
        METHODS[name] = fn
        return fn
    return wrap


def attribute(method: str, images: torch.Tensor, variants: VariantSet, **options) -> Attribution:
    """Attribution maps of every variant for every image, by `method`."""
    if method not in METHODS:
        raise InputError(f"unknown attribution method {method!r}; available: {sorted(METHODS)}")
    return METHODS[method](images, variants, **options)


def minmax(maps: np.ndarray) -> np.ndarray:
    """Display view: each map scaled to [0, 1] (signed maps stay the analysed quantity)."""
    lo = maps.min(axis=(-2, -1), keepdims=True)
    hi = maps.max(axis=(-2, -1), keepdims=True)
    return (maps - lo) / np.where(hi > lo, hi - lo, 1.0)


# ---------------------------------------------------------------- Grad-CAM

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
    masked = a.detach() * variants.masks.view(k, 1, -1, 1, 1)
    cam = (grad.mean(dim=(-2, -1), keepdim=True) * masked).sum(dim=2)   # (K, B, h, w)
    if relu:
        cam = cam.clamp_min(0)
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)
    return cam.transpose(0, 1)


@register_method("gradcam")
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
    masked = target.detach() * variants.masks[k].view(1, -1, 1, 1)
    cam = (target.grad.mean(dim=(-2, -1), keepdim=True) * masked).sum(1, keepdim=True)
    if relu:
        cam = cam.clamp_min(0)
    return F.interpolate(cam, size=images.shape[-2:], mode="bilinear", align_corners=False)[:, 0]


# ---------------------------------------------------------------- MPM

def scale_mask_sizes(sizes: Sequence[int], image_size: int, reference: int = 224) -> list[int]:
    """The study's mask sides (3, 17, 65 at 224 px) scaled to `image_size`, kept odd."""
    out = []
    for s in sizes:
        v = max(1, int(round(s * image_size / reference)))
        out.append(v if v % 2 else v + 1 if v + 1 <= image_size else v - 1)
    return out


def square_masks(centres: torch.Tensor, side: int, h: int, w: int) -> torch.Tensor:
    """Boolean (n, h, w) masks: a side x side square centred at each (y, x) centre."""
    half = side // 2
    rows = (torch.arange(h).view(1, -1) - centres[:, :1]).abs() <= half
    cols = (torch.arange(w).view(1, -1) - centres[:, 1:]).abs() <= half
    return rows[:, :, None] & cols[:, None, :]


@register_method("mpm")
def mpm(images: torch.Tensor, variants: VariantSet, *, mask_sizes: Sequence[int] = (3, 17, 65),
        stride: int = 1, fill: float = 0.0, batch_size: int = 256, scale_to_input: bool = True,
        progress: bool = True) -> Attribution:
    """Multiscale pixel masking: for every centre pixel (every `stride`-th) and mask size,
    importance = original score - score with the square masked to `fill` (0 = the mean
    colour in normalised space); averaged over sizes. One stem pass per masked image
    serves all variants."""
    n, _, h, w = images.shape
    sizes = scale_mask_sizes(mask_sizes, min(h, w)) if scale_to_input else list(mask_sizes)
    if stride < 1 or stride > min(h, w):
        raise InputError(f"mpm: stride {stride} must be between 1 and the image size {min(h, w)}")
    too_big = [s for s in sizes if s > min(h, w)]
    if too_big:
        raise InputError(f"mpm: mask size(s) {too_big} larger than the {h}x{w} image")
    ys, xs = torch.arange(0, h, stride), torch.arange(0, w, stride)
    centres = torch.cartesian_prod(ys, xs)
    maps = np.zeros((n, len(variants), h, w), dtype=np.float32)
    bar = tqdm(total=n * len(sizes) * len(centres), desc="mpm", unit="mask", disable=not progress, mininterval=5)
    with torch.no_grad():
        for i in range(n):
            image = images[i]
            original = variants(image[None])[0]                       # (K,)
            acc = torch.zeros(len(variants), len(centres))
            for side in sizes:
                for start in range(0, len(centres), batch_size):
                    c = centres[start:start + batch_size]
                    m = square_masks(c, side, h, w).unsqueeze(1)
                    batch = torch.where(m, torch.full_like(image, fill), image.unsqueeze(0))
                    acc[:, start:start + len(c)] += (original[None, :] - variants(batch)).T
                    bar.update(len(c))
            grid = (acc / len(sizes)).view(len(variants), 1, len(ys), len(xs))
            if stride > 1:
                grid = F.interpolate(grid, size=(h, w), mode="bilinear", align_corners=False)
            maps[i] = grid[:, 0].numpy()
    bar.close()
    return Attribution(maps, {"mask_sizes": sizes, "stride": stride})


def mpm_per_variant(images: torch.Tensor, variants: VariantSet, **options) -> Attribution:
    """The naive path, for comparison: MPM run separately for each variant (K stem passes
    per masked image)."""
    parts = [mpm(images, variants.select(k), progress=False, **options).maps for k in range(len(variants))]
    return Attribution(np.concatenate(parts, axis=1))


# ---------------------------------------------------------------- LIME

def denormalise(images: torch.Tensor) -> np.ndarray:
    """Normalised (N, 3, H, W) tensors back to RGB (N, H, W, 3) in [0, 1]."""
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (images * std + mean).clamp(0, 1).permute(0, 2, 3, 1).numpy()


def superpixels(rgb: np.ndarray, n_segments: int = 150, compactness: float = 10.0) -> np.ndarray:
    """SLIC superpixels (scikit-image), labels 0..S-1, at most `n_segments`."""
    from skimage.segmentation import slic

    seg = slic(rgb, n_segments=n_segments, compactness=compactness, start_label=0, channel_axis=-1)
    _, seg = np.unique(seg, return_inverse=True)
    return seg.reshape(rgb.shape[:2])


def weighted_ridge(z: np.ndarray, y: np.ndarray, weights: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge on weighted-centred data for several targets at once (y: (n, K)).

    Returns coefficients (S, K) and weighted R^2 per target. Centring with the weights
    is the same as an unpenalised intercept."""
    w = weights / weights.sum()
    zc = z - w @ z
    yc = y - w @ y
    a = zc.T @ (zc * w[:, None]) + alpha / weights.sum() * np.eye(z.shape[1])
    beta = np.linalg.solve(a, zc.T @ (yc * w[:, None]))
    resid = yc - zc @ beta
    ss = (w[:, None] * yc**2).sum(0)
    r2 = 1 - (w[:, None] * resid**2).sum(0) / np.where(ss > 0, ss, np.nan)
    return beta, r2


@register_method("lime")
def lime(images: torch.Tensor, variants: VariantSet, *, n_segments: int = 150, compactness: float = 10.0,
         n_samples: int = 1000, keep_prob: float = 0.5, kernel_width: float = 0.25, alpha: float = 1.0,
         seed: int = 0, batch_size: int = 256, segments: Sequence[np.ndarray] | None = None,
         progress: bool = True) -> Attribution:
    """LIME on SLIC superpixels: random keep/replace patterns (replaced = the image's
    mean colour), locality weights sqrt(exp(-d^2/width^2)) on the cosine distance to the
    all-kept pattern, weighted ridge on centred targets; one stem pass per perturbed
    image scores every variant. info['fidelity'] is the weighted R^2, (N, K)."""
    n, _, h, w = images.shape
    rgb = denormalise(images)
    maps = np.zeros((n, len(variants), h, w), dtype=np.float32)
    fidelity = np.zeros((n, len(variants)), dtype=np.float32)
    all_segments = []
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for i in tqdm(range(n), desc="lime", unit="img", disable=not progress, mininterval=5):
            seg = superpixels(rgb[i], n_segments, compactness) if segments is None else np.asarray(segments[i])
            n_sp = int(seg.max()) + 1
            if n_sp < 2:
                raise InputError(f"lime: image {i} has {n_sp} superpixel; at least 2 are needed")
            z = rng.random((n_samples, n_sp)) < keep_prob
            z[0] = True
            image = images[i]
            baseline = image.mean(dim=(1, 2), keepdim=True).expand_as(image)
            seg_t = torch.from_numpy(seg)
            scores = []
            for start in range(0, n_samples, batch_size):
                keep = torch.from_numpy(z[start:start + batch_size])[:, seg_t].unsqueeze(1)
                scores.append(variants(torch.where(keep, image.unsqueeze(0), baseline.unsqueeze(0))))
            y = torch.cat(scores).numpy().astype(np.float64)
            zf = z.astype(np.float64)
            cos = 1 - zf.sum(1) / (np.sqrt(zf.sum(1)) * np.sqrt(n_sp) + 1e-12)
            weights = np.sqrt(np.exp(-(cos**2) / kernel_width**2))
            beta, r2 = weighted_ridge(zf, y, weights, alpha)
            maps[i] = beta[seg].transpose(2, 0, 1)
            fidelity[i] = r2
            all_segments.append(seg)
    return Attribution(maps, {"fidelity": fidelity, "segments": np.stack(all_segments)})
