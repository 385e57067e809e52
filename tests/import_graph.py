"""The package's module import graph (every import, function-level ones included) and its cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PLUGIN_FOLDER = "pkgutil.iter_modules(__path__)"   # a package __init__ that imports every module in its folder


def plugin_modules(path: Path, module: str) -> set[str]:
    """The modules a plug-in folder's `__init__.py` imports at run time (every sibling file)."""
    if path.name != "__init__.py" or PLUGIN_FOLDER not in path.read_text():
        return set()
    return {f"{module}.{p.stem}" for p in path.parent.glob("*.py") if p.name != "__init__.py"}


def module_name(src: Path, path: Path) -> str:
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(src: Path, package: str = "rashomon") -> nx.DiGraph:
    """module -> module it imports; `from pkg import name` points at pkg.name when that is a
    module, else at pkg (its __init__)."""
    files = {module_name(src, p): p for p in (src / package).rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for name, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in files else node.module
                           for a in node.names]
            for target in targets:
                if target in files and target != name:
                    graph.add_edge(name, target)
        graph.add_edges_from((name, plugin) for plugin in plugin_modules(path, name))
    return graph


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    """Every import circle (strongly connected groups of more than one module), sorted."""
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)
