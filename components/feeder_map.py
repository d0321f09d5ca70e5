"""The Kerala feeder map shared by the map page and the wall: offline districts, state markers.

The base layer is the district polygons served from assets/ (no internet needed); online tiles
are added only when SP_MAP_TILES_URL is set. Feeders are one GeoJSON layer, clustered in the
browser (supercluster) and drawn by functions in assets/grid_map.js, so 5,000 feeders are one
Dash component and one JSON document, not 5,000 components. The feeders' own markers sit in a
pane of their own above the district polygons (Leaflet's overlay pane), so that a polygon
loaded after them cannot cover them. How each state looks and the thresholds that define it
come from grid.feeder_states; every word the map shows (the legend's meanings, the tooltips'
labels, the credits) from components.strings, in the language the builder is given (None: the
interface language of the request).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

import dash_leaflet as dl
from dash import dcc, html
from plotly.io.json import to_json_plotly

from components.strings import text
from grid.feeder_states import (
    NEUTRAL_LIMIT_SHARE,
    OFFLINE_AFTER_S,
    REFERENCE_KVA,
    SEVERITY,
    STATE_LOOKS,
    FeederStatus,
    loading_to_reach_limit,
    neutral_limit_a,
)
from grid.metrics import rated_current_a
from store.queries import DistrictSummary, FeederMapRow

DISTRICTS_URL: Final = "/assets/kerala_districts.geojson"
DISTRICTS_FILE: Final = Path(__file__).resolve().parents[1] / "assets" / "kerala_districts.geojson"
KERALA_CENTER: Final = (10.45, 76.3)
"""Where the map opens [° lat, ° lon]."""

Bounds = tuple[tuple[float, float], tuple[float, float]]
"""South-west and north-east corners [° lat, ° lon]."""

KERALA_BOUNDS: Final[Bounds] = ((8.2, 74.8), (12.9, 77.5))
"""South-west and north-east corners of Kerala [° lat, ° lon]."""

FEEDER_PANE: Final = "sp-feeders"
FEEDER_PANE_Z: Final = 450
"""z-index of the feeders' pane: above Leaflet's overlay pane (400, the district polygons),
below its marker pane (600, the clusters) and tooltips (650)."""

TOOLTIP_WORDS: Final = {
    "neutral": "map_tip_neutral",
    "unbalance": "map_tip_unbalance",
    "alert": "map_tip_alerts_one",
    "alerts": "map_tip_alerts_many",
}
"""The templates of a feeder's tooltip (assets/grid_map.js fills in their fields): the name
the browser reads each by, and its string."""


def hideout(lang: str | None = None) -> dict[str, Any]:
    """Return what the browser-side drawing functions read from the feeder layer's `hideout`:
    the states' colours, their order of severity, their names and the tooltip's templates in
    `lang`, and the feeders' pane."""
    return {
        "colors": {state: look.color for state, look in STATE_LOOKS.items()},
        "severity": list(SEVERITY),
        "labels": {state: state_label(state, lang) for state in STATE_LOOKS},
        "words": {name: text(key, lang) for name, key in TOOLTIP_WORDS.items()},
        "pane": FEEDER_PANE,
    }


MATCH_TEMPLATES: Final = {
    "data-all": "map_shown_all",
    "data-some": "map_shown_some",
    "data-none": "map_no_match",
}
"""What the map page's filters found (assets/grid_map.js filterFeeders fills in the figures and
the search): the attribute of the matches' box that carries each template, and its string."""


def match_templates(lang: str | None = None) -> dict[str, str]:
    """Return the `data-*` attributes of the map page's matches box: each template in `lang`."""
    return {attribute: text(key, lang) for attribute, key in MATCH_TEMPLATES.items()}


COORD_DECIMALS: Final = 5
"""Decimals of a feeder's position sent to the browser: 1e-5° is about 1 m."""


