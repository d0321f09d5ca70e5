"""What the grid pages' data callbacks compute: plain functions of a connection and a time.

The callbacks in pages/ stay a few lines around these, and bench/dashboard.py times them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from components.feeder_map import (
    KERALA_CENTER,
    district_rows,
    feeder_geojson,
    newest_data,
    state_counts,
)
from grid.feeder_states import SEVERITY, FeederStatus
from store.queries import FeederMapRow, feeder_map, summarize_districts


@dataclass(frozen=True, slots=True)
class MapData:
    """Everything the map page shows, read in one query."""

    geojson: dict[str, Any]
    districts: list[dict[str, Any]]
    counts: dict[FeederStatus, int]
    newest: datetime | None
    rows: list[FeederMapRow]


def load_map(conn: Connection, now: datetime | None = None) -> MapData:
    """Return the feeders as GeoJSON, the district summary and the state counts."""
    now = now or datetime.now(UTC)
    rows = feeder_map(conn, now)
    return MapData(
        geojson=feeder_geojson(rows),
        districts=district_rows(summarize_districts(rows)),
        counts=state_counts(rows),
        newest=newest_data(rows),
        rows=rows,
    )


@dataclass(frozen=True, slots=True)
class Viewport:
    """Where a map looks: centre [° lat, ° lon] and zoom level."""

    center: tuple[float, float]
    zoom: int


def worst_feeders(rows: list[FeederMapRow], count: int) -> list[FeederMapRow]:
    """Return the `count` feeders that most need attention: by state severity, then unbalance."""
    rank = {state: k for k, state in enumerate(SEVERITY)}
    return sorted(rows, key=lambda r: (rank[r.state], -(r.unbalance_pct or 0.0), r.feeder_id))[
        :count
    ]


def district_cycle(rows: list[FeederMapRow]) -> list[str | None]:
    """Return the wall's rotation: all of Kerala (None), then each district with feeders."""
    return [None, *sorted({r.district for r in rows})]


def viewport_of(rows: list[FeederMapRow]) -> Viewport:
    """Return a viewport that shows the given feeders (Kerala when there are none)."""
    if not rows:
        return Viewport(KERALA_CENTER, 7)
    lats = [r.lat for r in rows]
    lons = [r.lon for r in rows]
    span = max(max(lats) - min(lats), max(lons) - min(lons), 0.05)
    zoom = max(6, min(12, int(math.log2(360.0 / span)) - 1))
    return Viewport(((max(lats) + min(lats)) / 2, (max(lons) + min(lons)) / 2), zoom)
