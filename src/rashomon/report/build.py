"""The report page from whatever metrics exist: every section is shown or says why it is
not, and each names the data it shows (real or SYNTHETIC, from the metrics' own labels;
the dataset and its folder from the params)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from rashomon.core.errors import InputError
from rashomon.report.schemas import schema_for
from rashomon.core.metrics import read_metrics
from rashomon.report import sections
from rashomon.report.verdict_screen import verdict_screen
from rashomon.report.html import image, labelled, page, section

log = logging.getLogger("rashomon.report")

METRICS = ("reliability", "train", "consistency", "ensemble", "groundtruth", "controls", "reliance", "sanity", "idsds",
           "counterfactual", "generator")
RATED = ("reliability", "train", "reliance", "groundtruth")   # metrics of the rated images that carry a label
TITLE = "rashomon: are explanations of authenticity judgments identifiable?"
SYNTHETIC_BANNER = "SYNTHETIC data: simulated raters and backbones pretrained on synthetic scenes; not human judgments"

Metrics = Mapping[str, Any]


@dataclass(frozen=True)
class DataSource:
    """Where the params say the data are (whether they are real or SYNTHETIC: the metrics say)."""

    source: str    # data.source
    root: str      # data.root
    idsds: str     # idsds.data


@dataclass(frozen=True)
class Label:
    """What a section shows: the label text, and whether the data are SYNTHETIC."""

    text: str
    synthetic: bool


def load_metrics(folder: Path) -> dict[str, Metrics | None]:
    """Every metrics file the report reads, checked against its schema; None where it is
    absent (its stage has not run)."""
    out: dict[str, Metrics | None] = {}
    for name in METRICS:
        path = Path(folder) / f"{name}.json"
        try:
            out[name] = read_metrics(path, schema_for(name)) if path.is_file() else None
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    return out


def is_synthetic(m: Metrics | None) -> bool:
    """Whether a metrics file says it was computed on SYNTHETIC data."""
    return "SYNTHETIC" in str((m or {}).get("label", ""))


def rated_label(m: Mapping[str, Metrics | None], data: DataSource) -> Label | None:
    """The rated images' data: SYNTHETIC if any of their metrics says so, else real; None if none exists."""
    where = f"{data.source} folder {data.root}"
    for name in RATED:
        if is_synthetic(m[name]):
            return Label(f"{m[name]['label']} ({where})", True)
    if any(m[name] is not None for name in RATED):
        return Label(f"real data: {where}", False)
    return None


def idsds_label(m: Metrics | None, data: DataSource) -> Label | None:
    """The IDSDS benchmark's data, from metrics/idsds.json's label (None: unknown, the file is absent)."""
    if m is None:
        return None
    if is_synthetic(m):
        return Label(f"{m['label']} ({data.idsds})", True)
    return Label(f"real data: CIFAR-100 ({data.idsds})", False)


def _part(title: str, m: Mapping[str, Metrics | None], needs: Sequence[str], render: Callable[[], str],
          label: Label) -> str:
    """A section, or a note naming the absent metrics; labelled with its data."""
    absent = [n for n in needs if m[n] is None]
    html = (section(title, f"Not shown: {', '.join(f'metrics/{n}.json' for n in absent)} absent (the stage that "
                           "writes it has not run).") if absent else render())
    return labelled(html, label.text, label.synthetic)


def build_page(m: Mapping[str, Metrics | None], plots: Path, data: DataSource) -> str:
    """The report's HTML from metrics `m` (None = absent) and the figures under `plots`."""
    rated = rated_label(m, data) or Label("unknown (no metrics of the rated images yet)", False)
    idsds = idsds_label(m["idsds"], data) or Label(f"unknown (metrics/idsds.json absent; idsds.data: {data.idsds})",
                                                   False)
    figures = sorted((plots / "explain").glob("*.png"))[:3]
    parts = [
        labelled(verdict_screen(m), rated.text, rated.synthetic),
        _part("Ratings: reliability and noise ceiling", m, ["reliability"],
              lambda: sections.reliability(m["reliability"], plots), rated),
        _part("Prediction per architecture against the ceiling", m, ["train"],
              lambda: sections.prediction(m["train"], plots), rated),
        _part("Quality diagnostic", m, ["train"], lambda: sections.quality(m["train"]), rated),
        _part("Consistency of explanations", m, ["consistency"],
              lambda: sections.consistency(m["consistency"], plots), rated),
        _part("Ensembles", m, ["ensemble"], lambda: sections.ensemble(m["ensemble"]), rated),
        _part("Ground truth", m, ["groundtruth"], lambda: sections.groundtruth(m["groundtruth"], m["reliance"], plots),
              rated),
        _part("Controls", m, ["controls"], lambda: sections.controls(m["controls"]), rated),
        _part("Counterfactuals", m, ["counterfactual"],
              lambda: sections.counterfactual(m["counterfactual"], m["generator"], plots), rated),
        _part("Sanity checks", m, ["sanity"], lambda: sections.sanity(m["sanity"], plots), rated),
        _part("IDSDS benchmark", m, ["idsds"], lambda: sections.idsds(m["idsds"], plots), idsds),
        labelled(section("Explanations, image by image", "Each architecture's prototype map per method; red raises, "
                         "blue lowers predicted authenticity (yellow outline: the artifact, synthetic data only).",
                         *([image(f, f.stem) for f in figures] or
                           ['<p class="missing">(no figures: plots/explain/ holds none)</p>'])),
                 rated.text, rated.synthetic),
    ]
    absent = [n for n in METRICS if m[n] is None]
    if absent:
        log.info("not shown (metrics absent): %s", ", ".join(absent))
    kind = "SYNTHETIC" if rated.synthetic else "real" if rated_label(m, data) else "unknown: no metrics of it yet"
    source = f"Data: {data.source} folder {data.root} ({kind})"
    if m["idsds"] is not None:
        source += f"; IDSDS benchmark: {data.idsds} ({'SYNTHETIC' if idsds.synthetic else 'real'})"
    banner = SYNTHETIC_BANNER if rated.synthetic else None
    return page(TITLE, banner, parts, source + ".")
