"""What a DVC stage needs as deps: the project modules its script imports (transitively,
function-level imports included) and the input paths on its command line."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import yaml

from tests.import_graph import plugin_modules

SRC = Path("src")
PACKAGE = "rashomon"


def module_file(repo: Path, module: str) -> Path | None:
    """The file behind a dotted module name of the project (package -> __init__.py)."""
    base = repo / SRC / Path(*module.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def imported_modules(path: Path) -> set[str]:
    """Dotted names of project modules imported anywhere in a file (and their parents)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                parts = name.split(".")
                found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return found


def import_closure(repo: Path, script: Path) -> set[Path]:
    """Every project source file that running `script` can execute, relative to `repo`."""
    todo, seen, files = [(script, "")], set(), set()
    while todo:
        path, name = todo.pop()
        for module in imported_modules(path) | plugin_modules(path, name):
            if module in seen:
                continue
            seen.add(module)
            f = module_file(repo, module)
            if f is not None:
                files.add(f.relative_to(repo))
                todo.append((f, module))
    return files


def covered(path: Path, deps: list[str]) -> bool:
    """Whether `path` is a dep or inside a dep folder."""
    return any(path == Path(d) or Path(d) in path.parents for d in deps)


def uncovered_modules(repo: Path, stage: dict) -> list[str]:
    """Project modules a stage's script imports that its deps do not cover."""
    deps = [str(d) for d in stage.get("deps", [])]
    scripts = [t for t in shlex.split(stage["cmd"]) if t.endswith(".py")]
    missing = []
    for script in scripts:
        for f in sorted(import_closure(repo, repo / script) | {Path(script)}):
            if not covered(f, deps):
                missing.append(str(f))
    return missing


def _paths(entries: list) -> list[str]:
    return [next(iter(e)) if isinstance(e, dict) else str(e) for e in entries]


def uncovered_inputs(stage: dict) -> list[str]:
    """Path arguments on a stage's command line that are neither deps nor outputs."""
    deps = [str(d) for d in stage.get("deps", [])]
    outputs = _paths(stage.get("outs", [])) + _paths(stage.get("metrics", [])) + _paths(stage.get("plots", []))
    # a matrix stage names the folder of its per-item outputs (the item comes from DVC_STAGE, not the command)
    outputs += [str(Path(o).parent) for o in outputs if "${item." in o]
    tokens = shlex.split(stage["cmd"])
    missing = []
    for flag, value in zip(tokens, tokens[1:]):
        if flag.startswith("--") and not value.startswith("--"):
            if not covered(Path(value), outputs) and not covered(Path(value), deps):
                missing.append(f"{flag} {value}")
    return missing


def source_deps(repo: Path, stage: dict) -> list[str]:
    """The source deps a stage needs: its scripts, then each project file its import closure
    holds, named by its package folder where the closure holds every file of that folder (and
    of its sub-folders), else file by file, so that editing a module reruns only the stages
    that can execute it."""
    scripts = [t for t in shlex.split(stage["cmd"]) if t.endswith(".py")]
    files: set[Path] = set()
    for script in scripts:
        files |= import_closure(repo, repo / script)
    deps: set[str] = set()
    for f in files:
        folder = _widest_covered_folder(repo, f, files)
        deps.add(str(folder if folder is not None else f))
    return scripts + sorted(deps)


def _widest_covered_folder(repo: Path, path: Path, files: set[Path]) -> Path | None:
    """The largest package folder above `path` (below src/rashomon) all of whose source files are in `files`."""
    best = None
    for depth in range(len(path.parts) - 1, 2, -1):   # src/rashomon/<folder>[/...]
        folder = Path(*path.parts[:depth])
        if all(f.relative_to(repo) in files for f in (repo / folder).rglob("*.py")):
            best = folder
        else:
            break
    return best


def synced_dvc_yaml(repo: Path, text: str) -> str:
    """dvc.yaml with every stage's source deps replaced by `source_deps` (the rest verbatim)."""
    stages = yaml.safe_load(text)["stages"]
    for name, stage in stages.items():
        block = re.search(rf"^  {re.escape(name)}:\n(.*?)(?=^  \S|^\S|\Z)", text, re.S | re.M)
        body = block.group(1)
        lines = body.split("\n")
        start = lines.index("    deps:") + 1
        kept = [ln for ln in lines[start:] if not re.match(r"^      - (stages|src)/", ln)]
        new_deps = [f"      - {d}" for d in source_deps(repo, stage)]
        body = "\n".join(lines[:start] + new_deps + kept)
        if "determinism" not in (stage.get("params") or []):
            body = re.sub(r"^    params: \[", "    params: [determinism, ", body, count=1, flags=re.M)
        text = text[:block.start(1)] + body + text[block.end(1):]
    return text
