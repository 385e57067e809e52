"""Stage idsds_score: single-deletion scores of every method on every fine-tuned model."""

import logging
from pathlib import Path

import pandas as pd
import torch

from rashomon import plotting
from rashomon.cli import stage
from rashomon.idsds.cifar import load_label_names, load_split
from rashomon.idsds.finetune import to_tensor
from rashomon.idsds.models import create_cifar_model
from rashomon.idsds.scoring import dummy_warnings, rank_change, ranking, score_model
from rashomon.io import write_csv, write_json

log = logging.getLogger("rashomon.idsds")


def run(params, args):
    """Write metrics/idsds.json and plots/idsds/ (scores table, ranking bars per model)."""
    cfg = params["idsds"]
    images, labels = load_split(cfg["data"], "test")
    n = int(cfg["score"]["n_images"])
    rgb = images[:n].astype(float) / 255
    x, y = to_tensor(images[:n]), torch.from_numpy(labels[:n])
    n_classes = len(load_label_names(cfg["data"]))
    opts = {**cfg["score"], "grid": cfg["grid"], "value": cfg["value"]}
    report = {"grid": cfg["grid"], "n_images": n, "transform": opts.get("transform", "raw"), "models": {}}
    if "synthetic" in str(cfg["data"]):
        report["label"] = "SYNTHETIC classification data in CIFAR-100 format, not CIFAR-100"
    rows = []
    for name in cfg["models"]:
        model = create_cifar_model(name, n_classes, float(cfg.get("vgg_width", 1.0)))
        model.load_state_dict(torch.load(Path(args.models) / f"{name}_finetuned.pt", weights_only=True))
        model.eval()
        scores = score_model(model, x, y, rgb, opts)
        warnings = dummy_warnings(scores["logit"])
        report["models"][name] = {
            "scores": scores,
            "ranking_logit": ranking(scores["logit"]),
            "kendall_tau_logit_vs_softmax": rank_change(scores["logit"], scores["softmax"]) if "softmax" in scores else None,
            "dummy_outranks_principled": warnings,
            "reliability_warning": bool(warnings),
        }
        for output, table in scores.items():
            rows += [{"model": name, "output": output, "method": m, **s} for m, s in table.items()]
        log.info("%s: best %s", name, report["models"][name]["ranking_logit"][:3])
    table = pd.DataFrame(rows)
    write_json(args.metrics, report)
    plots = Path(args.plots)
    write_csv(plots / "scores.csv", table)
    for name, g in table[table.output == "logit"].groupby("model"):
        g = g.sort_values("mean", ascending=False).assign(err=lambda d: d["ci95_high"] - d["mean"])
        plotting.bars(g, "method", "mean", "err", None, plots / f"ranking_{name}.png",
                      f"IDSDS ({name}, logits, grid {cfg['grid']}): mean +- 95% CI")


main = stage(run, ("--models", {"default": "models/idsds"}),
             ("--metrics", {"default": "metrics/idsds.json"}),
             ("--plots", {"default": "plots/idsds"}))

if __name__ == "__main__":
    main()
