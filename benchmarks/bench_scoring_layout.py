"""The two kernels under MPM and LIME scoring, before and after: a full forward pass of each small
backbone on a batch of perturbed images in the default NCHW layout and in channels_last (what
`PerturbationScorer` now feeds), and incremental MPM's window read (`Patched.read`) with the former
advanced indexing and the flat-index gathers that replaced it (the same bytes; asserted here).
One thread, the kernels pinned as a stage pins them; results go to
benchmarks/results/bench_scoring_layout.json (not a DVC metric):

    python benchmarks/bench_scoring_layout.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
import rashomon.core.pin_kernels  # noqa: E402,F401  (before torch: the stages' kernels)
import torch  # noqa: E402

from rashomon.attribution.incremental import Patched  # noqa: E402
from rashomon.backbones import create_backbone  # noqa: E402
from rashomon.core.io import write_json  # noqa: E402
from rashomon.core.fingerprint import cpu_identity  # noqa: E402

NAMES = ("vgg_small", "resnet_small", "densenet_small", "efficientnet_small")
# (channels, map side, window side, patched region side) as the small backbones' layers see MPM's masks
READS = ((32, 32, 5, 3), (64, 16, 7, 5), (16, 64, 11, 9), (128, 8, 8, 8))


def advanced_indexing_read(patched: Patched, starts: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """`Patched.read` as it was (advanced indexing), pad 0: the baseline."""
    H, W = patched.shape
    rh, rw = patched.region
    rows = starts[:, :1] + torch.arange(h)
    cols = starts[:, 1:] + torch.arange(w)
    window = patched.base[:, rows.clamp(0, H - 1)[:, :, None], cols.clamp(0, W - 1)[:, None, :]].permute(1, 0, 2, 3)
    rr, cc = rows - patched.starts[:, :1], cols - patched.starts[:, 1:]
    p = torch.arange(len(starts))[:, None, None]
    patch = patched.values[p, :, rr.clamp(0, rh - 1)[:, :, None], cc.clamp(0, rw - 1)[:, None, :]]
    inside = ((rr >= 0) & (rr < rh))[:, :, None] & ((cc >= 0) & (cc < rw))[:, None, :]
    out = torch.where(inside[:, None], patch.permute(0, 3, 1, 2), window)
    outside = ~(((rows >= 0) & (rows < H))[:, :, None] & ((cols >= 0) & (cols < W))[:, None, :])
    return out.masked_fill(outside[:, None], 0.0) if outside.any() else out


def best(fn, repeats: int) -> float:
    """Fastest of `repeats` calls (seconds), after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/bench_scoring_layout.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, 3, 64, 64, generator=generator)
    forward = {}
    with torch.no_grad():
        for name in NAMES:
            model = create_backbone(name).model.eval()
            nchw = best(lambda: model(x), args.repeats)
            last = x.contiguous(memory_format=torch.channels_last)
            cl = best(lambda: model(last), args.repeats)
            diff = float((model(x) - model(last)).abs().max())
            forward[name] = {"nchw_s": round(nchw, 3), "channels_last_s": round(cl, 3), "ratio": round(nchw / cl, 2),
                             "max_abs_difference": diff}
            print(f"{name:20s} {nchw:6.3f} s  channels_last {cl:6.3f} s  x{nchw / cl:.2f}", flush=True)
    reads = []
    for channels, side, window, region in READS:
        base = torch.randn(channels, side, side, generator=generator)
        starts = torch.randint(-2, side - region + 2, (args.batch, 2), generator=generator)
        patched = Patched(base, starts, torch.randn(args.batch, channels, region, region, generator=generator))
        at = starts - 1
        assert torch.equal(patched.read(at, window, window), advanced_indexing_read(patched, at, window, window))
        old = best(lambda: advanced_indexing_read(patched, at, window, window), 10)
        new = best(lambda: patched.read(at, window, window), 10)
        reads.append({"channels": channels, "side": side, "window": window, "region": region,
                      "advanced_indexing_ms": round(old * 1e3, 2), "gathers_ms": round(new * 1e3, 2),
                      "ratio": round(old / new, 2)})
        print(f"read C={channels:3d} {side:2d}px window {window:2d}: {old * 1e3:6.2f} ms -> {new * 1e3:6.2f} ms "
              f"x{old / new:.2f}", flush=True)
    write_json(Path(args.out), {"what": __doc__.split("\n\n")[0].replace("\n", " "), "cpu": cpu_identity(),
                                "threads": 1, "batch": args.batch, "forward": forward, "read": reads})


if __name__ == "__main__":
    main()
