"""What the grid pages' data callbacks compute: plain functions of a connection and a time.

The callbacks in pages/ stay a few lines around these, and bench/dashboard.py times them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from components.feeder_map import (
    district_rows,
    feeder_geojson,
    newest_data,
    state_counts,
)
from grid.feeder_states import FeederStatus
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
