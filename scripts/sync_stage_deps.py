"""Add to dvc.yaml every project module a stage imports but does not list as a dep, and
the top-level `determinism` param every stage reads (run after changing imports)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.stage_deps import uncovered_modules  # noqa: E402


def main() -> None:
    path = REPO / "dvc.yaml"
    text = path.read_text()
    stages = yaml.safe_load(text)["stages"]
    for name, stage in stages.items():
        missing = uncovered_modules(REPO, stage)
        block = re.search(rf"^  {re.escape(name)}:\n(.*?)(?=^  \S|\Z)", text, re.S | re.M)
        body = block.group(1)
        new = body
        if missing:
            script_line = re.search(r"^    deps:\n      - stages/\S+\n", new, re.M)
            new = new[:script_line.end()] + "".join(f"      - {m}\n" for m in missing) + new[script_line.end():]
        if "determinism" not in (stage.get("params") or []):
            new = re.sub(r"^    params:\n", "    params:\n      - determinism\n", new, count=1, flags=re.M)
        text = text[:block.start(1)] + new + text[block.end(1):]
        print(f"{name}: +{len(missing)} modules")
    path.write_text(text)


if __name__ == "__main__":
    main()
