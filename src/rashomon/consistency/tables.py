"""Consistency tables from stored maps: within an architecture (variants of one image),
across architectures (prototype maps of one image), and per-image relations with the
rating and the model's error; plus the behavioural views (prediction and RSM similarity)."""

from __future__ import annotations

from itertools import combinations
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats

from rashomon.consistency.metrics import agreement, disagreement, iou, pearson_matrix, top_region
from rashomon.psychometrics.correlation import mean_pairwise_correlation, pearson
from rashomon.variants.variant_set import VariantSet, apply_channel_mask


def within_table(maps: np.ndarray, ids: Sequence[str], percents: Sequence[float]) -> pd.DataFrame:
    """Per image: agreement of the K variants' maps (N, K, H, W)."""
    return pd.DataFrame([{"image_id": i, **agreement(m.astype(np.float64), percents)} for i, m in zip(ids, maps)])


def across_table(prototypes: Mapping[str, np.ndarray], ids: Sequence[str], percents: Sequence[float],
                 topk_fraction: float) -> pd.DataFrame:
    """Per image and pair of architectures: Pearson, IoU@p and the disagreement metrics of
    their prototype maps (each (N, H, W), same images)."""
    rows = []
    for a, b in combinations(prototypes, 2):
        pa, pb = prototypes[a].astype(np.float64), prototypes[b].astype(np.float64)
        k = max(1, int(round(topk_fraction * pa[0].size)))
        for n, image_id in enumerate(ids):
            row = {"image_id": image_id, "a": a, "b": b, "pearson": pearson(pa[n], pb[n])}
            for p in percents:
                row[f"iou{p:g}"] = iou(top_region(pa[n], p), top_region(pb[n], p))
            row.update({f"{key}_agreement": v for key, v in disagreement(pa[n], pb[n], k).items()})
            rows.append(row)
    columns = ["image_id", "a", "b", "pearson", *[f"iou{p:g}" for p in percents],
               *[f"{k}_agreement" for k in ("feature", "rank", "sign", "signed_rank")]]
    return pd.DataFrame(rows, columns=columns)   # no rows with a single architecture


def pair_matrices(across: pd.DataFrame, archs: Sequence[str], column: str) -> pd.DataFrame:
    """Long table (a, b, mean, sd, min, max) over images, both orders, diagonal = 1."""
    rows = []
    for (a, b), g in (across.groupby(["a", "b"], sort=False) if len(across) else []):
        v = g[column].dropna()
        entry = {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else float("nan"),
                 "min": float(v.min()), "max": float(v.max())}
        rows += [{"a": a, "b": b, **entry}, {"a": b, "b": a, **entry}]
    rows += [{"a": x, "b": x, "mean": 1.0, "sd": 0.0, "min": 1.0, "max": 1.0} for x in archs]
    return pd.DataFrame(rows).assign(metric=column)


def relation(consistency: np.ndarray, other: np.ndarray) -> dict[str, float]:
    """Pearson r and p over images where both are defined."""
    ok = np.isfinite(consistency) & np.isfinite(other)
    if ok.sum() < 3 or np.ptp(consistency[ok]) == 0 or np.ptp(other[ok]) == 0:
        return {"r": float("nan"), "p": float("nan"), "n": int(ok.sum())}
    r, p = stats.pearsonr(consistency[ok], other[ok])
    return {"r": float(r), "p": float(p), "n": int(ok.sum())}


@torch.no_grad()
def head_representations(variants: VariantSet, stem_outputs: Sequence[torch.Tensor]) -> list[np.ndarray]:
    """Per variant, its head's activations before the output layer (N, D): the embedding
    the head builds from its own (masked) backbone features."""
    target, *side = stem_outputs
    reps = []
    for k, head in enumerate(variants.heads):
        embedding = variants.backbone.tail(apply_channel_mask(target, variants.masks[k]), *side)
        reps.append(head[:-1](embedding).numpy())
    return reps


def rsm(features: np.ndarray) -> np.ndarray:
    """Image-by-image similarity (Pearson between images' feature vectors), upper triangle."""
    r = pearson_matrix(features)
    return r[np.triu_indices(len(r), 1)]


def rsm_similarity(representations: Sequence[np.ndarray]) -> float:
    """Mean over variant pairs of the Pearson correlation of their RSMs (second-order)."""
    return mean_pairwise_correlation([rsm(f) for f in representations])
