"""DVC's promise: every stage's deps cover the modules it runs and the files it reads."""

from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.pipeline.stage_deps import import_closure, source_deps, synced_dvc_yaml, uncovered_inputs, uncovered_modules


def stages() -> dict[str, dict]:
    return yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("name", sorted(stages()))
def test_stage_deps_cover_every_imported_module(name):
    assert uncovered_modules(REPO, stages()[name]) == []


@pytest.mark.parametrize("name", sorted(stages()))
def test_stage_deps_cover_every_input_on_its_command_line(name):
    assert uncovered_inputs(stages()[name]) == []


def test_the_deps_check_fails_when_a_module_is_not_covered():
    stage = dict(stages()["train"])
    stage["deps"] = [d for d in stage["deps"] if d != "src/rashomon/heads/training.py"]
    assert "src/rashomon/heads/training.py" in uncovered_modules(REPO, stage)
    folder = dict(stages()["explain"])
    folder["deps"] = [d for d in folder["deps"] if d != "src/rashomon/backbones"]
    assert "src/rashomon/backbones/family.py" in uncovered_modules(REPO, folder)
    reader = dict(stages()["filter"])
    reader["deps"] = [d for d in reader["deps"] if d != "data/ratings_long.csv"]
    assert uncovered_inputs(reader) == ["--ratings data/ratings_long.csv"]


def test_function_level_imports_count(tmp_path):
    (tmp_path / "src/rashomon/sub").mkdir(parents=True)
    for f in ("src/rashomon/__init__.py", "src/rashomon/sub/__init__.py", "src/rashomon/sub/lazy.py"):
        (tmp_path / f).write_text("")
    script = tmp_path / "stage.py"
    script.write_text("def run():\n    from rashomon.sub import lazy\n")
    assert import_closure(tmp_path, script) == {Path("src/rashomon/__init__.py"), Path("src/rashomon/sub/__init__.py"),
                                                Path("src/rashomon/sub/lazy.py")}


def test_every_stage_script_is_a_stage():
    scripts = {p.stem for p in (REPO / "stages").glob("*.py")}
    assert scripts == set(stages())


def test_dvc_yaml_source_deps_are_exactly_the_import_closure():
    """`scripts/sync_stage_deps.py` writes them; nothing missing, nothing stale."""
    text = (REPO / "dvc.yaml").read_text()
    assert synced_dvc_yaml(REPO, text) == text
    deps = source_deps(REPO, stages()["controls"])
    # file by file where the stage runs part of a folder: the other stages' logic is not a dep
    assert "src/rashomon/groundtruth/controls.py" in deps and "src/rashomon/groundtruth/controls_schema.py" in deps
    assert not {"src/rashomon/groundtruth", "src/rashomon/groundtruth/sanity_checks.py",
                "src/rashomon/groundtruth/assess.py", "src/rashomon/data/synthetic.py"} & set(deps)
    # a whole folder where the stage runs all of it (the plug-in folders)
    assert {"src/rashomon/attribution/methods", "src/rashomon/backbones"} <= set(deps)


def test_the_sync_check_fails_on_a_stale_or_missing_source_dep():
    text = (REPO / "dvc.yaml").read_text()
    stale = text.replace("      - src/rashomon/report\n",
                         "      - src/rashomon/report\n      - src/rashomon/idsds/models.py\n", 1)
    missing = text.replace("      - src/rashomon/psychometrics/correlation.py\n", "", 1)
    assert stale != text and missing != text
    assert synced_dvc_yaml(REPO, stale) == text
    assert synced_dvc_yaml(REPO, missing) == text


@pytest.mark.parametrize("name", sorted(stages()))
def test_no_params_value_is_written_into_a_command(name):
    """DVC writes ${...} into the line its shell runs, so a value there is shell input (a
    data.root of `ds;touch X` ran touch). Stages read params themselves; explain's method
    comes from DVC_STAGE."""
    assert "${" not in stages()[name]["cmd"]


def test_the_explain_stage_takes_its_method_from_dvcs_stage_name(tmp_path):
    """Under DVC (DVC_STAGE=explain@<method>) no --method is needed; an unknown one is one line."""
    import os
    import subprocess
    import sys

    def explain(**env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(REPO / "stages/explain.py"), "--params", str(REPO / "params.yaml"),
                               *[f"--{f}={tmp_path / f}" for f in ("manifest", "images", "splits", "features",
                                                                    "pretrained", "heads", "pruning", "out",
                                                                    "metrics")]],
                              cwd=tmp_path, capture_output=True, text=True, env={**os.environ, **env})

    unknown = explain(DVC_STAGE="explain@x';touch MARKER;'")
    assert unknown.returncode == 2 and unknown.stderr.strip().splitlines() == [
        "error: explain: unknown attribution method \"x';touch MARKER;'\"; explain runs: gradcam, lime, mpm"]
    missing = explain(DVC_STAGE="")
    assert missing.returncode == 2 and "give --method <name>" in missing.stderr
    known = explain(DVC_STAGE="explain@gradcam")   # gets past the method: fails on the missing manifest
    assert known.returncode == 2 and "manifest" in known.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "MARKER").exists()


def params_sections(stage: dict) -> set[str]:
    """The params.yaml sections a dvc.yaml stage declares (`train.seeds` -> train)."""
    return {str(next(iter(p)) if isinstance(p, dict) else p).split(".")[0] for p in stage.get("params", [])}


PARSED_SECTIONS = """
import json, runpy, sys, dataclasses
import rashomon.core.pin_kernels
out = {}
for name in sys.argv[1:]:
    main = runpy.run_path(f"stages/{name}.py", run_name="stage")["main"]
    out[name] = sorted(f.name for f in dataclasses.fields(main.params_type))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def parsed_sections() -> dict[str, list[str]]:
    """Each stage script's params class fields (read in a fresh process: stages pin kernels first)."""
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", PARSED_SECTIONS, *sorted(stages())], cwd=REPO, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", sorted(stages()))
def test_a_stage_parses_exactly_the_params_sections_dvc_tracks_for_it(name, parsed_sections):
    """A stage's params class holds the sections its dvc.yaml `params:` names, no more (a value
    it read but DVC did not track would change its output without a rerun) and no fewer; the
    first stage, synthesize, parses every section so that a typo anywhere stops a fresh run."""
    from rashomon.core.config import SECTIONS

    expected = set(SECTIONS) if name == "synthesize" else params_sections(stages()[name])
    assert set(parsed_sections[name]) == expected
