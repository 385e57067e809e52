"""Stage idsds_finetune: in-domain fine-tuning with random grid cells deleted."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import dataclasses
import logging
from pathlib import Path

import pandas as pd

from rashomon.core.cli import stage
from rashomon.core.fitting import quiet_lightning
from rashomon.core.io import atomic_path, save_torch, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.idsds.cifar import SYNTHETIC_CIFAR_LABEL, is_synthetic_cifar
from rashomon.idsds.deletion import Deletion
from rashomon.idsds.idsds_finetune_schema import IdsdsFinetuneMetrics
from rashomon.idsds.idsds_params import IdsdsParams
from rashomon.idsds.models import check_model_names
from rashomon.idsds.protocol import finetune_data, finetune_model

log = logging.getLogger("rashomon.idsds")


def run(params, args):
    """Write models/idsds/{model}_{original,finetuned}.pt, metrics/idsds_finetune.json and
    plots/idsds_finetune/history.csv."""
    quiet_lightning()
    cfg = params.idsds
    check_model_names(cfg.models, cfg.weights)
    data = finetune_data(cfg)
    deletion = Deletion(**dataclasses.asdict(cfg.deletion))
    report = {"deletion_mode": cfg.deletion.mode, "checkpoint": "best clean validation top-1", "models": {}}
    if is_synthetic_cifar(cfg.data):
        report["label"] = SYNTHETIC_CIFAR_LABEL
    history = []
    with atomic_path(args.out, is_dir=True) as tmp:
        for name in cfg.models:
            result = finetune_model(name, cfg, data, deletion)
            report["models"][name] = result.report
            history += result.history
            save_torch(tmp / f"{name}_original.pt", result.original.state_dict())
            save_torch(tmp / f"{name}_finetuned.pt", result.finetuned.state_dict())
            log.info("%s: %s", name, result.report)
    write_csv(Path(args.plots) / "history.csv", pd.DataFrame(history))
    write_metrics(args.metrics, report, IdsdsFinetuneMetrics)


main = stage(run, "--out", "--metrics", "--plots", params=IdsdsParams)

if __name__ == "__main__":
    main()
