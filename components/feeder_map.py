"""The Kerala feeder map shared by the map page and the wall: offline districts, state markers.

The base layer is the district polygons served from assets/ (no internet needed); online tiles
are added only when SP_MAP_TILES_URL is set. Feeders are one GeoJSON layer, clustered in the
browser (supercluster) and drawn by functions in assets/grid_map.js, so 5,000 feeders are one
Dash component and one JSON document, not 5,000 components.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import dash_leaflet as dl
from dash import html
from plotly.io.json import to_json_plotly

from grid.feeder_states import LEGEND_RULE, SEVERITY, STATE_LOOKS, FeederStatus
from store.queries import DistrictSummary, FeederMapRow

DISTRICTS_URL: Final = "/assets/kerala_districts.geojson"
KERALA_CENTER: Final = (10.45, 76.3)
"""Where the map opens [° lat, ° lon]."""
KERALA_BOUNDS: Final = ((8.2, 74.8), (12.9, 77.5))
"""South-west and north-east corners of Kerala [° lat, ° lon]."""

HIDEOUT: Final = {
    "colors": {state: style.color for state, style in STATE_LOOKS.items()},
    "severity": list(SEVERITY),
    "labels": {state: style.label for state, style in STATE_LOOKS.items()},
}
"""What the browser-side drawing functions read from the layer's `hideout`."""


def feeder_geojson(rows: Sequence[FeederMapRow]) -> dict[str, Any]:
    """Return the feeders as a GeoJSON FeatureCollection of points with compact properties.

    Properties: `id`, `name`, `st` (state), `ub` (current unbalance [%], 1 decimal or null),
    `al` (active alerts).
    """
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                "properties": {
                    "id": r.feeder_id,
                    "name": r.name,
                    "st": r.state,
                    "ub": None if r.unbalance_pct is None else round(r.unbalance_pct, 1),
                    "al": r.active_alerts,
                },
            }
            for r in rows
        ],
    }


def state_counts(rows: Sequence[FeederMapRow]) -> dict[FeederStatus, int]:
    """Return how many feeders are in each state, in legend order."""
    counts: dict[FeederStatus, int] = dict.fromkeys(STATE_LOOKS, 0)
    for r in rows:
        counts[r.state] += 1
    return counts


def district_rows(summaries: Sequence[DistrictSummary]) -> list[dict[str, Any]]:
    """Return the district summary as table rows (unbalance rounded to 0.1 %)."""
    return [
        {
            "district": s.district,
            "feeders": s.feeders,
            "online": s.online,
            "active_alerts": s.active_alerts,
            "avg_unbalance_pct": None
            if s.avg_unbalance_pct is None
            else round(s.avg_unbalance_pct, 1),
            "switches_today": s.switches_today,
        }
        for s in summaries
    ]


def newest_data(rows: Sequence[FeederMapRow]) -> datetime | None:
    """Return the time of the newest feeder summary, or None when there is none."""
    times = [r.ts for r in rows if r.ts is not None]
    return max(times) if times else None


def plain(component: Any) -> Any:
    """Return a Dash component as the plain JSON structure the renderer receives.

    A callback response that holds only plain values is encoded by orjson in one call; a
    single component object in it makes plotly's encoder walk the whole response in Python
    first, which for the map's 5,000 GeoJSON features costs more than reading them.
    """
    return json.loads(to_json_plotly(component))


def build_legend(counts: dict[FeederStatus, int] | None = None) -> html.Div:
    """Return the state legend (with the number of feeders in each state when given) and the
    sentence that says the unbalance rule."""
    items = []
    for state, style in STATE_LOOKS.items():
        count = "" if counts is None else f" {counts.get(state, 0):,}"
        items.append(
            html.Li(
                [
                    html.Span(className="sp-swatch", style={"backgroundColor": style.color}),
                    html.Strong(style.label + count),
                    html.Span(f" — {style.meaning}", className="sp-legend-meaning"),
                ],
                className=f"sp-legend-{state}",
            )
        )
    return html.Div(
        [html.Ul(items, className="sp-legend"), html.P(LEGEND_RULE, className="sp-legend-rule")],
        className="sp-legend-box",
    )


def build_map(
    map_id: str,
    layer_id: str,
    *,
    tiles_url: str | None,
    districts_id: str | None = None,
    dark: bool = False,
    wall: bool = False,
    style: dict[str, str] | None = None,
) -> dl.MapContainer:
    """Return the map: offline districts, optional online tiles and the clustered feeder layer.

    A `wall` map zooms in quarter steps (so that a fitted region fills the screen) and draws its
    markers larger on larger screens (assets/grid_map.js scales them with the window width).
    """
    layers: list[Any] = []
    if tiles_url:
        layers.append(dl.TileLayer(url=tiles_url, attribution="Map tiles: configured provider"))
    layers.append(
        dl.GeoJSON(
            url=DISTRICTS_URL,
            style={"variable": "smartphase.map.districtStyle"},
            hideout={"dark": dark},
            interactive=False,
            attribution="Districts: DataMeet (CC BY 2.5 IN), udit-001/india-maps-data",
            **({"id": districts_id} if districts_id else {}),
        )
    )
    layers.append(
        dl.GeoJSON(
            id=layer_id,
            data={"type": "FeatureCollection", "features": []},
            cluster=True,
            zoomToBoundsOnClick=True,
            # A wall draws larger clusters: gathering them wider keeps them from overlapping.
            superClusterOptions={"radius": 150 if wall else 60, "maxZoom": 11},
            pointToLayer={"variable": "smartphase.map.feederMarker"},
            clusterToLayer={"variable": "smartphase.map.feederCluster"},
            hideout={**HIDEOUT, "scale": wall},
        )
    )
    return dl.MapContainer(
        layers,
        id=map_id,
        center=KERALA_CENTER,
        zoom=7,
        **({} if wall else {"bounds": KERALA_BOUNDS}),  # the control room opens on all Kerala
        minZoom=6,
        maxZoom=16,
        zoomSnap=0.25 if wall else 0.5,
        preferCanvas=True,
        className="sp-leaflet" + (" sp-leaflet-dark" if dark else ""),
        style=style or {"height": "70vh", "width": "100%"},
    )
