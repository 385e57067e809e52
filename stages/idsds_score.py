"""Stage idsds_score: single-deletion scores of every method on every fine-tuned model."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import dataclasses
import logging

import pandas as pd

from rashomon.core import plotting
from rashomon.core.cli import stage
from rashomon.core.io import atomic_path, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.idsds.cifar import SYNTHETIC_CIFAR_LABEL, is_synthetic_cifar
from rashomon.idsds.deletion import Deletion
from rashomon.idsds.evaluation import accuracy, score_data
from rashomon.idsds.idsds_params import IdsdsParams
from rashomon.idsds.idsds_score_schema import IdsdsMetrics
from rashomon.idsds.models import check_model_names, load_finetuned
from rashomon.idsds.scoring import check_method_names, classifies, headline, score_model, unranked

log = logging.getLogger("rashomon.idsds")


def run(params, args):
    """Write metrics/idsds.json (headline per model) and plots/idsds/ (full score table, ranking bars)."""
    cfg = params.idsds
    check_model_names(cfg.models, cfg.weights)
    check_method_names(cfg.score.methods)
    x, y, n_classes = score_data(cfg)
    deletion = Deletion(**dataclasses.asdict(cfg.deletion))
    report = {"grid": deletion.grid, "n_images": len(x), "transforms": cfg.score.transforms,
              "deletion_mode": deletion.mode, "models": {}}
    if is_synthetic_cifar(cfg.data):
        report["label"] = SYNTHETIC_CIFAR_LABEL
    rows, flagged = [], []
    first = cfg.score.outputs[0]
    for name in cfg.models:
        model = load_finetuned(args.models, name, n_classes, cfg.vgg_width)
        scores = score_model(model, x, y, deletion, cfg.score)
        entry, warnings, order = headline(scores, first)
        entry.update(classifies(int(round(accuracy(model, x, y) * len(x))), len(x), n_classes))
        report["models"][name] = entry if entry["ranked"] else unranked(entry)
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
    write_metrics(args.metrics, report, IdsdsMetrics)


main = stage(run, "--models", "--metrics", "--plots", params=IdsdsParams)

if __name__ == "__main__":
    main()
