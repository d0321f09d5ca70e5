"""Alerts (/alerts): filter by feeder, district, severity and state; operators acknowledge."""

from __future__ import annotations

from typing import Any, Final

import dash
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from components import access, ids, runtime
from components.layout import build_page
from components.tables import build_table, fmt_time
from store.alerting import ACK_ACTION, SEVERITIES, AlertError, acknowledge, find_alerts
from store.queries import Alert, districts
from store.schema import ALERT_STATES

dash.register_page(__name__, path="/alerts", title="SmartPhase · Alerts", name="Alerts")

REFRESH_MS: Final = 15_000
"""How often the list re-reads the store [ms]."""

COLUMNS: Final = (
    ("raised", "Raised (IST)"),
    ("severity", "Severity"),
    ("state", "State"),
    ("feeder", "Feeder"),
    ("house", "House"),
    ("kind", "Kind"),
    ("message", "Message"),
    ("acked", "Acknowledged"),
    ("cleared", "Cleared (IST)"),
    ("action", ""),
)


def layout(**_query: str) -> html.Main:
    """Return the page: filters, the alert list and its message line."""
    with runtime.engine().connect() as conn:
        district_names = districts(conn)
    return build_page(
        "Alerts",
        html.Div(
            [
                _field(
                    "Feeder",
                    dcc.Input(id=ids.ALERTS_FEEDER, placeholder="KL-TVM-0042", debounce=True),
                ),
                _field(
                    "District",
                    dcc.Dropdown(district_names, id=ids.ALERTS_DISTRICT, placeholder="any"),
                ),
                _field(
                    "Severity",
                    dcc.Dropdown(list(SEVERITIES), id=ids.ALERTS_SEVERITY, placeholder="any"),
                ),
                _field(
                    "State",
                    dcc.Dropdown(
                        [{"label": "active (open or acknowledged)", "value": "active"}]
                        + [{"label": s, "value": s} for s in ALERT_STATES],
                        value="active",
                        id=ids.ALERTS_STATE,
                        placeholder="any",
                    ),
                ),
            ],
            className="sp-filters",
        ),
        html.P(id=ids.ALERTS_MESSAGE, className="sp-message", role="status"),
        html.Div(id=ids.ALERTS_TABLE),
        dcc.Store(id=ids.ALERTS_CHANGED, data=0),
        dcc.Interval(id=ids.ALERTS_INTERVAL, interval=REFRESH_MS),
    )


def _field(label: str, control: Any) -> html.Label:
    return html.Label([html.Span(label), control], className="sp-field")


def alert_rows(alerts: list[Alert], can_ack: bool) -> list[dict[str, Any]]:
    """Return table rows of alerts; open ones get an Acknowledge button when `can_ack`."""
    rows = []
    for a in alerts:
        acked = f"{a.acked_by} at {fmt_time(a.acked_at)}" if a.acked_by else ""
        button: Any = ""
        if can_ack and a.state == "open":
            button = html.Button(
                "Acknowledge",
                id={"type": ids.ALERT_ACK_TYPE, "alert": a.alert_id},
                className="sp-button",
            )
        rows.append(
            {
                "raised": fmt_time(a.raised_at),
                "severity": html.Span(a.severity, className=f"sp-sev sp-sev-{a.severity}"),
                "state": a.state,
                "feeder": dcc.Link(a.feeder_id, href=f"/feeder/{a.feeder_id}")
                if a.feeder_id
                else "",
                "house": a.house_id or "",
                "kind": a.kind,
                "message": a.message,
                "acked": acked,
                "cleared": fmt_time(a.cleared_at),
                "action": button,
                "row": f"sp-alert-{a.state}",
            }
        )
    return rows


@callback(
    Output(ids.ALERTS_TABLE, "children"),
    Input(ids.ALERTS_FEEDER, "value"),
    Input(ids.ALERTS_DISTRICT, "value"),
    Input(ids.ALERTS_SEVERITY, "value"),
    Input(ids.ALERTS_STATE, "value"),
    Input(ids.ALERTS_CHANGED, "data"),
    Input(ids.ALERTS_INTERVAL, "n_intervals"),
)
@access.read_only
def show_alerts(
    feeder: str | None,
    district: str | None,
    severity: str | None,
    state: str | None,
    _changed: int | None,
    _n: int | None,
) -> html.Div:
    """Return the filtered alert list."""
    with runtime.engine().connect() as conn:
        found = find_alerts(
            conn,
            state=state or None,
            feeder_id=(feeder or "").strip() or None,
            district=district or None,
            severity=severity or None,
        )
    return build_table(
        COLUMNS,
        alert_rows(found, access.has_role("operator")),
        empty="No alerts match.",
        row_class="row",
    )


@callback(
    Output(ids.ALERTS_MESSAGE, "children"),
    Output(ids.ALERTS_CHANGED, "data"),
    Input({"type": ids.ALERT_ACK_TYPE, "alert": ALL}, "n_clicks"),
    State(ids.ALERTS_CHANGED, "data"),
    prevent_initial_call=True,
)
@access.state_changing("operator", ACK_ACTION)
def acknowledge_alert(_clicks: list[int | None], changed: int | None) -> tuple[str, int]:
    """Acknowledge the alert whose button was clicked."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    alert_id = str(trigger.get("alert", ""))
    user = access.authorize("operator", ACK_ACTION, target=alert_id)
    try:
        with runtime.engine().begin() as conn:
            acknowledge(conn, alert_id, actor=user, address=access.client_address())
    except AlertError as err:
        access.audit_action(ACK_ACTION, alert_id, {"error": str(err)}, outcome="failed")
        return f"Not acknowledged: {err}.", (changed or 0) + 1
    return f"Alert {alert_id} acknowledged by {user}.", (changed or 0) + 1
