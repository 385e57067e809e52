"""What a model relies on, measured with the simulator's twins (synthetic data only).

For each image the simulator also renders the same scene without the local artifact and
without the global degradation. A variant's prediction change when a cue is removed is
what that cue does to the model; over images, the partial correlation of predictions with
artifact visibility given degradation says whether the model tracks the cue the simulated
raters punish beyond the quality it shares with it. This is the ground truth of what each
*model* uses, beside the mask, which is the ground truth of what the *raters* use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import stats

from rashomon.backbones.preprocess import load_images
from rashomon.backbones.registry import BackboneSpec
from rashomon.inference import N_RESAMPLES, bootstrap_mean
from rashomon.inference.verdicts import holm
from rashomon.core.device import CPU
from rashomon.data.twins import TWINS, twin_path
from rashomon.psychometrics.correlation import partial_corr, pearson
from rashomon.variants.variant_set import VariantSet

ALPHA = 0.01


@torch.no_grad()
def predict_images(variants: VariantSet, images: torch.Tensor, batch_size: int = 64,
                   device: torch.device = CPU) -> np.ndarray:
    """Every variant's prediction (N, K) for preprocessed images, computed on `device`."""
    variants.to(device)
    return torch.cat([variants(images[i:i + batch_size].to(device)).cpu()
                      for i in range(0, len(images), batch_size)]).numpy()


def load_twins(dataset: Path, ids: list[str], spec: BackboneSpec) -> dict[str, torch.Tensor]:
    """Each twin kind's images of `ids` (the synthesizer's folder `dataset`), preprocessed for `spec`."""
    return {t: load_images([str(twin_path(dataset, t, i)) for i in ids], spec) for t in TWINS}


def partial_corr_p(r: float, n: int, n_controls: int = 1) -> float:
    """Two-sided p of a partial correlation (t with n - 2 - n_controls df)."""
    df = n - 2 - n_controls
    if not np.isfinite(r) or df < 1:
        return float("nan")
    if abs(r) >= 1:
        return 0.0
    t = r * np.sqrt(df / (1 - r**2))
    return float(2 * stats.t.sf(abs(t), df))


def reliance(pred: np.ndarray, no_artifact: np.ndarray, no_degradation: np.ndarray, visibility: np.ndarray,
             badness: np.ndarray, seed: int = 0, n_resamples: int = N_RESAMPLES) -> dict[str, Any]:
    """Per-architecture reliance on each cue from predictions (N, K) on images and twins.

    Effects are twin minus image, in rating units (positive: removing the cue raises
    predicted authenticity, as it does for the simulated raters); the artifact effect with its
    95% interval over the artifact images. The artifact cue is its visibility (what the simulated
    raters respond to)."""
    mean_pred = pred.mean(1)
    art_effect = (no_artifact - pred).mean(1)
    deg_effect = (no_degradation - pred).mean(1)
    has_art = visibility > 0
    r = partial_corr(mean_pred, visibility, badness)
    per_variant = np.array([partial_corr(pred[:, k], visibility, badness) for k in range(pred.shape[1])])
    p = partial_corr_p(r, len(mean_pred))
    t_art = stats.ttest_1samp(art_effect[has_art], 0.0) if has_art.sum() > 1 else None
    art_ci = bootstrap_mean(art_effect[has_art], seed, n_resamples)
    return {
        "n_images": int(len(mean_pred)), "n_artifact_images": int(has_art.sum()),
        "artifact_effect_mean": float(art_effect[has_art].mean()) if has_art.any() else float("nan"),
        "artifact_effect_p": float(t_art.pvalue) if t_art is not None else float("nan"),
        "artifact_effect_ci_low": art_ci.ci_low, "artifact_effect_ci_high": art_ci.ci_high,
        "degradation_effect_mean": float(deg_effect.mean()),
        "r2_artifact_visibility": pearson(mean_pred, visibility) ** 2,
        "r2_degradation": pearson(mean_pred, badness) ** 2,
        "partial_r_artifact_given_degradation": r,
        "partial_p": p,
        "variants_relying_on_artifact": variants_relying(per_variant, len(mean_pred)),
        "relies_on_artifact": relies_on_artifact(r, p, t_art),
    }


def variants_relying(per_variant: np.ndarray, n: int) -> int:
    """How many variants' partial r (artifact | degradation) is negative and shown so: p < ALPHA
    after Holm over the variants (a negative r alone is not evidence)."""
    adjusted = holm([partial_corr_p(r, n) for r in per_variant])
    return int(sum(r < 0 and q < ALPHA for r, q in zip(per_variant, adjusted)))


def relies_on_artifact(r: float, p: float, t_art: Any) -> bool | None:
    """The reliance verdict: partial r < 0 with p < ALPHA and removing the artifact raises
    predictions (t > 0, p < ALPHA); None (undefined) when any of its inputs is undefined."""
    if t_art is None or not np.all(np.isfinite([r, p, t_art.statistic, t_art.pvalue])):
        return None
    return bool(r < 0 and p < ALPHA and t_art.statistic > 0 and t_art.pvalue < ALPHA)


def effects_table(arch: str, ids: list[str], pred: np.ndarray, no_artifact: np.ndarray,
                  no_degradation: np.ndarray, truth: pd.DataFrame) -> pd.DataFrame:
    """Per image: cues and the variant-mean prediction and twin effects."""
    return pd.DataFrame({
        "architecture": arch, "image_id": ids,
        "artifact_strength": truth.loc[ids, "artifact_strength"].to_numpy(),
        "artifact_visibility": truth.loc[ids, "artifact_visibility"].to_numpy(),
        "global_badness": truth.loc[ids, "global_badness"].to_numpy(),
        "prediction": pred.mean(1), "artifact_effect": (no_artifact - pred).mean(1),
        "degradation_effect": (no_degradation - pred).mean(1)})
