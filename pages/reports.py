"""Reports (/reports): export a PDF report for a feeder, a section office, a district or Kerala
over a day, a week, a month or chosen IST days; follow its progress until it downloads; every
report made, to download again; and, for admins, the report schedules.

Exporting is reading (viewer and above); scheduling is the admin's. Both are authorized on the
server and audited. The page only queues a run in the store (reports.runs): a worker process
(`python -m reports.worker`) renders it, never the web process. The export panel's callbacks
below also serve the panel on the feeder page (components/report_export.py).
`/reports?run=ID` (the link in a report's e-mail) follows that run and downloads it when done;
`/reports?feeder=ID` (or `district=`, `section=`) starts with that scope chosen.
"""

from __future__ import annotations

from typing import Any, Final

import dash
from dash import ALL, Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from components import access, ids, runtime
from components.admin_table import AdminTable, clicked_row, field, form, row_button
from components.layout import build_page
from components.report_export import (
    build_export_panel,
    build_status,
    download_button,
    download_data,
    size_text,
    status_text,
)
from components.strings import page_title, text
from components.tables import build_table, fmt_time
from reports.build import LANGUAGES
from reports.data import scope_feeders
from reports.periods import chosen_period, today_ist
from reports.runs import (
    EXPORT_ACTION,
    LANGUAGE_NAMES,
    ReportFileError,
    Run,
    get_run,
    queue_run,
    read_verified,
    recent_runs,
    waiting_before,
)
from reports.schedules import (
    ADD_ACTION,
    REMOVE_ACTION,
    SCHEDULE_SCOPES,
    Schedule,
    active_schedules,
    add_schedule,
    remove_schedule,
    scope_choices,
)
from reports.scope import ReportArgumentError, Scope, ScopeKind
from store.schema import REPORT_CADENCES

dash.register_page(__name__, path="/reports", title=page_title("reports_title"), name="Reports")

EXPORT_ROLE: Final = "viewer"
"""Exporting a report is reading."""
SCHEDULE_ROLE: Final = "admin"
"""Schedules send reports on their own: an admin's configuration."""
LIST_MS: Final = 5_000
"""How often the list of reports is read again [ms]."""
LIST_LIMIT: Final = 50
SCOPE_LABELS: Final[dict[ScopeKind, str]] = {
    "feeder": "field_feeder",
    "section": "field_section",
    "district": "field_district",
    "state": "reports_kerala",
}
"""The string key of each kind of scope's label (components/strings)."""
RUN_COLUMNS: Final = ("asked", "report", "by", "status", "file")
"""The reports table's columns; each heading is the string `reports_col_<column>`."""
SCHEDULE_COLUMNS: Final = ("schedule", "to", "added_by", "since", "remove")
"""The schedules table's columns; each heading is `reports_col_<column>` ("remove": none)."""
SCHEDULES: Final = AdminTable(
    ids.REPORTS_SCHEDULE_MESSAGE, ids.REPORTS_SCHEDULES_CHANGED, ids.REPORTS_SCHEDULES
)
HIDDEN: Final = {"display": "none"}
SHOWN: Final[dict[str, str]] = {}


def layout(
    run: str | None = None,
    feeder: str | None = None,
    section: str | None = None,
    district: str | None = None,
    **_query: str,
) -> html.Main:
    """Return the page: the export panel, the reports made, and the schedules for an admin."""
    kind, name = _preset(feeder, section, district)
    scope_fields = form(
        field(
            text("reports_on"),
            dcc.RadioItems(
                id=ids.REPORTS_SCOPE_KIND,
                options=[{"label": text(key), "value": k} for k, key in SCOPE_LABELS.items()],
                value=kind,
                inline=True,
            ),
        ),
        field(
            text("reports_which"),
            dcc.Dropdown(id=ids.REPORTS_SCOPE_NAME, value=name, placeholder=text("choose")),
            id=ids.REPORTS_SCOPE_NAME_FIELD,
        ),
    )
    return build_page(
        text("reports_title"),
        build_export_panel(
            None,
            today_ist(),
            run_id=_number(run),
            title=text("reports_export_title"),
            scope_fields=scope_fields,
        ),
        html.Section(
            [
                html.H2(text("reports_made")),
                html.P(text("reports_made_hint"), className="sp-hint"),
                html.Div(id=ids.REPORTS_LIST),
                dcc.Interval(id=ids.REPORTS_LIST_INTERVAL, interval=LIST_MS),
            ],
            className="sp-section",
        ),
        _schedules_section() if access.has_role(SCHEDULE_ROLE) else None,
        class_name="sp-reports-page",
    )


