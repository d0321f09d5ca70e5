"""The wall display (`/wall`): an unattended, dark, large-type view that looks after itself.

It reads the fleet every 15 s, rotates the map through Kerala and each district every 20 s,
lists the feeders that most need attention and the active alerts, and shows a banner when no
new summary has arrived for two minutes, or when the browser has not heard the server for one.
The banner check runs in the browser, so it appears even when the server is down.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import dash
from dash import Input, Output, callback, clientside_callback, dcc, html

from components import access, ids, runtime
from components.feeder_map import build_legend, build_map, plain
from components.feeder_view import fmt
from components.grid_data import district_cycle, load_map, worst_feeders
from grid.feeder_states import STATE_LOOKS
from store import queries as q

dash.register_page(__name__, path="/wall", title="SmartPhase · Wall", name="Wall")

REFRESH_MS: Final = 15_000
"""How often the wall reads the fleet [ms]."""
ROTATE_MS: Final = 20_000
"""How long the wall shows each district [ms]."""
STALE_DATA_S: Final = 120
"""No summary newer than this: the data is stale [s]."""
SERVER_LOST_S: Final = 60
"""The browser has not heard the server for this long [s]."""
WORST_COUNT: Final = 8
ALERT_COUNT: Final = 8


def layout(**_query: Any) -> html.Div:
    """Return the wall: top bar, stale banner, map, worst feeders and alerts."""
    return html.Div(
        [
            dcc.Interval(id=ids.WALL_INTERVAL, interval=REFRESH_MS),
            dcc.Interval(id=ids.WALL_ROTATE, interval=ROTATE_MS),
            dcc.Interval(id=ids.WALL_STALE_CHECK, interval=5_000),
            dcc.Store(id=ids.WALL_LAST_DATA),
            html.Div(
                [
                    html.Span("SmartPhase · Kerala LV feeders", className="sp-wall-brand"),
                    html.Span("Kerala", id=ids.WALL_DISTRICT, className="sp-wall-district"),
                    html.Span(id=ids.WALL_CLOCK, className="sp-wall-clock"),
                ],
                className="sp-wall-top",
            ),
            html.Div(id=ids.WALL_STALE, className="sp-wall-stale sp-hidden"),
            html.Div(
                [
                    html.Div(
                        [
                            build_map(
                                ids.WALL_MAP,
                                ids.WALL_FEEDERS,
                                tiles_url=runtime.settings().map_tiles_url,
                                dark=True,
                                wall=True,
                                style={"height": "100%", "width": "100%"},
                            ),
                            build_legend(),
                        ],
                        className="sp-wall-map",
                    ),
                    html.Div(
                        [
                            html.H2("Needs attention"),
                            html.Div(id=ids.WALL_WORST),
                            html.H2("Active alerts"),
                            html.Div(id=ids.WALL_ALERTS),
                        ],
                        className="sp-wall-side",
                    ),
                ],
                className="sp-wall-body",
            ),
        ],
        id=ids.WALL,
        className="sp-wall",
    )


def _worst_list(rows: list[q.FeederMapRow]) -> html.Table:
    body = [
        html.Tr(
            [
                html.Td(
                    html.Span(
                        STATE_LOOKS[r.state].label,
                        className="sp-wall-badge",
                        style={"backgroundColor": STATE_LOOKS[r.state].color},
                    )
                ),
                html.Td([html.Strong(r.feeder_id), html.Br(), html.Small(r.name)]),
                html.Td(fmt(r.unbalance_pct, 0, "%"), className="sp-num"),
                html.Td(fmt(r.i_n, 0, "A N"), className="sp-num"),
            ]
        )
        for r in rows
    ]
    return html.Table(html.Tbody(body), className="sp-wall-table")


def _alert_list(alerts: list[q.Alert], now: datetime) -> Any:
    if not alerts:
        return html.P("No active alerts.", className="sp-wall-quiet")
    items = []
    for a in alerts:
        minutes = int((now - a.raised_at).total_seconds() // 60)
        items.append(
            html.Li(
                [
                    html.Span(a.severity.upper(), className=f"sp-sev sp-sev-{a.severity}"),
                    html.Strong(f" {a.feeder_id or ''} "),
                    html.Span(a.message),
                    html.Small(f" · {minutes} min"),
                ]
            )
        )
    return html.Ul(items, className="sp-wall-alerts")


@callback(
    Output(ids.WALL_FEEDERS, "data"),
    Output(ids.WALL_MAP, "viewport"),
    Output(ids.WALL_MAP, "invalidateSize"),
    Output(ids.WALL_DISTRICT, "children"),
    Output(ids.WALL_WORST, "children"),
    Output(ids.WALL_ALERTS, "children"),
    Output(ids.WALL_LAST_DATA, "data"),
    Input(ids.WALL_INTERVAL, "n_intervals"),
    Input(ids.WALL_ROTATE, "n_intervals"),
)
@access.read_only
def refresh_wall(_n: int | None, turn: int | None) -> tuple[Any, ...]:
    """Read the fleet; pick this turn's district; list its worst feeders and the alerts."""
    now = datetime.now(UTC)
    with runtime.engine().connect() as conn:
        data = load_map(conn, now)
        alerts = q.alerts(conn, state="active", limit=ALERT_COUNT)
    cycle = district_cycle(data.rows)
    district = cycle[(turn or 0) % len(cycle)]
    shown = [r for r in data.rows if district is None or r.district == district]
    lats = [r.lat for r in shown] or [8.2, 12.9]
    lons = [r.lon for r in shown] or [74.8, 77.5]
    pad = 0.05
    newest = data.newest
    bounds = [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]
    return (
        data.geojson,
        # The size is read again first (the flex layout settles after the map is created),
        # then the turn's region is fitted to it.
        {"bounds": bounds, "transition": "fitBounds", "options": {"padding": [24, 24]}},
        now.timestamp(),
        district or "All Kerala",
        plain(_worst_list(worst_feeders(shown, WORST_COUNT))),  # plain JSON: one orjson pass
        plain(_alert_list(alerts, now)),
        {
            "newest_ms": None if newest is None else newest.timestamp() * 1000,
            "heard_ms": now.timestamp() * 1000,
        },
    )


