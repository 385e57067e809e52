"""What a full `dvc repro` of the default costs, stage by stage: the stages in DVC's own order
(`dvc repro --dry`), each run as `dvc repro --single-item <stage>`, with its wall seconds
and the peak resident memory of its process tree. Writes
benchmarks/results/bench_repro.json (not a DVC metric):

    python benchmarks/bench_repro.py              # a fresh clone of HEAD, empty DVC cache
    python benchmarks/bench_repro.py --in-place   # this checkout (updates its dvc.lock and outputs)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from rashomon.core.fingerprint import cpu_identity  # noqa: E402
from rashomon.core.io import write_json  # noqa: E402

DVC = [sys.executable, "-m", "dvc"]


def stage_order(project: Path, targets: list[str]) -> list[str]:
    """The stages `dvc repro` would run, in its order."""
    out = subprocess.run([*DVC, "repro", "--dry", "--force", *targets], cwd=project, capture_output=True, text=True,
                         check=True).stdout
    return re.findall(r"Running stage '([^']+)'", out)


def run_stage(project: Path, name: str) -> dict:
    """One stage through DVC: wall seconds, and the peak RSS of the process tree (wait4's rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen([*DVC, "repro", "--single-item", name], cwd=project, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage {name} failed:\n{err[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-place", action="store_true", help="run in this checkout instead of a fresh clone")
    parser.add_argument("--out", default=str(REPO / "benchmarks/results/bench_repro.json"))
    parser.add_argument("targets", nargs="*", help="stages to reproduce (default: all)")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench-repro-") as tmp:
        project = REPO
        if not args.in_place:
            project = Path(tmp) / "clone"
            subprocess.run(["git", "clone", "-q", str(REPO), str(project)], check=True)
        stages, started = {}, time.perf_counter()
        for name in stage_order(project, args.targets):
            stages[name] = run_stage(project, name)
            print(f"{name}: {stages[name]['seconds']} s, {stages[name]['peak_rss_mb']} MB", flush=True)
        total = time.perf_counter() - started
    write_json(args.out, {
        "what": "dvc repro of the default, stage by stage in DVC's order" + (" (this checkout)" if args.in_place
                                                                            else " (a fresh clone, empty cache)"),
        "commit": commit, "cpu": cpu_identity(), "total_seconds": round(total, 1), "stages": stages})


if __name__ == "__main__":
    main()