def _preset(
    feeder: str | None, section: str | None, district: str | None
) -> tuple[ScopeKind, str | None]:
    if feeder:
        return "feeder", feeder
    if section:
        return "section", section
    if district:
        return "district", district
    return "feeder", None


def _number(text: Any) -> int | None:
    return int(text) if isinstance(text, str) and text.isdigit() else None


def _schedules_section() -> html.Section:
    return html.Section(
        [
            html.H2(text("reports_schedules")),
            html.P(text("reports_schedules_hint"), className="sp-hint"),
            form(
                field(
                    text("reports_every"),
                    dcc.RadioItems(
                        id=ids.REPORTS_SCHEDULE_CADENCE,
                        options=[
                            {"label": text(f"reports_cadence_{c}"), "value": c}
                            for c in REPORT_CADENCES
                        ],
                        value="monthly",
                        inline=True,
                    ),
                ),
                field(
                    text("reports_per"),
                    dcc.RadioItems(
                        id=ids.REPORTS_SCHEDULE_SCOPE,
                        options=[
                            {"label": text(SCOPE_LABELS[k]), "value": k} for k in SCHEDULE_SCOPES
                        ],
                        value="district",
                        inline=True,
                    ),
                ),
                field(
                    text("reports_which"),
                    dcc.Dropdown(
                        id=ids.REPORTS_SCHEDULE_NAME, placeholder=text("reports_every_district")
                    ),
                ),
                field(
                    text("reports_language"),
                    dcc.RadioItems(
                        id=ids.REPORTS_SCHEDULE_LANG,
                        options=[{"label": LANGUAGE_NAMES[k], "value": k} for k in LANGUAGES],
                        value="en",
                        inline=True,
                    ),
                ),
                field(
                    text("reports_send_to"),
                    dcc.Input(
                        id=ids.REPORTS_SCHEDULE_TO,
                        type="text",
                        placeholder=text("reports_send_to_hint"),
                        size="40",
                    ),
                ),
                html.Button(
                    text("reports_add_schedule"), id=ids.REPORTS_SCHEDULE_ADD, className="sp-button"
                ),
            ),
            SCHEDULES.message_line(),
            *SCHEDULES.parts(),
        ],
        className="sp-section",
    )


# --- the export panel (here and on the feeder page) ------------------------------------------


@callback(
    Output(ids.REPORTS_SCOPE_NAME, "options"),
    Output(ids.REPORTS_SCOPE_NAME, "value"),
    Output(ids.REPORTS_SCOPE_NAME_FIELD, "style"),
    Input(ids.REPORTS_SCOPE_KIND, "value"),
    State(ids.REPORTS_SCOPE_NAME, "value"),
)
@access.read_only
def scope_names(kind: str | None, name: str | None) -> tuple[list[dict[str, str]], Any, Any]:
    """Offer the feeders, section offices or districts for the chosen kind (none for Kerala)."""
    if kind not in ("feeder", "section", "district"):
        return [], None, HIDDEN
    with runtime.engine().connect() as conn:
        choices = scope_choices(conn)
    if kind == "feeder":
        options = [{"label": f"{i} · {n}", "value": i} for i, n in choices.feeders]
    else:
        names = choices.sections if kind == "section" else choices.districts
        options = [{"label": n, "value": n} for n in names]
    keep = name if any(o["value"] == name for o in options) else None
    return options, keep, SHOWN


