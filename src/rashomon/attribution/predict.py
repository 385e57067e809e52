"""Perturbation scoring as a Lightning predict loop: a dataset of (image, perturbation
batch) items, so `Trainer(devices=..., num_nodes=..., strategy="ddp")` spreads MPM and
LIME over every GPU of one or several machines; Lightning's sampler shares out the
items and a prediction writer gathers every rank's scores back, in item order."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import lightning.pytorch as pl
import torch
import torch.distributed as dist
from lightning.pytorch.callbacks import BasePredictionWriter
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from rashomon.attribution.perturbations import Perturbation, PerturbationScorer, summarise_counts
from rashomon.core.fitting import quiet_lightning
from rashomon.core.progress import lightning_bar


class PerturbationDataset(Dataset):
    """Item i: perturbation batch i with the image it perturbs (already a batch: the
    loader's batch_size is None)."""

    def __init__(self, images: Tensor, perturbations: Sequence[Perturbation]):
        self.images, self.perturbations = images, list(perturbations)

    def __len__(self) -> int:
        return len(self.perturbations)

    def __getitem__(self, i: int) -> dict[str, Any]:
        p = self.perturbations[i]
        return {"index": i, "image": self.images[p.image], "perturbation": p}


class ScoringModule(pl.LightningModule):
    """predict_step: (item index, every variant's scores (B, K)) for one perturbation batch."""

    def __init__(self, model: nn.Module, incremental: bool = False):
        super().__init__()
        self.model, self.incremental = model, incremental
        self.scorer: PerturbationScorer | None = None

    def on_predict_start(self) -> None:
        self.scorer = PerturbationScorer(self.model, self.incremental)

    def predict_step(self, batch: dict[str, Any], batch_idx: int) -> tuple[int, Tensor]:
        return batch["index"], self.scorer(batch["image"], batch["perturbation"]).cpu()


class GatherScores(BasePredictionWriter):
    """Collects this rank's (index, scores) and, at the end, every rank's with its scorer's
    counts (one all_gather_object: gloo or NCCL). Spawned ranks cannot hand objects back, so rank 0 also saves them to
    `path` for the launching process."""

    def __init__(self, path: Path):
        super().__init__("batch")
        self.path = path
        self.parts: list[tuple[int, Tensor]] = []
        self.gathered: dict[int, Tensor] | None = None
        self.counts: list[dict[str, Any]] = []

    def write_on_batch_end(self, trainer, pl_module, prediction, batch_indices, batch, batch_idx, dataloader_idx=0):
        self.parts.append(prediction)

    def on_predict_epoch_end(self, trainer: pl.Trainer, pl_module: ScoringModule) -> None:
        ranks = [(self.parts, pl_module.scorer.counts())]
        if dist.is_available() and dist.is_initialized():
            ranks = [None] * dist.get_world_size()
            dist.all_gather_object(ranks, (self.parts, pl_module.scorer.counts()))
        self.gathered = {i: s for parts, _ in ranks for i, s in parts}
        self.counts = [counts for _, counts in ranks]
        if trainer.global_rank == 0:
            tmp = self.path.with_suffix(".tmp")
            with open(tmp, "wb") as file:   # a Python file: a full disk is an OSError naming no C++ stream
                torch.save({"scores": self.gathered, "counts": self.counts}, file)
            os.replace(tmp, self.path)


def predict_scores(images: Tensor, perturbations: Sequence[Perturbation], model: nn.Module, *,
                   incremental: bool = False, trainer_options: Mapping[str, Any] | None = None,
                   progress: bool = True) -> tuple[list[Tensor], dict[str, Any]]:
    """Every perturbation batch's scores (B_i, K), in order, from a Lightning predict loop
    with `trainer_options` (accelerator, devices, num_nodes, strategy...)."""
    quiet_lightning()
    loader = DataLoader(PerturbationDataset(images, perturbations), batch_size=None, shuffle=False)
    with tempfile.TemporaryDirectory(prefix="rashomon-scores-") as tmp:
        writer = GatherScores(Path(tmp) / "scores.pt")
        trainer = pl.Trainer(**{"accelerator": "auto", "devices": 1, **(trainer_options or {})}, logger=False,
                             callbacks=[writer], enable_progress_bar=lightning_bar(progress),
                             enable_model_summary=False, enable_checkpointing=False)
        trainer.predict(ScoringModule(model, incremental), loader, return_predictions=False)
        if writer.gathered is None:      # the ranks ran in spawned processes: rank 0 saved them
            saved = torch.load(writer.path, weights_only=True)
            writer.gathered, writer.counts = saved["scores"], saved["counts"]
    missing = sorted(set(range(len(perturbations))) - set(writer.gathered))
    if missing:
        raise RuntimeError(f"the predict loop returned no scores for perturbation batch(es) {missing[:5]}")
    return [writer.gathered[i] for i in range(len(perturbations))], summarise_counts(writer.counts)
