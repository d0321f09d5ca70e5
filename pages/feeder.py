"""One feeder (`/feeder/<feeder_id>`): live loads, charts, houses, lockouts, runs and control.

Reading callbacks are marked read-only; the three that change anything (the auto/manual
toggle, the manual move and the unlock of a locked-out house) are `state_changing` and
authorize the operator role before anything else. A manual move is previewed first (the dry
run, which checks the edge's interlocks), and the confirm button sends exactly the move that
was previewed, after the same check on the server. When a command ends, what it changed (the
mode, a lockout) is read again at once, not at the next refresh. The page ends with the
feeder's PDF report export, served by the export callbacks of pages/reports.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final, Literal

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.dash_table.DataTable import DataTable

from components import access, ids, runtime
from components import layout as shell
from components.command_status import build_status, is_final
from components.feeder_charts import (
    SCREEN_JS,
    chart_screen,
    currents_figure,
    message_figure,
    power_figure,
    run_figure,
)
from components.feeder_view import (
    CUSTOM,
    FIT,
    RANGE_OPTIONS,
    RANGES,
    RangeError,
    blocker_text,
    build_live,
    build_locks,
    build_preview,
    build_run_detail,
    chart_window,
    explain_run,
    house_rows,
    ist_input,
    range_label,
    range_text,
    refusal_text,
    resolution_text,
    run_decided_at,
    run_rows,
    search_rows,
)
from components.report_export import build_export_panel
from components.strings import html_lang, page_title, text
from grid.messages import ControlAction, Mode
from hq.commands import SERVICE_NAME, CommandService
from reports.periods import today_ist
from reports.scope import Scope
from store import queries as q
from store.commands import CommandError
from store.moves import MoveError, dry_run_move, parse_phase

dash.register_page(
    __name__,
    path_template="/feeder/<feeder_id>",
    title=page_title("feeder_title"),
    name="Feeder",
)

ColumnType = Literal["text", "numeric"]

LIVE_MS: Final = 10_000
"""How often the live figures are read [ms] (the edge summarizes every 10 s)."""
COMMAND_POLL_MS: Final = 1_000
"""How often a pending command's state is read [ms]."""
MARKS_LIMIT: Final = 500
"""Most runs and switches read for the chart marks."""
FIELD_LABELS: Final = {
    "house": "feeder_move_house",
    "to_phase": "feeder_move_to_phase",
    "why": "feeder_move_reason",
    "feeder": "feeder_field_feeder",
    "mode": "feeder_field_mode",
    "from": "feeder_field_from",
    "to": "feeder_field_to",
}
"""The string (components/strings) that names each field an error may be about."""
HOUSE_COLUMNS: Final[tuple[tuple[str, str, ColumnType], ...]] = (
    ("house", "feeder_col_house", "text"),
    ("phase", "feeder_col_phase", "text"),
    ("p_kw", "feeder_col_p_kw", "numeric"),
    ("pv_kw", "feeder_col_pv_kw", "numeric"),
    ("online", "feeder_col_online", "text"),
    ("switches_today", "feeder_col_switches_today", "numeric"),
    ("lock", "feeder_col_lock", "text"),
)
"""The houses table's columns: id, heading's string, type."""
RUN_COLUMNS: Final[tuple[tuple[str, str, ColumnType], ...]] = (
    ("ts", "feeder_runs_col_ts", "text"),
    ("trigger", "feeder_runs_col_trigger", "text"),
    ("result", "feeder_runs_col_result", "text"),
    ("moves", "feeder_runs_col_moves", "text"),
    ("neutral", "feeder_runs_col_neutral", "text"),
)
"""The balancing history's columns: id, heading's string, type."""


def _table(table_id: str, columns: tuple[tuple[str, str, ColumnType], ...], **extra: Any) -> Any:
    return DataTable(
        id=table_id,
        columns=[{"id": c, "name": text(n), "type": t} for c, n, t in columns],
        data=[],
        style_as_list_view=True,
        style_cell={"padding": "5px 8px", "fontFamily": "inherit", "textAlign": "left"},
        style_header={"fontWeight": "bold"},
        **extra,
    )


