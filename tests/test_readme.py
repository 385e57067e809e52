"""The README's two commands are the ones that run: CI runs exactly its test command, which
lints before it tests."""

import re

from tests.conftest import REPO


def test_ci_runs_exactly_the_readme_test_command_and_it_lints_first():
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    test_command = next(b for b in blocks if "pytest" in b)
    lines = (REPO / ".ci/run").read_text().splitlines()
    ci = [line for line in lines if line and not line.startswith(("#", "set ", "cd "))]
    assert ci == [test_command]
    assert test_command.index("ruff check .") < test_command.index("pytest")
    assert "dvc repro" in blocks[0] and "pytest" not in blocks[0]   # the first command runs the main job
