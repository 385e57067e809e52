"""Prototype maps (variant means) and the per-image explanation figure."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from rashomon.core.plotting import plt, save_figure


def prototype(maps: Mapping[str, np.ndarray], image_id: str) -> np.ndarray:
    """The variant-mean map of one image from a stored map file (image_ids, maps)."""
    row = list(maps["image_ids"]).index(image_id)
    return maps["maps"][row].astype(np.float32).mean(0)


def figure(image_rgb: np.ndarray, prototypes: Mapping[str, Mapping[str, np.ndarray]], title: str, path: Path,
           mask: np.ndarray | None = None) -> None:
    """One image, and per method (rows) each architecture's prototype (variant-mean) map,
    signed, on a symmetric colour scale."""
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
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=plt.Normalize(-1, 1), cmap="RdBu_r"), ax=axes.ravel().tolist(),
                       shrink=0.7, ticks=[-1, 0, 1])
    bar.ax.set_yticklabels(["lowers", "0", "raises"])
    bar.set_label("predicted authenticity (each map scaled to its max |value|)", fontsize=7)
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path)
