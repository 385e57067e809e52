"""Scoring perturbed images: here in turn, or spread over devices by a Lightning predict loop."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import Tensor, nn
from tqdm import tqdm

from rashomon.attribution.perturbations import Perturbation, PerturbationScorer, summarise_counts


def score_perturbations(images: Tensor, perturbations: Sequence[Perturbation], model: nn.Module, *,
                        incremental: bool = False, scoring: Mapping[str, Any] | None = None,
                        desc: str = "scoring", progress: bool = True) -> tuple[list[Tensor], dict[str, Any]]:
    """Scores (B_i, K) of every perturbation batch, in order, and the scorers' summary. With
    `scoring` (Trainer options: accelerator, devices, num_nodes, strategy) a Lightning
    predict loop spreads the batches over the devices; without, they run here in turn."""
    if scoring is not None:
        from rashomon.attribution.predict import predict_scores   # Lightning loads only when asked for

        return predict_scores(images, perturbations, model, incremental=incremental, trainer_options=scoring,
                              progress=progress)
    scorer = PerturbationScorer(model, incremental)
    scores = []
    with torch.no_grad(), tqdm(total=sum(len(p) for p in perturbations), desc=desc, unit="image",
                               disable=not progress, mininterval=5) as bar:
        for p in perturbations:
            scores.append(scorer(images[p.image], p))
            bar.update(len(p))
    return scores, summarise_counts([scorer.counts()])
