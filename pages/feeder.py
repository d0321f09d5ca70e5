"""One feeder (`/feeder/<feeder_id>`): live loads, charts, houses, balancing runs and control.

Reading callbacks are marked read-only; the two that change anything (the auto/manual toggle
and the manual move) are `state_changing` and authorize the operator role before anything else.
A manual move is previewed first (the dry run), and the confirm button sends exactly the move
that was previewed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final, Literal

import dash
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.dash_table.DataTable import DataTable

from components import access, ids, runtime
from components import layout as shell
from components.command_status import build_status, is_final
from components.feeder_view import (
    RANGES,
    RESOLUTION_TEXT,
    build_live,
    currents_figure,
    effect_figure,
    fmt,
    house_rows,
    message_figure,
    power_figure,
    run_figure,
    run_rows,
)
from grid.messages import ControlAction, Mode
from hq.commands import SERVICE_NAME, CommandService
from store import queries as q
from store.commands import CommandError
from store.moves import MoveError, dry_run_move, parse_phase

dash.register_page(
    __name__, path_template="/feeder/<feeder_id>", title="SmartPhase · Feeder", name="Feeder"
)

ColumnType = Literal["text", "numeric"]

LIVE_MS: Final = 10_000
"""How often the live figures are read [ms] (the edge summarizes every 10 s)."""
COMMAND_POLL_MS: Final = 1_000
"""How often a pending command's state is read [ms]."""
FIELD_LABELS: Final = {
    "house": "House",
    "to_phase": "To phase",
    "why": "Reason",
    "feeder": "Feeder",
    "mode": "Mode",
}
HOUSE_COLUMNS: Final[tuple[tuple[str, str, ColumnType], ...]] = (
    ("house", "House", "text"),
    ("phase", "Phase", "text"),
    ("p_kw", "P [kW]", "numeric"),
    ("pv_kw", "PV [kW]", "numeric"),
    ("online", "Online", "text"),
    ("switches_today", "Switches today", "numeric"),
    ("lock", "Lock", "text"),
)
RUN_COLUMNS: Final[tuple[tuple[str, str, ColumnType], ...]] = (
    ("ts", "Time", "text"),
    ("trigger", "Trigger", "text"),
    ("result", "Result", "text"),
    ("moves", "Moves", "text"),
    ("neutral", "Neutral", "text"),
)


