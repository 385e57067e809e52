"""Rewrite each dvc.yaml stage's source deps from its script's import closure: one dep per
package folder the stage imports from (`src/rashomon/attribution`), the package's own
`__init__.py`, and the top-level `determinism` param every stage reads. Run after changing
imports; tests/pipeline/test_pipeline_integrity.py fails while dvc.yaml differs from its output."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.pipeline.stage_deps import synced_dvc_yaml  # noqa: E402


def main() -> None:
    path = REPO / "dvc.yaml"
    text = path.read_text()
    new = synced_dvc_yaml(REPO, text)
    path.write_text(new)
    print("dvc.yaml: " + ("unchanged" if new == text else "stage deps rewritten"))


if __name__ == "__main__":
    main()
