"""The report's opening screen: one row per verdict of the metrics, each with the metric's state."""

import json

import pytest

from rashomon.report.verdict_screen import READERS, verdict_rows, verdict_screen
from tests.conftest import REPO


def _state(value):
    return "true" if value is True else "false" if value is False else "undefined"


def _expected(m: dict) -> list[str]:
    """Every verdict of the committed metrics, read independently of the screen, in its order."""
    out = [_state(e["within_exceeds_across"]) for e in m["consistency"]["methods"].values()]
    out += [_state(m["ensemble"][f"{k}_beats_best_single"]) for k in ("bagging", "stacking")]
    out += [_state(e["relies_on_artifact"]) for e in m["reliance"]["architectures"].values()]
    out += [_state(e["beats_references"]["value"]) for e in m["groundtruth"]["methods"].values()
            if "beats_references" in e]
    out += [_state(e[k]) for e in m["controls"]["methods"].values() for k in ("credited", "finds_detector_cue")]
    out += [_state(e["passes"]) for e in m["sanity"]["methods"].values()]
    return out


@pytest.fixture(scope="module")
def committed() -> dict:
    return {name: json.loads((REPO / "metrics" / f"{name}.json").read_text()) for name in READERS}


def test_every_committed_verdict_has_a_row_with_its_state_and_n(committed):
    rows = verdict_rows(committed)
    assert [r["verdict"].split(" ")[0] for r in rows] == _expected(committed)
    assert all(r["n"] is not None and r["correction"] for r in rows)
    html = verdict_screen(committed)
    assert html.count("<tr>") == len(rows) + 1
    counts = [sum(r["verdict"].startswith(s) for r in rows) for s in ("true", "false", "undefined")]
    assert f"{counts[0]} true, {counts[1]} false, {counts[2]} undefined." in html


def test_a_verdict_that_is_not_true_says_why_and_absent_metrics_add_no_rows(committed):
    m = {"consistency": json.loads(json.dumps(committed["consistency"]))}
    method = next(iter(m["consistency"]["methods"]))
    entry = m["consistency"]["methods"][method]
    entry["within_exceeds_across"] = False
    entry["not_true"] = {"within_exceeds_across": "Holm-adjusted p 0.09 >= 0.05 over 3 methods"}
    row = verdict_rows(m)[0]
    assert row["verdict"] == "false (Holm-adjusted p 0.09 >= 0.05 over 3 methods)" and row["area"] == "consistency"
    assert verdict_rows({"groundtruth": {"skipped": "no ground truth"}, "controls": None}) == []
    assert "No verdicts yet" in verdict_screen({})
