"""Property: one random mutation of the repository's params.yaml (a wrong type, zero, a
negative, out-of-range or huge number, a duplicated or unknown name, an unknown or
missing key, None, nested junk) ends either in a typed config that passes the registry
checks stages run before any work, or in an InputError whose message is one line and
names the mutated `section.key` (or its section), never in another exception."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rashomon.backbones.weights import check_backbone_names
from rashomon.params import load_all_params
from rashomon.core.errors import InputError
from rashomon.idsds.models import check_model_names
from rashomon.idsds.scoring import check_method_names
from tests.conftest import REPO

BASE = yaml.safe_load((REPO / "params.yaml").read_text())


def key_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key at every depth of nested mappings (list items are mutated with their list)."""
    out = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append((*prefix, key))
            out += key_paths(value, (*prefix, key))
    return out


def mapping_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every mapping (the top level included), where an unknown key can be added."""
    out = [prefix] if isinstance(node, dict) else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += mapping_paths(value, (*prefix, key))
    return out


KEYS, MAPPINGS = key_paths(BASE), mapping_paths(BASE)
NEW_KEY = st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True)
JUNK = st.one_of(
    st.none(), st.booleans(), st.text(max_size=12), st.integers(-10, 10), st.sampled_from([0, -1, 1, 2]),
    st.integers(min_value=2**31, max_value=10**400), st.integers(min_value=-10**400, max_value=-2**31),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.5, -0.5, 1e-300, 1e300, 100.0, 101.0]),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=4), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.none()), max_size=2),
    st.sampled_from([{"a": [1, {"b": None}], "c": "x\ny"}, [[]], [{"k": 1}], "null", "1e-3", "", "\n"]),
)


def near(value: Any) -> st.SearchStrategy:
    """Mutations that stay close to the current value: the edge cases of its kind."""
    if isinstance(value, bool):
        return st.sampled_from([not value, int(value), "yes", None])
    if isinstance(value, (int, float)):
        return st.sampled_from([0, -1, -value, value + 0.5, float(value), value * 10**30, 2 * value + 1,
                                float("nan"), float("inf"), str(value)])
    if isinstance(value, str):
        return st.sampled_from(["", value + "x", value.upper(), f"{value}\n{value}", 0])
    if isinstance(value, list):
        options = [[], [None], value[::-1], [*value, "no-such-name"], [*value, 0]]
        if value:
            options += [[*value, value[0]], [value[0], value[0]], [value[0], {"x": 1}], value[:1]]
        return st.sampled_from(options)
    if isinstance(value, dict):
        return st.sampled_from([{}, [], {**value, "no_such_key": 1}, "x"])
    return JUNK


def dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def names_the_key(message: str, path: tuple) -> bool:
    """The message names `section.key` as mutated or an enclosing key (`synthetic.noise_sd`
    for `synthetic.noise_sd.quality`), or the section itself (`section 'train'`)."""
    names = {dotted(path[:i]) for i in range(min(2, len(path)), len(path) + 1)} | {f"'{path[0]}'"}
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", message) for n in names)


def registry_checks(params) -> None:
    """What stages check before any work, beyond the typed config."""
    check_backbone_names(params.backbones)
    check_model_names(params.idsds.models, params.idsds.weights)
    check_method_names(params.idsds.score.methods)


def mutate(data: st.DataObject) -> tuple[dict, tuple]:
    """A deep copy of the repository's params with one mutation, and the mutated key's path."""
    params = copy.deepcopy(BASE)
    kind = data.draw(st.sampled_from(["near", "near", "junk", "junk", "add", "delete"]), label="kind")
    if kind == "add":
        parent = data.draw(st.sampled_from(MAPPINGS), label="mapping")
        node = params
        for key in parent:
            node = node[key]
        key = data.draw(NEW_KEY.filter(lambda k: k not in node), label="new key")
        node[key] = data.draw(JUNK, label="value")
        return params, (*parent, key)
    path = data.draw(st.sampled_from(KEYS), label="key")
    node = params
    for key in path[:-1]:
        node = node[key]
    if kind == "delete":
        del node[path[-1]]
    else:
        node[path[-1]] = data.draw(near(node[path[-1]]) if kind == "near" else JUNK, label="value")
    return params, path


@pytest.fixture(scope="module")
def params_file(tmp_path_factory):
    return tmp_path_factory.mktemp("params") / "params.yaml"


def test_the_repository_params_pass_every_check():
    registry_checks(load_all_params(REPO / "params.yaml"))


@settings(max_examples=300, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_one_mutation_ends_in_a_config_or_one_line_error_naming_the_key(params_file, data):
    params, path = mutate(data)
    params_file.write_text(yaml.safe_dump(params, sort_keys=False))
    try:
        registry_checks(load_all_params(params_file))
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < 600, message
        assert names_the_key(message, path), f"{dotted(path)} not named in: {message}"


def test_the_mutations_reach_every_section_and_the_key_check_is_strict():
    """The property above is not vacuous: every section's keys can be mutated, and naming
    a neighbouring key (train.seed for train.seeds) does not count."""
    assert {p[0] for p in KEYS} == set(BASE) and len(KEYS) > 150
    assert names_the_key("params.yaml: train.seeds must be >= 1", ("train", "seeds"))
    assert names_the_key("params.yaml: synthetic.noise_sd needs exactly", ("synthetic", "noise_sd", "quality"))
    assert names_the_key("params.yaml: section 'explain' must be a mapping", ("explain",))
    assert not names_the_key("params.yaml: train.seeds must be >= 1", ("train", "seed"))
    assert not names_the_key("params.yaml: pretrain.seed must be >= 0", ("train", "seed"))
