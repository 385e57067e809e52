"""Stage idsds_finetune: in-domain fine-tuning with random grid cells deleted."""

import rashomon.core.pin_kernels  # noqa: F401  first: pins CPU kernels before numpy/torch load (docs/reproducibility.md)

import dataclasses
import logging
from pathlib import Path

import pandas as pd
import torch

from rashomon.core.cli import stage
from rashomon.core.fitting import quiet_lightning, seed_everything
from rashomon.idsds.cifar import SYNTHETIC_LABEL, is_synthetic_cifar, load_label_names, load_split
from rashomon.idsds.deletion import Deletion
from rashomon.idsds.finetune import accuracy, clone, finetune_changes, to_tensor, train
from rashomon.idsds.models import check_model_names, create_cifar_model, load_cifar_weights
from rashomon.core.io import atomic_path, save_torch, write_csv, write_json

log = logging.getLogger("rashomon.idsds")


def run(params, args):
    """Write models/idsds/{model}_{original,finetuned}.pt, metrics/idsds_finetune.json and
    plots/idsds_finetune/history.csv."""
    quiet_lightning()
    cfg = params.idsds
    check_model_names(cfg.models, cfg.weights)
    images, labels = load_split(cfg.data, "train")
    x_all, y_all = to_tensor(images), torch.from_numpy(labels)
    perm = torch.randperm(len(x_all), generator=torch.Generator().manual_seed(cfg.finetune.seed))
    n_val = max(1, int(round(cfg.val_fraction * len(x_all))))
    train_set = (x_all[perm[n_val:]], y_all[perm[n_val:]])
    val_set = (x_all[perm[:n_val]], y_all[perm[:n_val]])
    test_images, test_labels = load_split(cfg.data, "test")
    x_test, y_test = to_tensor(test_images), torch.from_numpy(test_labels)
    n_classes = len(load_label_names(cfg.data))
    deletion = Deletion(**dataclasses.asdict(cfg.deletion))
    report = {"deletion_mode": cfg.deletion.mode, "checkpoint": "best clean validation top-1", "models": {}}
    if is_synthetic_cifar(cfg.data):
        report["label"] = SYNTHETIC_LABEL
    history = []
    with atomic_path(args.out, is_dir=True) as tmp:
        for name in cfg.models:
            seed_everything(cfg.pretrain.seed)  # model init is seeded too
            model = create_cifar_model(name, n_classes, cfg.vgg_width)
            if name in cfg.weights:
                load_cifar_weights(model, cfg.weights[name])
                origin = "weights from file"
            else:
                rows = train(model, train_set, val_set, cfg.pretrain)
                history += [{"model": name, "phase": "train", **r} for r in rows]
                origin = f"trained here ({len(train_set[0])} images, {cfg.pretrain.epochs} epochs)"
            tuned = clone(model)
            rows = train(tuned, train_set, val_set, cfg.finetune, deletion)
            history += [{"model": name, "phase": "finetune", **r} for r in rows]
            n = min(len(x_test), cfg.compare_images)
            report["models"][name] = {
                "original": origin,
                "accuracy_original_clean": accuracy(model, x_test, y_test),
                "accuracy_original_deleted": accuracy(model, x_test, y_test, deletion),
                "accuracy_finetuned_clean": accuracy(tuned, x_test, y_test),
                "accuracy_finetuned_deleted": accuracy(tuned, x_test, y_test, deletion),
                **finetune_changes(model, tuned, x_test[:n], y_test[:n]),
            }
            save_torch(tmp / f"{name}_original.pt", model.state_dict())
            save_torch(tmp / f"{name}_finetuned.pt", tuned.state_dict())
            log.info("%s: %s", name, report["models"][name])
    write_csv(Path(args.plots) / "history.csv", pd.DataFrame(history))
    write_json(args.metrics, report)


main = stage(run, ("--out", {"default": "models/idsds"}),
             ("--metrics", {"default": "metrics/idsds_finetune.json"}),
             ("--plots", {"default": "plots/idsds_finetune"}))

if __name__ == "__main__":
    main()