def feeder_geojson(rows: Sequence[FeederMapRow]) -> dict[str, Any]:
    """Return the feeders as a GeoJSON FeatureCollection of points with compact properties.

    Positions are rounded to COORD_DECIMALS.

    Properties: `id`, `name`, `d` (district), `st` (state), `n` (neutral current [A], whole or
    null), `nr` (neutral current against the rated phase current [%], whole or null), `ub`
    (current unbalance [%], 1 decimal or null), `al` (active alerts).
    """
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(r.lon, COORD_DECIMALS), round(r.lat, COORD_DECIMALS)],
                },
                "properties": {
                    "id": r.feeder_id,
                    "name": r.name,
                    "d": r.district,
                    "st": r.state,
                    "n": None if r.i_n is None else round(r.i_n),
                    "nr": None if r.i_n is None else round(100.0 * r.i_n / r.rated_a),
                    "ub": None if r.unbalance_pct is None else round(r.unbalance_pct, 1),
                    "al": r.active_alerts,
                },
            }
            for r in rows
        ],
    }


def geojson_bounds(geojson: Mapping[str, Any], key: str = "district") -> dict[str, Bounds]:
    """Return the bounds of each feature of a GeoJSON polygon collection, by its `key` property
    (the union when several features share a name)."""
    out: dict[str, Bounds] = {}
    for feature in geojson["features"]:
        name = str(feature["properties"][key])
        points = list(_points(feature["geometry"]["coordinates"]))
        if not points:
            raise ValueError(f"district {name!r}: geometry has no coordinates")
        lons = [lon for lon, _ in points]
        lats = [lat for _, lat in points]
        if name in out:
            (s, w), (n, e) = out[name]
            lats += [s, n]
            lons += [w, e]
        out[name] = ((min(lats), min(lons)), (max(lats), max(lons)))
    return out


def _points(coordinates: Any) -> Iterable[tuple[float, float]]:
    """Yield the (lon, lat) positions of nested GeoJSON coordinates (polygons or multi)."""
    if coordinates and isinstance(coordinates[0], int | float):
        yield float(coordinates[0]), float(coordinates[1])
        return
    for part in coordinates:
        yield from _points(part)


@cache
def district_bounds() -> dict[str, Bounds]:
    """Return the bounds of every Kerala district polygon shipped in assets/, by name."""
    return geojson_bounds(json.loads(DISTRICTS_FILE.read_text(encoding="utf-8")))


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


def state_label(state: str, lang: str | None = None) -> str:
    """Return the name of a feeder state ("Unbalanced") in `lang` (default: the interface
    language)."""
    return text(f"state_{state}", lang)


EXAMPLE_UNBALANCE: Final = 0.20
"""The current unbalance the legend's rule takes as its example (a share)."""


def _pct(share: float) -> str:
    """Return a share as whole per cent ("20 %")."""
    return f"{share * 100:.0f} %"


def state_meaning(state: FeederStatus, lang: str | None = None) -> str:
    """Return what a feeder state means, with its thresholds (grid.feeder_states), in `lang`."""
    return text(
        f"state_meaning_{state}",
        lang,
        limit=_pct(NEUTRAL_LIMIT_SHARE),
        seconds=f"{OFFLINE_AFTER_S:.0f}",
    )


def legend_rule(lang: str | None = None) -> str:
    """Return the legend's sentence that says the unbalance rule and why, in `lang`."""
    return text(
        "map_legend_rule",
        lang,
        limit=_pct(NEUTRAL_LIMIT_SHARE),
        limit_a=f"{neutral_limit_a(rated_current_a(REFERENCE_KVA)):.0f}",
        kva=f"{REFERENCE_KVA:.0f}",
        unbalance=_pct(EXAMPLE_UNBALANCE),
        loading=_pct(loading_to_reach_limit(EXAMPLE_UNBALANCE)),
    )


