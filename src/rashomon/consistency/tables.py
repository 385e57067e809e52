"""Consistency tables from stored maps: within an architecture (variants of one image),
across architectures (prototype maps of one image), and per-image relations with the
rating and the model's error; plus the behavioural views (prediction and RSM similarity)."""

from __future__ import annotations

from itertools import combinations
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats

from rashomon.consistency.hierarchical import SeedsAndImages
from rashomon.consistency.metrics import agreement, disagreement, iou, iou_column, pearson_matrix, top_region
from rashomon.core.config import InferenceConfig
from rashomon.core.device import CPU, to_device
from rashomon.inference import paired_difference
from rashomon.inference.verdicts import ALPHA, comparison_state, holm
from rashomon.psychometrics.correlation import mean_pairwise_correlation, pearson
from rashomon.variants.variant_set import VariantSet, apply_channel_mask


DISAGREEMENT = ("feature", "rank", "sign", "signed_rank")


def within_metrics(percents: Sequence[float]) -> list[str]:
    """Columns of `within_table` (and keys of the summary's `within`): Pearson, IoU@p."""
    return ["pearson", *[iou_column(p) for p in percents]]


def matrix_metrics(percents: Sequence[float]) -> list[str]:
    """Metrics with pair matrices (plots/consistency/matrices.csv): Pearson, IoU@p for the
    configured percents, feature and sign agreement."""
    return [*within_metrics(percents), "feature_agreement", "sign_agreement"]


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
                row[iou_column(p)] = iou(top_region(pa[n], p), top_region(pb[n], p))
            row.update({f"{key}_agreement": v for key, v in disagreement(pa[n], pb[n], k).items()})
            rows.append(row)
    columns = ["image_id", "a", "b", "pearson", *[iou_column(p) for p in percents],
               *[f"{k}_agreement" for k in DISAGREEMENT]]
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


def prototype_reliability(maps: np.ndarray) -> float:
    """Split-half reliability of an architecture's prototype map (the mean over its K variants'
    maps (N, K, H, W)): per image, Pearson r of the even- and odd-numbered variants' mean maps,
    averaged over images and stepped up to K variants by Spearman-Brown; NaN below 2 variants.
    The map-side twin of the noise ceiling: agreement with any other map is bounded by it."""
    if maps.shape[1] < 2:
        return float("nan")
    even, odd = maps[:, 0::2].astype(np.float64).mean(1), maps[:, 1::2].astype(np.float64).mean(1)
    r = np.array([pearson(a, b) for a, b in zip(even, odd)])
    if not np.isfinite(r).any():
        return float("nan")
    half = float(np.nanmean(r))
    return 2 * half / (1 + half) if half > -1 else float("nan")


def across_over_ceiling(across: pd.DataFrame, reliability: Mapping[str, float]) -> dict[str, float]:
    """Per pair of architectures, mean across-architecture Pearson divided by its attenuation
    bound sqrt(rel_a x rel_b): 1 = as high as the two prototypes' own reliability allows."""
    out = {}
    for (a, b), g in (across.groupby(["a", "b"], sort=False) if len(across) else []):
        bound = reliability.get(a, np.nan) * reliability.get(b, np.nan)
        out[f"{a}/{b}"] = float(g["pearson"].mean() / np.sqrt(bound)) if bound > 0 else float("nan")
    return out


def method_summary(within: Mapping[str, pd.DataFrame], across: pd.DataFrame, n_variants: Mapping[str, int],
                   percents: Sequence[float], inference: InferenceConfig) -> dict[str, Any]:
    """One method's consistency metrics: per architecture the mean within-architecture
    agreement (from `within_table`), the mean across-architecture agreement (from
    `across_table`), their paired difference over images with its 95% interval and p, and
    the verdict `within_exceeds_across` (the interval above 0): None (undefined, reason in
    `undefined`) when either mean Pearson is undefined, e.g. one variant per architecture
    (train.seeds: 1) or a single architecture, or with fewer than `inference.min_n` images."""
    columns = within_metrics(percents)
    entry: dict[str, Any] = {
        "within": {name: {c: float(t[c].mean()) if t[c].notna().any() else float("nan") for c in columns}
                   for name, t in within.items()},
        "across": {c: float(across[c].mean()) if across[c].notna().any() else float("nan")
                   for c in across.columns if c not in ("image_id", "a", "b", "method")},
    }
    within_means = np.array([v["pearson"] for v in entry["within"].values()], dtype=float)
    entry["within_mean_pearson"] = (float(np.nanmean(within_means)) if np.isfinite(within_means).any()
                                    else float("nan"))   # an architecture whose maps are constant is skipped
    entry["across_mean_pearson"] = entry["across"]["pearson"]
    per_image_within = (pd.concat(within.values()).groupby("image_id")["pearson"].mean() if within
                        else pd.Series(dtype=float))   # an empty Rashomon set: nothing to compare
    per_image_across = (across.groupby("image_id")["pearson"].mean() if len(across)
                        else pd.Series(np.nan, index=per_image_within.index))
    ids = per_image_within.index
    diff = paired_difference(per_image_within.to_numpy(), per_image_across.reindex(ids).to_numpy(), inference.seed,
                             inference.n_resamples)
    entry["within_minus_across"] = diff.as_dict()
    defined = np.isfinite([entry["within_mean_pearson"], entry["across_mean_pearson"]]).all()
    decided, noise = comparison_state(diff, inference.min_n)
    entry["within_exceeds_across"] = decided if defined else None
    reasons = []
    if not within:
        reasons.append("the Rashomon set is empty: no architecture's test PLCC interval lies above 0")
    elif not np.isfinite(entry["within_mean_pearson"]):
        reasons.append("one variant per architecture (train.seeds: 1): no pair of variants to compare"
                       if all(k < 2 for k in n_variants.values()) else
                       "within-architecture Pearson undefined (constant maps)")
    if within and not np.isfinite(entry["across_mean_pearson"]):
        reasons.append("one architecture in the Rashomon set: no pair of architectures to compare"
                       if len(within) < 2 else
                       "across-architecture Pearson undefined (constant prototype maps)")
    if defined and entry["within_exceeds_across"] is None:
        reasons.append(noise)
    entry["undefined"] = {"within_exceeds_across": "; ".join(reasons)} if reasons else {}
    return entry


