"""The reliance stage's measurement per architecture: every head's predictions on the explained
images and on their two twins (no artifact, no degradation), and what that says the heads use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from rashomon.backbones import create_backbone
from rashomon.backbones.preprocess import load_images
from rashomon.backbones.weights import weights_for
from rashomon.variants.reliance import effects_table, load_twins, predict_images, reliance
from rashomon.variants.reliance_params import RelianceParams
from rashomon.variants.variant_set import load_variants


@dataclass
class ArchitectureReliance:
    entry: dict            # the architecture's line in metrics/reliance.json
    effects: pd.DataFrame  # per image: the twin effects (plots/reliance/effects.csv)


def measure_reliance(name: str, params: RelianceParams, manifest: pd.DataFrame, ids: list[str], truth: pd.DataFrame,
                     dataset: Path, pretrained: Path, heads: Path, device: torch.device) -> ArchitectureReliance:
    """Architecture `name`'s heads on `ids` and on their twins in `dataset` (the synthesizer's folder)."""
    backbone = create_backbone(name, weights_for(name, params.backbones, pretrained))
    variants = load_variants(backbone, heads, params.train.seeds)
    pred = predict_images(variants, load_images(manifest.loc[ids, "path"].tolist(), backbone.spec), device=device)
    twins = {t: predict_images(variants, x, device=device) for t, x in load_twins(dataset, ids, backbone.spec).items()}
    visibility = truth.loc[ids, "artifact_visibility"].to_numpy()
    badness = truth.loc[ids, "global_badness"].to_numpy()
    entry = reliance(pred, twins["no_artifact"], twins["no_degradation"], visibility, badness, params.inference.seed,
                     params.inference.n_resamples)
    effects = effects_table(name, ids, pred, twins["no_artifact"], twins["no_degradation"], truth)
    return ArchitectureReliance(entry, effects)