def layout(feeder_id: str | None = None, **_query: Any) -> html.Main:
    """Return the feeder page, or a not-found body for an unknown feeder."""
    with runtime.engine().connect() as conn:
        row = q.feeder(conn, feeder_id or "")
    if row is None:
        return shell.build_page(
            text("feeder_not_found"),
            html.P(text("feeder_not_found_text", feeder=feeder_id), className="sp-empty"),
        )
    # Only a convenience: the callbacks authorize on the server whatever the page shows.
    locked = not access.has_role("operator")
    now = _now()
    return shell.build_page(
        f"{row.feeder_id} · {row.name}",
        dcc.Store(id=ids.FEEDER_ID, data=row.feeder_id),
        dcc.Store(id=ids.FEEDER_MODE_TARGET),
        dcc.Store(id=ids.FEEDER_MODE_COMMAND),
        dcc.Store(id=ids.FEEDER_MOVE_PLANNED),
        dcc.Store(id=ids.FEEDER_MOVE_COMMAND),
        dcc.Store(id=ids.FEEDER_UNLOCK_COMMAND),
        dcc.Store(id=ids.FEEDER_HOUSES_STALE),
        dcc.Store(id=ids.FEEDER_SCREEN),
        dcc.Interval(id=ids.FEEDER_INTERVAL, interval=LIVE_MS),
        dcc.Interval(id=ids.FEEDER_COMMAND_INTERVAL, interval=COMMAND_POLL_MS, disabled=True),
        dcc.ConfirmDialog(id=ids.FEEDER_MODE_CONFIRM),
        html.Div(
            text("feeder_subtitle", district=row.district, kva=f"{row.kva:.0f}"),
            id=ids.FEEDER_TITLE,
            className="sp-subtitle",
        ),
        html.Section(
            [
                html.Div(
                    [
                        html.Span(text("feeder_mode")),
                        html.Strong(row.mode, id=ids.FEEDER_MODE, className="sp-mode"),
                        html.Button(
                            text("feeder_switch_mode"),
                            id=ids.FEEDER_MODE_TOGGLE,
                            className="sp-button",
                            disabled=locked,
                        ),
                    ],
                    className="sp-mode-row",
                ),
                html.Span(
                    text("feeder_read_only"),
                    className="sp-hint sp-read-only",
                )
                if locked
                else None,
                html.Div(id=ids.FEEDER_MODE_STATUS, className="sp-status"),
            ],
            className="sp-control",
        ),
        html.Section(html.Div(id=ids.FEEDER_LIVE), className="sp-section"),
        html.Section(
            [
                html.Div(
                    [
                        dcc.RadioItems(
                            id=ids.FEEDER_RANGE,
                            options=[{"label": range_label(v), "value": v} for v in RANGE_OPTIONS],
                            value=FIT,
                            inline=True,
                            className="sp-range",
                        ),
                        html.Label(
                            [
                                text("feeder_range_from"),
                                dcc.Input(
                                    id=ids.FEEDER_RANGE_FROM,
                                    type="text",
                                    placeholder=text("feeder_range_format"),
                                    size="16",
                                    value=ist_input(now - RANGES["24h"]),
                                    debounce=True,
                                ),
                            ],
                            className="sp-range-input",
                        ),
                        html.Label(
                            [
                                text("feeder_range_to"),
                                dcc.Input(
                                    id=ids.FEEDER_RANGE_TO,
                                    type="text",
                                    placeholder=text("feeder_range_format"),
                                    size="16",
                                    value=ist_input(now),
                                    debounce=True,
                                ),
                            ],
                            className="sp-range-input",
                        ),
                        html.Span(id=ids.FEEDER_RESOLUTION, className="sp-hint"),
                    ],
                    className="sp-range-row",
                ),
                dcc.Graph(id=ids.FEEDER_CURRENTS_CHART, config={"displaylogo": False}),
                dcc.Graph(id=ids.FEEDER_POWER_CHART, config={"displaylogo": False}),
            ],
            className="sp-section",
        ),
        html.Section(
            [
                html.H2(text("feeder_locked_out")),
                html.P(text("feeder_locked_out_hint"), className="sp-hint"),
                html.Div(id=ids.FEEDER_LOCKS),
                html.Div(id=ids.FEEDER_UNLOCK_STATUS, className="sp-status"),
            ],
            className="sp-section",
        ),
        html.Section(
            [
                html.H2(text("feeder_manual_move")),
                html.Div(
                    [
                        html.Label(
                            [
                                text("feeder_move_house"),
                                dcc.Dropdown(id=ids.FEEDER_MOVE_HOUSE, disabled=locked),
                            ]
                        ),
                        html.Label(
                            [
                                text("feeder_move_to_phase"),
                                dcc.RadioItems(
                                    id=ids.FEEDER_MOVE_PHASE,
                                    options=[
                                        {"label": p, "value": p, "disabled": locked}
                                        for p in ("R", "Y", "B")
                                    ],
                                    inline=True,
                                ),
                            ]
                        ),
                        html.Label(
                            [
                                text("feeder_move_reason"),
                                dcc.Input(
                                    id=ids.FEEDER_MOVE_WHY,
                                    type="text",
                                    maxLength=500,
                                    debounce=True,
                                    disabled=locked,
                                ),
                            ]
                        ),
                        html.Button(
                            text("feeder_dry_run"),
                            id=ids.FEEDER_MOVE_DRY_RUN,
                            className="sp-button",
                            disabled=locked,
                        ),
                        html.Button(
                            text("feeder_confirm_move"),
                            id=ids.FEEDER_MOVE_CONFIRM,
                            className="sp-button sp-button-primary",
                            disabled=True,
                        ),
                    ],
                    className="sp-move-form",
                ),
                html.Div(id=ids.FEEDER_MOVE_PREVIEW, className="sp-preview"),
                html.Div(id=ids.FEEDER_MOVE_STATUS, className="sp-status"),
            ],
            className="sp-section",
        ),
        html.Section(
            [
                html.Div(
                    [
                        html.H2(text("feeder_houses")),
                        dcc.Input(
                            id=ids.FEEDER_HOUSE_SEARCH,
                            type="search",
                            placeholder=text("feeder_houses_search"),
                            className="sp-search",
                            debounce=False,
                        ),
                    ],
                    className="sp-section-head",
                ),
                _table(
                    ids.FEEDER_HOUSES,
                    HOUSE_COLUMNS,
                    page_size=20,
                    sort_action="native",
                    style_data_conditional=[
                        {
                            "if": {"filter_query": _lock_query()},
                            "backgroundColor": "#fff4e5",
                        }
                    ],
                ),
            ],
            className="sp-section",
        ),
        html.Section(
            [
                html.H2(text("feeder_history")),
                _table(ids.FEEDER_RUNS, RUN_COLUMNS, row_selectable="single", page_size=10),
                dcc.Graph(id=ids.FEEDER_RUN_CHART, config={"displaylogo": False}),
                html.Div(id=ids.FEEDER_RUN_DETAIL),
            ],
            className="sp-section",
        ),
        build_export_panel(
            Scope("feeder", row.feeder_id), today_ist(now), title=text("feeder_export_pdf")
        ),
        class_name="sp-feeder-page",
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _lock_query() -> str:
    """Return the houses table's filter for a locked house (its Lock column, feeder_view)."""
    return "{lock} contains " + json.dumps(text("feeder_lock_locked"), ensure_ascii=False)


def _field_error(field: str, message: str) -> html.Div:
    label = text(FIELD_LABELS[field]) if field in FIELD_LABELS else field
    return html.Div(f"{label}: {message}", className=f"sp-error sp-error-{field}")


# --- reading ----------------------------------------------------------------------------------


@callback(
    Output(ids.FEEDER_LIVE, "children"),
    Output(ids.FEEDER_MODE, "children"),
    Output(ids.FEEDER_MODE_TOGGLE, "children"),
    Output(ids.FEEDER_MODE_TARGET, "data"),
    Input(ids.FEEDER_INTERVAL, "n_intervals"),
    State(ids.FEEDER_ID, "data"),
)
@access.read_only
def refresh_live(_n: int | None, feeder_id: str) -> tuple[Any, ...]:
    """Read the latest summary and the mode."""
    with runtime.engine().connect() as conn:
        row = q.feeder(conn, feeder_id, _now())
        if row is None:
            return (no_update,) * 4
        state = q.latest_feeder_state(conn, feeder_id)
    return (build_live(state, row), *_mode_outputs(row.mode))


def _mode_outputs(mode: str) -> tuple[str, str, str]:
    """Return the mode label, the toggle's text and the mode it would switch to."""
    target = "auto" if mode == "manual" else "manual"
    return mode, text("feeder_switch_to", mode=target), target


@callback(
    Output(ids.FEEDER_HOUSES, "data"),
    Output(ids.FEEDER_MOVE_HOUSE, "options"),
    Output(ids.FEEDER_LOCKS, "children"),
    Input(ids.FEEDER_INTERVAL, "n_intervals"),
    Input(ids.FEEDER_HOUSE_SEARCH, "value"),
    Input(ids.FEEDER_HOUSES_STALE, "data"),
    State(ids.FEEDER_ID, "data"),
)
@access.read_only
def refresh_houses(
    _n: int | None, search: str | None, _stale: Any, feeder_id: str
) -> tuple[Any, ...]:
    """Read the houses: the table (searched), the move choices and the locked-out houses."""
    now = _now()
    with runtime.engine().connect() as conn:
        houses = q.feeder_houses(conn, feeder_id, now)
    options = [
        {"label": text("feeder_move_option", house=h.house_id, phase=h.phase), "value": h.house_id}
        for h in houses
        if h.switchable
    ]
    locks = build_locks(
        houses, can_unlock=access.has_role("operator"), button_type=ids.FEEDER_UNLOCK
    )
    return search_rows(house_rows(houses, now), search), options, locks


@callback(
    Output(ids.FEEDER_RANGE, "value"),
    Input(ids.FEEDER_RANGE_FROM, "value"),
    Input(ids.FEEDER_RANGE_TO, "value"),
    prevent_initial_call=True,
)
@access.read_only
def pick_custom(_start: str | None, _end: str | None) -> str:
    """Choose the custom range when its dates are edited."""
    return CUSTOM


@callback(
    Output(ids.FEEDER_CURRENTS_CHART, "figure"),
    Output(ids.FEEDER_POWER_CHART, "figure"),
    Output(ids.FEEDER_RESOLUTION, "children"),
    Input(ids.FEEDER_RANGE, "value"),
    Input(ids.FEEDER_INTERVAL, "n_intervals"),
    Input(ids.FEEDER_RANGE_FROM, "value"),
    Input(ids.FEEDER_RANGE_TO, "value"),
    Input(ids.FEEDER_SCREEN, "data"),
    State(ids.FEEDER_ID, "data"),
)
@access.read_only
def refresh_charts(
    span: str | None,
    _n: int | None,
    start_text: str | None,
    end_text: str | None,
    screen_data: Any,
    feeder_id: str,
) -> tuple[Any, Any, Any]:
    """Read the feeder's series over the chosen range at the resolution the store picks, with
    its runs and switches to mark and its phase rating (a custom range is not read again at
    every refresh: its data does not move)."""
    if span == CUSTOM and ctx.triggered_id == ids.FEEDER_INTERVAL:
        return no_update, no_update, no_update
    now, screen = _now(), chart_screen(screen_data)
    with runtime.engine().connect() as conn:
        extent = q.feeder_extent(conn, feeder_id) if span not in RANGES else None
        try:
            start, end = chart_window(span, now, extent, start_text, end_text)
        except RangeError as exc:
            empty = message_figure(text("feeder_range_choose"), screen=screen)
            return empty, empty, _field_error(exc.field, exc.message)
        rating_a = q.feeder_rated_a(conn, feeder_id)
        series = q.feeder_series(conn, feeder_id, start, end)
        runs = q.balancing_runs(conn, feeder_id, start, end, limit=MARKS_LIMIT)
        switches = q.switch_events(conn, feeder_id, start=start, end=end, limit=MARKS_LIMIT)
    shown = text(
        "feeder_range_shown",
        range=range_text(start, end),
        resolution=resolution_text(series.resolution),
        points=f"{len(series.points):,}",
    )
    lang = html_lang()
    currents = currents_figure(
        series, rating_a=rating_a, runs=runs, switches=switches, screen=screen, lang=lang
    )
    return currents, power_figure(series, screen=screen, lang=lang), shown


@callback(
    Output(ids.FEEDER_RUNS, "data"),
    Input(ids.FEEDER_ID, "data"),
    Input(ids.FEEDER_INTERVAL, "n_intervals"),
)
@access.read_only
def refresh_runs(feeder_id: str, _n: int | None) -> list[dict[str, Any]]:
    """Read the feeder's latest balancing runs."""
    with runtime.engine().connect() as conn:
        return run_rows(q.balancing_runs(conn, feeder_id, limit=50))


@callback(
    Output(ids.FEEDER_RUN_CHART, "figure"),
    Output(ids.FEEDER_RUN_DETAIL, "children"),
    Input(ids.FEEDER_RUNS, "selected_rows"),
    Input(ids.FEEDER_RUNS, "data"),
    Input(ids.FEEDER_SCREEN, "data"),
)
@access.read_only
def show_run(
    selected: list[int] | None, rows: list[dict[str, Any]] | None, screen_data: Any
) -> tuple[Any, Any]:
    """Draw the before/after chart of the selected run (the newest when none is selected) and
    say why each of its houses was moved."""
    screen = chart_screen(screen_data)
    if not rows:
        return message_figure(text("feeder_no_runs"), height=200, screen=screen), None
    index = selected[0] if selected and selected[0] < len(rows) else 0
    with runtime.engine().connect() as conn:
        run = q.balancing_run(conn, rows[index]["run_id"])
        if run is None:
            return no_update, no_update
        at = run_decided_at(run)
        state = q.feeder_reading_at(conn, run.feeder_id, at)
        readings = q.house_readings_at(conn, [str(m.get("house")) for m in run.moves], at)
    chart = run_figure(run, screen=screen, lang=html_lang())
    return chart, build_run_detail(run, explain_run(run, state, readings))


clientside_callback(
    SCREEN_JS,
    Output(ids.FEEDER_SCREEN, "data"),
    Input(ids.FEEDER_ID, "data"),
    Input(ids.FEEDER_INTERVAL, "n_intervals"),
    State(ids.FEEDER_SCREEN, "data"),
)


# --- the auto/manual toggle -------------------------------------------------------------------


@callback(
    Output(ids.FEEDER_MODE_CONFIRM, "displayed"),
    Output(ids.FEEDER_MODE_CONFIRM, "message"),
    Input(ids.FEEDER_MODE_TOGGLE, "n_clicks"),
    State(ids.FEEDER_ID, "data"),
    State(ids.FEEDER_MODE_TARGET, "data"),
    prevent_initial_call=True,
)
@access.read_only
def ask_mode(_clicks: int | None, feeder_id: str, target: str | None) -> tuple[bool, str]:
    """Ask for confirmation before switching the feeder's mode."""
    target = target or "manual"
    effect = text("feeder_effect_manual" if target == "manual" else "feeder_effect_auto")
    return True, text("feeder_confirm_mode", feeder=feeder_id, mode=target, effect=effect)


@callback(
    Output(ids.FEEDER_MODE_COMMAND, "data"),
    Input(ids.FEEDER_MODE_CONFIRM, "submit_n_clicks"),
    State(ids.FEEDER_ID, "data"),
    State(ids.FEEDER_MODE_TARGET, "data"),
    prevent_initial_call=True,
)
@access.state_changing("operator", "feeder.set_mode")
def confirm_mode(
    user: access.Authorized, _submit: int | None, feeder_id: str, target: str | None
) -> dict[str, Any]:
    """Send the signed set_mode command; return its id (or the error, naming the field)."""
    try:
        mode = Mode(target or "")
    except ValueError:
        return {"error": ["mode", text("feeder_bad_mode", mode=target)]}
    return _issue(feeder_id, ControlAction.SET_MODE, user, mode=mode)


# --- the manual move --------------------------------------------------------------------------


@callback(
    Output(ids.FEEDER_MOVE_PREVIEW, "children"),
    Output(ids.FEEDER_MOVE_PLANNED, "data"),
    Output(ids.FEEDER_MOVE_CONFIRM, "disabled"),
    Input(ids.FEEDER_MOVE_DRY_RUN, "n_clicks"),
    State(ids.FEEDER_ID, "data"),
    State(ids.FEEDER_MOVE_HOUSE, "value"),
    State(ids.FEEDER_MOVE_PHASE, "value"),
    State(ids.FEEDER_SCREEN, "data"),
    prevent_initial_call=True,
)
@access.read_only
def dry_run(
    _clicks: int | None,
    feeder_id: str,
    house: str | None,
    phase: str | None,
    screen_data: Any,
) -> tuple[Any, Any, bool]:
    """Preview a move on the feeder's current state (its chart drawn for the page's screen);
    enable Confirm only when no interlock blocks it."""
    if not house:
        return _field_error("house", text("feeder_choose_house")), None, True
    try:
        to_phase = parse_phase(phase)
        with runtime.engine().connect() as conn:
            dry = dry_run_move(conn, feeder_id, house, to_phase, _now())
    except MoveError as exc:
        return _field_error(exc.field, refusal_text(exc)), None, True
    preview = build_preview(dry, screen=chart_screen(screen_data))
    if not dry.allowed:
        return preview, None, True
    return preview, {"house": house, "to": str(to_phase)}, False


@callback(
    Output(ids.FEEDER_MOVE_COMMAND, "data"),
    Input(ids.FEEDER_MOVE_CONFIRM, "n_clicks"),
    State(ids.FEEDER_ID, "data"),
    State(ids.FEEDER_MOVE_PLANNED, "data"),
    State(ids.FEEDER_MOVE_WHY, "value"),
    prevent_initial_call=True,
)
@access.state_changing("operator", "feeder.move_house")
def confirm_move(
    user: access.Authorized,
    _clicks: int | None,
    feeder_id: str,
    planned: dict[str, str] | None,
    why: str | None,
) -> dict[str, Any]:
    """Check the previewed move's interlocks again and send it as a signed switch command;
    return its id or the error (a blocked move is refused and audited)."""
    if not planned or not planned.get("house"):
        return {"error": ["house", text("feeder_dry_run_first")]}
    try:
        to_phase = parse_phase(planned.get("to"))
        with runtime.engine().connect() as conn:
            dry = dry_run_move(conn, feeder_id, planned["house"], to_phase, _now())
    except MoveError as exc:
        return {"error": [exc.field, refusal_text(exc)]}
    if dry.blocker is not None:
        user.audit(
            planned["house"],
            {
                "feeder_id": feeder_id,
                "to": str(to_phase),
                "why": (why or "").strip(),
                "reason": str(dry.blocker),
            },
            outcome="failed",
        )
        return {"error": ["house", blocker_text(dry)]}
    return _issue(
        feeder_id,
        ControlAction.SWITCH,
        user,
        house=planned["house"],
        to_phase=to_phase,
        why=why or "",
    )


# --- unlocking a locked-out house -------------------------------------------------------------


@callback(
    Output(ids.FEEDER_UNLOCK_COMMAND, "data"),
    Input({"type": ids.FEEDER_UNLOCK, "house": ALL}, "n_clicks"),
    State(ids.FEEDER_ID, "data"),
    prevent_initial_call=True,
)
@access.state_changing("operator", "feeder.unlock")
def unlock(user: access.Authorized, _clicks: list[int | None], feeder_id: str) -> Any:
    """Send the signed unlock command of the house whose button was clicked."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0].get("value")):
        return no_update  # buttons drawn again, none clicked
    house = str(trigger.get("house", ""))
    return {**_issue(feeder_id, ControlAction.UNLOCK, user, house=house), "house": house}


def _issue(
    feeder_id: str, action: ControlAction, user: access.Authorized, **fields: Any
) -> dict[str, Any]:
    try:
        service: CommandService = runtime.service(SERVICE_NAME)
    except runtime.ServiceMissingError:
        return {"error": ["feeder", text("feeder_no_command_path")]}
    try:
        cmd = service.issue(feeder_id, action, actor=user.username, address=user.address, **fields)
    except CommandError as exc:
        return {"error": [exc.field, refusal_text(exc)]}
    return {"cmd_id": cmd.cmd_id}


# --- the commands' lifecycle ------------------------------------------------------------------


@callback(
    Output(ids.FEEDER_MODE_STATUS, "children"),
    Output(ids.FEEDER_MOVE_STATUS, "children"),
    Output(ids.FEEDER_UNLOCK_STATUS, "children"),
    Output(ids.FEEDER_COMMAND_INTERVAL, "disabled"),
    Output(ids.FEEDER_MODE, "children", allow_duplicate=True),
    Output(ids.FEEDER_MODE_TOGGLE, "children", allow_duplicate=True),
    Output(ids.FEEDER_MODE_TARGET, "data", allow_duplicate=True),
    Output(ids.FEEDER_HOUSES_STALE, "data"),
    Input(ids.FEEDER_COMMAND_INTERVAL, "n_intervals"),
    Input(ids.FEEDER_MODE_COMMAND, "data"),
    Input(ids.FEEDER_MOVE_COMMAND, "data"),
    Input(ids.FEEDER_UNLOCK_COMMAND, "data"),
    State(ids.FEEDER_ID, "data"),
    prevent_initial_call=True,
)
@access.read_only
def poll_commands(
    _n: int | None,
    mode_cmd: dict[str, Any] | None,
    move_cmd: dict[str, Any] | None,
    unlock_cmd: dict[str, Any] | None,
    feeder_id: str,
) -> tuple[Any, ...]:
    """Show each pending command's lifecycle and stop polling once every one is final; when a
    mode command has ended, show the feeder's mode from the store at once, and when a move or
    an unlock has, have the houses and lockouts read again."""
    now = _now()
    pending = False
    out: list[Any] = []
    final: dict[str, bool] = {}
    mode: tuple[Any, ...] = (no_update,) * 3
    with runtime.engine().connect() as conn:
        for name, data, title in (
            ("mode", mode_cmd, text("feeder_command_mode")),
            ("move", move_cmd, text("feeder_manual_move")),
            (
                "unlock",
                unlock_cmd,
                text("feeder_command_unlock", house=(unlock_cmd or {}).get("house", "")).strip(),
            ),
        ):
            if not data:
                out.append(None)
            elif "error" in data:
                out.append(_field_error(*data["error"]))
            else:
                cmd = q.command(conn, data["cmd_id"])
                final[name] = is_final(cmd)
                pending = pending or not final[name]
                out.append(build_status(cmd, now, title=title))
        if final.get("mode"):
            row = q.feeder(conn, feeder_id, now)
            if row is not None:
                mode = _mode_outputs(row.mode)
    stale = now.isoformat() if final.get("move") or final.get("unlock") else no_update
    return (*out, not pending, *mode, stale)