@callback(
    Output(ids.REPORTS_SCOPE, "data"),
    Input(ids.REPORTS_SCOPE_KIND, "value"),
    Input(ids.REPORTS_SCOPE_NAME, "value"),
)
@access.read_only
def scope_of_form(kind: str | None, name: str | None) -> dict[str, str | None] | None:
    """Keep the chosen scope for the export."""
    if kind == "state":
        return {"kind": "state", "name": None}
    return {"kind": kind, "name": name} if kind and name else None


@callback(
    Output(ids.REPORTS_PERIOD_TEXT, "children"),
    Output(ids.REPORTS_DAY_FIELD, "style"),
    Output(ids.REPORTS_CUSTOM_FIELDS, "style"),
    Input(ids.REPORTS_PERIOD, "value"),
    Input(ids.REPORTS_DAY, "value"),
    Input(ids.REPORTS_FROM, "value"),
    Input(ids.REPORTS_TO, "value"),
)
@access.read_only
def period_text(
    kind: str | None, day: str | None, first: str | None, last: str | None
) -> tuple[str, Any, Any]:
    """Say which IST days the chosen period covers, or what is wrong with it."""
    custom = kind == "custom"
    shown = (HIDDEN, SHOWN) if custom else (SHOWN, HIDDEN)
    try:
        period = chosen_period(kind, day, first, last, today_ist())
    except ReportArgumentError as err:
        return text("reports_period_bad", error=err), *shown
    days = period.days
    return (
        text(
            "reports_covers_one" if days == 1 else "reports_covers_many",
            first=period.first_day,
            last=period.last_day,
            days=days,
        ),
        *shown,
    )


@callback(
    Output(ids.REPORTS_RUN, "data"),
    Output(ids.REPORTS_STATUS, "children"),
    Output(ids.REPORTS_POLL, "disabled"),
    Input(ids.REPORTS_EXPORT, "n_clicks"),
    State(ids.REPORTS_SCOPE, "data"),
    State(ids.REPORTS_PERIOD, "value"),
    State(ids.REPORTS_DAY, "value"),
    State(ids.REPORTS_FROM, "value"),
    State(ids.REPORTS_TO, "value"),
    State(ids.REPORTS_LANG, "value"),
    prevent_initial_call=True,
)
@access.state_changing(EXPORT_ROLE, EXPORT_ACTION)
def export(
    user: access.Authorized,
    n_clicks: int | None,
    scope: dict[str, Any] | None,
    kind: str | None,
    day: str | None,
    first: str | None,
    last: str | None,
    lang: str | None,
) -> tuple[Any, Any, bool]:
    """Queue the chosen report (audited with who asked) and follow it."""
    if not n_clicks:
        raise PreventUpdate
    try:
        chosen = _scope(scope)
        period = chosen_period(kind, day, first, last, today_ist())
        with runtime.engine().begin() as conn:
            scope_feeders(conn, chosen)
            run_id = queue_run(
                conn,
                chosen,
                period,
                lang or "",
                requested_by=user.username,
                address=user.address,
            )
            run = get_run(conn, run_id)
            ahead = waiting_before(conn, run) if run is not None else 0
    except ReportArgumentError as err:
        said = text("reports_not_exported", field=err.field.lstrip("-"), reason=err.reason)
        return no_update, html.Div(said, className="sp-error"), True
    return run_id, build_status(run, ahead), False


def _scope(data: dict[str, Any] | None) -> Scope:
    """Return the scope of the REPORTS_SCOPE store, or raise ReportArgumentError."""
    if not data or data.get("kind") not in ("feeder", "section", "district", "state"):
        raise ReportArgumentError("scope", text("reports_choose_scope"))
    kind: ScopeKind = data["kind"]
    name = data.get("name")
    if kind != "state" and not name:
        raise ReportArgumentError(kind, text(f"reports_choose_{kind}"))
    return Scope(kind, None if kind == "state" else str(name))


