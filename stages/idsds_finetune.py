"""Stage idsds_finetune: in-domain fine-tuning with random grid cells deleted."""

import logging
from pathlib import Path

import torch

from rashomon.cli import stage
from rashomon.idsds.cifar import load_label_names, load_split
from rashomon.idsds.finetune import accuracy, clone, finetune_changes, to_tensor, train
from rashomon.idsds.models import create_cifar_model, load_cifar_weights
from rashomon.io import atomic_path, write_json

log = logging.getLogger("rashomon.idsds")


def run(params, args):
    """Write models/idsds/{model}_{original,finetuned}.pt and metrics/idsds_finetune.json."""
    cfg = params["idsds"]
    folder = cfg["data"]
    x_train, y_train = (torch.from_numpy(a) if i else to_tensor(a) for i, a in enumerate(load_split(folder, "train")))
    x_test, y_test = (torch.from_numpy(a) if i else to_tensor(a) for i, a in enumerate(load_split(folder, "test")))
    n_classes = len(load_label_names(folder))
    deletion = {"grid": cfg["grid"], "probability": cfg["finetune"]["delete_probability"],
                "mode": cfg["deletion_mode"], "value": cfg["value"]}
    report = {"data": folder}
    with atomic_path(args.out, is_dir=True) as tmp:
        for name in cfg["models"]:
            model = create_cifar_model(name, n_classes, float(cfg.get("vgg_width", 1.0)))
            weights = (cfg.get("weights") or {}).get(name)
            if weights:
                load_cifar_weights(model, weights)
                origin = f"weights from {weights}"
            else:
                history = train(model, x_train, y_train, cfg["pretrain"], desc=f"train {name}")
                origin = f"trained here from scratch ({len(x_train)} images, {cfg['pretrain']['epochs']} epochs)"
                log.info("%s trained: %s", name, history[-1])
            tuned = clone(model)
            history = train(tuned, x_train, y_train, cfg["finetune"], deletion, desc=f"finetune {name}")
            n = min(len(x_test), int(cfg["compare_images"]))
            report[name] = {
                "original": origin, "finetune_history": history,
                "accuracy": {
                    "original_clean": accuracy(model, x_test, y_test),
                    "original_deleted": accuracy(model, x_test, y_test, cfg["grid"]),
                    "finetuned_clean": accuracy(tuned, x_test, y_test),
                    "finetuned_deleted": accuracy(tuned, x_test, y_test, cfg["grid"]),
                },
                **finetune_changes(model, tuned, x_test[:n], y_test[:n]),
            }
            torch.save(model.state_dict(), tmp / f"{name}_original.pt")
            torch.save(tuned.state_dict(), tmp / f"{name}_finetuned.pt")
            log.info("%s accuracy: %s", name, report[name]["accuracy"])
    write_json(args.metrics, report)


main = stage(run, ("--out", {"default": "models/idsds"}),
             ("--metrics", {"default": "metrics/idsds_finetune.json"}))

if __name__ == "__main__":
    main()
