"""Lay a computed report out: HTML from a Jinja2 template, the PDF by WeasyPrint, the CSV annex.

WeasyPrint needs Pango (and its fonts) from the operating system; the report asks for Noto Sans
and Noto Sans Malayalam (Debian: fonts-noto-core). Everything from the store is inserted as
text (autoescaped), the charts as SVG images. WeasyPrint keeps memory after a document, so long
runs belong in a worker process (`python -m reports`), not in the web process.
"""

from __future__ import annotations

import base64
import csv
import math
import re
from functools import cache
from pathlib import Path
from typing import Any, Final

import jinja2
from markupsafe import Markup
from weasyprint import HTML  # type: ignore[import-untyped]

from grid.feeder_states import NEUTRAL_LIMIT_SHARE, SEVERITY, STATE_LOOKS
from reports import charts
from reports.model import Report
from reports.strings import strings
from reports.tables import Cell, build_tables, ist, number

TEMPLATES: Final = Path(__file__).with_name("templates")
"""The report's template and style sheet."""


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=number, pct=percent, svg=svg_uri, css=css_string, ist=ist)
    return env


def percent(share: float | None, decimals: int = 1) -> str:
    """Return a share as "97.5 %"; "—" for None."""
    return "—" if share is None else f"{number(100.0 * share, decimals)} %"


def svg_uri(svg: str | None) -> str:
    """Return an SVG document as a data URI for an <img>."""
    if svg is None:
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


_CSS_UNSAFE: Final = re.compile(r'[\\"<>\n\r]')


def css_string(text: str) -> Markup:
    """Return text as the inside of a CSS string (for the page footer), escaped."""
    return Markup(_CSS_UNSAFE.sub(lambda m: f"\\{ord(m.group()):x} ", text))


def context(report: Report) -> dict[str, Any]:
    """Return what the template lays out: the model, its tables, charts and strings."""
    t = strings(report.lang)
    tables = build_tables(report, t)
    p = report.period
    previous = p.previous()
    worst_voltage = max(
        (f for f in report.feeders if f.voltage_p95_pct is not None),
        key=lambda f: f.voltage_p95_pct or 0.0,
        default=None,
    )
    return {
        "report": report,
        "t": t,
        "tables": tables,
        "scope_label": t[f"scope_{report.scope.kind}"],
        "period_text": t["period_value"].format(first=p.first_day, last=p.last_day, days=p.days),
        "previous_text": t["key_note"].format(
            days=previous.days, first=previous.first_day, last=previous.last_day
        ),
        "limit_share": f"{NEUTRAL_LIMIT_SHARE * 100:.0f} %",
        "worst_voltage": worst_voltage,
        "states": [
            (STATE_LOOKS[s].color, t[f"state_{s}"], report.state_counts.get(s, 0))
            for s in (*SEVERITY,)
            if s != "manual"
        ],
        "charts": {
            "phase": charts.phase_chart(report.charts, t),
            "neutral": charts.neutral_chart(report.charts, t),
            "heat": charts.heat_chart(report.charts, t),
            "map": charts.map_chart(report.map_points, report.map_district),
        },
        "single": report.scope.kind == "feeder",
        "step_key": "hour" if report.charts.step_h == 1 else "day",
    }


def html(report: Report) -> str:
    """Return the report as one HTML document."""
    return _environment().get_template("report.html.j2").render(context(report))


def write_pdf(report: Report, path: Path) -> int:
    """Write the report as a PDF; return its page count."""
    document = HTML(string=html(report), base_url=str(TEMPLATES)).render()
    document.write_pdf(path)
    return len(document.pages)


def write_csv(report: Report, path: Path) -> int:
    """Write the CSV annex, every row of every table, section after section; return the rows.

    Each section is a line with its key and title, the column headings, the rows (numbers in
    full) and an empty line. Times are IST.
    """
    tables = build_tables(report, strings(report.lang))
    written = 0
    with path.open("w", encoding="utf-8", newline="") as file:
        out = csv.writer(file)
        for table in tables.values():
            out.writerow([f"# {table.key}", table.title])
            out.writerow([c.label for c in table.columns])
            for row in table.rows:
                out.writerow([_csv_value(v) for v in row])
                written += 1
            out.writerow([])
    return written


def _csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if not math.isfinite(value) else f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)
