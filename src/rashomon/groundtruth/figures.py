"""The ground-truth stage's summary table and figures: AUROC bars beside the references, deletion curves."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from rashomon.core.plotting import plt, save_figure


def auroc_summary(report: dict) -> pd.DataFrame:
    """One row per method x architecture (prototype maps) and per reference map."""
    rows = [{"label": f"{m} / {a}", "kind": m, "auroc": r["auroc"], "auroc_abs": r["auroc_abs"]}
            for m, e in report["methods"].items() for a, r in e["architectures"].items()]
    rows += [{"label": f"reference: {r}", "kind": "reference", "auroc": v["auroc"], "auroc_abs": v["auroc_abs"]}
             for r, v in report["references"].items()]
    return pd.DataFrame(rows)


def auroc_figure(summary: pd.DataFrame, path: Path) -> None:
    """AUROC of -map against the artifact mask: methods x architectures beside the references."""
    fig, ax = plt.subplots(figsize=(6.5, 0.28 * len(summary) + 1.2))
    colours = {k: c for k, c in zip(summary["kind"].unique(), plt.rcParams["axes.prop_cycle"].by_key()["color"])}
    colours["reference"] = "grey"
    ax.barh(summary["label"], summary["auroc"], color=[colours[k] for k in summary["kind"]])
    ax.axvline(0.5, color="black", lw=0.8, ls=":")
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("AUROC of -map against the artifact mask (0.5 = chance)")
    ax.set_title("Does the explanation find the cue the raters punish?", fontsize=9)
    save_figure(fig, path)


def deletion_figure(deletion: pd.DataFrame, path: Path) -> None:
    """Mean deletion curves per method and architecture (solid: map order; dotted: random)."""
    methods = list(deletion["method"].unique())
    fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods), 3.3), squeeze=False, sharey=True)
    for ax, method in zip(axes[0], methods):
        for arch, t in deletion[deletion.method == method].groupby("architecture", sort=False):
            mean = t.groupby("fraction")[["map_order", "random_order"]].mean()
            line, = ax.plot(mean.index, mean["map_order"], label=arch)
            ax.plot(mean.index, mean["random_order"], ls=":", color=line.get_color())
        ax.set_title(method)
        ax.set_xlabel("fraction of grid cells deleted (most positive first)")
    axes[0, 0].set_ylabel("change in predicted authenticity")
    axes[0, -1].legend(fontsize=7)
    save_figure(fig, path)


def human_figure(examples: Sequence[tuple[str, np.ndarray, np.ndarray, Mapping[str, np.ndarray]]], method: str,
                 path: Path, heat_label: str, title: str) -> None:
    """Per example image: the image, its cue map (where people marked the problem, or the
    simulator's mask) and each architecture's prototype cue map (-map) of `method`; rows are
    images (nothing drawn without an example)."""
    if not examples:
        return
    n_cols = 2 + max(len(maps) for *_, maps in examples)
    fig, axes = plt.subplots(len(examples), n_cols, figsize=(1.9 * n_cols, 2.0 * len(examples)), squeeze=False)
    for row, (image_id, rgb, heat, maps) in zip(axes, examples):
        panels = [("image " + image_id, rgb, None), (heat_label, heat, "magma")]
        panels += [(f"{method}: {arch}", m, "magma") for arch, m in maps.items()]
        for ax, (caption, data, cmap) in zip(row, panels + [("", None, None)] * n_cols):
            ax.axis("off")
            if data is not None:
                ax.imshow(data, cmap=cmap)
                ax.set_title(caption, fontsize=7)
    fig.suptitle(title, fontsize=9)
    save_figure(fig, path)
