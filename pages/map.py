"""The Kerala feeder map (`/`): feeders coloured by state, clustered, and a district summary.

A search box (feeder id or name), a district and the states narrow the feeders shown; they
filter in the browser (assets/grid_map.js) over the fleet the page last read, and the map fits
what they let through (a district: its polygon); what they found is said in the templates the
page carries in the interface language (feeder_map.match_templates). The fleet comes from the
snapshot its worker shares with every other screen (components.fleet_snapshot), and only when it
has changed.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html
from dash.dash_table.DataTable import DataTable

from components import access, ids, runtime
from components import layout as shell
from components.feeder_map import (
    build_filters,
    build_legend,
    build_map,
    district_bounds,
    match_templates,
)
from components.fleet_snapshot import fleet
from components.html_attrs import attrs
from components.strings import page_title, text

dash.register_page(__name__, path="/", title=page_title("nav_map"), name="Map")

ColumnType = Literal["text", "numeric"]

LIVE_REGION: Final[dict[str, Any]] = {"aria-live": "polite"}
"""A screen reader reads what the filters found when it changes."""

REFRESH_MS: Final = 30_000
"""How often the map reads the feeders again [ms]."""

SUMMARY_COLUMNS: Final[tuple[tuple[str, str, ColumnType], ...]] = (
    ("district", "map_col_district", "text"),
    ("feeders", "map_col_feeders", "numeric"),
    ("online", "map_col_online", "numeric"),
    ("active_alerts", "map_col_active_alerts", "numeric"),
    ("avg_unbalance_pct", "map_col_avg_unbalance_pct", "numeric"),
    ("switches_today", "map_col_switches_today", "numeric"),
)
"""The district table's columns: id, heading's string (components/strings), type."""


def layout(**_query: Any) -> html.Main:
    """Return the map page: the map with its legend, and the district summary."""
    tiles_url = runtime.settings().map_tiles_url
    return shell.build_page(
        text("map_title"),
        dcc.Location(id=ids.MAP_LOCATION, refresh="callback-nav"),
        dcc.Interval(id=ids.MAP_INTERVAL, interval=REFRESH_MS),
        dcc.Store(id=ids.MAP_ALL),
        dcc.Store(id=ids.MAP_VERSION),
        dcc.Store(id=ids.MAP_DISTRICT_BOUNDS, data=district_bounds()),
        build_filters(ids.MAP_SEARCH, ids.MAP_DISTRICT_FILTER, ids.MAP_STATE_FILTER),
        html.Div(
            id=ids.MAP_MATCHES,
            className="sp-map-matches",
            **LIVE_REGION,
            **attrs(match_templates()),
        ),
        html.Div(
            [
                html.Div(
                    build_map(ids.MAP, ids.MAP_FEEDERS, tiles_url=tiles_url),
                    className="sp-map-pane",
                ),
                html.Aside(
                    [
                        html.H2(text("map_legend")),
                        html.Div(build_legend(), id=ids.MAP_LEGEND),
                        html.P(
                            text("map_hint"),
                            className="sp-hint",
                        ),
                        html.P(text("map_credit"), className="sp-hint"),
                    ],
                    className="sp-map-side",
                ),
            ],
            className="sp-map-row",
        ),
        html.H2(text("map_districts")),
        DataTable(
            id=ids.MAP_SUMMARY,
            columns=[{"id": c, "name": text(n), "type": t} for c, n, t in SUMMARY_COLUMNS],
            data=[],
            sort_action="native",
            style_as_list_view=True,
            style_cell={"padding": "6px 10px", "fontFamily": "inherit", "textAlign": "left"},
            style_header={"fontWeight": "bold"},
        ),
        class_name="sp-map-page",
    )


@callback(
    Output(ids.MAP_ALL, "data"),
    Output(ids.MAP_SUMMARY, "data"),
    Output(ids.MAP_LEGEND, "children"),
    Output(ids.MAP_DISTRICT_FILTER, "options"),
    Output(ids.MAP_VERSION, "data"),
    Input(ids.MAP_INTERVAL, "n_intervals"),
    State(ids.MAP_VERSION, "data"),
)
@access.read_only
def refresh_map(_n: int | None, held: str | None) -> tuple[Any, ...]:
    """Return the shared fleet snapshot: the GeoJSON, the district table, the legend counts and
    the districts to filter by; nothing when the page holds this snapshot already."""
    snapshot = fleet().get()
    if held == snapshot.version:
        return (dash.no_update,) * 5
    return (
        snapshot.geojson,
        snapshot.districts,
        snapshot.legend,
        snapshot.district_names,
        snapshot.version,
    )


clientside_callback(
    dash.ClientsideFunction(namespace="smartphase", function_name="filterFeeders"),
    Output(ids.MAP_FEEDERS, "data"),
    Output(ids.MAP_MATCHES, "children"),
    Output(ids.MAP, "viewport"),
    Input(ids.MAP_ALL, "data"),
    Input(ids.MAP_SEARCH, "value"),
    Input(ids.MAP_DISTRICT_FILTER, "value"),
    Input(ids.MAP_STATE_FILTER, "value"),
    State(ids.MAP_DISTRICT_BOUNDS, "data"),
)


clientside_callback(
    dash.ClientsideFunction(namespace="smartphase", function_name="feederHref"),
    Output(ids.MAP_LOCATION, "pathname"),
    Input(ids.MAP_FEEDERS, "clickData"),
    prevent_initial_call=True,
)
