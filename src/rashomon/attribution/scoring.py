"""Scoring perturbed images: here in turn, or spread over devices by a Lightning predict loop."""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import torch
from torch import Tensor, nn
from tqdm import tqdm

from rashomon.attribution.perturbations import Perturbation, PerturbationScorer, summarise_counts
from rashomon.core.progress import bar_options


LAUNCHER_WORLD_SIZE = ("WORLD_SIZE", "SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE")


def runs_in_this_process(scoring: Mapping[str, Any], model: nn.Module) -> bool:
    """Whether Trainer options `scoring` come to one CPU process on one node, with the model
    already on the CPU and no launcher's world around it: nothing for a predict loop to spread."""
    accelerator = scoring.get("accelerator", "auto")
    gpu = torch.cuda.is_available() or torch.backends.mps.is_available()
    on_cpu = all(p.device.type == "cpu" for p in model.parameters())
    launched = any(int(os.environ.get(k, "1") or "1") > 1 for k in LAUNCHER_WORLD_SIZE)
    return (on_cpu and not launched and (accelerator == "cpu" or (accelerator == "auto" and not gpu))
            and scoring.get("devices", 1) == 1 and scoring.get("num_nodes", 1) == 1
            and scoring.get("strategy", "auto") == "auto")


def score_perturbations(images: Tensor, perturbations: Sequence[Perturbation], model: nn.Module, *,
                        incremental: bool = False, scoring: Mapping[str, Any] | None = None,
                        desc: str = "scoring", progress: bool = True) -> tuple[list[Tensor], dict[str, Any]]:
    """Scores (B_i, K) of every perturbation batch, in order, and the scorers' summary. With
    `scoring` (Trainer options: accelerator, devices, num_nodes, strategy) a Lightning
    predict loop spreads the batches over the devices; without, or where those options come to
    this one CPU process, they run here in turn (the same scores, without Lightning's start-up)."""
    if scoring is not None and not runs_in_this_process(scoring, model):
        from rashomon.attribution.predict import predict_scores   # Lightning loads only when it spreads work

        return predict_scores(images, perturbations, model, incremental=incremental, trainer_options=scoring,
                              progress=progress)
    scorer = PerturbationScorer(model, incremental)
    scores = []
    with torch.no_grad(), tqdm(total=sum(len(p) for p in perturbations), desc=desc, unit="image",
                               mininterval=5, **bar_options(progress)) as bar:
        for p in perturbations:
            scores.append(scorer(images[p.image], p))
            bar.update(len(p))
    return scores, summarise_counts([scorer.counts()])
