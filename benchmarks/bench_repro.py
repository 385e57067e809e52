"""What a full `dvc repro` of the default costs, stage by stage: the stages in DVC's own order
(`dvc repro --dry`), each run as `dvc repro --single-item <stage>`, with its wall seconds
and the peak resident memory of its process tree. Writes
benchmarks/results/bench_repro.json (not a DVC metric):

    python benchmarks/bench_repro.py              # a fresh clone of HEAD, empty DVC cache
    python benchmarks/bench_repro.py --in-place   # this checkout (updates its dvc.lock and outputs)
    python benchmarks/bench_repro.py --profile    # and a py-spy profile of every stage over 60 s
                                                  # (benchmarks/results/bench_profile.json: where the time goes)
    python benchmarks/bench_repro.py --workers-ratio controls   # then rerun controls with compute.workers: 1
    python benchmarks/bench_repro.py --summarise  # bench_profile.json again from the kept raw profiles
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
from rashomon.core.fingerprint import cpu_identity  # noqa: E402
from rashomon.core.io import write_json  # noqa: E402
from rashomon.core.parallel import UNIT_THREADS, available_cores  # noqa: E402

DVC = [sys.executable, "-m", "dvc"]
PROFILE_RATE = 20        # py-spy samples per second (a few % of one core)
PROFILE_MIN_SECONDS = 60  # stages shorter than this are timed, not summarised


def stage_order(project: Path, targets: list[str]) -> list[str]:
    """The stages `dvc repro` would run, in its order."""
    out = subprocess.run([*DVC, "repro", "--dry", "--force", *targets], cwd=project, capture_output=True, text=True,
                         check=True).stdout
    return re.findall(r"Running stage '([^']+)'", out)


def run_stage(project: Path, name: str, profile: Path | None = None, force: bool = False) -> dict:
    """One stage through DVC: wall seconds, and the peak RSS of the process tree (wait4's rusage);
    under py-spy (every process of the tree) when `profile` names its raw output."""
    cmd = [*DVC, "repro", "--single-item", *(["--force"] if force else []), name]
    if profile is not None:
        cmd = [shutil.which("py-spy") or "py-spy", "record", "--subprocesses", "--nonblocking", "-r",
               str(PROFILE_RATE), "-f", "raw", "-o", str(profile), "--", *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        if profile is not None and "No python processes found" in err:   # py-spy lost the race to attach
            print(f"{name}: py-spy could not attach; timed without it", flush=True)
            return {**run_stage(project, name, None, force), "profiled": False}
        raise SystemExit(f"stage {name} failed:\n{err[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


STAGE_LINE = re.compile(r"^(?P<name>\S+): (?P<seconds>[\d.]+) s, (?P<rss>[\d.]+) MB$")


def logged_stages(log: Path) -> dict[str, dict]:
    """Stages an interrupted run of this script already ran and timed (its printed lines)."""
    found = {}
    for line in log.read_text().splitlines():
        if m := STAGE_LINE.match(line.strip()):
            found[m["name"]] = {"seconds": float(m["seconds"]), "peak_rss_mb": float(m["rss"])}
    return found


FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def frame_name(frame: str) -> tuple[str, str]:
    """(function, file) of one py-spy frame `func (path/file.py:line)`."""
    m = FRAME.match(frame.strip())
    return (m["func"], m["file"]) if m else (frame.strip(), "")


PLUMBING = ("rashomon/core/cli.py", "rashomon/core/parallel.py")   # frames every stage or unit passes through


def summarise_profile(raw: Path, top: int = 12, depth: int = 4) -> dict:
    """Where a stage's samples go, as shares: the path of rashomon functions that asked for the
    work (the first `depth` below the stage plumbing: the phase) and the innermost frame (the
    kernel or library call doing it)."""
    phases: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n, frames = int(count), [frame_name(f) for f in stack.split(";") if f]
        total += n
        mine = [func for func, file in frames if ("rashomon/" in file) and not file.endswith(PLUMBING)]
        phases[" > ".join(mine[:depth]) if mine else "(outside rashomon: imports, DVC, the stage script)"] += n
        func, file = frames[-1] if frames else ("?", "")
        leaves[f"{func} ({'/'.join(Path(file).parts[-2:])})"] += n
    share = (lambda c: {k: round(v / total, 3) for k, v in c.most_common(top)}) if total else (lambda c: {})
    return {"samples": total, "rashomon_path": share(phases), "innermost_frame": share(leaves)}


def set_workers(project: Path, workers: int) -> str:
    """Set compute.workers in the project's params.yaml (DVC does not track it: no stage reruns
    for it); returns the file's text before, to put back."""
    path = project / "params.yaml"
    text = path.read_text()
    new = re.sub(r"^(  workers: )\S+", lambda m: m[1] + str(workers), text, count=1, flags=re.M)
    if yaml.safe_load(new)["compute"]["workers"] != workers:
        raise SystemExit(f"{path}: could not set compute.workers")
    path.write_text(new)
    return text


