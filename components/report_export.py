"""The report export panel (period, language, Export PDF, progress, download) and how a run
is shown: on the reports page and, for its feeder, on the feeder page.

Both pages carry the same component ids, so that the callbacks of pages/reports.py serve the
panel wherever it is. The panel follows one run (`ids.REPORTS_RUN`): the store is polled until
the run is done, when its PDF downloads by itself, or failed, when its error is shown.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any, Final

from dash import dcc, html

from components import ids
from components.admin_table import field
from components.tables import fmt_time
from reports.periods import PERIOD_KINDS
from reports.runs import LANGUAGE_NAMES, Run
from reports.scope import Scope

POLL_MS: Final = 1_000
"""How often a followed run's progress is read [ms]."""
PERIOD_LABELS: Final = {"day": "Day", "week": "Week", "month": "Month", "custom": "Custom"}
DEFAULT_PERIOD: Final = "week"


def scope_data(scope: Scope | None) -> dict[str, str | None] | None:
    """Return a scope as the REPORTS_SCOPE store keeps it."""
    return None if scope is None else {"kind": scope.kind, "name": scope.name}


def build_export_panel(
    scope: Scope | None,
    today: date,
    *,
    run_id: int | None = None,
    title: str = "Export PDF",
    scope_fields: Any = None,
) -> html.Section:
    """Return the export panel: for a fixed `scope` (the feeder page), or with `scope_fields`
    that set it (the reports page)."""
    return html.Section(
        [
            html.H2(title),
            scope_fields,
            dcc.Store(id=ids.REPORTS_SCOPE, data=scope_data(scope)),
            dcc.Store(id=ids.REPORTS_RUN, data=run_id),
            dcc.Interval(id=ids.REPORTS_POLL, interval=POLL_MS, disabled=run_id is None),
            dcc.Download(id=ids.REPORTS_DOWNLOAD),
            html.Div(
                [
                    field(
                        "Period (IST)",
                        dcc.RadioItems(
                            id=ids.REPORTS_PERIOD,
                            options=[{"label": PERIOD_LABELS[k], "value": k} for k in PERIOD_KINDS],
                            value=DEFAULT_PERIOD,
                            inline=True,
                        ),
                    ),
                    field(
                        "Day in it",
                        dcc.Input(
                            id=ids.REPORTS_DAY,
                            type="text",
                            value=today.isoformat(),
                            placeholder="YYYY-MM-DD",
                            size="10",
                            debounce=True,
                        ),
                        id=ids.REPORTS_DAY_FIELD,
                    ),
                    html.Div(
                        [
                            field(
                                "From",
                                dcc.Input(
                                    id=ids.REPORTS_FROM,
                                    type="text",
                                    placeholder="YYYY-MM-DD",
                                    size="10",
                                    debounce=True,
                                ),
                            ),
                            field(
                                "To",
                                dcc.Input(
                                    id=ids.REPORTS_TO,
                                    type="text",
                                    value=today.isoformat(),
                                    placeholder="YYYY-MM-DD",
                                    size="10",
                                    debounce=True,
                                ),
                            ),
                        ],
                        id=ids.REPORTS_CUSTOM_FIELDS,
                        className="sp-filters",
                        style={"display": "none"},
                    ),
                    field(
                        "Language",
                        dcc.RadioItems(
                            id=ids.REPORTS_LANG,
                            options=[{"label": n, "value": k} for k, n in LANGUAGE_NAMES.items()],
                            value="en",
                            inline=True,
                        ),
                    ),
                    html.Button(
                        "Export PDF", id=ids.REPORTS_EXPORT, className="sp-button sp-button-primary"
                    ),
                ],
                className="sp-filters sp-report-form",
            ),
            html.P(id=ids.REPORTS_PERIOD_TEXT, className="sp-hint"),
            html.Div(id=ids.REPORTS_STATUS, className="sp-status", role="status"),
        ],
        className="sp-section sp-report-export",
    )


def download_data(data: bytes, filename: str, mime: str = "application/pdf") -> dict[str, Any]:
    """Return a file as the dcc.Download component takes it (base64 content)."""
    return {
        "content": base64.b64encode(data).decode("ascii"),
        "filename": filename,
        "type": mime,
        "base64": True,
    }


def download_button(run_id: int, label: str = "Download") -> html.Button:
    """Return the button that downloads a done run's PDF."""
    return html.Button(
        label,
        id={"type": ids.REPORTS_GET_TYPE, "run": run_id},
        className="sp-button sp-report-get",
    )


def size_text(size_bytes: int | None) -> str:
    """Return a file size as "182 kB" or "2.4 MB"."""
    if size_bytes is None:
        return ""
    if size_bytes < 1_000_000:
        return f"{max(size_bytes / 1000, 0.1):.0f} kB"
    return f"{size_bytes / 1_000_000:.1f} MB"


def status_text(run: Run, ahead: int = 0) -> str:
    """Return where a run stands, in one line."""
    if run.status == "queued":
        if run.attempts and run.error:
            return (
                f"Try {run.attempts} failed ({run.error}); tried again after "
                f"{fmt_time(run.next_try_at)} IST."
            )
        return "Queued" + (
            f": {ahead} report{'s' if ahead != 1 else ''} before it." if ahead else "."
        )
    if run.status == "running":
        share = run.progress or 0.0
        return f"Rendering: {run.stage or 'starting'} ({share:.0%})."
    if run.status == "done":
        return f"Ready: {run.pages} pages, {size_text(run.size_bytes)}."
    tries = f"{run.attempts} tr{'y' if run.attempts == 1 else 'ies'}"
    return f"Failed after {tries}: {run.error or 'no error text'}"


def build_status(run: Run | None, ahead: int = 0) -> html.Div | str:
    """Return the followed run's status: a line, a progress bar while it renders, and a
    download button once it is done."""
    if run is None:
        return ""
    children: list[Any] = [html.Span(run.title, className="sp-report-title")]
    children.append(html.Span(status_text(run, ahead), className="sp-report-state"))
    if run.status in ("queued", "running"):
        share = run.progress or 0.0 if run.status == "running" else 0.0
        children.append(
            html.Progress(
                value=f"{share:.3f}", max="1", className="sp-report-progress", title=f"{share:.0%}"
            )
        )
    if run.status == "done":
        children.append(download_button(run.run_id, "Download again"))
    return html.Div(children, className=f"sp-report-run sp-report-{run.status}")