def require_seed_robustness(entry: dict[str, Any], seeds_and_images: SeedsAndImages | None) -> None:
    """Store the within-minus-across interval over images and trained variants (`SeedsAndImages`
    or None) and keep `within_exceeds_across` true only where it lies above 0 too: a difference
    that training another set of seeds could erase is not shown."""
    entry["within_minus_across_seeds_and_images"] = seeds_and_images.as_dict() if seeds_and_images else None
    if entry["within_exceeds_across"] is True and seeds_and_images is not None and not seeds_and_images.ci_low > 0:
        entry["within_exceeds_across"] = False
        entry["not_true"] = {"within_exceeds_across": "not shown once the trained variants are resampled too: "
                             f"interval [{seeds_and_images.ci_low:.3f}, {seeds_and_images.ci_high:.3f}]"}


def correct_over_methods(entries: Mapping[str, dict[str, Any]], alpha: float = ALPHA) -> None:
    """Holm over the methods' within-versus-across tests (the verdict family): each method's
    `within_minus_across` gets its `adjusted_p`, and a shown difference whose adjusted p is not
    below `alpha` becomes false, with the reason; undefined verdicts are not counted."""
    names = [m for m, e in entries.items() if e["within_exceeds_across"] is not None]
    adjusted = dict(zip(names, holm([entries[m]["within_minus_across"]["p"] for m in names])))
    for method, entry in entries.items():
        entry["within_minus_across"]["adjusted_p"] = adjusted.get(method, float("nan"))
        if entry["within_exceeds_across"] is True and not adjusted[method] < alpha:
            entry["within_exceeds_across"] = False
            entry["not_true"] = {"within_exceeds_across": f"Holm-adjusted p {adjusted[method]:.3g} >= {alpha:g} "
                                                          f"over {len(names)} methods"}


def relation(consistency: np.ndarray, other: np.ndarray) -> dict[str, float]:
    """Pearson r and p over images where both are defined."""
    ok = np.isfinite(consistency) & np.isfinite(other)
    if ok.sum() < 3 or np.ptp(consistency[ok]) == 0 or np.ptp(other[ok]) == 0:
        return {"r": float("nan"), "p": float("nan"), "n": int(ok.sum())}
    r, p = stats.pearsonr(consistency[ok], other[ok])
    return {"r": float(r), "p": float(p), "n": int(ok.sum())}


@torch.no_grad()
def head_representations(variants: VariantSet, stem_outputs: Sequence[torch.Tensor],
                         device: torch.device = CPU) -> list[np.ndarray]:
    """Per variant, its head's activations before the output layer (N, D): the embedding
    the head builds from its own (masked) backbone features (computed on `device`)."""
    variants.to(device)
    target, *side = to_device(stem_outputs, device)
    reps = []
    for k, head in enumerate(variants.heads):
        embedding = variants.backbone.tail(apply_channel_mask(target, variants.masks[k]), *side)
        reps.append(head[:-1](embedding).cpu().numpy())
    return reps


def rsm(features: np.ndarray) -> np.ndarray:
    """Image-by-image similarity (Pearson between images' feature vectors), upper triangle."""
    r = pearson_matrix(features)
    return r[np.triu_indices(len(r), 1)]


def rsm_similarity(representations: Sequence[np.ndarray]) -> float:
    """Mean over variant pairs of the Pearson correlation of their RSMs (second-order)."""
    return mean_pairwise_correlation([rsm(f) for f in representations])
