"""Figures written next to the CSVs DVC plots: quick to look at in review."""

from __future__ import annotations

import os
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rashomon.core.io import atomic_path  # noqa: E402


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


def heatmaps(matrices, names: Sequence[str], path: str | os.PathLike, title: str) -> None:
    """One annotated architecture x architecture heatmap per method (long table with
    columns method, a, b, mean)."""
    methods = list(dict.fromkeys(matrices["method"]))
    fig, axes = plt.subplots(1, len(methods), figsize=(3.3 * len(methods) + 0.8, 3.4), squeeze=False)
    for ax, method in zip(axes[0], methods):
        t = matrices[matrices["method"] == method].pivot(index="a", columns="b", values="mean")
        t = t.loc[list(names), list(names)]
        im = ax.imshow(t.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
        for (i, j), v in np.ndenumerate(t.to_numpy()):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7)
        short = [n.replace("_small", "").replace("_resnet", "") for n in names]
        ax.set_xticks(range(len(names)), short, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(names)), short, fontsize=7)
        ax.set_title(method, fontsize=9)
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8)
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path)


def ranking_panels(table, path: str | os.PathLike, title: str) -> None:
    """IDSDS ranking: one panel per model, horizontal bars (best on top) with 95% CIs;
    principled methods and dummy baselines in two colours."""
    models = list(dict.fromkeys(table["model"]))
    n_rows = table.groupby("model").size().max()
    fig, axes = plt.subplots(1, len(models), figsize=(4.6 * len(models), 0.19 * n_rows + 1.4), squeeze=False)
    for ax, model in zip(axes[0], models):
        g = table[table["model"] == model].sort_values("mean", ascending=True)
        colours = np.where(g["principled"].astype(bool), "#c44e52", "#8c8c8c")
        err = np.vstack([g["mean"] - g["ci95_low"], g["ci95_high"] - g["mean"]]).clip(min=0)
        ax.barh(np.arange(len(g)), g["mean"], xerr=err, color=colours, error_kw={"lw": 0.6})
        ax.set_yticks(np.arange(len(g)), g["method"], fontsize=6)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(model, fontsize=9)
        ax.set_xlabel("single-deletion score (Spearman)", fontsize=8)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in ("#c44e52", "#8c8c8c")]
    fig.legend(handles, ["principled method", "dummy baseline"], loc="upper right", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    save_figure(fig, path)
