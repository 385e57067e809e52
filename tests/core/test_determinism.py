"""Portable reproducibility: a training stage gives the same bytes on emulated machines
with different vector units in `portable` mode (and, on an AVX-512 CPU, different bytes
in `fast` mode, which shows the emulation bites)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rashomon.core.determinism import PORTABLE_ENV, has_avx2, requested_mode
from tests.conftest import REPO
from tests.pipeline.dvc_project import AVX2_MACHINE

THIS_MACHINE: dict[str, str] = {}


def avx512() -> bool:
    return "avx512f" in Path("/proc/cpuinfo").read_text()


def tiny_pretrain_params(tmp: Path, mode: str) -> Path:
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["determinism"] = mode
    params["backbones"]["names"] = ["resnet_small"]
    params["pretrain"].update(n_images=48, n_val_images=16, n_probe_images=16, epochs=1, batch_size=16)
    path = tmp / f"params_{mode}.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def pretrain_digest(tmp: Path, params: Path, machine: dict[str, str], tag: str) -> str:
    out = tmp / tag
    env = {k: v for k, v in os.environ.items() if k not in PORTABLE_ENV and k not in AVX2_MACHINE}
    env.update(machine)
    proc = subprocess.run([sys.executable, str(REPO / "stages/pretrain.py"), "--params", str(params),
                           "--out", str(out / "pretrained"), "--metrics", str(out / "m.json"),
                           "--plots", str(out / "plots")], cwd=tmp, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return hashlib.sha256((out / "pretrained/resnet_small.pt").read_bytes()).hexdigest()


@pytest.mark.skipif(not has_avx2(), reason="portable mode pins AVX2 kernels: needs an x86-64 CPU with AVX2")
def test_portable_training_gives_the_same_bytes_on_another_vector_unit(tmp_path):
    params = tiny_pretrain_params(tmp_path, "portable")
    here = pretrain_digest(tmp_path, params, THIS_MACHINE, "portable_here")
    there = pretrain_digest(tmp_path, params, AVX2_MACHINE, "portable_there")
    assert here == there
    if avx512():  # the emulated machine really computes differently when nothing is pinned
        fast = tiny_pretrain_params(tmp_path, "fast")
        assert pretrain_digest(tmp_path, fast, THIS_MACHINE, "fast_here") != \
            pretrain_digest(tmp_path, fast, AVX2_MACHINE, "fast_there")


def test_a_stage_pins_before_numpy_loads():
    """Every stage's first import is rashomon.core.pin_kernels (after it, numpy is too late to pin)."""
    for path in sorted((REPO / "stages").glob("*.py")):
        imports = [line for line in path.read_text().splitlines() if line.startswith(("import ", "from "))]
        assert imports[0].startswith("import rashomon.core.pin_kernels"), path.name


def test_pinning_after_numpy_is_refused(tmp_path):
    code = "import numpy; from rashomon.core.determinism import pin_environment; pin_environment('portable')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0 and "already imported" in proc.stderr


def test_the_mode_comes_from_the_stage_params(tmp_path):
    (tmp_path / "p.yaml").write_text("determinism: fast\n")
    assert requested_mode(["stage.py", "--params", str(tmp_path / "p.yaml")]) == "fast"
    assert requested_mode(["stage.py", f"--params={tmp_path / 'p.yaml'}"]) == "fast"
    assert requested_mode(["stage.py", "--params", str(tmp_path / "missing.yaml")]) == "portable"


def fingerprint_here() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in PORTABLE_ENV}
    out = subprocess.run([sys.executable, "-m", "rashomon.core.fingerprint", "--json"], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.skipif(not has_avx2(), reason="portable mode pins AVX2 kernels: needs an x86-64 CPU with AVX2")
def test_this_machine_computes_what_every_recorded_machine_computed():
    """The README's promise as a test: the portable toy training (oneDNN convolutions, MKL
    matmuls, Adam) hashes as on every machine recorded by benchmarks/bench_kernel_paths.py,
    of whatever vendor. Under MKL's AVX2 branch an AMD and an Intel CPU disagree (MKL runs a
    named branch on Intel only); on a machine of a vendor not yet recorded this is the check."""
    here = fingerprint_here()
    assert here["pinned"] and here["settings"] == PORTABLE_ENV
    records = sorted((REPO / "benchmarks/results").glob("bench_kernel_paths_*.json"))
    assert records, "no machine recorded: run benchmarks/bench_kernel_paths.py"
    compared = 0
    for record in records:
        recorded = json.loads(record.read_text())["portable_as_shipped"]
        assert recorded["settings"] == PORTABLE_ENV, f"{record.name} was recorded under other settings: rerun it"
        if (recorded["torch"], recorded["numpy"]) != (here["torch"], here["numpy"]):
            continue   # other library versions compute other bytes: not a machine difference
        compared += 1
        assert (here["toy_training_sha256"], here["numpy_matmul_sha256"]) == \
            (recorded["toy_training_sha256"], recorded["numpy_matmul_sha256"]), \
            f"{here['cpu']} computes other bytes than the machine of {record.name}"
    if not compared:
        pytest.skip(f"no machine recorded with torch {here['torch']} and numpy {here['numpy']}")


def test_the_fingerprint_is_the_same_in_two_processes():
    first, second = fingerprint_here(), fingerprint_here()
    assert first["toy_training_sha256"] == second["toy_training_sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", first["toy_training_sha256"]) and first["cpu"]["vendor"]
