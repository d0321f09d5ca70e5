"""Alerts (/alerts): filter, page through and acknowledge alerts, one by one or in bulk.

The list is filtered, sorted (most severe first, then newest) and paged in SQL, PAGE_SIZE rows
at a time with the total, so 100,000 alerts draw as fast as ten. It is read again every
REFRESH_MS, and drawn again only when the alerts' fingerprint has changed. Operators
acknowledge an alert with its button, the ticked ones with "Acknowledge selected", or every open
alert the filter matches after a confirmation that says how many; each is one audited action,
and the header's count follows at once. The URL may carry the filter:
/alerts?feeder=KL-EKM-0001&rolled_up=1.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import dash
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from components import access, ids, runtime
from components.alert_list import (
    ROLLED_UP,
    acknowledged_text,
    build_alert_table,
    confirm_text,
    filter_data,
    filter_from_data,
    list_fingerprint,
    pager_text,
    parse_filter,
)
from components.html_attrs import attrs
from components.layout import build_page
from components.strings import page_title, text
from notify.outbox import notices_of
from store.alerting import (
    ACK_ACTION,
    ACTIVE,
    PAGE_SIZE,
    SEVERITIES,
    AlertError,
    acknowledge,
    acknowledge_matching,
    acknowledge_selected,
    alert_page,
    count_matching,
)
from store.queries import districts
from store.schema import ALERT_STATES

dash.register_page(__name__, path="/alerts", title=page_title("alerts_title"), name="Alerts")

REFRESH_MS: Final = 15_000
"""How often the list checks the store for changes [ms]."""

FILTER_INPUTS: Final = (
    Input(ids.ALERTS_FEEDER, "value"),
    Input(ids.ALERTS_DISTRICT, "value"),
    Input(ids.ALERTS_SEVERITY, "value"),
    Input(ids.ALERTS_STATE, "value"),
    Input(ids.ALERTS_ROLLED_UP, "value"),
)
SELECTION: Final = State({"type": ids.ALERT_SELECT_TYPE, "alert": ALL}, "value")


def layout(
    feeder: str = "",
    district: str = "",
    severity: str = "",
    state: str = ACTIVE,
    rolled_up: str = "",
    **_query: str,
) -> html.Main:
    """Return the page: filters (from the URL's query if given), bulk actions, pager, list."""
    with runtime.engine().connect() as conn:
        district_names = districts(conn)
    can_ack = access.has_role("operator")
    return build_page(
        text("alerts_title"),
        html.Div(
            [
                _field(
                    text("field_feeder"),
                    dcc.Input(
                        id=ids.ALERTS_FEEDER,
                        value=feeder,
                        placeholder="KL-TVM-0042",
                        debounce=True,
                    ),
                ),
                _field(
                    text("field_district"),
                    dcc.Dropdown(
                        district_names,
                        value=district or None,
                        id=ids.ALERTS_DISTRICT,
                        placeholder=text("any"),
                    ),
                ),
                _field(
                    text("field_severity"),
                    dcc.Dropdown(
                        list(SEVERITIES),
                        value=severity or None,
                        id=ids.ALERTS_SEVERITY,
                        placeholder=text("any"),
                    ),
                ),
                _field(
                    text("field_state"),
                    dcc.Dropdown(
                        [{"label": text("alerts_state_active"), "value": ACTIVE}]
                        + [{"label": text(f"alert_state_{s}"), "value": s} for s in ALERT_STATES],
                        value=state or None,
                        id=ids.ALERTS_STATE,
                        placeholder=text("any"),
                    ),
                ),
                dcc.Checklist(
                    [{"label": text("alerts_include_rolled_up"), "value": ROLLED_UP}],
                    value=[ROLLED_UP] if rolled_up else [],
                    id=ids.ALERTS_ROLLED_UP,
                    className="sp-field sp-alerts-rolled-up",
                ),
            ],
            className="sp-filters",
        ),
        html.Div(
            [
                html.Div(
                    [
                        html.Button(
                            text("alerts_ack_selected"),
                            id=ids.ALERTS_ACK_SELECTED,
                            className="sp-button",
                            disabled=True,
                            **attrs({"data-label": text("alerts_ack_selected")}),
                        ),
                        html.Button(
                            text("alerts_ack_all"),
                            id=ids.ALERTS_ACK_ALL,
                            className="sp-button sp-button-quiet",
                        ),
                    ],
                    className="sp-alerts-bulk",
                    hidden=not can_ack,
                ),
                html.Div(
                    [
                        html.Button(
                            text("alerts_newer"), id=ids.ALERTS_PREV, className="sp-button"
                        ),
                        html.Span(id=ids.ALERTS_PAGER, className="sp-alerts-pager"),
                        html.Button(
                            text("alerts_older"), id=ids.ALERTS_NEXT, className="sp-button"
                        ),
                    ],
                    className="sp-alerts-paging",
                ),
            ],
            className="sp-toolbar sp-alerts-toolbar",
        ),
        html.P(id=ids.ALERTS_MESSAGE, className="sp-message", role="status"),
        html.Div(id=ids.ALERTS_TABLE, className="sp-alerts-scroll"),
        dcc.Store(id=ids.ALERTS_PAGE, data=0),
        dcc.Store(id=ids.ALERTS_FINGERPRINT),
        dcc.Store(id=ids.ALERTS_ACK_PENDING),
        dcc.ConfirmDialog(id=ids.ALERTS_ACK_CONFIRM),
        dcc.Interval(id=ids.ALERTS_INTERVAL, interval=REFRESH_MS),
    )


def _field(label: str, control: Any) -> html.Label:
    return html.Label([html.Span(label), control], className="sp-field")


def _selected(values: list[list[str] | None] | None) -> list[str]:
    """Return the alert ids ticked in the rows' checkboxes."""
    return [alert_id for value in values or [] for alert_id in value or []]


@callback(
    Output(ids.ALERTS_TABLE, "children"),
    Output(ids.ALERTS_PAGER, "children"),
    Output(ids.ALERTS_PAGE, "data"),
    Output(ids.ALERTS_PREV, "disabled"),
    Output(ids.ALERTS_NEXT, "disabled"),
    Output(ids.ALERTS_FINGERPRINT, "data"),
    *FILTER_INPUTS,
    Input(ids.ALERTS_PREV, "n_clicks"),
    Input(ids.ALERTS_NEXT, "n_clicks"),
    Input(ids.HEADER_ALERTS_CHANGED, "data"),
    Input(ids.ALERTS_INTERVAL, "n_intervals"),
    State(ids.ALERTS_PAGE, "data"),
    State(ids.ALERTS_FINGERPRINT, "data"),
    SELECTION,
)
@access.read_only
def show_alerts(
    feeder: str | None,
    district: str | None,
    severity: str | None,
    state: str | None,
    rolled_up: list[str] | None,
    _prev: int | None,
    _next: int | None,
    _changed: int | None,
    _n: int | None,
    page: int | None,
    drawn: str | None,
    selection: list[list[str] | None] | None,
) -> tuple[Any, ...]:
    """Return one page of the filtered list, the pager and the fingerprint it was drawn at;
    on the timer, nothing unless an alert changed."""
    trigger = ctx.triggered_id
    try:
        flt = parse_filter(feeder, district, severity, state, rolled_up)
    except AlertError as err:
        refused = html.P(text("alerts_bad_filter", error=err), className="sp-denied")
        return refused, "", 0, True, True, None
    if trigger in (ids.ALERTS_PREV, ids.ALERTS_NEXT):
        wanted = (page or 0) + (1 if trigger == ids.ALERTS_NEXT else -1)
    elif trigger in (ids.ALERTS_INTERVAL, ids.HEADER_ALERTS_CHANGED):
        wanted = page or 0
    else:
        wanted = 0  # the first drawing, or a new filter: its first page
    with runtime.engine().connect() as conn:
        fingerprint = list_fingerprint(conn)
        if trigger == ids.ALERTS_INTERVAL and fingerprint == drawn:
            raise PreventUpdate
        shown = alert_page(conn, flt, wanted, PAGE_SIZE)
        told = notices_of(conn, [r.alert.alert_id for r in shown.rows])
    table = build_alert_table(shown, access.has_role("operator"), set(_selected(selection)), told)
    return (
        table,
        pager_text(shown),
        shown.page,
        shown.page == 0,
        shown.page >= shown.pages - 1,
        fingerprint,
    )


@callback(
    Output(ids.ALERTS_ACK_CONFIRM, "message"),
    Output(ids.ALERTS_ACK_CONFIRM, "displayed"),
    Output(ids.ALERTS_ACK_PENDING, "data"),
    Output(ids.ALERTS_MESSAGE, "children", allow_duplicate=True),
    Input(ids.ALERTS_ACK_ALL, "n_clicks"),
    *(State(i.component_id, i.component_property) for i in FILTER_INPUTS),
    prevent_initial_call=True,
)
@access.read_only
def ask_to_acknowledge_matching(
    clicks: int | None,
    feeder: str | None,
    district: str | None,
    severity: str | None,
    state: str | None,
    rolled_up: list[str] | None,
) -> tuple[Any, ...]:
    """Count the open alerts the filter matches and ask the operator to confirm that many."""
    if not clicks:
        raise PreventUpdate
    try:
        flt = parse_filter(feeder, district, severity, state, rolled_up)
    except AlertError as err:
        return "", False, None, text("alerts_bad_filter", error=err)
    as_of = datetime.now(UTC)
    with runtime.engine().connect() as conn:
        count = count_matching(conn, flt, as_of)
    if count == 0:
        return "", False, None, text("alerts_nothing_to_ack")
    pending = {"filter": filter_data(flt), "as_of": as_of.isoformat(), "count": count}
    return confirm_text(flt, count, as_of), True, pending, ""


@callback(
    Output(ids.ALERTS_MESSAGE, "children"),
    Output(ids.HEADER_ALERTS_CHANGED, "data"),
    Input({"type": ids.ALERT_ACK_TYPE, "alert": ALL}, "n_clicks"),
    Input(ids.ALERTS_ACK_SELECTED, "n_clicks"),
    Input(ids.ALERTS_ACK_CONFIRM, "submit_n_clicks"),
    SELECTION,
    State(ids.ALERTS_ACK_PENDING, "data"),
    State(ids.HEADER_ALERTS_CHANGED, "data"),
    prevent_initial_call=True,
)
@access.state_changing("operator", ACK_ACTION)
def acknowledge_alerts(
    user: access.Authorized,
    _row_clicks: list[int | None],
    _selected_clicks: int | None,
    _confirmed: int | None,
    selection: list[list[str] | None] | None,
    pending: dict[str, Any] | None,
    changed: int | None,
) -> tuple[str, int]:
    """Acknowledge the clicked alert, the ticked ones, or what the confirmation counted."""
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    actor, address = user.username, user.address
    bumped = (changed or 0) + 1
    try:
        with runtime.engine().begin() as conn:
            if isinstance(trigger, dict):
                alert_id = str(trigger.get("alert", ""))
                acknowledge(conn, alert_id, actor=actor, address=address)
                return text("alerts_acked_alert", alert=alert_id, user=actor), bumped
            if trigger == ids.ALERTS_ACK_SELECTED:
                done = acknowledge_selected(
                    conn, _selected(selection), actor=actor, address=address
                )
                return acknowledged_text(done, actor), bumped
            if not isinstance(pending, dict):
                raise AlertError("nothing was counted to acknowledge")
            done = acknowledge_matching(
                conn,
                filter_from_data(pending.get("filter") or {}),
                as_of=_instant(pending.get("as_of")),
                actor=actor,
                address=address,
            )
            return acknowledged_text(done, actor), bumped
    except AlertError as err:
        target = str(trigger.get("alert", "")) if isinstance(trigger, dict) else ""
        user.audit(target, {"reason": str(err)}, outcome="failed")
        return text("alerts_not_acked", error=err), bumped


def _instant(value: Any) -> datetime:
    """Return the confirmation's instant; AlertError when it is not one."""
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        raise AlertError(f"as_of: {value!r} is not an instant") from None
    if at.tzinfo is None:
        raise AlertError(f"as_of: {value!r} has no time zone")
    return at


clientside_callback(
    """
    function (values) {
        var n = (values || []).filter(function (v) { return v && v.length; }).length;
        var button = document.getElementById("sp-alerts-ack-selected");
        var label = (button && button.dataset.label) || "Acknowledge selected";
        return [n ? label + " (" + n + ")" : label, n === 0];
    }
    """,
    Output(ids.ALERTS_ACK_SELECTED, "children"),
    Output(ids.ALERTS_ACK_SELECTED, "disabled"),
    Input({"type": ids.ALERT_SELECT_TYPE, "alert": ALL}, "value"),
)

clientside_callback(
    """
    function (page, rows) {
        var all = (page || []).length > 0;
        return (rows || []).map(function (id) { return all ? [id.alert] : []; });
    }
    """,
    Output({"type": ids.ALERT_SELECT_TYPE, "alert": ALL}, "value"),
    Input(ids.ALERTS_SELECT_PAGE, "value"),
    State({"type": ids.ALERT_SELECT_TYPE, "alert": ALL}, "id"),
    prevent_initial_call=True,
)
