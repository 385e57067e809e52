"""Figure per image: original, lowered and raised edits, and the difference maps, per model."""

from __future__ import annotations

import os
from typing import Mapping

import numpy as np

from rashomon.core.plotting import plt, save_figure


def counterfactual_figure(rgb: np.ndarray, edits: Mapping[str, np.ndarray], title: str,
                          path: str | os.PathLike) -> None:
    """`rgb` (3, H, W) in [0, 1]; `edits[model]` (2, 3, H, W) = (lowered, raised). Difference
    maps show the signed luminance change, on one colour scale per figure."""
    lum = np.array([0.299, 0.587, 0.114])[:, None, None]
    diffs = {m: ((e - rgb[None]) * lum).sum(1) for m, e in edits.items()}
    scale = max(float(np.abs(d).max()) for d in diffs.values()) or 1.0
    fig, axes = plt.subplots(len(edits), 5, figsize=(7.2, 1.5 * len(edits) + 0.4), squeeze=False)
    for r, (model, e) in enumerate(edits.items()):
        panels = [(rgb, "image"), (e[0], "lowered"), (e[1], "raised")]
        for c, (img, label) in enumerate(panels):
            axes[r, c].imshow(np.clip(img.transpose(1, 2, 0), 0, 1))
            if r == 0:
                axes[r, c].set_title(label, fontsize=8)
        for c, (d, label) in enumerate(((diffs[model][0], "change, lowered"), (diffs[model][1], "change, raised"))):
            im = axes[r, 3 + c].imshow(d, cmap="RdBu_r", vmin=-scale, vmax=scale)
            if r == 0:
                axes[r, 3 + c].set_title(label, fontsize=8)
        axes[r, 0].set_ylabel(model, fontsize=7)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.colorbar(im, ax=axes[:, 3:].ravel().tolist(), shrink=0.6, label="luminance change")
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path)