def build_legend(
    counts: dict[FeederStatus, int] | None = None, *, wall: bool = False, lang: str | None = None
) -> html.Div:
    """Return the state legend (with the number of feeders in each state when given) and the rule.

    The control room's legend gives every state's meaning and the sentence that explains the
    unbalance rule; a wall's gives the labels, the unbalance rule in one line and the map credit
    (its Leaflet attribution is off: it would be unreadable from across the room).
    """
    items = []
    for state, look in STATE_LOOKS.items():
        count = "" if counts is None else f" {counts.get(state, 0):,}"
        parts: list[Any] = [
            html.Span(className="sp-swatch", style={"backgroundColor": look.color}),
            html.Strong(state_label(state, lang) + count),
        ]
        if not wall:
            meaning = state_meaning(state, lang)
            parts.append(html.Span(f" — {meaning}", className="sp-legend-meaning"))
        items.append(html.Li(parts, className=f"sp-legend-{state}"))
    if wall:
        notes = [
            html.P(
                f"{state_label('unbalanced', lang)}: {state_meaning('unbalanced', lang)}",
                className="sp-legend-rule",
            ),
            html.P(text("map_credit_short", lang), className="sp-legend-credit"),
        ]
    else:
        notes = [html.P(legend_rule(lang), className="sp-legend-rule")]
    return html.Div([html.Ul(items, className="sp-legend"), *notes], className="sp-legend-box")


def state_options() -> list[dict[str, Any]]:
    """Return the states as checklist options, each label with its colour swatch."""
    return [
        {
            "label": html.Span(
                [
                    html.Span(className="sp-swatch", style={"backgroundColor": look.color}),
                    state_label(state),
                ]
            ),
            "value": state,
        }
        for state, look in STATE_LOOKS.items()
    ]


def build_filters(search_id: str, district_id: str, states_id: str) -> html.Div:
    """Return the map's search box (feeder id or name), district choice and state checklist."""
    return html.Div(
        [
            html.Label(
                [
                    html.Span(text("map_search")),
                    dcc.Input(
                        id=search_id,
                        type="search",
                        placeholder=text("map_search_hint"),
                        debounce=0.3,
                        autoComplete="off",
                    ),
                ],
                className="sp-field",
            ),
            html.Label(
                [
                    html.Span(text("field_district")),
                    dcc.Dropdown(id=district_id, options=[], placeholder=text("map_all_districts")),
                ],
                className="sp-field sp-field-district",
            ),
            html.Div(
                [
                    html.Span(text("field_state")),
                    dcc.Checklist(
                        id=states_id,
                        options=state_options(),
                        value=list(STATE_LOOKS),
                        inline=True,
                        className="sp-state-filter",
                    ),
                ],
                className="sp-field sp-field-states",
            ),
        ],
        className="sp-filters sp-map-filters",
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

    A `wall` map zooms in quarter steps (so that a fitted region fills the screen), draws its
    markers and clusters large enough to read from across the room (assets/grid_map.js scales
    them with the screen's height) and leaves the attribution to its legend.
    """
    layers: list[Any] = []
    if tiles_url:
        layers.append(dl.TileLayer(url=tiles_url, attribution=text("map_tiles_credit")))
    layers.append(
        dl.GeoJSON(
            url=DISTRICTS_URL,
            style={"variable": "smartphase.map.districtStyle"},
            hideout={"dark": dark},
            interactive=False,
            attribution=text("map_credit_short"),
            **({"id": districts_id} if districts_id else {}),
        )
    )
    layers.append(
        dl.Pane(
            dl.GeoJSON(
                id=layer_id,
                data={"type": "FeatureCollection", "features": []},
                cluster=True,
                zoomToBoundsOnClick=True,
                # A wall draws larger clusters: gathering them wider keeps them from overlapping.
                superClusterOptions={"radius": 150 if wall else 60, "maxZoom": 11},
                pointToLayer={"variable": "smartphase.map.feederMarker"},
                clusterToLayer={"variable": "smartphase.map.feederCluster"},
                hideout={**hideout(), "wall": wall},
            ),
            name=FEEDER_PANE,
            style={"zIndex": FEEDER_PANE_Z},
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
        attributionControl=not wall,
        className="sp-leaflet" + (" sp-leaflet-dark" if dark else ""),
        style=style or {"height": "70vh", "width": "100%"},
    )
