"""Presets: a YAML file of overrides (only the keys that differ from params.yaml), checked
through the typed config and turned into `dvc exp run -S` flags, so a whole configuration
(the study's) is one experiment that DVC records, diffs and queues like any other.

    .venv/bin/python -m rashomon.preset params.study.yaml | xargs dvc exp run -n study
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import yaml

from rashomon.attribution.method import check_explain_config
from rashomon.core.errors import InputError
from rashomon.params import Params, load_all_params


def read_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from `path` (one-line error if absent or not a mapping)."""
    if not path.is_file():
        raise InputError(f"{path}: file does not exist")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: top level must be a mapping of sections")
    return data


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` applied: nested mappings update, everything else replaces."""
    out = dict(base)
    for key, value in overrides.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def leaves(overrides: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every overridden value; a mapping that replaces a null is one leaf."""
    for key, value in overrides.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from leaves(value, dotted + ".")
        else:
            yield dotted, value


def check(params_file: Path, preset_file: Path) -> Params:
    """The typed config that `params_file` with the preset applied gives (refuses unknown keys)."""
    combined = merged(read_yaml(params_file), read_yaml(preset_file))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "params.yaml"
        path.write_text(yaml.safe_dump(combined, sort_keys=False))
        try:
            params = load_all_params(path)
            check_explain_config(params.explain)   # the method sections, typed by their methods
            return params
        except InputError as exc:
            raise InputError(f"{preset_file}: {str(exc).removeprefix(f'{path}: ').removeprefix('params.yaml: ')}") \
                from exc


def set_flags(preset_file: Path) -> list[str]:
    """`-S key=value` flags for `dvc exp run` (values as compact JSON, which is YAML)."""
    flags = []
    for key, value in leaves(read_yaml(preset_file)):
        flags += ["-S", f"{key}={json.dumps(value, separators=(',', ':'))}"]
    return flags


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rashomon.preset", description=__doc__.splitlines()[0])
    parser.add_argument("preset", type=Path)
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    args = parser.parse_args(argv)
    try:
        check(args.params, args.preset)
        flags = set_flags(args.preset)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(" ".join(shlex.quote(f) for f in flags))   # quoted for xargs and the shell
    return 0


if __name__ == "__main__":
    sys.exit(main())
