"""LIME on SLIC superpixels with a weighted ridge surrogate, all variants at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import numpy as np
import torch
from tqdm import tqdm

from rashomon.attribution.method import Attribution, AttributionMethod, Inputs, register_method
from rashomon.attribution.perturbations import SuperpixelPatterns
from rashomon.attribution.scoring import score_perturbations
from rashomon.backbones.preprocess import denormalise
from rashomon.core.config import Bounds, Count, OpenFraction, Positive, Seed
from rashomon.core.errors import InputError
from rashomon.core.progress import bar_options
from rashomon.variants.scored_model import ScoredModel


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


@dataclass(frozen=True)
class LimeOptions:
    n_images: Count | None = None
    n_segments: Annotated[int, Bounds(2, why="LIME needs two superpixels")] = 150
    compactness: Positive = 10.0
    n_samples: Annotated[int, Bounds(2, why="the unperturbed pattern and at least one perturbation")] = 1000
    keep_prob: OpenFraction = 0.5
    kernel_width: Positive = 0.25
    alpha: Positive = 1.0          # ridge penalty (0 can make the fit singular)
    seed: Seed = 0
    batch_size: Count = 256


@register_method
class Lime(AttributionMethod):
    """LIME on SLIC superpixels: random keep/replace patterns (replaced = the image's
    mean colour), locality weights sqrt(exp(-d^2/width^2)) on the cosine distance to the
    all-kept pattern, weighted ridge on centred targets; one stem pass per perturbed
    image scores every variant (spread over devices by a Lightning predict loop with
    `scoring`, Trainer options). info['fidelity'] is the weighted R^2, (N, K)."""

    name, Options, uses_predict_loop = "lime", LimeOptions, True

    def attribute(self, inputs: Inputs, model: ScoredModel) -> Attribution:
        o, images, segments, progress = self.options, inputs.images, inputs.segments, self.progress
        n, _, h, w = images.shape
        rgb = denormalise(images)
        rng = np.random.default_rng(o.seed)
        all_segments, patterns, batches = [], [], []
        for i in tqdm(range(n), desc="lime superpixels", unit="img", mininterval=5, **bar_options(progress)):
            seg = superpixels(rgb[i], o.n_segments, o.compactness) if segments is None else np.asarray(segments[i])
            n_sp = int(seg.max()) + 1
            if n_sp < 2:
                raise InputError(f"lime: {inputs.image_label(i)} has {n_sp} superpixel; at least 2 are needed")
            z = rng.random((o.n_samples, n_sp)) < o.keep_prob
            z[0] = True
            seg_t, z_t = torch.from_numpy(seg), torch.from_numpy(z)
            batches += [SuperpixelPatterns(i, z_t[s:s + o.batch_size], seg_t)
                        for s in range(0, o.n_samples, o.batch_size)]
            all_segments.append(seg)
            patterns.append(z)
        scores, info = score_perturbations(images, batches, model, scoring=self.scoring, desc="lime",
                                           progress=progress)
        per_image = len(batches) // n
        maps = np.zeros((n, len(model), h, w), dtype=np.float32)
        fidelity = np.zeros((n, len(model)), dtype=np.float32)
        for i, (seg, z) in enumerate(zip(all_segments, patterns)):
            y = torch.cat(scores[i * per_image:(i + 1) * per_image]).numpy().astype(np.float64)
            zf = z.astype(np.float64)
            cos = 1 - zf.sum(1) / (np.sqrt(zf.sum(1)) * np.sqrt(zf.shape[1]) + 1e-12)
            weights = np.sqrt(np.exp(-(cos**2) / o.kernel_width**2))
            beta, r2 = weighted_ridge(zf, y, weights, o.alpha)
            maps[i] = beta[seg].transpose(2, 0, 1)
            fidelity[i] = r2
        return Attribution(maps, {"fidelity": fidelity, "segments": np.stack(all_segments), **info})

    def summary(self, result: Attribution) -> dict[str, float]:
        """How well the surrogate fits the model around each image (weighted R^2)."""
        return {"lime_fidelity_r2_mean": float(np.nanmean(result.info["fidelity"]))}
