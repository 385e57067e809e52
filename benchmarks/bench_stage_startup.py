"""What a stage costs before it does any work: each `stages/*.py` module is imported (not run)
in a fresh interpreter, as DVC starts it, and the wall time and the heavy libraries it loaded
are recorded; so are the libraries on their own. The floor under the pipeline's runtime and
under every end-to-end test (each stage run is a new process). Results go to
benchmarks/results/bench_stage_startup.json (not a DVC metric):

    python benchmarks/bench_stage_startup.py             # best of 2 per stage, 3 per library set
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from rashomon.core.io import write_json  # noqa: E402

HEAVY = ("torch", "torchvision", "torch._dynamo", "lightning.pytorch", "torchmetrics", "scipy.stats",
         "matplotlib.pyplot", "sklearn")
LIBRARY_SETS = ("torch", "torch, torchvision", "torch, torchvision, lightning.pytorch")
PROBE = ("import sys, runpy, json\n"
         "runpy.run_path(sys.argv[1], run_name='imported_by_bench')\n"
         f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n")


def best_wall(cmd: list[str], repeats: int) -> tuple[float, str]:
    """Fastest of `repeats` runs of `cmd` (seconds) and the last run's stdout."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    times, out = [], ""
    for _ in range(repeats):
        start = time.perf_counter()
        out = subprocess.run(cmd, cwd=REPO, env=env, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", default=str(REPO / "benchmarks/results/bench_stage_startup.json"))
    args = ap.parse_args()
    empty, _ = best_wall([sys.executable, "-c", "pass"], 3)
    libraries = {s: round(best_wall([sys.executable, "-c", f"import {s}"], 3)[0], 2) for s in LIBRARY_SETS}
    stages = {}
    for path in sorted((REPO / "stages").glob("*.py")):
        wall, out = best_wall([sys.executable, "-c", PROBE, str(path.relative_to(REPO))], args.repeats)
        stages[path.stem] = {"import_s": round(wall, 2), "loads": json.loads(out.strip().splitlines()[-1])}
        print(f"{path.stem:16s} {wall:5.1f} s  {', '.join(stages[path.stem]['loads'])}", flush=True)
    torch_stages = [s for s in stages.values() if "torch" in s["loads"]]
    write_json(Path(args.out), {
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
        "empty_interpreter_s": round(empty, 2), "libraries_s": libraries, "stages": stages,
        "torch_stages": len(torch_stages),
        "torch_stage_import_s_total": round(sum(s["import_s"] for s in torch_stages), 1),
        "note": "each stage run is a new process: one default `dvc repro` pays every stage's import once"})


if __name__ == "__main__":
    main()
