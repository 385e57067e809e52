"""DVC's promise: every stage's deps cover the modules it runs and the files it reads."""

from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.stage_deps import import_closure, uncovered_inputs, uncovered_modules


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
    assert uncovered_modules(REPO, stage) == ["src/rashomon/heads/training.py"]
    folder = dict(stages()["explain"])
    folder["deps"] = [d for d in folder["deps"] if d != "src/rashomon/backbones"]
    assert "src/rashomon/backbones/families.py" in uncovered_modules(REPO, folder)
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