@callback(
    Output(ids.REPORTS_STATUS, "children", allow_duplicate=True),
    Output(ids.REPORTS_DOWNLOAD, "data"),
    Output(ids.REPORTS_POLL, "disabled", allow_duplicate=True),
    Input(ids.REPORTS_POLL, "n_intervals"),
    State(ids.REPORTS_RUN, "data"),
    prevent_initial_call=True,
)
@access.read_only
def follow(_n: int | None, run_id: int | None) -> tuple[Any, Any, bool]:
    """Show the followed run's progress; download its PDF once it is done."""
    if not isinstance(run_id, int):
        return "", no_update, True
    with runtime.engine().connect() as conn:
        run = get_run(conn, run_id)
        ahead = waiting_before(conn, run) if run is not None and run.status == "queued" else 0
    if run is None:
        said = text("reports_no_run", run=run_id)
        return html.Div(said, className="sp-error"), no_update, True
    if run.status == "done":
        try:
            return build_status(run), _send(run), True
        except ReportFileError as err:
            return html.Div(str(err), className="sp-error"), no_update, True
    return build_status(run, ahead), no_update, run.status == "failed"


def _send(run: Run) -> dict[str, Any]:
    """Return the download of a done run's PDF, checked against its SHA-256, and audit it."""
    data = read_verified(run)
    access.audit_action(
        "report.download",
        run.scope_name or run.scope_kind,
        {"run": run.run_id, "bytes": len(data)},
    )
    return download_data(data, f"{run.file_stem}.pdf")


@callback(
    Output(ids.REPORTS_LIST, "children"),
    Input(ids.REPORTS_LIST_INTERVAL, "n_intervals"),
    Input(ids.REPORTS_RUN, "data"),
    Input(ids.REPORTS_POLL, "disabled"),
)
@access.read_only
def list_runs(_n: int | None, _run: int | None, _followed: bool | None) -> Any:
    """Return the newest reports with their status and a download button when done (read
    again on the timer, and when the followed run is queued and when it ends)."""
    with runtime.engine().connect() as conn:
        runs = recent_runs(conn, LIST_LIMIT)
    rows = [
        {
            "asked": fmt_time(r.created_at),
            "report": r.title,
            "by": r.requested_by or text("reports_by_schedule", schedule=r.schedule_id),
            "status": html.Span(
                status_text(r)
                if r.status != "done"
                else text("reports_done_at", at=fmt_time(r.finished_at)),
                className=f"sp-report-{r.status}",
            ),
            "file": (
                [
                    download_button(r.run_id),
                    text("reports_file", pages=r.pages, size=size_text(r.size_bytes)),
                ]
                if r.status == "done"
                else ""
            ),
        }
        for r in runs
    ]
    return build_table(_headings(RUN_COLUMNS), rows, empty=text("reports_none"))


