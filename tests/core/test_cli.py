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
              imports: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    script = tmp_path / "stage.py"
    script.write_text(f"import rashomon.core.pin_kernels\n{imports}from rashomon.core.cli import stage\n"
                      "from rashomon.data.ingest_params import IngestParams\n"
                      f"def run(params, args):\n{body}\n"
                      "stage(run, '--out', params=IngestParams)()\n")
    return subprocess.run([sys.executable, str(script), "--params", str(REPO / "params.yaml"), *flags], cwd=tmp_path,
                          capture_output=True, text=True, env=env)


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


@pytest.mark.parametrize("error, words", [(PermissionError(13, "Permission denied"), "permission denied"),
                                          (OSError(30, "Read-only file system"), "read-only file system")])
def test_an_unwritable_output_folder_is_named(tmp_path, monkeypatch, error, words):
    """Root ignores file modes and a test cannot mount read-only, so the refusal is simulated
    where the temp path is made, as the kernel gives it."""
    from rashomon.core import io

    def refuse(*_, dir=None, **__):
        raise type(error)(error.errno, error.strerror, str(dir))

    monkeypatch.setattr(io.tempfile, "mkdtemp", refuse)
    with pytest.raises(io.OutputError, match=rf"^.*out/x.json: cannot write the output here: .*out: {words} "
                                             rf"\({error.strerror}\)$"):
        write_json(tmp_path / "out/x.json", {})


def test_a_stage_runs_with_pinned_kernels_in_portable_mode(tmp_path):
    proc = run_stage(tmp_path, "    print(torch.backends.cpu.get_cpu_capability(), torch.get_num_threads(), "
                               "os.environ.get('OPENBLAS_CORETYPE'), torch.are_deterministic_algorithms_enabled(), "
                               "torch.is_deterministic_algorithms_warn_only_enabled())", imports="import os, torch\n")
    from rashomon.core.determinism import has_avx2
    assert proc.returncode == 0, proc.stderr
    if has_avx2():
        assert proc.stdout.split() == ["AVX2", "2", "Haswell", "True", "True"]


# ---- I/O failures are one line naming the path, exit 2, nothing published ----

@pytest.mark.parametrize("code, words", [(28, "no space left on the device (No space left on device)"),
                                         (30, "read-only file system (Read-only file system)"),
                                         (122, "disk quota exceeded (Disk quota exceeded)")])
def test_a_failed_write_is_one_line_naming_the_output_and_nothing_is_published(tmp_path, code, words):
    """write() on a full disk raises an OSError that names no file: the output it was for is named."""
    body = ("    from rashomon.core.io import atomic_path, write_json\n"
            "    write_json('out/first.json', {'ok': 1})\n"
            "    with atomic_path(args.out) as tmp:\n"
            f"        raise OSError({code}, os.strerror({code}))\n")
    proc = run_stage(tmp_path, body, imports="import os\n")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"error: out/x.json: cannot write the output: out/x.json: {words}; "
                                                "no output was written"]
    assert not (tmp_path / "out/first.json").exists() and os.listdir(tmp_path / "out") == []


def test_an_os_error_outside_an_output_is_one_line_too(tmp_path):
    proc = run_stage(tmp_path, "    open('data/missing.csv')")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines() == ["error: data/missing.csv: no such file or directory; "
                                                "no output was written"]


@pytest.fixture
def full_disk(tmp_path):
    """A 1 MiB tmpfs (root only: skipped where mounting is not allowed)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_torch_save_on_a_full_disk_is_an_os_error_naming_the_output(full_disk):
    import torch

    from rashomon.core.io import save_torch

    with pytest.raises(cli.OutputError) as exc:
        save_torch(full_disk / "heads/v0.pt", {"w": torch.zeros(1024, 1024)})   # 4 MiB on a 1 MiB disk
    assert str(exc.value) == (f"{full_disk}/heads/v0.pt: cannot write the output: {full_disk}/heads/v0.pt: "
                              "no space left on the device (No space left on device)")
    assert os.listdir(full_disk / "heads") == []


def test_torch_save_bytes_depend_on_the_content_only(tmp_path):
    """Saved through a file object, the archive inside is named 'archive' whatever the file's
    name (a path-based torch.save names it after the file), so equal weights are equal bytes."""
    import torch

    from rashomon.core.io import load_tensors, save_torch

    state = {"w": torch.arange(12.0).reshape(3, 4), "b": torch.ones(2, dtype=torch.float16)}
    save_torch(tmp_path / "a.pt", state)
    save_torch(tmp_path / "other_name.pt", state)
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "other_name.pt").read_bytes()
    loaded = load_tensors(tmp_path / "a.pt", "state dict")
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state)


# ---- temp debris and compile caches ----

def test_a_killed_runs_debris_anywhere_in_the_project_goes_at_the_next_stage(tmp_path, monkeypatch):
    """DVC may restore the killed stage from its run cache (it does not run, so it cannot clean
    up); the next stage that runs sweeps every output folder of the project."""
    monkeypatch.chdir(tmp_path)
    pid = dead_pid()
    debris = [tmp_path / f".stage.{pid}.ab.tmp", tmp_path / "models" / f".heads.{pid}.cd.tmp",
              tmp_path / "data/explanations" / f".mpm.{pid}.ef.tmp", tmp_path / f".stage.{pid}.inductor.tmp"]
    for path in debris:
        path.mkdir(parents=True)
    kept = tmp_path / "data/explanations" / f".lime.{os.getpid()}.gh.tmp"   # a live writer's
    kept.mkdir()
    args = type("Args", (), {})()
    args.out = "metrics/report.json"          # a stage unrelated to the killed one
    with cli.stage_scratch(args):
        pass
    assert [p for p in debris if p.exists()] == [] and kept.exists()


def test_a_stage_leaves_no_compile_cache_in_tmpdir(tmp_path):
    """Importing Lightning makes torch's compile cache folder; a stage keeps it in its own temp path."""
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    env.pop("TORCHINDUCTOR_CACHE_DIR", None)
    proc = run_stage(tmp_path, "    import os; print(os.environ['TORCHINDUCTOR_CACHE_DIR'])",
                     imports="import lightning\n", env=env)
    assert proc.returncode == 0, proc.stderr
    cache = Path(proc.stdout.strip())
    assert cache.parent == tmp_path and cache.name.startswith(".stage.") and not cache.exists()
    assert os.listdir(tmpdir) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["stage.py", "tmpdir"]


