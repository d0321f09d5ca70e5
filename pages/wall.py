"""The wall display (`/wall`): an unattended, dark, large-type view that looks after itself.

It refreshes every 15 s from the fleet snapshot its worker shares with every other screen
(components.fleet_snapshot), rotates the map through Kerala and each district every 20 s
(fitting the district's polygon), lists the feeders of the region shown whose state needs
attention and the region's active alerts (a district's own, with their count), most severe
then newest first, as many as fit the screen and "+N more" (assets/wall.js), and shows a
banner above them when no new summary has arrived for two minutes, or when the browser has not
heard the server for one. The banner check runs in the browser, so it appears even when the
server is down: its sentences come with the page in the interface language (`data-*` templates
on the banner, components.wall_view.BANNER) and the browser fills in the times (assets/wall.js),
written as the clock's `data-*` attributes say for the language (components.strings.CLOCKS).
No text is smaller than 28 px at 1080p: the type scales with the screen's height
(assets/grid_pages.css).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from components import access, ids, runtime
from components.feeder_map import build_legend, build_map, district_bounds
from components.fleet_snapshot import fleet
from components.html_attrs import attrs
from components.strings import clock_format, page_title, text
from components.wall_view import banner_templates, region_bounds
from grid.timezones import IST_IANA_NAME

dash.register_page(__name__, path="/wall", title=page_title("nav_wall"), name="Wall")

REFRESH_MS: Final = 15_000
"""How often the wall reads the fleet [ms]."""
ROTATE_MS: Final = 20_000
"""How long the wall shows each district [ms]."""
STALE_DATA_S: Final = 120
"""No summary newer than this: the data is stale [s]."""
SERVER_LOST_S: Final = 60
"""The browser has not heard the server for this long [s]."""


def layout(district: str | None = None, **_query: Any) -> html.Div:
    """Return the wall: top bar, stale banner, then the map beside the two lists.

    `/wall?district=NAME` keeps the wall on one district (a district office's screen) instead of
    rotating through Kerala.
    """
    return html.Div(
        [
            dcc.Store(id=ids.WALL_PIN, data=district or None),
            dcc.Interval(id=ids.WALL_INTERVAL, interval=REFRESH_MS),
            dcc.Interval(id=ids.WALL_ROTATE, interval=ROTATE_MS),
            dcc.Interval(id=ids.WALL_STALE_CHECK, interval=5_000),
            dcc.Store(id=ids.WALL_LAST_DATA),
            html.Div(
                [
                    html.Span(text("wall_brand"), className="sp-wall-brand"),
                    html.Span(
                        text("wall_kerala"), id=ids.WALL_DISTRICT, className="sp-wall-district"
                    ),
                    html.Span(
                        id=ids.WALL_CLOCK, className="sp-wall-clock", **attrs(clock_attributes())
                    ),
                ],
                className="sp-wall-top",
            ),
            html.Div(
                id=ids.WALL_STALE,
                className="sp-wall-stale sp-hidden",
                role="alert",
                **attrs(banner_templates()),
            ),
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
                                style={"flex": "1", "minHeight": "0", "width": "100%"},
                            ),
                            html.Div(build_legend(wall=True), id=ids.WALL_LEGEND),
                        ],
                        className="sp-wall-map",
                    ),
                    html.Div(
                        [
                            html.Section(id=ids.WALL_WORST, className="sp-wall-fit"),
                            html.Section(id=ids.WALL_ALERTS, className="sp-wall-fit"),
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


def clock_attributes(lang: str | None = None) -> dict[str, str]:
    """Return the clock's `data-*` attributes: how assets/wall.js writes a time of day in `lang`
    (default: the interface language) in India Standard Time."""
    locale, hour_cycle = clock_format(lang)
    return {
        "data-time-zone": IST_IANA_NAME,
        "data-locale": locale,
        "data-hour-cycle": hour_cycle,
    }


@callback(
    Output(ids.WALL_FEEDERS, "data"),
    Output(ids.WALL_MAP, "viewport"),
    Output(ids.WALL_MAP, "invalidateSize"),
    Output(ids.WALL_DISTRICT, "children"),
    Output(ids.WALL_LEGEND, "children"),
    Output(ids.WALL_WORST, "children"),
    Output(ids.WALL_ALERTS, "children"),
    Output(ids.WALL_LAST_DATA, "data"),
    Input(ids.WALL_INTERVAL, "n_intervals"),
    Input(ids.WALL_ROTATE, "n_intervals"),
    State(ids.WALL_PIN, "data"),
    State(ids.WALL_LAST_DATA, "data"),
)
@access.read_only
def refresh_wall(
    _n: int | None, turn: int | None, pinned: str | None, last: dict[str, Any] | None
) -> tuple[Any, ...]:
    """Show this turn's region from the shared fleet snapshot: its feeders that need attention
    and its alerts; the feeders and the legend only when the wall does not hold them yet, and
    the map moves only when the region may have changed (a turn, or the first call)."""
    snapshot = fleet().get()
    district = pinned if pinned else snapshot.cycle[(turn or 0) % len(snapshot.cycle)]
    region = snapshot.wall_region(district)
    held = (last or {}).get("version") == snapshot.version
    moved = dash.ctx.triggered_id != ids.WALL_INTERVAL or not held
    newest = snapshot.data.newest
    now = datetime.now(UTC)
    return (
        dash.no_update if held else snapshot.geojson,
        # The size is read again first (the flex layout settles after the map is created),
        # then the turn's region is fitted to it.
        {
            "bounds": region_bounds(district, snapshot.data.rows, district_bounds()),
            "transition": "fitBounds",
            "options": {"padding": [16, 16]},
        }
        if moved
        else dash.no_update,
        now.timestamp() if moved else dash.no_update,
        district or text("wall_all_kerala"),
        dash.no_update if held else snapshot.wall_legend,
        region.attention,
        region.alerts,
        {
            "version": snapshot.version,
            "newest_ms": None if newest is None else newest.timestamp() * 1000,
            "heard_ms": now.timestamp() * 1000,
        },
    )


clientside_callback(
    f"""
    function (n, last, shownClass) {{
        var now = Date.now();
        var banner = document.getElementById("{ids.WALL_STALE}");
        var fill = window.smartphase.fill;
        function at(ms) {{
            return window.smartphase.wall.clock(ms, "{ids.WALL_CLOCK}");
        }}
        var clock = at(now);
        var hidden = "sp-wall-stale sp-hidden";
        var text = "", cls = hidden;
        if (last && now - last.heard_ms > {SERVER_LOST_S} * 1000) {{
            text = fill(banner.getAttribute("data-lost"), {{at: at(last.heard_ms)}});
            cls = "sp-wall-stale";
        }} else if (last && last.newest_ms === null) {{
            text = fill(banner.getAttribute("data-none"), {{}});
            cls = "sp-wall-stale";
        }} else if (last && now - last.newest_ms > {STALE_DATA_S} * 1000) {{
            text = fill(banner.getAttribute("data-stale"), {{
                minutes: Math.round((now - last.newest_ms) / 60000),
                at: at(last.newest_ms)
            }});
            cls = "sp-wall-stale";
        }}
        // The banner takes room from the map: Leaflet must measure its box again.
        var resized = cls === shownClass ? window.dash_clientside.no_update : now;
        return [clock, text, cls, resized];
    }}
    """,
    Output(ids.WALL_CLOCK, "children"),
    Output(ids.WALL_STALE, "children"),
    Output(ids.WALL_STALE, "className"),
    Output(ids.WALL_MAP, "invalidateSize", allow_duplicate=True),
    Input(ids.WALL_STALE_CHECK, "n_intervals"),
    Input(ids.WALL_LAST_DATA, "data"),
    State(ids.WALL_STALE, "className"),
    prevent_initial_call="initial_duplicate",
)
