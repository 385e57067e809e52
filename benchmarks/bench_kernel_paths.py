"""Which kernel settings decide the bytes, and what the vendor-neutral MKL branch costs, on
this machine in one run: the toy-training and numpy hashes of `rashomon.core.fingerprint`
under each MKL branch (a fresh process each, the rest of the portable settings fixed), the
seconds of a head-like MLP fit and a conv-net fit under MKL's AVX2 branch (the earlier pin)
and its COMPATIBLE branch (the pin now), and this CPU's vendor and model. Writes
benchmarks/results/bench_kernel_paths_<vendor>.json (not a DVC metric):

    python benchmarks/bench_kernel_paths.py

Compare two machines by their `fingerprints`: under the same settings, equal hashes mean
equal bytes for every network the default trains.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from rashomon.core.determinism import PORTABLE_ENV  # noqa: E402
from rashomon.core.fingerprint import cpu_identity  # noqa: E402
from rashomon.core.io import write_json  # noqa: E402

BRANCHES = ("COMPATIBLE", "AVX2", "AUTO", None)   # None: MKL_CBWR unset (MKL's fastest path for this CPU)

TIMED = """
import json, time, torch
from torch import nn
torch.manual_seed(0)
gen = torch.Generator().manual_seed(0)
def fit(net, x, y, steps):
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad(); nn.functional.mse_loss(net(x), y).backward(); opt.step()
    return time.perf_counter() - start
head = nn.Sequential(nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 128), nn.ReLU(), nn.Linear(128, 1))
conv = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                     nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
                     nn.Flatten(), nn.Linear(1024, 1))
print(json.dumps({
    "head_mlp_batch64_s": fit(head, torch.randn(64, 512, generator=gen), torch.randn(64, 1, generator=gen), 2000),
    "head_mlp_batch1024_s": fit(head, torch.randn(1024, 512, generator=gen), torch.randn(1024, 1, generator=gen), 300),
    "conv_net_s": fit(conv, torch.randn(64, 3, 32, 32, generator=gen), torch.randn(64, 1, generator=gen), 60)}))
"""


def environment(branch: str | None) -> dict[str, str]:
    """The portable settings with MKL's branch replaced (run in `fast` mode so nothing re-pins it)."""
    env = {k: v for k, v in os.environ.items() if k not in PORTABLE_ENV}
    env.update({k: v for k, v in PORTABLE_ENV.items() if k != "MKL_CBWR"})
    if branch is not None:
        env["MKL_CBWR"] = branch
    env["PYTHONPATH"] = str(REPO / "src")
    return env


def run_json(args: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per branch (the median is kept)")
    args = parser.parse_args()
    cpu = cpu_identity()
    fingerprints = {}
    for branch in BRANCHES:
        fp = run_json(["-m", "rashomon.core.fingerprint", "--mode", "fast", "--json"], environment(branch))
        fingerprints[branch or "unset"] = {"toy_training_sha256": fp["toy_training_sha256"],
                                           "numpy_matmul_sha256": fp["numpy_matmul_sha256"]}
    shipped = run_json(["-m", "rashomon.core.fingerprint", "--json"], environment(None))
    seconds: dict[str, dict[str, list[float]]] = {"AVX2": {}, "COMPATIBLE": {}}
    for _ in range(args.repeats):
        for branch in seconds:   # interleaved, so a slow spell of the machine hits both alike
            for key, value in run_json(["-c", TIMED], environment(branch)).items():
                seconds[branch].setdefault(key, []).append(value)
    median = {b: {k: sorted(v)[len(v) // 2] for k, v in s.items()} for b, s in seconds.items()}
    result = {
        "what": "kernel settings that decide the bytes (a fresh process per setting, the other portable settings "
                "fixed) and the cost of MKL's vendor-neutral COMPATIBLE branch against its AVX2 branch",
        "cpu": cpu, "torch_threads": int(PORTABLE_ENV["OMP_NUM_THREADS"]),
        "portable_as_shipped": {k: shipped[k] for k in ("settings", "torch", "numpy", "toy_training_sha256",
                                                        "numpy_matmul_sha256")},
        "fingerprints_by_mkl_branch": fingerprints,
        "seconds_median": median, "repeats": args.repeats,
        "compatible_over_avx2": {k: median["COMPATIBLE"][k] / median["AVX2"][k] for k in median["AVX2"]},
    }
    vendor = "amd" if "AMD" in cpu["vendor"] else "intel" if "Intel" in cpu["vendor"] else "other"
    out = REPO / f"benchmarks/results/bench_kernel_paths_{vendor}.json"
    write_json(out, result)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