@callback(
    Output(ids.REPORTS_DOWNLOAD, "data", allow_duplicate=True),
    Output(ids.REPORTS_STATUS, "children", allow_duplicate=True),
    Input({"type": ids.REPORTS_GET_TYPE, "run": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
@access.read_only
def download(_clicks: list[int | None]) -> tuple[Any, Any]:
    """Download the PDF of the run whose button was pressed."""
    run_id = clicked_row("run")
    access.authorize(EXPORT_ROLE, "report.download")
    if not isinstance(run_id, int):
        raise PreventUpdate
    with runtime.engine().connect() as conn:
        run = get_run(conn, run_id)
    if run is None:
        raise PreventUpdate
    try:
        return _send(run), no_update
    except ReportFileError as err:
        return no_update, html.Div(str(err), className="sp-error")


# --- schedules (admin) ------------------------------------------------------------------------


@callback(
    Output(ids.REPORTS_SCHEDULE_NAME, "options"),
    Output(ids.REPORTS_SCHEDULE_NAME, "value"),
    Output(ids.REPORTS_SCHEDULE_NAME, "placeholder"),
    Input(ids.REPORTS_SCHEDULE_SCOPE, "value"),
)
@access.read_only
def schedule_names(kind: str | None) -> tuple[list[str], None, str]:
    """Offer the districts or section offices a schedule may be limited to."""
    if kind not in SCHEDULE_SCOPES:
        return [], None, ""
    with runtime.engine().connect() as conn:
        choices = scope_choices(conn)
    names = choices.districts if kind == "district" else choices.sections
    if kind == "section" and not names:
        return [], None, text("reports_no_sections")
    return names, None, text(f"reports_every_{kind}")


@callback(SCHEDULES.drawn(), SCHEDULES.redrawn())
@access.read_only
def show_schedules(_changed: int | None) -> Any:
    """Return the active schedules, each with its remove button (admins only)."""
    access.authorize(SCHEDULE_ROLE, "report.schedule_list")
    with runtime.engine().connect() as conn:
        schedules = active_schedules(conn)
    return build_table(
        _headings(SCHEDULE_COLUMNS),
        [_schedule_row(s) for s in schedules],
        empty=text("reports_no_schedules"),
    )


def _headings(columns: tuple[str, ...]) -> list[tuple[str, str]]:
    """Return a table's (column, heading) pairs; "remove" has no heading."""
    return [(c, "" if c == "remove" else text(f"reports_col_{c}")) for c in columns]


def _schedule_row(s: Schedule) -> dict[str, Any]:
    return {
        "schedule": s.text,
        "to": s.recipients or text("reports_nobody"),
        "added_by": s.created_by,
        "since": fmt_time(s.created_at),
        "remove": row_button(
            text("remove"), ids.REPORTS_SCHEDULE_REMOVE_TYPE, "schedule", s.schedule_id
        ),
    }


@callback(
    *SCHEDULES.outputs(),
    Input(ids.REPORTS_SCHEDULE_ADD, "n_clicks"),
    State(ids.REPORTS_SCHEDULE_CADENCE, "value"),
    State(ids.REPORTS_SCHEDULE_SCOPE, "value"),
    State(ids.REPORTS_SCHEDULE_NAME, "value"),
    State(ids.REPORTS_SCHEDULE_LANG, "value"),
    State(ids.REPORTS_SCHEDULE_TO, "value"),
    SCHEDULES.counter_state(),
    prevent_initial_call=True,
)
@access.state_changing(SCHEDULE_ROLE, ADD_ACTION)
def add(
    user: access.Authorized,
    n_clicks: int | None,
    cadence: str | None,
    kind: str | None,
    name: str | None,
    lang: str | None,
    recipients: str | None,
    changed: int | None,
) -> tuple[str, int]:
    """Add a schedule (audited); a bad value is named in the message."""
    if not n_clicks:
        raise PreventUpdate

    def apply() -> str:
        with runtime.engine().begin() as conn:
            schedule_id = add_schedule(
                conn,
                cadence=cadence,
                scope_kind=kind,
                scope_name=name,
                lang=lang,
                recipients=recipients,
                actor=user.username,
                address=user.address,
            )
        return text("reports_schedule_added", schedule=schedule_id)

    return SCHEDULES.change(apply, changed, failed=text("not_added"), errors=ReportArgumentError)


@callback(
    *SCHEDULES.outputs(duplicate=True),
    Input({"type": ids.REPORTS_SCHEDULE_REMOVE_TYPE, "schedule": ALL}, "n_clicks"),
    SCHEDULES.counter_state(),
    prevent_initial_call=True,
)
@access.state_changing(SCHEDULE_ROLE, REMOVE_ACTION)
def remove(
    user: access.Authorized, _clicks: list[int | None], changed: int | None
) -> tuple[str, int]:
    """Remove the schedule whose button was pressed (audited); its reports stay."""
    schedule_id = clicked_row("schedule")

    def apply() -> str:
        if not isinstance(schedule_id, int):
            raise ReportArgumentError("schedule", text("reports_no_such_schedule"))
        with runtime.engine().begin() as conn:
            remove_schedule(conn, schedule_id, actor=user.username, address=user.address)
        return text("reports_schedule_removed", schedule=schedule_id)

    return SCHEDULES.change(apply, changed, failed=text("not_removed"), errors=ReportArgumentError)