def test_a_stage_that_stops_on_its_params_leaves_no_compile_cache(tmp_path):
    """Lightning's import makes the compile cache before the params load: a bad params file
    (or a missing flag) still takes it away."""
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "params.yaml").read_text() + "\nnot_a_section: 1\n")
    for flags in (("--out", "out/x.json", "--params", str(bad)), ()):
        proc = run_stage(tmp_path, "    pass", flags=flags, imports="import lightning\n")
        assert proc.returncode == 2, proc.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "stage.py"], proc.stderr


def test_a_matrix_item_comes_from_dvcs_stage_name(monkeypatch):
    monkeypatch.setenv("DVC_STAGE", "explain@lime")
    assert cli.dvc_matrix_item("explain") == "lime" and cli.dvc_matrix_item("sanity") is None
    monkeypatch.setenv("DVC_STAGE", "sub/dvc.yaml:explain@mpm")
    assert cli.dvc_matrix_item("explain") == "mpm"
    monkeypatch.delenv("DVC_STAGE")
    assert cli.dvc_matrix_item("explain") is None


def test_the_sweep_passes_over_folders_it_may_not_list(tmp_path, monkeypatch):
    """A folder the user may not read (lost+found, a container's volume) must not stop every stage."""
    from rashomon.core import io

    locked, debris = tmp_path / "locked", tmp_path / "models" / f".heads.{dead_pid()}.x.tmp"
    locked.mkdir()
    debris.mkdir(parents=True)
    real_iterdir = Path.iterdir

    def iterdir(self):
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    assert io.remove_stale_temps_below(tmp_path) == [debris]


def test_only_the_publishing_rank_sweeps(tmp_path, monkeypatch):
    """Another node's ranks see this node's live writers as dead processes: they never sweep."""
    monkeypatch.chdir(tmp_path)
    debris = tmp_path / "models" / f".heads.{dead_pid()}.x.tmp"
    debris.mkdir(parents=True)
    args = type("Args", (), {"out": "metrics/report.json"})()
    monkeypatch.setattr(cli, "is_publishing_rank", lambda: False)
    with cli.stage_scratch(args):
        pass
    assert debris.exists()
    monkeypatch.setattr(cli, "is_publishing_rank", lambda: True)
    with cli.stage_scratch(args):
        pass
    assert not debris.exists()


def test_an_os_error_line_keeps_the_paths_case():
    from rashomon.core.errors import os_error_line

    assert os_error_line(FileNotFoundError(2, "No such file or directory", "/Data/IMG_01.PNG")) == \
        "/Data/IMG_01.PNG: no such file or directory"
    assert os_error_line(OSError("cannot identify image file '/Data/IMG_01.PNG'")) == \
        "cannot identify image file '/Data/IMG_01.PNG'"


def test_a_nameless_error_that_no_write_meets_is_not_blamed_on_the_output(tmp_path):
    from rashomon.core.io import atomic_path

    with pytest.raises(OSError) as exc:
        with atomic_path(tmp_path / "out.json"):
            raise OSError(12, "Cannot allocate memory")   # a DataLoader worker's fork, say
    assert type(exc.value) is OSError and exc.value.errno == 12


@pytest.mark.parametrize("ci, shown", [("true", False), ("", True)])
def test_progress_goes_to_stderr_and_is_quiet_under_ci(tmp_path, ci, shown):
    body = "    from tqdm import tqdm\n    for _ in tqdm(range(3), desc='units'):\n        pass"
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "TQDM_DISABLE")}
    done = run_stage(tmp_path, body, env={**clean, "CI": ci} if ci else clean)
    assert done.returncode == 0, done.stderr
    assert ("units: 100%" in done.stderr) is shown and "units" not in done.stdout
