"""Building blocks of a self-contained HTML page (inline CSS, PNGs as data URIs)."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}td,th{border:1px solid #ccc;padding:.25em .55em;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.meaning{color:#555;font-style:italic;margin:.2em 0 .6em}.banner{background:#b00020;color:#fff;padding:.6em 1em;
font-weight:bold;border-radius:4px}img{max-width:100%;border:1px solid #eee;margin:.4em 0}
.missing{color:#b00020}.source{background:#e8eef7;padding:.6em 1em;border-radius:4px}
.data{font-size:.85em;font-weight:bold;color:#555;margin:.1em 0}.data.synthetic{color:#b00020}
"""


def fmt(value: Any) -> str:
    """Numbers to 3 significant decimals; NaN/None as an en dash; booleans as yes/no."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.3g}" if abs(value) < 1e-3 and value != 0 else f"{value:.3f}"
    return html.escape(str(value))


def with_ci(value: Any, low: Any, high: Any) -> str:
    """A number with its 95% interval: "0.62 [0.55, 0.70]" (the interval left out where undefined)."""
    if low is None or high is None or (isinstance(low, float) and math.isnan(low)):
        return fmt(value)
    return f"{fmt(value)} [{fmt(low)}, {fmt(high)}]"


def verdict(value: bool | None, reason: str | None = None) -> str:
    """A yes/no verdict; None (inputs missing or NaN) is "undefined", with its reason."""
    if value is None:
        return "undefined" + (f" ({reason})" if reason else "")
    return "yes" if value else "no"


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """An HTML table of dict rows (columns: the first row's keys unless given)."""
    if not rows:
        return '<p class="missing">(no rows)</p>'
    columns = list(columns or rows[0].keys())
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{fmt(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def image(path: Path, alt: str) -> str:
    """A PNG embedded as a data URI (a note instead when the file is absent)."""
    if not Path(path).is_file():
        return f'<p class="missing">({html.escape(str(path))} not found)</p>'
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def section(title: str, meaning: str, *content: str) -> str:
    """A titled section with one line saying what it means."""
    return f"<h2>{html.escape(title)}</h2><p class=\"meaning\">{html.escape(meaning)}</p>" + "".join(content)


def labelled(section_html: str, label: str, synthetic: bool) -> str:
    """A section with a line naming its data right under its title."""
    title_end = section_html.index("</h2>") + len("</h2>")
    tag = f'<p class="data{" synthetic" if synthetic else ""}">Data: {html.escape(label)}</p>'
    return section_html[:title_end] + tag + section_html[title_end:]


def page(title: str, banner: str | None, sections: Sequence[str], source: str | None = None) -> str:
    """The whole page: title, the SYNTHETIC banner (if any), the data-source line, the sections."""
    top = f'<div class="banner">{html.escape(banner)}</div>' if banner else ""
    top += f'<p class="source">{html.escape(source)}</p>' if source else ""
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{top}{''.join(sections)}</body></html>")
