"""Figures written next to the CSVs DVC plots: quick to look at in review."""

from __future__ import annotations

import os
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rashomon.io import atomic_path  # noqa: E402


def save_figure(fig: "plt.Figure", path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)


def histograms(columns: dict[str, np.ndarray], title: str, path: str | os.PathLike) -> None:
    fig, axes = plt.subplots(1, len(columns), figsize=(4 * len(columns), 3.2))
    for ax, (name, values) in zip(np.atleast_1d(axes), columns.items()):
        ax.hist(values, bins=30, color="#4c72b0")
        ax.set_title(name)
    fig.suptitle(title)
    save_figure(fig, path)


def scatter(x: np.ndarray, y: np.ndarray, xlabel: str, ylabel: str, title: str,
            path: str | os.PathLike, hue: Sequence | None = None) -> None:
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(x, y, s=6, alpha=0.5, c=None if hue is None else hue)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    save_figure(fig, path)


def bars(table, label: str, value: str, err: str | None, reference: float | None,
         path: str | os.PathLike, title: str) -> None:
    fig, ax = plt.subplots(figsize=(1.2 * len(table) + 2, 3.5))
    ax.bar(table[label], table[value], yerr=None if err is None else table[err], color="#4c72b0", capsize=3)
    if reference is not None:
        ax.axhline(reference, ls="--", color="k")
    ax.set_ylabel(value)
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=30)
    save_figure(fig, path)