def output_hashes(project: Path, name: str) -> dict[str, str]:
    """A stage's outputs' hashes as dvc.lock records them (metrics and plots included)."""
    stage = yaml.safe_load((project / "dvc.lock").read_text())["stages"][name]
    return {o["path"]: o["md5"] for o in stage.get("outs", [])}


def workers_ratio(project: Path, name: str, run: dict, profile: Path | None = None) -> dict:
    """Rerun stage `name` with one worker: its seconds against `run`'s (compute.workers as
    configured; null: one per core), and whether it wrote the same bytes."""
    before = output_hashes(project, name)
    original = set_workers(project, 1)
    try:
        one = run_stage(project, name, profile, force=True)
    finally:
        (project / "params.yaml").write_text(original)
    configured = yaml.safe_load(original)["compute"]["workers"]
    return {"workers": configured or max(1, available_cores() // UNIT_THREADS), "seconds": run["seconds"],
            "one_worker_seconds": one["seconds"], "ratio": round(one["seconds"] / run["seconds"], 2),
            "same_bytes": output_hashes(project, name) == before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-place", action="store_true", help="run in this checkout instead of a fresh clone")
    parser.add_argument("--out", default=str(REPO / "benchmarks/results/bench_repro.json"))
    parser.add_argument("--profile", action="store_true", help="py-spy every stage (bench_profile.json)")
    parser.add_argument("--workers-ratio", nargs="*", default=[], metavar="STAGE",
                        help="after the run, rerun these stages with compute.workers 1 (the run used one per core)")
    parser.add_argument("--resume-log", type=Path, help="the printed output of a run that stopped: its timed stages "
                        "are kept, the others run now (forced)")
    parser.add_argument("--summarise", action="store_true", help="only rewrite bench_profile.json from the raw "
                        "profiles a run kept (profiles_raw/) and the seconds in --out")
    parser.add_argument("targets", nargs="*", help="stages to reproduce (default: all)")
    args = parser.parse_args()
    if args.summarise:
        return write_profiles(Path(args.out))
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    ratios = {}
    raw_dir = Path(args.out).parent / "profiles_raw"   # py-spy's raw stacks, kept if a later stage fails
    if args.profile and not args.resume_log:
        for stale in raw_dir.glob("*.txt"):   # an earlier run's stacks would be summarised as this run's
            stale.unlink()
    with tempfile.TemporaryDirectory(prefix="bench-repro-") as tmp:
        project = REPO
        if not args.in_place:
            project = Path(tmp) / "clone"
            subprocess.run(["git", "clone", "-q", str(REPO), str(project)], check=True)
        resumed = logged_stages(args.resume_log) if args.resume_log else {}
        stages, started = dict(resumed), time.perf_counter() - sum(s["seconds"] for s in resumed.values())
        for name in [n for n in stage_order(project, args.targets) if n not in resumed]:
            raw = raw_dir / f"{name}.txt" if args.profile else None
            if raw is not None:
                raw.parent.mkdir(parents=True, exist_ok=True)
            stages[name] = run_stage(project, name, raw, force=bool(resumed))
            print(f"{name}: {stages[name]['seconds']} s, {stages[name]['peak_rss_mb']} MB", flush=True)
        total = time.perf_counter() - started
        for name in args.workers_ratio:
            if name not in stages:
                raise SystemExit(f"--workers-ratio {name}: the stage did not run in this benchmark")
            raw = raw_dir / f"{name}.one_worker.txt" if args.profile else None
            ratios[name] = workers_ratio(project, name, stages[name], raw)
            print(f"{name}: {ratios[name]}", flush=True)
    what = "dvc repro of the default, stage by stage in DVC's order" + (
        " (this checkout)" if args.in_place else " (a fresh clone, empty cache)") + (
        f" under py-spy at {PROFILE_RATE} Hz (peak RSS then includes py-spy's own, about 0.6 GB)"
        if args.profile else "") + (
        f"; {len(resumed)} stages timed by the run in {args.resume_log.name}, the rest forced" if resumed else "")
    write_json(args.out, {"what": what, "commit": commit, "cpu": cpu_identity(), "unit_threads": UNIT_THREADS,
                          "total_seconds": round(total, 1), "stages": stages,
                          **({"workers_ratio": ratios} if ratios else {})})
    if args.profile:
        write_profiles(Path(args.out))


def write_profiles(out: Path) -> None:
    """bench_profile.json from the raw profiles beside `out` and the seconds `out` recorded."""
    bench = json.loads(out.read_text())
    profiles = {}
    for raw in sorted((out.parent / "profiles_raw").glob("*.txt")):
        name, _, one = raw.stem.partition(".")
        seconds = bench["workers_ratio"][name]["one_worker_seconds"] if one else bench["stages"][name]["seconds"]
        if seconds >= PROFILE_MIN_SECONDS:
            profiles[f"{name} (1 worker)" if one else name] = {"seconds": seconds, **summarise_profile(raw)}
    write_json(out.with_name("bench_profile.json"),
               {"what": f"py-spy ({PROFILE_RATE} Hz, every process) of each stage over {PROFILE_MIN_SECONDS} s in the "
                        "run of bench_repro.json: shares of samples", "commit": bench["commit"], "stages": profiles})


if __name__ == "__main__":
    main()
