"""Log (/log): every switch and command with who, why and result, every user action and every
denial; filters and a CSV export of what is shown."""

from __future__ import annotations

from typing import Any, Final

import dash
from dash import Input, Output, callback, dcc, html

from components import access, ids, runtime
from components.activity_log import PAGE_LIMIT, FilterError, export_href, parse_filter
from components.layout import build_page
from components.tables import build_table, fmt_time
from store.activity import LOG_KINDS, activity

dash.register_page(__name__, path="/log", title="SmartPhase · Log", name="Log")

COLUMNS: Final = (
    ("ts", "Time (IST)"),
    ("kind", "Kind"),
    ("who", "Who"),
    ("action", "Action"),
    ("target", "Target"),
    ("why", "Why / detail"),
    ("result", "Result"),
)

RESULTS: Final = (
    "ok", "denied", "failed",
    "requested", "sent", "acknowledged", "applied", "rejected", "rolled_back",
)  # fmt: skip
"""Results to filter on: audit outcomes, then command states and switch results."""


def layout(**_query: str) -> html.Main:
    """Return the page: filters, the export link, the count and the log table."""
    return build_page(
        "Log",
        html.Div(
            [
                _field("Kind", dcc.Dropdown(list(LOG_KINDS), id=ids.LOG_KIND, placeholder="all")),
                _field("Feeder", dcc.Input(id=ids.LOG_FEEDER, debounce=True)),
                _field("User", dcc.Input(id=ids.LOG_USER, debounce=True)),
                _field(
                    "Result", dcc.Dropdown(list(RESULTS), id=ids.LOG_OUTCOME, placeholder="any")
                ),
                _field("From", dcc.Input(id=ids.LOG_FROM, placeholder="YYYY-MM-DD", debounce=True)),
                _field("To", dcc.Input(id=ids.LOG_TO, placeholder="YYYY-MM-DD", debounce=True)),
            ],
            className="sp-filters",
        ),
        html.Div(
            [
                html.Span(id=ids.LOG_COUNT, className="sp-message", role="status"),
                html.A("Export CSV", id=ids.LOG_EXPORT, href="/log.csv", className="sp-button"),
            ],
            className="sp-toolbar",
        ),
        html.Div(id=ids.LOG_TABLE),
    )


def _field(label: str, control: Any) -> html.Label:
    return html.Label([html.Span(label), control], className="sp-field")


@callback(
    Output(ids.LOG_TABLE, "children"),
    Output(ids.LOG_COUNT, "children"),
    Output(ids.LOG_EXPORT, "href"),
    Input(ids.LOG_KIND, "value"),
    Input(ids.LOG_FEEDER, "value"),
    Input(ids.LOG_USER, "value"),
    Input(ids.LOG_OUTCOME, "value"),
    Input(ids.LOG_FROM, "value"),
    Input(ids.LOG_TO, "value"),
)
@access.read_only
def show_log(
    kind: str | None,
    feeder: str | None,
    user: str | None,
    result: str | None,
    start: str | None,
    end: str | None,
) -> tuple[Any, str, str]:
    """Return the filtered log, its count line and the export link for the same filters."""
    values = {"kind": kind, "feeder": feeder, "user": user, "result": result}
    values |= {"from": start, "to": end}
    try:
        log_filter = parse_filter(values)
    except FilterError as err:
        return html.Div(), f"Filter not applied: {err}", export_href({})
    with runtime.engine().connect() as conn:
        entries = activity(conn, log_filter, limit=PAGE_LIMIT)
    rows = [
        {**e.as_row(), "ts": fmt_time(e.ts), "class": f"sp-log-{e.kind} sp-result-{e.result}"}
        for e in entries
    ]
    count = f"{len(rows)} entries" + (f" (newest {PAGE_LIMIT})" if len(rows) >= PAGE_LIMIT else "")
    table = build_table(COLUMNS, rows, empty="No entries match.", row_class="class")
    return table, count, export_href(values)
