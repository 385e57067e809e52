"""Sanity checks for saliency maps (Adebayo et al. 2018): a map that survives the model's
randomisation does not explain the model. Cascading randomisation re-initialises the
head, then the tail's layers and then the stem's from the top; the data randomisation
test fits a head to shuffled ratings. Similarity to the original maps per step: Spearman
rank correlation of |map| and SSIM of min-max scaled maps, per image."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch
from scipy import stats
from skimage.metrics import structural_similarity
from torch import nn

from rashomon.attribution.method import minmax
from rashomon.core.device import CPU
from rashomon.groundtruth.references import sobel_map
from rashomon.heads.fitted import FittedHead
from rashomon.variants.variant_set import VariantSet


def _has_params(m: nn.Module) -> bool:
    return hasattr(m, "reset_parameters") and any(True for _ in m.parameters(recurse=False))


def layer_groups(variants: VariantSet, n_stem_steps: int) -> list[tuple[str, list[str]]]:
    """Cascade steps as (label, parameter-module names of the full model) from the top:
    the head, each tail layer, then the stem's layers in `n_stem_steps` equal groups."""
    backbone = variants.backbone
    tail_ids = {id(m) for m in backbone.tail.modules()}
    layers = [(n, m) for n, m in backbone.model.named_modules() if _has_params(m)]
    tail = [n for n, m in layers if id(m) in tail_ids][::-1]
    stem_ids = {id(m) for m in backbone.stem.modules()}
    stem = [n for n, m in layers if id(m) in stem_ids and id(m) not in tail_ids][::-1]
    steps: list[tuple[str, list[str]]] = [("head", [])]
    steps += [(f"tail:{n}", [n]) for n in tail]
    for chunk in np.array_split(np.arange(len(stem)), max(1, min(n_stem_steps, len(stem)))):
        if len(chunk):
            steps.append((f"stem:{stem[chunk[0]]}..{stem[chunk[-1]]}", [stem[i] for i in chunk]))
    return steps


def _reinit(module: nn.Module, seed: int) -> None:
    torch.manual_seed(seed)
    for m in module.modules():
        if _has_params(m):
            m.reset_parameters()  # BatchNorm: also its running statistics


def cascade(variants: VariantSet, explain: Callable[[VariantSet], np.ndarray], n_stem_steps: int,
            seed: int) -> list[tuple[str, np.ndarray]]:
    """Maps (N, H, W) of variant 0 as it is and after each cumulative randomisation step."""
    single = variants.select(0)
    model = copy.deepcopy(single)  # never touch the caller's weights
    out = [("original", explain(model))]
    for k, (label, names) in enumerate(layer_groups(model, n_stem_steps)):
        if label == "head":
            _reinit(model.heads[0], seed + k)
        for name in names:
            _reinit(model.backbone.model.get_submodule(name), seed + k)
        out.append((label, explain(model)))
    return out


def with_head(variants: VariantSet, fitted: FittedHead) -> VariantSet:
    """Variant 0's backbone and mask with another head (e.g. one fitted to shuffled ratings)."""
    return VariantSet(variants.backbone, [replace(fitted)], variants.masks[:1])


def similarity(original: np.ndarray, other: np.ndarray) -> dict[str, float]:
    """Mean over images of Spearman(|maps|) and SSIM(min-max maps) (NaN-safe)."""
    rho, ssim = [], []
    for a, b in zip(original, other):
        a, b = a.astype(np.float64), b.astype(np.float64)
        if np.ptp(np.abs(a)) > 0 and np.ptp(np.abs(b)) > 0:
            rho.append(stats.spearmanr(np.abs(a).ravel(), np.abs(b).ravel())[0])
        ssim.append(structural_similarity(minmax(a), minmax(b), data_range=1.0))
    return {"spearman_abs": float(np.mean(rho)) if rho else float("nan"), "ssim": float(np.mean(ssim))}


def shuffled_head(embeddings: dict[str, np.ndarray], targets: dict[str, np.ndarray], *, kind: str, cfg,
                  seed: int, device: torch.device = CPU) -> FittedHead:
    """A head fitted like variant 0 but to ratings permuted over the training images (the
    data randomisation test): its maps should not resemble the real head's."""
    from rashomon.heads.training import fit_head

    y = np.random.default_rng(seed).permutation(targets["train"])
    return fit_head(embeddings["train"], y, embeddings["val"], targets["val"], kind=kind, seed=cfg.seed, lr=cfg.lr,
                    batch_size=cfg.batch_size, max_epochs=cfg.max_epochs, patience=cfg.patience,
                    dropout=cfg.dropout, name="shuffled-ratings head", device=device)


def sobel_maps(images_rgb: np.ndarray) -> np.ndarray:
    """Sobel edge maps (N, H, W): they ignore the model, so they must fail the check."""
    return np.stack([sobel_map(rgb) for rgb in images_rgb])


SHUFFLED = "shuffled ratings"


def summarise_cascade(table: pd.DataFrame, pass_below: float) -> dict[str, dict[str, Any]]:
    """Per method, from the cascade table (architecture, method, step, randomised,
    spearman_abs, ssim): the mean over architectures of the similarity after full
    randomisation (each architecture's last cascade step) and with the shuffled-ratings
    head, and `passes` = Spearman after full randomisation < `pass_below`. `passes` is
    None (undefined, reason in `undefined`) when that Spearman is undefined for every
    architecture (the maps are constant, so ranks cannot be compared)."""
    out = {}
    for method, t in table.groupby("method", sort=False):
        last = t[t.randomised != SHUFFLED].groupby("architecture").tail(1)
        shuffled = t[t.randomised == SHUFFLED]
        rho = float(last["spearman_abs"].mean())   # NaN architectures skipped; NaN if all are
        passes = bool(rho < pass_below) if np.isfinite(rho) else None
        out[method] = {
            "spearman_after_full_randomisation": rho, "ssim_after_full_randomisation": float(last["ssim"].mean()),
            "spearman_shuffled_ratings": float(shuffled["spearman_abs"].mean()), "passes": passes,
            "undefined": {} if passes is not None else
            {"passes": "Spearman(|map|) after full randomisation undefined for every architecture (constant maps)"}}
    return out
