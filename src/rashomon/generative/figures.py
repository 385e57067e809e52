"""Figure: held-out images above their reconstructions."""

from __future__ import annotations

import os

import numpy as np

from rashomon.core.plotting import plt, save_figure


def reconstruction_figure(images: np.ndarray, recon: np.ndarray, path: str | os.PathLike) -> None:
    """Two rows (image, reconstruction) of (N, 3, H, W) RGB arrays in [0, 1]."""
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(1.3 * n, 2.9), squeeze=False)
    for j in range(n):
        for i, (row, label) in enumerate(((images, "image"), (recon, "reconstruction"))):
            axes[i, j].imshow(np.clip(row[j].transpose(1, 2, 0), 0, 1))
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
            if j == 0:
                axes[i, j].set_ylabel(label, fontsize=8)
    fig.suptitle("generator: held-out explanation-set images and their reconstructions", fontsize=9)
    save_figure(fig, path)
