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
from components.strings import text
from components.tables import fmt_time
from reports.periods import PERIOD_KINDS
from reports.runs import LANGUAGE_NAMES, Run
from reports.scope import Scope

POLL_MS: Final = 1_000
"""How often a followed run's progress is read [ms]."""
DEFAULT_PERIOD: Final = "week"


def scope_data(scope: Scope | None) -> dict[str, str | None] | None:
    """Return a scope as the REPORTS_SCOPE store keeps it."""
    return None if scope is None else {"kind": scope.kind, "name": scope.name}


def build_export_panel(
    scope: Scope | None,
    today: date,
    *,
    run_id: int | None = None,
    title: str | None = None,
    scope_fields: Any = None,
) -> html.Section:
    """Return the export panel: for a fixed `scope` (the feeder page), or with `scope_fields`
    that set it (the reports page); `title` None: "Export PDF"."""
    day = text("log_date_format")
    return html.Section(
        [
            html.H2(text("feeder_export_pdf") if title is None else title),
            scope_fields,
            dcc.Store(id=ids.REPORTS_SCOPE, data=scope_data(scope)),
            dcc.Store(id=ids.REPORTS_RUN, data=run_id),
            dcc.Interval(id=ids.REPORTS_POLL, interval=POLL_MS, disabled=run_id is None),
            dcc.Download(id=ids.REPORTS_DOWNLOAD),
            html.Div(
                [
                    field(
                        text("reports_period"),
                        dcc.RadioItems(
                            id=ids.REPORTS_PERIOD,
                            options=[
                                {"label": text(f"reports_period_{k}"), "value": k}
                                for k in PERIOD_KINDS
                            ],
                            value=DEFAULT_PERIOD,
                            inline=True,
                        ),
                    ),
                    field(
                        text("reports_day_in_it"),
                        dcc.Input(
                            id=ids.REPORTS_DAY,
                            type="text",
                            value=today.isoformat(),
                            placeholder=day,
                            size="10",
                            debounce=True,
                        ),
                        id=ids.REPORTS_DAY_FIELD,
                    ),
                    html.Div(
                        [
                            field(
                                text("reports_from"),
                                dcc.Input(
                                    id=ids.REPORTS_FROM,
                                    type="text",
                                    placeholder=day,
                                    size="10",
                                    debounce=True,
                                ),
                            ),
                            field(
                                text("reports_to"),
                                dcc.Input(
                                    id=ids.REPORTS_TO,
                                    type="text",
                                    value=today.isoformat(),
                                    placeholder=day,
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
                        text("reports_language"),
                        dcc.RadioItems(
                            id=ids.REPORTS_LANG,
                            options=[{"label": n, "value": k} for k, n in LANGUAGE_NAMES.items()],
                            value="en",
                            inline=True,
                        ),
                    ),
                    html.Button(
                        text("feeder_export_pdf"),
                        id=ids.REPORTS_EXPORT,
                        className="sp-button sp-button-primary",
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


def download_button(run_id: int, label: str | None = None) -> html.Button:
    """Return the button that downloads a done run's PDF (`label` None: "Download")."""
    return html.Button(
        text("reports_download") if label is None else label,
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
            return text(
                "reports_retrying",
                attempt=run.attempts,
                error=run.error,
                at=fmt_time(run.next_try_at),
            )
        if not ahead:
            return text("reports_queued")
        return text("reports_queued_one" if ahead == 1 else "reports_queued_many", count=ahead)
    if run.status == "running":
        share = run.progress or 0.0
        stage = run.stage or text("reports_starting")
        return text("reports_rendering", stage=stage, share=f"{share:.0%}")
    if run.status == "done":
        return text("reports_ready", pages=run.pages, size=size_text(run.size_bytes))
    return text(
        "reports_failed_one" if run.attempts == 1 else "reports_failed_many",
        count=run.attempts,
        error=run.error or text("reports_no_error_text"),
    )


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
        children.append(download_button(run.run_id, text("reports_download_again")))
    return html.Div(children, className=f"sp-report-run sp-report-{run.status}")
