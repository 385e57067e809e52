"""Model-level uncertainty of the consistency headline: a two-level bootstrap over images and,
within each architecture, its trained variants (seeds), so the interval of within-minus-across
agreement includes training randomness. Exact and cheap through per-image Gram matrices: a
resampled prototype is a weighted mean of variant maps, so each of its Pearson correlations is a
quadratic form of the centred maps' inner products, and no map is touched per resample."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any, Mapping, Sequence

import numpy as np

from rashomon.inference.intervals import percentile_interval

CHUNK = 250   # resamples per vectorised batch (memory: CHUNK x images x variants floats)


@dataclass(frozen=True)
class SeedsAndImages:
    """Within-minus-across agreement with its two-level interval: over images and variants."""
    difference: float
    ci_low: float
    ci_high: float
    n_images: int
    n_variants: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def centred_gram(maps: np.ndarray, chunk: int = 64) -> np.ndarray:
    """(N, K, K) inner products per image of the K maps (N, K, ...) after removing each map's mean."""
    flat = maps.reshape(maps.shape[0], maps.shape[1], -1)
    out = np.empty((flat.shape[0], flat.shape[1], flat.shape[1]))
    for start in range(0, len(flat), chunk):   # float64 a chunk of images at a time: memory stays bounded
        x = flat[start:start + chunk].astype(np.float64)
        x -= x.mean(axis=2, keepdims=True)
        out[start:start + chunk] = np.einsum("nkp,nlp->nkl", x, x)
    return out


def pair_correlations(gram: np.ndarray) -> np.ndarray:
    """(N, K, K) Pearson correlations of each image's variant maps from their Gram matrices, the
    diagonal (a map with itself) set to 0; NaN where a map is constant."""
    diag = np.sqrt(np.einsum("nkk->nk", gram))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = gram / (diag[:, :, None] * diag[:, None, :])
    k = gram.shape[1]
    r[:, np.arange(k), np.arange(k)] = 0.0
    return r


def _within(r: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mean Pearson over pairs of distinct variants (`r` from `pair_correlations`), each pair
    weighted by its variants' draw counts (B, K): (B, N); NaN where a resample drew a single
    variant or a map is constant."""
    pairs = counts.sum(1) ** 2 - (counts ** 2).sum(1)   # ordered pairs of distinct draws, identical ones out
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.einsum("bk,nkl,bl->bn", counts, r, counts) / pairs[:, None]


def _across(gram: np.ndarray, blocks: Sequence[slice], weights: np.ndarray) -> np.ndarray:
    """Mean over architecture pairs of the Pearson correlation of their prototypes (each the
    weighted mean of its variants' maps on the common grid, `weights` (B, V)): (B, N)."""
    def form(a: int, b: int) -> np.ndarray:
        return np.einsum("bv,nvw,bw->bn", weights[:, blocks[a]], gram[:, blocks[a], blocks[b]],
                         weights[:, blocks[b]], optimize=True)

    own = [form(a, a) for a in range(len(blocks))]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = [form(a, b) / np.sqrt(own[a] * own[b]) for a, b in combinations(range(len(blocks)), 2)]
    return np.mean(r, axis=0)


def within_minus_across(native: Mapping[str, np.ndarray], common: Mapping[str, np.ndarray], seed: int,
                        n_resamples: int) -> SeedsAndImages | None:
    """Per architecture, its maps (N, K_a, ...) on its own grid (`native`: within agreement) and on
    the common grid (`common`: across agreement), images in the same order. The difference of
    image means, with the expanded percentile interval of a bootstrap that resamples the images
    and, independently per architecture, its variants; None without two architectures of two
    variants each."""
    names = list(native)
    if len(names) < 2 or min(native[a].shape[1] for a in names) < 2:
        return None
    n = native[names[0]].shape[0]
    within_r = [pair_correlations(centred_gram(native[a])) for a in names]   # once, not per resample
    sizes = [common[a].shape[1] for a in names]
    edges = np.cumsum([0, *sizes])
    blocks = [slice(int(lo), int(hi)) for lo, hi in zip(edges[:-1], edges[1:])]
    cross_gram = centred_gram(np.concatenate([common[a] for a in names], axis=1))

    def difference(counts: list[np.ndarray], images: np.ndarray) -> np.ndarray:
        """(B,) image-weighted mean of per-image within (mean over architectures) minus across."""
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # an image whose every within value is NaN
            within = np.nanmean([_within(r, c) for r, c in zip(within_r, counts)], axis=0)
        weights = np.concatenate([c / c.sum(1, keepdims=True) for c in counts], axis=1)
        per_image = within - _across(cross_gram, blocks, weights)
        ok = np.isfinite(per_image)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.where(ok, per_image, 0) * images).sum(1) / (images * ok).sum(1)

    value = float(difference([np.ones((1, k)) for k in sizes], np.ones((1, n)))[0])
    rng, seeds = np.random.default_rng(seed), np.random.default_rng([seed, 1])
    values = []
    for start in range(0, n_resamples, CHUNK):
        b = min(CHUNK, n_resamples - start)
        images = rng.multinomial(n, np.full(n, 1 / n), size=b).astype(np.float64)
        counts = [seeds.multinomial(k, np.full(k, 1 / k), size=b).astype(np.float64) for k in sizes]
        values.append(difference(counts, images))
    low, high = percentile_interval(np.concatenate(values), n)
    return SeedsAndImages(value, low, high, n, dict(zip(names, sizes)))
