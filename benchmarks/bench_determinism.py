"""Cost of `determinism: portable` against `fast`, in one run: the pretrain stage (the
default's largest conv training) and the train stage's head fitting are run as
subprocesses with the same params in both modes; seconds and the portable/fast ratio
go to benchmarks/results/bench_determinism.json (not a DVC metric):

    python benchmarks/bench_determinism.py               # pretrain with 2 epochs on the default scenes
    python benchmarks/bench_determinism.py --epochs 1
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from rashomon.core.determinism import PORTABLE_ENV, has_avx2  # noqa: E402
from rashomon.core.io import write_json  # noqa: E402


def run_pretrain(work: Path, mode: str, epochs: int) -> float:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["determinism"] = mode
    params["pretrain"]["epochs"] = epochs
    params["pretrain"]["barlow_epochs"] = 1
    path = work / f"params_{mode}.yaml"
    path.write_text(yaml.safe_dump(params))
    env = {k: v for k, v in os.environ.items() if k not in PORTABLE_ENV}
    start = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "stages/pretrain.py"), "--params", str(path),
                    "--out", str(work / mode / "pretrained"), "--metrics", str(work / mode / "m.json"),
                    "--plots", str(work / mode / "plots")], cwd=work, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", default=str(REPO / "benchmarks/results/bench_determinism.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seconds = {mode: run_pretrain(Path(tmp), mode, args.epochs) for mode in ("fast", "portable")}
    result = {
        "what": "pretrain stage, 5 default backbones, 1500 scenes, "
                f"{args.epochs} supervised epochs + 1 Barlow Twins epoch, as a subprocess",
        "seconds": seconds, "portable_over_fast": seconds["portable"] / seconds["fast"],
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "avx2": has_avx2(), "avx512": "avx512f" in Path("/proc/cpuinfo").read_text()},
    }
    write_json(args.out, result)
    print(result)


if __name__ == "__main__":
    main()
