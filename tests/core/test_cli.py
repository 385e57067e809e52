"""Stage plumbing: all-or-nothing outputs, killed runs' debris, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from rashomon.core import cli
from rashomon.core.io import atomic_path, publish_together, remove_stale_temps, write_json
from tests.conftest import REPO


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_failure_after_computing_publishes_nothing(tmp_path):
    with pytest.raises(RuntimeError, match="evaluation failed"):
        with publish_together():
            with atomic_path(tmp_path / "heads", is_dir=True) as heads:
                (heads / "v0.pt").write_bytes(b"w")
            write_json(tmp_path / "predictions.json", [1, 2])
            assert not (tmp_path / "heads").exists()      # deferred until the stage succeeds
            raise RuntimeError("evaluation failed")
    assert sorted(os.listdir(tmp_path)) == []


def test_success_publishes_every_output_and_the_last_write_wins(tmp_path):
    (tmp_path / "heads").mkdir()
    (tmp_path / "heads/old.pt").write_bytes(b"old")
    with publish_together():
        with atomic_path(tmp_path / "heads", is_dir=True) as heads:
            write_json(heads / "inner.json", {"nested": True})   # a write inside an output folder
        write_json(tmp_path / "m.json", {"v": 1})
        write_json(tmp_path / "m.json", {"v": 2})
    assert sorted(os.listdir(tmp_path)) == ["heads", "m.json"]
    assert os.listdir(tmp_path / "heads") == ["inner.json"]
    assert (tmp_path / "m.json").read_text().strip().endswith("}") and '"v": 2' in (tmp_path / "m.json").read_text()


def test_only_dead_writers_temp_paths_are_swept(tmp_path):
    dead = tmp_path / f".mpm.{dead_pid()}.abc123.tmp"
    live = tmp_path / f".mpm.{os.getpid()}.def456.tmp"
    other = tmp_path / ".keep.tmp"                       # not our pattern: never touched
    for p in (dead, live, other):
        p.mkdir()
    assert remove_stale_temps(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_the_stage_scratch_holds_every_tempfile_and_goes_away(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stale = tmp_path / "data" / f".features.{dead_pid()}.zz.tmp"
    stale.mkdir(parents=True)
    args = type("Args", (), {})()
    args.out = "data/features"
    with cli.stage_scratch(args) as scratch:
        assert Path(tempfile.mkdtemp()).parent == scratch and os.environ["TMPDIR"] == str(scratch)
        assert scratch.parent == tmp_path
    assert not stale.exists() and not scratch.exists() and tempfile.gettempdir() != str(scratch)


def run_stage(tmp_path: Path, body: str, flags: tuple[str, ...] = ("--out", "out/x.json"),
              imports: str = "") -> subprocess.CompletedProcess:
    script = tmp_path / "stage.py"
    script.write_text(f"import rashomon.core.pin_kernels\n{imports}from rashomon.core.cli import stage\n"
                      f"def run(params, args):\n{body}\n"
                      "stage(run, '--out')()\n")
    return subprocess.run([sys.executable, str(script), "--params", str(REPO / "params.yaml"), *flags], cwd=tmp_path,
                          capture_output=True, text=True)


def test_a_stage_without_torch_never_loads_it_and_one_that_loads_it_late_fails(tmp_path):
    """Stages that do not use torch skip its ~2 s import; one that imports torch only while it
    runs (after the determinism settings were applied) fails instead of running unpinned."""
    quiet = run_stage(tmp_path, "    import sys; print('torch' in sys.modules)")
    assert quiet.returncode == 0 and quiet.stdout.strip() == "False", quiet.stderr
    late = run_stage(tmp_path, "    import torch")
    assert late.returncode == 1 and "torch was imported while the stage ran" in late.stderr


def test_every_path_flag_is_required_so_dvc_yaml_is_its_one_source(tmp_path):
    proc = run_stage(tmp_path, "    print(args.out)", flags=())
    assert proc.returncode == 2 and "the following arguments are required: --out" in proc.stderr
    assert run_stage(tmp_path, "    print(args.out)").stdout.strip() == "out/x.json"


def test_a_permission_error_is_one_line_and_exit_2(tmp_path):
    proc = run_stage(tmp_path, "    raise PermissionError(13, 'Permission denied', 'out/x.json')")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == ["error: out/x.json: permission denied (Permission denied); "
                                                "no output was written"]


def test_an_unwritable_output_folder_is_named(tmp_path, monkeypatch):
    """Root ignores file modes, so the refusal is simulated where the temp path is made."""
    from rashomon.core import io

    def refuse(*_, dir=None, **__):
        raise PermissionError(13, "Permission denied", str(dir))

    monkeypatch.setattr(io.tempfile, "mkdtemp", refuse)
    with pytest.raises(io.InputError, match=r"out/x.json: cannot write the output here \(Permission denied: .*out\)"):
        write_json(tmp_path / "out/x.json", {})


def test_a_stage_runs_with_pinned_kernels_in_portable_mode(tmp_path):
    proc = run_stage(tmp_path, "    print(torch.backends.cpu.get_cpu_capability(), torch.get_num_threads(), "
                               "os.environ.get('OPENBLAS_CORETYPE'), torch.are_deterministic_algorithms_enabled(), "
                               "torch.is_deterministic_algorithms_warn_only_enabled())", imports="import os, torch\n")
    from rashomon.core.determinism import has_avx2
    assert proc.returncode == 0, proc.stderr
    if has_avx2():
        assert proc.stdout.split() == ["AVX2", "2", "Haswell", "True", "True"]
