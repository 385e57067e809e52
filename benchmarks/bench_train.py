"""Benchmark: training heads on cached embeddings vs with the frozen backbone in the loop.

Same heads, same data, same Lightning Trainer settings, fixed epochs (no early stopping),
in one run; writes benchmarks/results/bench_train.json. Run after `dvc repro train`:

    python benchmarks/bench_train.py --arch resnet_small --variants 3 --epochs 5
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from rashomon.backbones import create_backbone, get_spec
from rashomon.backbones.preprocess import load_images
from rashomon.heads.head import make_head
from rashomon.core.io import write_json
from rashomon.data.splits import subset_ids
from rashomon.core.fitting import quiet_lightning


class InLoop(pl.LightningModule):
    """Head trained with the frozen backbone recomputed on every batch (the naive path)."""

    def __init__(self, backbone: nn.Module | None, head: nn.Module):
        super().__init__()
        self.backbone, self.head = backbone, head

    def training_step(self, batch, _):
        x, y = batch
        if self.backbone is not None:
            with torch.no_grad():
                x = self.backbone(x)
        return nn.functional.mse_loss(self.head(x).squeeze(-1), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.head.parameters(), lr=1e-3)


def fit(backbone, x, y, epochs: int, seed: int) -> float:
    pl.seed_everything(seed, verbose=False)
    dim = backbone(x[:2]).shape[1] if backbone is not None else x.shape[1]
    module = InLoop(backbone, make_head(dim, "study", 0.5))
    trainer = pl.Trainer(max_epochs=epochs, logger=False, enable_progress_bar=False, enable_checkpointing=False,
                         enable_model_summary=False, accelerator="cpu", devices=1, log_every_n_steps=1)
    start = time.perf_counter()
    trainer.fit(module, DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True))
    return time.perf_counter() - start


def projection(args, cached_s: float, inloop_s: float, extract_s: float) -> dict:
    """Scale the measured per-epoch costs to the epochs the train stage actually ran."""
    path = Path("data/predictions.csv")
    if not path.is_file():
        return {}
    pred = pd.read_csv(path)
    epochs = pred[pred.architecture == args.arch].groupby("variant")["epochs"].first()
    if epochs.empty:
        return {}
    total = int(epochs.sum())
    per = args.variants * args.epochs
    cached, inloop = cached_s / per * total, inloop_s / per * total
    return {"train_stage_total_epochs": total, "projected_cached_s": cached + extract_s,
            "projected_in_loop_s": inloop, "projected_speedup_train_stage": inloop / (cached + extract_s)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--arch", default="resnet_small")
    ap.add_argument("--variants", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--manifest", default="data/manifest_kept.csv")
    ap.add_argument("--splits", default="data/splits.csv")
    ap.add_argument("--weights", default=None, help="default: models/pretrained/<arch>.pt")
    ap.add_argument("--out", default="benchmarks/results/bench_train.json")
    args = ap.parse_args()
    quiet_lightning()
    import warnings

    warnings.filterwarnings("ignore", message=".*modules? in eval mode.*")
    weights = args.weights or f"models/pretrained/{args.arch}.pt"
    backbone = create_backbone(args.arch, weights if Path(weights).is_file() else None)
    manifest = pd.read_csv(args.manifest, dtype={"image_id": str}).set_index("image_id")
    splits = pd.read_csv(args.splits, dtype={"image_id": str})
    ids = manifest.index.tolist()
    images = load_images(manifest.loc[ids, "path"].tolist(), get_spec(args.arch))  # decoded once for both
    target = torch.tensor(manifest.loc[ids, "authenticity"].to_numpy(), dtype=torch.float32)
    row = {i: k for k, i in enumerate(ids)}

    start = time.perf_counter()
    with torch.no_grad():
        emb = torch.cat([backbone(images[i:i + 64]) for i in range(0, len(images), 64)])
    extract_s = time.perf_counter() - start

    cached_s, inloop_s = 0.0, 0.0
    for v in range(args.variants):
        train = np.asarray([row[i] for i in subset_ids(splits, "exp3", v, "train")])
        y = (target[train] - target[train].mean()) / target[train].std()
        cached_s += fit(None, emb[train], y, args.epochs, v)
        inloop_s += fit(backbone, images[train], y, args.epochs, v)
    result = {
        "architecture": args.arch, "variants": args.variants, "epochs": args.epochs,
        "n_train_images": int(len(train)), "image_size": get_spec(args.arch).input_size,
        "extract_once_s": extract_s, "cached_heads_s": cached_s, "in_loop_heads_s": inloop_s,
        "speedup_heads_only": inloop_s / cached_s,
        "speedup_including_extraction": inloop_s / (cached_s + extract_s),
        **projection(args, cached_s, inloop_s, extract_s),
        "torch_threads": torch.get_num_threads(), "machine": platform.processor() or platform.machine(),
        "note": "images decoded once and held in memory for both paths (favours the in-loop path)",
    }
    write_json(args.out, result)
    print(result)


if __name__ == "__main__":
    main()
