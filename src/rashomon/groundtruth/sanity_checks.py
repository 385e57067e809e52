"""The sanity checks run (Adebayo et al. 2018): for variant 0 of each architecture, each
method's maps under cascading randomisation and from a head fitted to shuffled ratings,
against the original maps, beside a Sobel edge map that never sees the model."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from rashomon.attribution import METHODS, Inputs, build_method
from rashomon.attribution.runner import explained_variants, explanation_ids
from rashomon.backbones import get_spec
from rashomon.backbones.preprocess import denormalise, load_images
from rashomon.core.errors import InputError
from rashomon.core.plotting import plt, save_figure
from rashomon.data.manifest import check_image_hashes, manifest_hash
from rashomon.data.splits import subset_ids
from rashomon.groundtruth.sanity import (
    SHUFFLED,
    cascade,
    shuffled_head,
    similarity,
    sobel_maps,
    summarise_cascade,
    with_head,
)
from rashomon.groundtruth.sanity_params import SanityParams
from rashomon.heads.features import FeatureCache

log = logging.getLogger("rashomon.sanity")


@dataclass(frozen=True)
class SanityInputs:
    """Where the stage's inputs lie."""
    images: Path
    features: Path
    pretrained: Path
    heads: Path
    pruning: Path


@dataclass
class SanityResult:
    """metrics/sanity.json and plots/sanity/cascade.csv."""
    report: dict
    cascade: pd.DataFrame


def run_sanity_checks(params: SanityParams, manifest: pd.DataFrame, splits: pd.DataFrame, paths: SanityInputs,
                      device: torch.device) -> SanityResult:
    """Every configured method's cascade and shuffled-ratings maps, per architecture."""
    cfg, names = params.sanity, params.backbones.names
    ids = explanation_ids(splits, params.train.scheme, cfg.n_images)
    check_image_hashes(manifest[manifest["image_id"].isin(ids)], paths.images)
    indexed = manifest.set_index("image_id")
    rows, report = [], {"rule": f"passes if mean Spearman(|map|) after full randomisation < {cfg.pass_below}",
                        "n_images": len(ids), "methods": {}}
    unknown = [m for m in cfg.options if m not in METHODS]   # options of a method not run here are allowed
    if unknown:
        raise InputError(f"params.yaml: sanity.options.{unknown[0]}: no attribution method {unknown[0]!r}")
    methods = {m: build_method(params.explain, m, device, cfg.options.get(m), f"sanity.options.{m}")
               for m in cfg.methods}
    for name in names:
        variants = explained_variants(name, params, paths.pretrained, paths.heads, paths.pruning)
        images = load_images(indexed.loc[ids, "path"].tolist(), variants.backbone.spec)
        cache = FeatureCache(paths.features / name, manifest_hash(manifest))
        emb, tgt = {}, {}
        for subset in ("train", "val"):
            sub = subset_ids(splits, params.train.scheme, 0, subset)
            emb[subset] = cache.embedding(sub)
            tgt[subset] = indexed.loc[sub, params.data.target].to_numpy()
        shuffled = with_head(variants, shuffled_head(emb, tgt, kind=get_spec(name).head, cfg=params.train,
                                                     seed=cfg.seed, device=device))
        for method in cfg.methods:
            def explain(v, built=methods[method]):
                return built.attribute(Inputs(images, ids=list(ids)), v).maps[:, 0]

            steps = cascade(variants, explain, cfg.stem_steps, cfg.seed)
            original = steps[0][1]
            steps.append((SHUFFLED, explain(shuffled)))
            for k, (label, maps) in enumerate(steps):
                rows.append({"architecture": name, "method": method, "step": k, "randomised": label,
                             **similarity(original, maps)})
        sobel = sobel_maps(denormalise(images))   # the same at every step: it never sees the model
        unchanged = similarity(sobel, sobel)
        rows += [{"architecture": name, "method": "sobel (reference)", "step": k, "randomised": label, **unchanged}
                 for k, (label, _) in enumerate(steps)]
        log.info("%s: %d cascade steps", name, len(steps) - 2)
    table = pd.DataFrame(rows)
    report["methods"] = summarise_cascade(table, cfg.pass_below)
    return SanityResult(report, table)


def plot_cascade(table: pd.DataFrame, path: Path) -> None:
    """Spearman(|map|) against the cascade step, one panel per method, a line per architecture."""
    methods = [m for m in table["method"].unique() if not m.startswith("sobel")]
    fig, axes = plt.subplots(1, len(methods), figsize=(4.2 * len(methods), 3.4), squeeze=False, sharey=True)
    for ax, method in zip(axes[0], methods):
        weights_randomised = table[(table.method == method) & (table.randomised != "shuffled ratings")]
        for arch, t in weights_randomised.groupby("architecture"):
            ax.plot(t["step"], t["spearman_abs"], marker="o", label=arch)
        sobel = table[(table.method == "sobel (reference)") & (table.randomised != "shuffled ratings")]
        ax.plot(sobel.groupby("step")["spearman_abs"].mean(), color="grey", ls="--", label="Sobel edges (reference)")
        ax.set_title(method)
        ax.set_xlabel("randomised from the top (0 = original, 1 = head, ...)")
        ax.set_ylim(-0.2, 1.05)
    axes[0, 0].set_ylabel("Spearman |map| vs original")
    axes[0, -1].legend(fontsize=7)
    save_figure(fig, path)
