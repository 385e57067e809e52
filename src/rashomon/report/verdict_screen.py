"""The report's opening screen: every verdict of the pipeline in one table (the claim, true /
false / undefined, n, the evidence with its interval, what it had to beat and the multiplicity
correction), read from the metrics, before the sections give the detail."""

from __future__ import annotations

import math
from typing import Any, Mapping

from rashomon.report.html import fmt, section, table, with_ci

Metrics = Mapping[str, Any]
Row = dict[str, str]


def _state(value: bool | None) -> str:
    return "true" if value is True else "false" if value is False else "undefined"


def _row(area: str, claim: str, value: bool | None, n: Any, evidence: str, against: str, correction: str,
         why: str = "") -> Row:
    return {"area": area, "claim": claim, "verdict": _state(value) + (f" ({why})" if why and value is not True else ""),
            "n": n, "evidence [interval]": evidence, "against": against, "correction": correction}


def _ci(d: Metrics | None, key: str = "difference") -> str:
    return with_ci(d[key], d["ci_low"], d["ci_high"]) if d else "–"


def _gain(g: Metrics | None) -> str:
    return f"PLCC gain {_ci(g)} ({g.get('ci_level', 0.95):.1%} interval)" if g else "–"


def consistency_rows(m: Metrics) -> list[Row]:
    members = ", ".join(m["rashomon_set"]["members"]) or "no architecture"
    rows = []
    for method, e in m["methods"].items():
        d = e["within_minus_across"]
        why = (e.get("undefined") or {}).get("within_exceeds_across") or (e.get("not_true") or {}).get(
            "within_exceeds_across", "")
        seeds = e.get("within_minus_across_seeds_and_images")
        evidence = f"within - across {_ci(d)}; over images and trained variants {_ci(seeds)}"
        rows.append(_row("consistency", f"{method}: maps agree more within an architecture than across the Rashomon "
                         f"set ({members})", e["within_exceeds_across"], d["n"], evidence,
                         "across-architecture agreement", f"Holm over methods, p {fmt(d.get('adjusted_p'))}", why))
    return rows


def ensemble_rows(m: Metrics) -> list[Row]:
    best = m["best_single"]["architecture"]
    return [_row("ensembles", f"{kind} beats the best single architecture", m[f"{kind}_beats_best_single"],
                 m["n_test_images"], _gain(m.get(f"{kind}_minus_best_single_plcc")), str(best),
                 m.get("verdict_family", "none"), (m.get("undefined") or {}).get(f"{kind}_beats_best_single", ""))
            for kind in ("bagging", "stacking")]


def _effect(e: Metrics) -> str:
    return with_ci(e["artifact_effect_mean"], e["artifact_effect_ci_low"], e["artifact_effect_ci_high"])


def reliance_rows(m: Metrics) -> list[Row]:
    return [_row("reliance", f"{name}'s heads use the artifact", e["relies_on_artifact"], e["n_artifact_images"],
                 f"twin effect {_effect(e)}"
                 f", partial r {fmt(e['partial_r_artifact_given_degradation'])}", "the degradation (partial r)",
                 "Holm over variants")
            for name, e in m["architectures"].items()]


def groundtruth_rows(m: Metrics) -> list[Row]:
    rows = []
    for method, e in (m.get("methods") or {}).items():
        claim = e.get("beats_references")
        if not claim:
            continue
        refs = [k.removeprefix("vs_") for k in e if k.startswith("vs_")]
        weakest = min((e[f"vs_{r}"] for r in refs if e.get(f"vs_{r}")), default=None,   # no interval: weakest
                      key=lambda d: -math.inf if d["ci_low"] is None else d["ci_low"])
        best = e.get("best_auroc") or {}
        rows.append(_row("ground truth", f"{method}'s maps point at the artifact (best architecture "
                         f"{best.get('architecture') or '–'}, picked on other images)", claim["value"],
                         weakest["n"] if weakest else None, f"AUROC minus the strongest reference {_ci(weakest)}",
                         ", ".join(refs), f"Holm over methods, p {fmt(claim['adjusted_p'])}", claim["reason"]))
    return rows


def controls_rows(m: Metrics) -> list[Row]:
    rows = []
    for method, e in m["methods"].items():
        for key, claim, versus in (
                ("credited", "credited: cue-only maps beat cue-blind maps and every reference, right sign",
                 "positive_versus"),
                ("finds_detector_cue", "the cue detector's maps beat every reference", "detector_versus")):
            on = e.get(f"{key}_on") or []
            compared = {c for a in e["architectures"].values() for c in a.get(versus) or {}} - {"right_sign"}
            rows.append(_row("controls", f"{method} {claim}", e[key], m["n_images"],
                             f"maps scored on {m['n_images']} images; shown on {', '.join(on) or 'no architecture'}",
                             ", ".join(sorted(compared)) or "–", "Holm over architectures"))
    return rows


def sanity_rows(m: Metrics) -> list[Row]:
    return [_row("sanity", f"{method}'s maps change when the weights are randomised", e["passes"], m.get("n_images"),
                 f"Spearman after full randomisation {fmt(e['spearman_after_full_randomisation'])}", str(m.get("rule")),
                 "none (one check per method)", (e.get("undefined") or {}).get("passes", ""))
            for method, e in m["methods"].items()]


READERS = {"consistency": consistency_rows, "ensemble": ensemble_rows, "reliance": reliance_rows,
           "groundtruth": groundtruth_rows, "controls": controls_rows, "sanity": sanity_rows}


def verdict_rows(metrics: Mapping[str, Metrics | None]) -> list[Row]:
    """Every verdict of the metrics present, in the pipeline's order (a skipped stage adds none)."""
    return [row for name, read in READERS.items()
            if (m := metrics.get(name)) is not None and "skipped" not in m for row in read(m)]


def verdict_screen(metrics: Mapping[str, Metrics | None]) -> str:
    """The opening section: one table of every verdict."""
    rows = verdict_rows(metrics)
    counts = {s: sum(r["verdict"].startswith(s) for r in rows) for s in ("true", "false", "undefined")}
    return section("Every verdict at a glance",
                   "Each claim the pipeline tests: true only when its interval clears every reference after the "
                   "stated correction; undefined when the data cannot decide (too few images, a failed "
                   "manipulation check, a bound within the bootstrap's noise). The sections below give the detail. "
                   f"{counts['true']} true, {counts['false']} false, {counts['undefined']} undefined.",
                   table(rows) if rows else "<p>No verdicts yet (no stage that judges has run).</p>")
