"""Ground-truth tables for one method x architecture from stored maps: localisation of
each variant's map and of the prototype (variant mean), reference maps, twin
faithfulness and deletion curves."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from rashomon.core.config import InferenceConfig
from rashomon.core.device import CPU
from rashomon.data.explanation_order import selection_halves
from rashomon.groundtruth.faithfulness import curve_area, deletion_curves, region_mass, twin_agreement
from rashomon.groundtruth.localisation import SCORES, localisation_scores
from rashomon.groundtruth.references import REFERENCES, reference_maps
from rashomon.inference import Paired, bootstrap_mean, paired_difference
from rashomon.inference.verdicts import comparison_state, judge
from rashomon.variants.variant_set import VariantSet

PROTOTYPE = "prototype"


def localisation_table(maps: np.ndarray, masks: np.ndarray, ids: Sequence[str]) -> pd.DataFrame:
    """Scores per image of the prototype and of every variant; cue score = -map."""
    rows = []
    for i, image_id in enumerate(ids):
        if not masks[i].any():
            continue
        per_variant = maps[i].astype(np.float64)
        for level, m in [(PROTOTYPE, per_variant.mean(0))] + [(str(k), v) for k, v in enumerate(per_variant)]:
            rows.append({"image_id": image_id, "level": level, **localisation_scores(-m, masks[i])})
    return pd.DataFrame(rows, columns=["image_id", "level", *SCORES])


def reference_table(images_rgb: np.ndarray, masks: np.ndarray, ids: Sequence[str], sigma: float,
                    seed: int) -> pd.DataFrame:
    """Scores of each reference map per image with an artifact (reference maps are cue scores)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, image_id in enumerate(ids):
        refs = reference_maps(images_rgb[i], sigma, rng)
        if not masks[i].any():
            continue
        for name, ref in refs.items():
            rows.append({"image_id": image_id, "reference": name, **localisation_scores(ref, masks[i])})
    return pd.DataFrame(rows, columns=["image_id", "reference", *SCORES])


def summarise(table: pd.DataFrame, inference: InferenceConfig | None = None) -> dict[str, float]:
    """Mean of each score over images where it is defined, the count of undefined ones, and
    (with `inference`) the AUROC's 95% interval over images."""
    out = {s: float(table[s].mean()) if table[s].notna().any() else float("nan") for s in SCORES}
    out["n_images"] = int(table["image_id"].nunique())
    out["n_undefined_auroc"] = int(table["auroc"].isna().sum())
    if inference is not None:
        est = bootstrap_mean(table["auroc"].to_numpy(), inference.seed, inference.n_resamples)
        out["auroc_ci_low"], out["auroc_ci_high"] = est.ci_low, est.ci_high
    return out


def faithfulness(maps: np.ndarray, masks: np.ndarray, twin_effect: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Twin agreement of the prototype maps over the images with an artifact."""
    has = masks.reshape(len(masks), -1).any(1)
    mass = region_mass(maps.astype(np.float64).mean(1)[has], masks[has])
    return twin_agreement(mass, twin_effect[has], seed)


def deletion_table(variants: VariantSet, images: torch.Tensor, maps: np.ndarray, ids: Sequence[str], *,
                   grid: int, steps: int, n_random: int, fill: float, seed: int,
                   device: torch.device = CPU) -> pd.DataFrame:
    """Per image: deletion curve of the prototype map's order and the mean random curve
    (the model scores on `device`)."""
    rng = np.random.default_rng(seed)
    variants.to(device)
    rows = []
    for i, image_id in enumerate(ids):
        curve, random = deletion_curves(variants, images[i], maps[i].astype(np.float64).mean(0), grid=grid,
                                        steps=steps, n_random=n_random, fill=fill, rng=rng)
        for s, (a, b) in enumerate(zip(curve, random.mean(0))):
            rows.append({"image_id": image_id, "step": s, "fraction": s / steps, "map_order": float(a),
                         "random_order": float(b)})
    return pd.DataFrame(rows)


def deletion_summary(table: pd.DataFrame) -> dict[str, float]:
    """Areas under the mean curves (rating units x fraction deleted); gain = random - map:
    > 0 when removing the map's most positive cells lowers the prediction faster."""
    mean = table.groupby("step")[["map_order", "random_order"]].mean()
    area_map, area_random = curve_area(mean["map_order"].to_numpy()), curve_area(mean["random_order"].to_numpy())
    per_image = table.groupby("image_id").apply(
        lambda t: curve_area(t["random_order"].to_numpy()) - curve_area(t["map_order"].to_numpy()),
        include_groups=False)
    return {"auc_map_order": area_map, "auc_random_order": area_random, "gain": area_random - area_map,
            "share_images_better_than_random": float((per_image > 0).mean())}


def reference_verdicts(prototypes: Mapping[str, pd.DataFrame], references: Mapping[str, pd.DataFrame],
                       inference: InferenceConfig, compared: Sequence[str] = REFERENCES) -> dict[str, Any]:
    """Does the best architecture's prototype map (the ensemble excluded; best by mean AUROC on one
    half of the images, `selection_halves`) localise the artifact better than each trivial reference
    map on the *other* half? Per reference: the paired difference of per-image AUROCs with its 95%
    interval and exact or permutation p (`vs_<reference>`), and `beats_<reference>`: true when the
    interval lies above 0, false otherwise, None (undefined, the reason in `undefined`) with fewer
    than `inference.min_n` images, no interval or a bound within the bootstrap's noise.
    `beats_references` (all of them, Holm over the methods) is judged by the caller. Tables (rows
    in the explanation order): image_id, auroc."""
    tables = {a: t.set_index("image_id")["auroc"] for a, t in prototypes.items() if a != "ensemble"}
    order = list(dict.fromkeys(i for t in prototypes.values() for i in t["image_id"]))
    pick, test = selection_halves(order)
    means = {a: t.reindex(pick).mean() for a, t in tables.items()}
    best = max(means, key=lambda a: np.nan_to_num(means[a], nan=-1.0))
    out: dict[str, Any] = {"best_auroc": {"architecture": best, "auroc": float(means[best]), "picked_on": len(pick)}}
    undefined = {}
    ours = tables[best].reindex(test).dropna()
    for ref in compared:
        theirs = references[ref].set_index("image_id")["auroc"] if ref in references else pd.Series(dtype=float)
        shared = ours.index.intersection(theirs.dropna().index)
        diff = paired_difference(ours.loc[shared].to_numpy(), theirs.loc[shared].to_numpy(), inference.seed,
                                 inference.n_resamples)
        out[f"vs_{ref}"] = diff.as_dict()
        out[f"beats_{ref}"], why = comparison_state(diff, inference.min_n)
        if out[f"beats_{ref}"] is None:
            undefined[f"beats_{ref}"] = (
                "no image where both AUROCs are defined (no explained image with an artifact, or constant maps)"
                if diff.n == 0 else why)
    out["undefined"] = undefined
    return out


def judge_references(entries: Mapping[str, dict[str, Any]], compared: Sequence[str], min_n: int) -> None:
    """Add `beats_references` to each method's entry: its `vs_<reference>` comparisons all shown
    (beating the best reference), Holm-corrected over the methods."""
    claims = {m: {r: Paired(**e[f"vs_{r}"]) for r in compared if f"vs_{r}" in e} for m, e in entries.items()}
    for method, v in judge(claims, min_n).items():
        entries[method]["beats_references"] = v.as_dict()
