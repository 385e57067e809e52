"""Benchmark IDSDS scoring throughput: all cells of a batch of images in one forward pass
vs a one-image, one-deletion-at-a-time loop (same model, same images, same run).
Writes benchmarks/results/bench_idsds.json. Run after `dvc repro idsds_finetune`:

    python benchmarks/bench_idsds.py --model resnet20 --images 64
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from rashomon.idsds.cifar import load_label_names, load_split
from rashomon.idsds.deletion import Deletion, delete_cells, single_deletion_drops
from rashomon.idsds.finetune import to_tensor
from rashomon.idsds.models import create_cifar_model
from rashomon.core.io import write_json
from rashomon.params import load_all_params


@torch.no_grad()
def loop_drops(model, x, y, grid: int) -> np.ndarray:
    """The naive protocol: one forward per image and per deleted cell."""
    out = np.zeros((len(x), grid * grid))
    for i in range(len(x)):
        base = model(x[i:i + 1])[0, y[i]]
        for c in range(grid * grid):
            out[i, c] = float(base - model(delete_cells(x[i:i + 1], torch.tensor([c]), Deletion(grid)))[0, y[i]])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="resnet20")
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--out", default="benchmarks/results/bench_idsds.json")
    args = ap.parse_args()
    cfg = load_all_params().idsds
    images, labels = load_split(cfg.data, "test")
    x, y = to_tensor(images[: args.images]), torch.from_numpy(labels[: args.images])
    model = create_cifar_model(args.model, len(load_label_names(cfg.data)), cfg.vgg_width)
    model.load_state_dict(torch.load(Path("models/idsds") / f"{args.model}_finetuned.pt", weights_only=True))
    model.eval()
    grid = cfg.deletion.grid
    start = time.perf_counter()
    batched = single_deletion_drops(model, x, y, Deletion(grid))
    t_batched = time.perf_counter() - start
    start = time.perf_counter()
    naive = loop_drops(model, x, y, grid)
    t_loop = time.perf_counter() - start
    result = {"model": args.model, "grid": grid, "n_images": len(x),
              "batched_images_per_second": len(x) / t_batched, "loop_images_per_second": len(x) / t_loop,
              "speedup": t_loop / t_batched, "max_abs_diff": float(np.abs(batched - naive).max()),
              "torch_threads": torch.get_num_threads()}
    write_json(args.out, result)
    print(result)


if __name__ == "__main__":
    main()
