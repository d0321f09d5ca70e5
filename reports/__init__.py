"""PDF reports for officials: a feeder, a district or the state over a period (DESIGN §10).

    report = build_report(engine, Scope("district", "Wayanad"), parse_period(a, b), "ml")
    reports.render.write_pdf(report, path)   # Jinja2 + WeasyPrint, charts as SVG
    reports.render.write_csv(report, path)   # the annex: every number of every table

`build_report` reads the store (rollups and events) and computes the model (`reports.model`);
rendering only lays it out. `python -m reports` does both from the command line.
"""

from __future__ import annotations

from reports.build import LANGUAGES, build_report
from reports.model import Report
from reports.scope import Period, ReportArgumentError, Scope, parse_period

__all__ = [
    "LANGUAGES",
    "Period",
    "Report",
    "ReportArgumentError",
    "Scope",
    "build_report",
    "parse_period",
]