def _table(table_id: str, columns: tuple[tuple[str, str, ColumnType], ...], **extra: Any) -> Any:
    return DataTable(
        id=table_id,
        columns=[{"id": c, "name": n, "type": t} for c, n, t in columns],
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
            "Feeder not found",
            html.P(f"No provisioned feeder has the id {feeder_id!r}.", className="sp-empty"),
        )
    # Only a convenience: the callbacks authorize on the server whatever the page shows.
    locked = not access.has_role("operator")
    return shell.build_page(
        f"{row.feeder_id} · {row.name}",
        dcc.Store(id=ids.FEEDER_ID, data=row.feeder_id),
        dcc.Store(id=ids.FEEDER_MODE_TARGET),
        dcc.Store(id=ids.FEEDER_MODE_COMMAND),
        dcc.Store(id=ids.FEEDER_MOVE_PLANNED),
        dcc.Store(id=ids.FEEDER_MOVE_COMMAND),
        dcc.Interval(id=ids.FEEDER_INTERVAL, interval=LIVE_MS),
        dcc.Interval(id=ids.FEEDER_COMMAND_INTERVAL, interval=COMMAND_POLL_MS, disabled=True),
        dcc.ConfirmDialog(id=ids.FEEDER_MODE_CONFIRM),
        html.Div(
            f"{row.district} · {row.kva:.0f} kVA",
            id=ids.FEEDER_TITLE,
            className="sp-subtitle",
        ),
        html.Section(
            [
                html.Div(
                    [
                        html.Span("Mode: "),
                        html.Strong(row.mode, id=ids.FEEDER_MODE, className="sp-mode"),
                        html.Button(
                            "Switch mode",
                            id=ids.FEEDER_MODE_TOGGLE,
                            className="sp-button",
                            disabled=locked,
                        ),
                    ],
                    className="sp-mode-row",
                ),
                html.Span(
                    "Read only: an operator changes the mode and moves houses.",
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
                            options=[{"label": k, "value": k} for k in RANGES],
                            value="24h",
                            inline=True,
                            className="sp-range",
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
                html.H2("Manual move"),
                html.Div(
                    [
                        html.Label(
                            ["House", dcc.Dropdown(id=ids.FEEDER_MOVE_HOUSE, disabled=locked)]
                        ),
                        html.Label(
                            [
                                "To phase",
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
                                "Reason",
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
                            "Dry run",
                            id=ids.FEEDER_MOVE_DRY_RUN,
                            className="sp-button",
                            disabled=locked,
                        ),
                        html.Button(
                            "Confirm move",
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
            [html.H2("Houses"), _table(ids.FEEDER_HOUSES, HOUSE_COLUMNS, page_size=20)],
            className="sp-section",
        ),
        html.Section(
            [
                html.H2("Balancing history"),
                _table(ids.FEEDER_RUNS, RUN_COLUMNS, row_selectable="single", page_size=10),
                dcc.Graph(id=ids.FEEDER_RUN_CHART, config={"displaylogo": False}),
            ],
            className="sp-section",
        ),
        class_name="sp-feeder-page",
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _field_error(field: str, message: str) -> html.Div:
    label = FIELD_LABELS.get(field, field)
    return html.Div(f"{label}: {message}", className=f"sp-error sp-error-{field}")


# --- reading ----------------------------------------------------------------------------------


@callback(
    Output(ids.FEEDER_LIVE, "children"),
    Output(ids.FEEDER_HOUSES, "data"),
    Output(ids.FEEDER_MOVE_HOUSE, "options"),
    Output(ids.FEEDER_MODE, "children"),
    Output(ids.FEEDER_MODE_TOGGLE, "children"),
    Output(ids.FEEDER_MODE_TARGET, "data"),
    Input(ids.FEEDER_INTERVAL, "n_intervals"),
    State(ids.FEEDER_ID, "data"),
)
@access.read_only
def refresh_live(_n: int | None, feeder_id: str) -> tuple[Any, ...]:
    """Read the latest summary, the houses and the mode."""
    now = _now()
    with runtime.engine().connect() as conn:
        row = q.feeder(conn, feeder_id, now)
        if row is None:
            return (no_update,) * 6
        state = q.latest_feeder_state(conn, feeder_id)
        houses = q.feeder_houses(conn, feeder_id, now)
    options = [
        {"label": f"{h.house_id} (on {h.phase})", "value": h.house_id}
        for h in houses
        if h.switchable
    ]
    target = "auto" if row.mode == "manual" else "manual"
    return (
        build_live(state, row),
        house_rows(houses, now),
        options,
        row.mode,
        f"Switch to {target}",
        target,
    )


@callback(
    Output(ids.FEEDER_CURRENTS_CHART, "figure"),
    Output(ids.FEEDER_POWER_CHART, "figure"),
    Output(ids.FEEDER_RESOLUTION, "children"),
    Input(ids.FEEDER_RANGE, "value"),
    Input(ids.FEEDER_INTERVAL, "n_intervals"),
    State(ids.FEEDER_ID, "data"),
)
@access.read_only
def refresh_charts(span: str, _n: int | None, feeder_id: str) -> tuple[Any, Any, str]:
    """Read the feeder's series over the chosen range at the resolution the store picks."""
    end = _now()
    start = end - RANGES.get(span, RANGES["24h"])
    with runtime.engine().connect() as conn:
        series = q.feeder_series(conn, feeder_id, start, end)
    text = f"{RESOLUTION_TEXT[series.resolution]}, {len(series.points):,} points"
    return currents_figure(series), power_figure(series), text


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
    Input(ids.FEEDER_RUNS, "selected_rows"),
    Input(ids.FEEDER_RUNS, "data"),
)
@access.read_only
def show_run(selected: list[int] | None, rows: list[dict[str, Any]] | None) -> Any:
    """Draw the before/after chart of the selected run (the newest when none is selected)."""
    if not rows:
        return message_figure("No balancing runs yet", height=200)
    index = selected[0] if selected and selected[0] < len(rows) else 0
    with runtime.engine().connect() as conn:
        run = q.balancing_run(conn, rows[index]["run_id"])
    return no_update if run is None else run_figure(run)


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
    effect = (
        "The controller will only execute operator moves."
        if target == "manual"
        else "The controller will balance the feeder by itself."
    )
    return True, f"Switch {feeder_id} to {target} mode? {effect}"


@callback(
    Output(ids.FEEDER_MODE_COMMAND, "data"),
    Input(ids.FEEDER_MODE_CONFIRM, "submit_n_clicks"),
    State(ids.FEEDER_ID, "data"),
    State(ids.FEEDER_MODE_TARGET, "data"),
    prevent_initial_call=True,
)
@access.state_changing("operator", "feeder.set_mode")
def confirm_mode(_submit: int | None, feeder_id: str, target: str | None) -> dict[str, Any]:
    """Send the signed set_mode command; return its id (or the error, naming the field)."""
    user = access.authorize("operator", "feeder.set_mode", target=feeder_id)
    try:
        mode = Mode(target or "")
    except ValueError:
        return {"error": ["mode", f"{target!r} is not auto or manual"]}
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
    prevent_initial_call=True,
)
@access.read_only
def dry_run(
    _clicks: int | None, feeder_id: str, house: str | None, phase: str | None
) -> tuple[Any, Any, bool]:
    """Preview a move on the feeder's current state; enable the confirm button when possible."""
    if not house:
        return _field_error("house", "choose a house"), None, True
    try:
        to_phase = parse_phase(phase)
        with runtime.engine().connect() as conn:
            dry = dry_run_move(conn, feeder_id, house, to_phase, _now())
    except MoveError as exc:
        return _field_error(exc.field, exc.message), None, True
    e = dry.effect
    verdict = (
        "improves the feeder"
        if e.improves
        else ("would overload " + ", ".join(e.overloads) if e.overloads else "makes it worse")
    )
    summary = html.Div(
        [
            html.P(
                [
                    html.Strong(f"{house}: {dry.from_phase} → {dry.to_phase}"),
                    f" (load {fmt(dry.house_p_w / 1000, 2, 'kW')}) {verdict}.",
                ]
            ),
            html.Ul(
                [
                    html.Li(
                        "Phase currents: "
                        + " / ".join(fmt(i) for i in e.before.i_a)
                        + " → "
                        + " / ".join(fmt(i) for i in e.after.i_a)
                        + " A"
                    ),
                    html.Li(
                        f"Neutral current: {fmt(e.before.i_n_a)} → {fmt(e.after.i_n_a)} A "
                        f"({e.neutral_change_a:+.1f} A)",
                        className="sp-neutral-change",
                    ),
                    html.Li(
                        f"Unbalance: {fmt(e.before.unbalance_pct)} → {fmt(e.after.unbalance_pct)} %"
                    ),
                ]
            ),
            dcc.Graph(figure=effect_figure(e), config={"displaylogo": False}),
        ],
        className="sp-dry-run" + (" sp-dry-run-good" if e.improves else " sp-dry-run-bad"),
    )
    return summary, {"house": house, "to": str(to_phase)}, False


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
    _clicks: int | None, feeder_id: str, planned: dict[str, str] | None, why: str | None
) -> dict[str, Any]:
    """Send the previewed move as a signed switch command; return its id or the error."""
    user = access.authorize("operator", "feeder.move_house", target=feeder_id)
    if not planned or not planned.get("house"):
        return {"error": ["house", "run a dry run first"]}
    try:
        to_phase = parse_phase(planned.get("to"))
    except MoveError as exc:
        return {"error": [exc.field, exc.message]}
    return _issue(
        feeder_id,
        ControlAction.SWITCH,
        user,
        house=planned["house"],
        to_phase=to_phase,
        why=why or "",
    )


def _issue(feeder_id: str, action: ControlAction, user: str, **fields: Any) -> dict[str, Any]:
    try:
        service: CommandService = runtime.service(SERVICE_NAME)
    except runtime.ServiceMissingError:
        return {"error": ["feeder", "the command path is not configured on this server"]}
    try:
        cmd = service.issue(
            feeder_id, action, actor=user, address=access.client_address(), **fields
        )
    except CommandError as exc:
        return {"error": [exc.field, exc.message]}
    return {"cmd_id": cmd.cmd_id}


# --- the commands' lifecycle ------------------------------------------------------------------


@callback(
    Output(ids.FEEDER_MODE_STATUS, "children"),
    Output(ids.FEEDER_MOVE_STATUS, "children"),
    Output(ids.FEEDER_COMMAND_INTERVAL, "disabled"),
    Input(ids.FEEDER_COMMAND_INTERVAL, "n_intervals"),
    Input(ids.FEEDER_MODE_COMMAND, "data"),
    Input(ids.FEEDER_MOVE_COMMAND, "data"),
    prevent_initial_call=True,
)
@access.read_only
def poll_commands(
    _n: int | None, mode_cmd: dict[str, Any] | None, move_cmd: dict[str, Any] | None
) -> tuple[Any, Any, bool]:
    """Show each pending command's lifecycle; stop polling once every one is final."""
    now = _now()
    pending = False
    out: list[Any] = []
    with runtime.engine().connect() as conn:
        for data, title in ((mode_cmd, "Mode change"), (move_cmd, "Manual move")):
            if not data:
                out.append(None)
            elif "error" in data:
                out.append(_field_error(*data["error"]))
            else:
                cmd = q.command(conn, data["cmd_id"])
                pending = pending or not is_final(cmd)
                out.append(build_status(cmd, now, title=title))
    return out[0], out[1], not pending
