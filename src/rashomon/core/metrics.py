"""Metrics files as typed contracts: the stage that writes one checks it against its schema
(a TypedDict in `<package>/<stage>_schema.py`), the report checks what it reads, the tests check
both; a missing, unknown or mistyped key is one error naming the file and the key."""

from __future__ import annotations

import json
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal, NotRequired, Required, Union

from rashomon.core.errors import InputError
from rashomon.core.io import json_text, read_json, write_json


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def schema_errors(value: Any, tp: Any, where: str) -> list[str]:
    """What in `value` (parsed JSON) does not fit the annotation `tp` (empty: it fits). Every
    float may be null: NaN is written as null ("undefined")."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return []
    if origin in (NotRequired, Required):
        return schema_errors(value, args[0], where)
    if origin in (Union, types.UnionType):
        options = [schema_errors(value, a, where) for a in args]
        return [] if any(not o for o in options) else min(options, key=len)
    if tp is type(None):
        return [] if value is None else [f"{where} must be null, got {type(value).__name__}"]
    if origin is Literal:
        return [] if value in args else [f"{where} = {value!r} is not one of {list(args)}"]
    if _is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{where} must be a mapping, got {type(value).__name__}"]
        hints = typing.get_type_hints(tp, include_extras=True)
        errors = [f"{where}.{k}: missing" for k in tp.__required_keys__ if k not in value]
        errors += [f"{where}.{k}: unknown key (known: {', '.join(hints)})" for k in value if k not in hints]
        for k, v in value.items():
            if k in hints:
                errors += schema_errors(v, hints[k], f"{where}.{k}")
        return errors
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where} must be a mapping, got {type(value).__name__}"]
        return [e for k, v in value.items() for e in schema_errors(v, args[1], f"{where}.{k}")]
    if origin is list:
        if not isinstance(value, (list, tuple)):
            return [f"{where} must be a list, got {type(value).__name__}"]
        return [e for i, v in enumerate(value) for e in schema_errors(v, args[0], f"{where}[{i}]")]
    if tp is float:
        ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
        return [] if ok else [f"{where} must be a number, got {value!r}"]
    if tp is int:
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and math.isfinite(value) and value.is_integer())
        return [] if ok else [f"{where} must be an integer, got {value!r}"]
    if tp in (str, bool):
        return [] if isinstance(value, tp) else [f"{where} must be {tp.__name__}, got {value!r}"]
    raise TypeError(f"schema: unsupported annotation {tp!r} at {where}")


def check_metrics(report: Any, schema: Any, path: str | Path) -> None:
    """Refuse `report` if it does not fit `schema`; the error names the file and the first keys."""
    errors = schema_errors(report, schema, "")
    if errors:
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise InputError(f"{path}: does not fit its schema {getattr(schema, '__name__', schema)}: "
                         + "; ".join(e.lstrip(".") for e in errors[:3]) + more)


def write_metrics(path: str | Path, report: Any, schema: Any) -> None:
    """Check `report` (as its JSON will read) against `schema`, then write it atomically."""
    check_metrics(json.loads(json_text(report)), schema, path)
    write_json(path, report)


def read_metrics(path: str | Path, schema: Any) -> Any:
    """A metrics file, checked against its schema (a stale file from older code: one clear error)."""
    report = read_json(path)
    check_metrics(report, schema, path)
    return report
