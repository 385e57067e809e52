"""No import circle anywhere in the package, function-level imports included."""

from pathlib import Path

from tests.conftest import REPO
from tests.import_graph import cycles, import_graph


def test_the_package_has_no_import_circle():
    graph = import_graph(REPO / "src")
    assert graph.number_of_nodes() > 50 and graph.has_edge("rashomon.backbones.factory", "rashomon.backbones.weights")
    assert cycles(graph) == []


def test_a_circle_behind_a_function_level_import_is_found(tmp_path: Path):
    pkg = tmp_path / "rashomon" / "backbones"
    pkg.mkdir(parents=True)
    (tmp_path / "rashomon/__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "registry.py").write_text("def create():\n    from rashomon.backbones.weights import load\n")
    (pkg / "weights.py").write_text("from rashomon.backbones import registry\n\ndef load():\n    pass\n")
    (pkg / "factory.py").write_text("from rashomon.backbones.registry import create\n")
    assert cycles(import_graph(tmp_path)) == [["rashomon.backbones.registry", "rashomon.backbones.weights"]]
    (pkg / "registry.py").write_text("def create():\n    pass\n")
    assert cycles(import_graph(tmp_path)) == []
