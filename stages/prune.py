"""Stage prune: SBS channel pruning of every head on cached target activations."""

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rashomon.backbones import create_backbone
from rashomon.backbones.weights import weights_for
from rashomon.cli import stage
from rashomon.data.manifest import manifest_hash, read_manifest
from rashomon.features import FeatureCache
from rashomon.io import atomic_path, write_csv, write_json
from rashomon.metrics import prediction_metrics
from rashomon.pruning import sbs_prune
from rashomon.splits import subset_ids
from rashomon.training import load_head

log = logging.getLogger("rashomon.prune")


def run(params, args):
    """Write data/pruning/{arch}.npz (keep-masks, K x C) and metrics/prune.json."""
    cfg, target = params["prune"], params["data"]["target"]
    scheme, n_variants = params["train"]["scheme"], int(params["train"]["seeds"])
    manifest = read_manifest(args.manifest, rating_range=params["data"]["rating_range"], check_images=False)
    truth = manifest.set_index("image_id")[target]
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    report, rows = {"fit_on": cfg["fit_on"]}, []
    with atomic_path(args.out, is_dir=True) as tmp:
        for name in params["backbones"]["names"]:
            backbone = create_backbone(name, weights_for(name, params["backbones"], Path(args.pretrained)))
            cache = FeatureCache(Path(args.features) / name, manifest_hash(manifest))
            masks, histories = [], []
            for v in range(n_variants):
                head = load_head(Path(args.heads) / name / f"v{v}.pt")
                fit_ids = subset_ids(splits, scheme, v, cfg["fit_on"])
                test_ids = subset_ids(splits, scheme, v, "test")
                mask, history = sbs_prune(backbone, head, cache.stem_outputs(fit_ids), truth.loc[fit_ids].to_numpy(),
                                          max_iterations=cfg.get("max_iterations"), desc=f"SBS {name} v{v}")
                masks.append(mask)
                histories.append(history)
                for label, ids in (("fit", fit_ids), ("test", test_ids)):
                    outs = cache.stem_outputs(ids)
                    y = truth.loc[ids].to_numpy()
                    with torch.no_grad():
                        base = head.predict(backbone.tail(*outs).numpy())
                        m = torch.as_tensor(mask, dtype=torch.float32).view(1, -1, 1, 1)
                        pruned = head.predict(backbone.tail(outs[0] * m, *outs[1:]).numpy())
                    b, p = prediction_metrics(base, y), prediction_metrics(pruned, y)
                    rows.append({"architecture": name, "variant": v, "set": label, "channels_removed": int((~mask).sum()),
                                 **{f"baseline_{k}": x for k, x in b.items()}, **{f"pruned_{k}": x for k, x in p.items()}})
            np.savez(tmp / f"{name}.npz", masks=np.stack(masks),
                     history=np.array([np.pad(h, (0, mask.size - len(h)), constant_values=np.nan) for h in histories]))
            log.info("%s: removed %.1f channels on average", name, np.mean([(~m).sum() for m in masks]))
    table = pd.DataFrame(rows)
    for (name, label), g in table.groupby(["architecture", "set"], sort=False):
        report.setdefault(name, {})[label] = {c: float(g[c].mean()) for c in g.columns if c.startswith(("baseline_", "pruned_"))}
        report[name]["channels_removed_mean"] = float(g["channels_removed"].mean())
    write_json(args.metrics, report)
    write_csv(Path(args.plots) / "baseline_vs_pruned.csv", table)


main = stage(run, ("--manifest", {"default": "data/manifest_kept.csv"}),
             ("--splits", {"default": "data/splits.csv"}),
             ("--features", {"default": "data/features"}),
             ("--pretrained", {"default": "models/pretrained"}),
             ("--heads", {"default": "models/heads"}),
             ("--out", {"default": "data/pruning"}),
             ("--metrics", {"default": "metrics/prune.json"}),
             ("--plots", {"default": "plots/prune"}))

if __name__ == "__main__":
    main()
