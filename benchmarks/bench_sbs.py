"""Benchmark one SBS removal step at the study's size, in one run: the full tail re-run for
every candidate channel (`candidate_rmse`, the direct path) against `sbs_prune`'s exact
shortcuts (a rank-k update of the tail's linear mixing; for identity tails the head's first
Linear updated per candidate). Both paths pick channels greedily from the same cached
target activations; the masks must be identical. Random weights and a random study head
(the cost, not the choice, is measured). Writes benchmarks/results/bench_sbs.json:

    python benchmarks/bench_sbs.py                          # VGG16 and ResNet152, 32 images, 2 steps
    python benchmarks/bench_sbs.py --archs resnet152 --images 64 --steps 3
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from rashomon.backbones import create_backbone
from rashomon.heads.fitted import FittedHead
from rashomon.heads.head import make_head
from rashomon.variants.pruning import candidate_rmse, sbs_prune

REPO = Path(__file__).resolve().parents[1]


@torch.no_grad()
def direct_path(backbone, head, outs, y: np.ndarray, steps: int, chunk: int) -> tuple[np.ndarray, list[float]]:
    """Greedy removal with the full tail run for every candidate (no shortcut)."""
    y_t = torch.as_tensor(y, dtype=torch.float32)
    mask = torch.ones(outs[0].shape[1])
    history = []
    for _ in range(steps):
        candidates = torch.nonzero(mask).squeeze(1)
        rmse = candidate_rmse(backbone, head, outs, y_t, mask, candidates, chunk)
        best = int(torch.argmin(rmse))
        mask[candidates[best]] = 0
        history.append(float(rmse[best]))
    return mask.numpy().astype(bool), history


def bench(name: str, n_images: int, steps: int, chunk: int) -> dict:
    torch.manual_seed(0)
    backbone = create_backbone(name).eval()
    side = backbone.spec.input_size
    with torch.no_grad():
        stem = backbone.stem(torch.randn(n_images, 3, side, side))
        outs = list(stem) if isinstance(stem, (list, tuple)) else [stem]
        dim = backbone.tail(*outs).shape[1]
    head = FittedHead(make_head(dim, backbone.spec.head, 0.5).eval(), backbone.spec.head, 0.5, 50.0, 10.0, 0, 0.0)
    y = np.random.default_rng(0).uniform(20, 80, n_images)
    start = time.perf_counter()
    direct_mask, direct_hist = direct_path(backbone, head, outs, y, steps, chunk)
    t_direct = time.perf_counter() - start
    start = time.perf_counter()
    fast_mask, fast_hist = sbs_prune(backbone, head, outs, y, max_iterations=steps, tol=-1e9)
    t_fast = time.perf_counter() - start
    channels = int(outs[0].shape[1])
    return {"input_px": side, "images": n_images, "target_channels": channels, "removal_steps": steps,
            "direct_s_per_step": t_direct / steps, "shortcut_s_per_step": t_fast / steps,
            "speedup": t_direct / t_fast, "identical_masks": bool((direct_mask == fast_mask).all()),
            "max_abs_rmse_diff": float(np.max(np.abs(np.array(direct_hist) - np.array(fast_hist[1:])))),
            "max_rel_rmse_diff": float(np.max(np.abs(np.array(direct_hist) - np.array(fast_hist[1:])))
                                       / np.max(np.abs(direct_hist))),
            "rmse_scale": float(np.max(np.abs(direct_hist))),
            "candidates_per_step": channels,
            "note": "the shortcut's first step also builds its state (two channel-wise tail passes); later steps "
                    "cost less than the mean shown. Random weights without trained BatchNorm statistics give huge "
                    "activations (ResNet152: predictions near 1e8), so RMSEs agree to float32 precision at that "
                    "scale (max_rel_rmse_diff)"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archs", nargs="+", default=["vgg16", "resnet152"])
    ap.add_argument("--images", type=int, default=32)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=16, help="candidates per direct-path batch")
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/bench_sbs.json"))
    args = ap.parse_args()
    result = {"machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, CPU",
              "torch": torch.__version__, "runs": {}}
    for name in args.archs:
        result["runs"][name] = bench(name, args.images, args.steps, args.chunk)
        print(name, json.dumps(result["runs"][name]), flush=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
