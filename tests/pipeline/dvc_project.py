"""Helpers to run this repository's DVC pipeline in a throwaway copy."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from filelock import FileLock

from tests.conftest import REPO

# Another machine as the kernel libraries see it: an AVX2-only x86-64 with one core.
AVX2_MACHINE = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                "OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
                "OMP_NUM_THREADS": "1"}

# Small enough to run in seconds; same code paths as the default.
TINY_PARAMS = {
    "synthetic": {"n_prompts": 10, "reps": 4, "n_generators": 6, "image_size": 32},
}


# The end-to-end tests' pipeline: two architectures (across-architecture consistency, the
# ensemble, stacking), every stage, counts as small as the code paths allow.
TINY_TWO_ARCHITECTURES = {
    "synthetic": {"n_prompts": 10, "image_size": 64},
    "backbones": {"names": ["resnet_small", "efficientnet_small"]},
    "pretrain": {"n_images": 96, "n_val_images": 32, "n_probe_images": 40, "epochs": 1},
    "split": {"n_variants": 3},
    "train": {"seeds": 2, "max_epochs": 6, "patience": 3},
    "explain": {"n_figures": 2,
                "lime": {"n_images": 2, "n_samples": 32},
                "mpm": {"n_images": 1, "stride": 16}},
    "groundtruth": {"deletion_images": 2, "deletion_random": 2, "deletion_steps": 4},
    "controls": {"n_images": 4, "seeds": 2, "detector_epochs": 2},
    "sanity": {"n_images": 2, "stem_steps": 2},
    "ensemble": {"n_images": 1, "prune_max_iterations": 3},
    "consistency": {"train_images": 20},
    "counterfactual": {"n_images": 2, "n_variants": 2, "steps": 3, "n_figures": 1,
                       "generator": {"width": 4, "epochs": 1, "n_val_images": 8}},
    "idsds": {"models": ["resnet20"], "compare_images": 8, "synthetic": {"n_train": 96, "n_test": 16, "seed": 0},
              "pretrain": {"epochs": 1, "batch_size": 32}, "finetune": {"epochs": 1, "batch_size": 32},
              "score": {"n_images": 4, "ig_steps": 4, "nt_samples": 2}},
}


def shared_pipeline(tmp_path_factory) -> tuple[Path, str]:
    """The tiny two-architecture pipeline run once by `dvc repro` for the whole session (every
    xdist worker shares it through a file lock), its dataset a user's folder (`data.root:
    dataset`, committed); tests work on copies. Returns the project and the repro's output."""
    base = tmp_path_factory.getbasetemp().parent   # shared by the session's workers and kept by later sessions:
    key = pipeline_digest()                       # keyed by the code and config, so an edit builds a fresh one
    root, done = base / f"shared_pipeline.{key}", base / f"shared_pipeline.{key}.log"
    with FileLock(str(base / f"shared_pipeline.{key}.lock")):
        if not done.exists():
            if root.exists():
                shutil.rmtree(root)
            make_copy(root, TINY_TWO_ARCHITECTURES)
            run(["dvc", "repro", "synthesize"], root)
            shutil.copytree(root / "data/synthetic", root / "dataset")   # a user's dataset folder
            set_param(root, "data", "root", "dataset")
            out = run(["dvc", "repro"], root)
            commit(root, "first run")
            done.write_text(out)
    return root, done.read_text()


def pipeline_digest() -> str:
    """A hash of what the shared pipeline runs (dvc.yaml, params, stages, the package, this file)."""
    digest = hashlib.sha256()
    files = [REPO / "dvc.yaml", REPO / "params.yaml", Path(__file__)]
    files += sorted(p for folder in ("stages", "src/rashomon") for p in (REPO / folder).rglob("*.py"))
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def copy_project(src: Path, dest: Path) -> Path:
    """A full copy of a project (git, DVC cache, outputs) to change without touching `src`."""
    shutil.copytree(src, dest, symlinks=True)
    return dest


def make_copy(dest: Path, overrides: dict | None = None) -> Path:
    """Copy the pipeline (dvc.yaml, params, stages, src) into a fresh git+DVC repo."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("dvc.yaml", "params.yaml", "pyproject.toml", ".dvcignore", ".gitignore"):
        shutil.copy(REPO / name, dest / name)
    for name in ("stages", "src", "benchmarks"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    params = yaml.safe_load((dest / "params.yaml").read_text())
    for section, values in {**TINY_PARAMS, **(overrides or {})}.items():
        deep_update(params.setdefault(section, {}), values)
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["git", "init", "-q"], dest)
    run(["dvc", "init", "-q"], dest)
    shutil.copytree(REPO / ".dvc/plots", dest / ".dvc/plots", dirs_exist_ok=True)  # custom plot templates
    commit(dest, "pipeline")  # like a clone: DVCLive and `dvc exp` need a HEAD commit
    return dest


def deep_update(target: dict, values: dict) -> None:
    """Update nested params in place (a nested mapping updates, never replaces, its section)."""
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_update(target[key], value)
        else:
            target[key] = value


def commit(dest: Path, message: str) -> None:
    run(["git", "add", "-A"], dest)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message], dest)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{e.get('PATH', '')}"
    e["DVC_NO_ANALYTICS"] = "1"
    e.setdefault("GIT_AUTHOR_NAME", "t")
    e.setdefault("GIT_AUTHOR_EMAIL", "t@t")
    return e


def run(cmd: list[str], cwd: Path, extra_env: dict[str, str] | None = None) -> str:
    """Run `cmd` in a project copy, with the copy's own `src` first on the path (not this checkout's)."""
    own = {"PYTHONPATH": str(Path(cwd) / "src")} if (Path(cwd) / "src").is_dir() else {}
    proc = subprocess.run(cmd, cwd=cwd, env={**env(), **own, **(extra_env or {})}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout + proc.stderr


def stage_command(proj: Path, name: str, **item: str) -> list[str]:
    """A stage's command as dvc.yaml gives it (paths included; `${item.<key>}` from `item`),
    with this interpreter."""
    cmd = yaml.safe_load((Path(proj) / "dvc.yaml").read_text())["stages"][name]["cmd"]
    for key, value in item.items():
        cmd = cmd.replace("${item.%s}" % key, value)
    cmd = shlex.split(cmd)
    return [sys.executable if cmd[0] == "python" else cmd[0], *cmd[1:]]


def stages_run(output: str) -> list[str]:
    """Names of the stages DVC actually ran, from `dvc repro` output."""
    return re.findall(r"Running stage '([^']+)'", output)


def set_param(dest: Path, section: str, key: str, value) -> None:
    params = yaml.safe_load((dest / "params.yaml").read_text())
    params[section][key] = value
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def out_hashes(dest: Path) -> dict[str, str]:
    """Every declared output's hash from dvc.lock (path -> md5)."""
    lock = yaml.safe_load((dest / "dvc.lock").read_text())
    hashes = {}
    for stage in lock["stages"].values():
        for out in stage.get("outs", []):
            hashes[out["path"]] = out["md5"]
    return hashes
