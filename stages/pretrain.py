"""Stage pretrain (embedded default only): train the small backbones on synthetic scenes."""

import logging
from pathlib import Path

import torch

from rashomon.backbones import get_spec
from rashomon.cli import stage
from rashomon.io import atomic_path, write_json
from rashomon.pretrain import class_probe_accuracy, pretrain_backbone, pretraining_images

log = logging.getLogger("rashomon.pretrain")


def run(params, args):
    """Write models/pretrained/{name}.pt for every configured backbone that is pretrained here."""
    cfg = params["pretrain"]
    torch.set_num_threads(max(torch.get_num_threads(), 1))
    names = [n for n in params["backbones"]["names"] if get_spec(n).pretrain]
    out = Path(args.out)
    report = {"label": "backbones PRETRAINED ON SYNTHETIC DATA (not ImageNet)", "architectures": {}}
    with atomic_path(out, is_dir=True) as tmp:
        if names:
            size = get_spec(names[0]).input_size
            x, y = pretraining_images(int(cfg["n_images"]), size, int(cfg["seed"]) + 1)
            xp, yp = pretraining_images(int(cfg["n_probe_images"]), size, int(cfg["seed"]) + 2)
        for name in names:
            result = pretrain_backbone(name, x, y, cfg)
            torch.save(result["state_dict"], tmp / f"{name}.pt")
            probe = class_probe_accuracy(name, result["state_dict"], xp, yp, len(xp) // 2)
            report["architectures"][name] = {"mode": result["mode"], "history": result["history"],
                                             "linear_probe_accuracy": probe, "chance": 1 / 8}
            log.info("%s: linear-probe accuracy %.3f", name, probe)
        if not names:
            log.info("no backbone needs in-pipeline pretraining (real weights are used)")
    write_json(args.metrics, report)


main = stage(run, ("--out", {"default": "models/pretrained"}),
             ("--metrics", {"default": "metrics/pretrain.json"}))

if __name__ == "__main__":
    main()