clientside_callback(
    f"""
    function (n, last) {{
        var now = Date.now();
        var clock = new Date(now).toLocaleTimeString("en-IN", {{timeZone: "Asia/Kolkata",
            hour: "2-digit", minute: "2-digit"}}) + " IST";
        var hidden = "sp-wall-stale sp-hidden";
        if (!last) {{ return [clock, "", hidden]; }}
        function at(ms) {{
            return new Date(ms).toLocaleTimeString("en-IN", {{timeZone: "Asia/Kolkata",
                hour: "2-digit", minute: "2-digit"}}) + " IST";
        }}
        if (now - last.heard_ms > {SERVER_LOST_S} * 1000) {{
            return [clock, "NO CONNECTION TO THE SERVER since " + at(last.heard_ms) +
                    " — figures below are not current", "sp-wall-stale"];
        }}
        if (last.newest_ms === null || now - last.newest_ms > {STALE_DATA_S} * 1000) {{
            var mins = last.newest_ms === null ? null : Math.round((now - last.newest_ms) / 60000);
            return [clock, mins === null ? "NO DATA RECEIVED FROM ANY FEEDER" :
                    "STALE DATA: nothing received for " + mins + " min (last " +
                    at(last.newest_ms) + ")", "sp-wall-stale"];
        }}
        return [clock, "", hidden];
    }}
    """,
    Output(ids.WALL_CLOCK, "children"),
    Output(ids.WALL_STALE, "children"),
    Output(ids.WALL_STALE, "className"),
    Input(ids.WALL_STALE_CHECK, "n_intervals"),
    Input(ids.WALL_LAST_DATA, "data"),
)
