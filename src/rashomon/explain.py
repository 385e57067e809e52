"""Running one attribution method over every architecture's variants, and the figures."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from rashomon.attribution import attribute
from rashomon.backbones import Backbone
from rashomon.errors import InputError
from rashomon.features import FeatureCache, load_images
from rashomon.psychometrics import pearson
from rashomon.variants import VariantSet


def explanation_ids(splits: pd.DataFrame, scheme: str, n_images: int | None) -> list[str]:
    """The explanation set: the scheme's shared test images (first `n_images`, sorted)."""
    test = splits[(splits.scheme == scheme) & (splits.subset == "test")]
    per_variant = test.groupby("variant")["image_id"].apply(set)
    common = sorted(set.intersection(*per_variant), key=lambda s: (len(s), s))
    if not common:
        raise InputError(f"scheme {scheme!r} has no test image shared by all variants")
    return common if not n_images else common[: int(n_images)]


def explain_architecture(method: str, backbone: Backbone, variants: VariantSet, cache: FeatureCache,
                         manifest: pd.DataFrame, ids: Sequence[str], options: Mapping[str, Any]):
    """Maps (N, K, H, W) for `ids`; Grad-CAM from the cache, others from image files."""
    missing = [i for i in ids if i not in manifest.index]
    if missing:
        raise InputError(f"explain: image(s) {missing[:5]} are not in the manifest")
    start = time.perf_counter()
    if method == "gradcam":
        size = (backbone.spec.input_size,) * 2
        result = attribute("gradcam", None, variants, stem_outputs=cache.stem_outputs(ids), size=size, **options)
    else:
        images = load_images(manifest.loc[list(ids), "path"].tolist(), backbone.spec)
        result = attribute(method, images, variants, **options)
    return result, time.perf_counter() - start


def within_consistency(maps: np.ndarray) -> np.ndarray:
    """Per image: mean of the pairwise Pearson correlations of the K variants' maps."""
    out = np.full(maps.shape[0], np.nan)
    for i, per_image in enumerate(maps):
        flat = per_image.reshape(per_image.shape[0], -1)
        rs = [pearson(a, b) for a, b in itertools.combinations(flat, 2)]
        out[i] = np.nanmean(rs) if rs else np.nan
    return out


def save_maps(path: Path, ids: Sequence[str], maps: np.ndarray, info: Mapping[str, Any]) -> None:
    from rashomon.io import atomic_path

    extras = {k: np.asarray(v) for k, v in info.items() if isinstance(v, np.ndarray)}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, image_ids=np.asarray(ids), maps=maps.astype(np.float16), **extras)


def figure(image_rgb: np.ndarray, prototypes: Mapping[str, Mapping[str, np.ndarray]], title: str, path: Path,
           mask: np.ndarray | None = None) -> None:
    """One image, and per method (rows) each architecture's prototype (variant-mean) map,
    signed, on a symmetric colour scale."""
    from rashomon.plotting import plt, save_figure

    methods = list(prototypes)
    archs = list(next(iter(prototypes.values())))
    fig, axes = plt.subplots(len(methods), len(archs) + 1, figsize=(2.1 * (len(archs) + 1), 2.2 * len(methods)),
                             squeeze=False)
    for r, method in enumerate(methods):
        ax = axes[r, 0]
        ax.imshow(image_rgb)
        if mask is not None and mask.max() > 0:
            ax.contour(mask, levels=[0.5], colors="yellow", linewidths=0.8)
        ax.set_ylabel(method)
        ax.set_xticks([]), ax.set_yticks([])
        for c, arch in enumerate(archs):
            m = prototypes[method][arch]
            v = float(np.abs(m).max()) or 1.0
            axes[r, c + 1].imshow(m, cmap="RdBu_r", vmin=-v, vmax=v)
            axes[r, c + 1].set_xticks([]), axes[r, c + 1].set_yticks([])
            if r == 0:
                axes[r, c + 1].set_title(arch, fontsize=8)
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path)
