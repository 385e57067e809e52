"""Stage pretrain (embedded default only): train the small backbones on synthetic scenes."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import logging
from pathlib import Path

import pandas as pd

from rashomon.backbones import get_spec
from rashomon.backbones.weights import check_backbone_names
from rashomon.core.cli import stage
from rashomon.core.device import resolve_device
from rashomon.core.fitting import quiet_lightning
from rashomon.core.io import atomic_path, save_torch, write_csv
from rashomon.core.metrics import write_metrics
from rashomon.heads.pretrain_params import PretrainParams
from rashomon.heads.pretrain_schema import PretrainMetrics
from rashomon.heads.pretraining import CHANCE, class_probe_accuracy, pretrain_backbone, pretraining_images

log = logging.getLogger("rashomon.pretrain")
NOTHING_PRETRAINED = "NONE.txt"


def run(params, args):
    """Write models/pretrained/{name}.pt for every configured backbone that is pretrained here."""
    quiet_lightning()
    cfg = params.pretrain
    check_backbone_names(params.backbones)
    names = [n for n in params.backbones.names if get_spec(n).pretrain and n not in params.backbones.weights]
    device = resolve_device(params.compute)
    report = {"label": "backbones PRETRAINED ON SYNTHETIC DATA (not ImageNet)", "chance": CHANCE, "architectures": {}}
    histories = []
    with atomic_path(args.out, is_dir=True) as tmp:
        if names:
            size = get_spec(names[0]).input_size
            train = pretraining_images(cfg.n_images, size, cfg.seed + 1)
            xp, yp = pretraining_images(cfg.n_probe_images, size, cfg.seed + 2)
            val = pretraining_images(cfg.n_val_images, size, cfg.seed + 3)
        for name in names:
            result = pretrain_backbone(name, train, val, cfg, device=device)
            save_torch(tmp / f"{name}.pt", result["state_dict"])
            probe = class_probe_accuracy(name, result["state_dict"], xp, yp, len(xp) // 2, device=device)
            report["architectures"][name] = {"mode": result["mode"], "best_epoch": result["best_epoch"],
                                             "best_val_loss": result["best_val_loss"],
                                             "linear_probe_accuracy": probe}
            histories += [{"architecture": name, **row} for row in result["history"]]
            log.info("%s: linear-probe accuracy %.3f (chance %.3f)", name, probe, CHANCE)
        if not names:   # a note, not an empty folder (DVC warns about an empty output at every command)
            (tmp / NOTHING_PRETRAINED).write_text("no backbone in backbones.names is pretrained in the pipeline: "
                                                  "their weights come from backbones.weights or the torch hub cache\n")
            log.info("no backbone needs in-pipeline pretraining (real weights are used)")
    write_csv(Path(args.plots) / "history.csv", pd.DataFrame(histories or {"architecture": [], "epoch": []}))
    write_metrics(args.metrics, report, PretrainMetrics)


main = stage(run, "--out", "--metrics", "--plots", params=PretrainParams)

if __name__ == "__main__":
    main()
