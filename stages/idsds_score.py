"""Stage idsds_score: single-deletion scores of every method on every fine-tuned model."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import dataclasses
import logging
from pathlib import Path

import pandas as pd
import torch

from rashomon.core import plotting
from rashomon.core.cli import stage
from rashomon.idsds.cifar import SYNTHETIC_CIFAR_LABEL, is_synthetic_cifar, load_label_names, load_split
from rashomon.idsds.deletion import Deletion
from rashomon.idsds.finetune import to_tensor
from rashomon.idsds.models import check_model_names, create_cifar_model
from rashomon.idsds.scoring import (
    check_method_names, headline, score_model,
)
from rashomon.core.io import atomic_path, write_csv, write_json

log = logging.getLogger("rashomon.idsds")


def run(params, args):
    """Write metrics/idsds.json (headline per model) and plots/idsds/ (full score table, ranking bars)."""
    cfg = params.idsds
    check_model_names(cfg.models, cfg.weights)
    check_method_names(cfg.score.methods)
    images, labels = load_split(cfg.data, "test")
    n = len(images) if cfg.score.n_images is None else min(cfg.score.n_images, len(images))
    x, y = to_tensor(images[:n]), torch.from_numpy(labels[:n])
    n_classes = len(load_label_names(cfg.data))
    deletion = Deletion(**dataclasses.asdict(cfg.deletion))
    report = {"grid": deletion.grid, "n_images": n, "transforms": cfg.score.transforms,
              "deletion_mode": deletion.mode, "models": {}}
    if is_synthetic_cifar(cfg.data):
        report["label"] = SYNTHETIC_CIFAR_LABEL
    rows, flagged = [], []
    first = cfg.score.outputs[0]
    for name in cfg.models:
        model = create_cifar_model(name, n_classes, cfg.vgg_width)
        model.load_state_dict(torch.load(Path(args.models) / f"{name}_finetuned.pt", weights_only=True))
        model.eval()
        scores = score_model(model, x, y, deletion, cfg.score)
        report["models"][name], warnings, order = headline(scores, first)
        for output, table in scores.items():
            rows += [{"model": name, "output": output, "method": m, **s} for m, s in table.items()]
        flagged.append(pd.DataFrame(warnings or {"dummy": [], "principled": [], "dummy_score": [],
                                                 "principled_score": []}).assign(model=name))
        log.info("%s: best %s", name, order[:3])
    table = pd.DataFrame(rows)
    with atomic_path(args.plots, is_dir=True) as plots:
        write_csv(plots / "scores.csv", table)
        write_csv(plots / "dummy_outranks_principled.csv", pd.concat(flagged, ignore_index=True))
        plotting.ranking_panels(table[table.output == first], plots / "ranking.png",
                                f"IDSDS ({first}, grid {deletion.grid}): mean and 95% CI over images")
    write_json(args.metrics, report)


main = stage(run, "--models", "--metrics", "--plots")

if __name__ == "__main__":
    main()
