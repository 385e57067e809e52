"""Metrics schemas: the repository's metrics fit theirs, and what does not fit is one error
naming the file and the key."""

import json
from typing import NotRequired, TypedDict

import pytest

from rashomon.core.errors import InputError
from rashomon.report.schemas import SCHEMAS, schema_for
from rashomon.groundtruth.groundtruth_schema import GroundtruthMetrics
from rashomon.core.metrics import read_metrics, schema_errors, write_metrics
from tests.conftest import REPO


class Entry(TypedDict):
    n: int
    r: float
    verdict: bool | None
    note: NotRequired[str]


class Report(TypedDict):
    label: str
    entries: dict[str, Entry]
    ids: list[int]


GOOD = {"label": "x", "entries": {"a": {"n": 3, "r": 0.5, "verdict": None}, "b": {"n": 2, "r": None,
                                                                                 "verdict": True, "note": "y"}},
        "ids": [1, 2]}


def test_a_report_that_fits_has_no_errors_and_every_misfit_is_named():
    assert schema_errors(GOOD, Report, "") == []
    bad = {"label": 1, "entries": {"a": {"n": 2.5, "r": "high", "verdict": "yes", "extra": 0}}, "ids": [1, "2"]}
    errors = schema_errors(bad, Report, "")
    assert errors == [".label must be str, got 1", ".entries.a.extra: unknown key (known: n, r, verdict, note)",
                      ".entries.a.n must be an integer, got 2.5", ".entries.a.r must be a number, got 'high'",
                      ".entries.a.verdict must be bool, got 'yes'", ".ids[1] must be an integer, got '2'"]
    assert schema_errors({"entries": {}, "ids": []}, Report, "") == [".label: missing"]


def test_write_checks_the_json_form_and_read_checks_the_file(tmp_path):
    path = tmp_path / "m.json"
    write_metrics(path, {**GOOD, "entries": {"a": {"n": 1, "r": float("nan"), "verdict": False}}}, Report)
    assert json.loads(path.read_text())["entries"]["a"]["r"] is None   # NaN is written (and checked) as null
    with pytest.raises(InputError, match=r"m2.json: does not fit its schema Report: entries.a.n: missing") as info:
        write_metrics(tmp_path / "m2.json", {**GOOD, "entries": {"a": {"r": 1.0, "verdict": None}}}, Report)
    assert "\n" not in str(info.value) and not (tmp_path / "m2.json").exists()   # nothing half-written
    path.write_text(json.dumps({"label": "x", "entries": {}}))
    with pytest.raises(InputError, match=r"m.json: does not fit its schema Report: ids: missing"):
        read_metrics(path, Report)


def test_a_skipped_stage_fits_its_union_schema():
    assert schema_errors({"skipped": "no twins"}, GroundtruthMetrics, "") == []
    assert schema_errors({"skipped": 3}, GroundtruthMetrics, "")


@pytest.mark.parametrize("path", sorted((REPO / "metrics").glob("*.json")), ids=lambda p: p.stem)
def test_every_committed_metrics_file_fits_its_schema(path):
    assert schema_errors(json.loads(path.read_text()), schema_for(path.name), "") == []


def test_every_metrics_file_in_dvc_yaml_has_a_schema():
    import yaml

    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    files = [next(iter(m)) if isinstance(m, dict) else m for s in stages.values() for m in s.get("metrics", [])]
    names = {f.rsplit("/", 1)[-1].removesuffix(".json").replace("${item.method}", "gradcam") for f in files}
    assert names and all(schema_for(n) in SCHEMAS.values() for n in names)
