"""The reproduction's fine-tuning protocol per model: the CIFAR-format data split once, each
model trained here (or loaded), then fine-tuned with random grid cells deleted, and both
measured on clean and cell-deleted test images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from rashomon.core.fitting import seed_everything
from rashomon.idsds.cifar import load_label_names, load_split
from rashomon.idsds.deletion import Deletion
from rashomon.idsds.evaluation import accuracy, clone, finetune_changes, to_tensor
from rashomon.idsds.finetune import train
from rashomon.idsds.idsds_params import IdsdsConfig
from rashomon.idsds.models import create_cifar_model, load_cifar_weights

Split = tuple[torch.Tensor, torch.Tensor]


@dataclass
class FinetuneData:
    train: Split
    val: Split
    test: Split
    n_classes: int


@dataclass
class FinetunedModel:
    original: nn.Module
    finetuned: nn.Module
    report: dict[str, Any]          # the model's entry in metrics/idsds_finetune.json
    history: list[dict[str, Any]]   # per epoch, both phases


def finetune_data(cfg: IdsdsConfig) -> FinetuneData:
    """The training images split once into train/val (seeded), and the test images."""
    images, labels = load_split(cfg.data, "train")
    x_all, y_all = to_tensor(images), torch.from_numpy(labels)
    perm = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(cfg.finetune.seed))
    n_val = max(1, int(round(cfg.val_fraction * len(x_all))))
    test_images, test_labels = load_split(cfg.data, "test")
    return FinetuneData((x_all[perm[n_val:]], y_all[perm[n_val:]]), (x_all[perm[:n_val]], y_all[perm[:n_val]]),
                        (to_tensor(test_images), torch.from_numpy(test_labels)), len(load_label_names(cfg.data)))


def finetune_model(name: str, cfg: IdsdsConfig, data: FinetuneData, deletion: Deletion) -> FinetunedModel:
    """Model `name` (seeded init; weights from file or trained here) and its in-domain fine-tuned copy."""
    seed_everything(cfg.pretrain.seed)  # model init is seeded too
    model = create_cifar_model(name, data.n_classes, cfg.vgg_width)
    history = []
    if name in cfg.weights:
        load_cifar_weights(model, cfg.weights[name])
        origin = "weights from file"
    else:
        rows = train(model, data.train, data.val, cfg.pretrain)
        history += [{"model": name, "phase": "train", **r} for r in rows]
        origin = f"trained here ({len(data.train[0])} images, {cfg.pretrain.epochs} epochs)"
    tuned = clone(model)
    rows = train(tuned, data.train, data.val, cfg.finetune, deletion)
    history += [{"model": name, "phase": "finetune", **r} for r in rows]
    x_test, y_test = data.test
    n = min(len(x_test), cfg.compare_images)
    report = {
        "original": origin,
        "accuracy_original_clean": accuracy(model, x_test, y_test),
        "accuracy_original_deleted": accuracy(model, x_test, y_test, deletion),
        "accuracy_finetuned_clean": accuracy(tuned, x_test, y_test),
        "accuracy_finetuned_deleted": accuracy(tuned, x_test, y_test, deletion),
        **finetune_changes(model, tuned, x_test[:n], y_test[:n]),
    }
    return FinetunedModel(model, tuned, report, history)
