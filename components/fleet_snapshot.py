"""One read of the fleet, shared by every screen's map and wall in a worker process.

Each map page and each wall refreshes on its own timer; reading all 5,000 feeders and building
the same GeoJSON for every one of them made the control room slow under load. A worker keeps the
newest `FleetSnapshot` (the app's "fleet" service, components.runtime): no screen is given one
older than MAX_AGE_S, shorter than the wall's and the map's refresh intervals, so that no screen
shows data older than its own refresh interval. While screens ask for it, the next one is read
in the background once the current one is REFRESH_AFTER_S old, one read at a time, so that a
screen waits for a read only after a quiet spell (a gunicorn worker starts the first read as it
starts: deploy/gunicorn.conf.py).
The read is the feeders (store.queries.feeder_map) and, in one statement, every region's active
alerts for the wall (store.fleet_read).

What is the same for every screen is built once per snapshot: the GeoJSON serialised to JSON
(an orjson Fragment, which Dash's encoder copies as it is), the legends, the district table and
the district choices; and, the first time a wall shows a region, that region's "Needs attention"
and "Active alerts" sections, in the interface language of the app (its settings' ui_lang: the
snapshot is read outside any request). `version` is a digest of what the map shows: a screen that
holds it already is sent nothing new (pages/map.py, pages/wall.py).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import flask
import orjson
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from components import runtime
from components.feeder_map import build_legend, plain
from components.grid_data import MapData, load_map
from components.strings import LANGUAGES, text
from components.wall_view import build_alerts, build_attention, district_cycle
from store.fleet_read import RegionAlerts, wall_alerts_by_district

log = logging.getLogger(__name__)

SERVICE: Final = "fleet"
"""The name the snapshot cache is registered under in the app's runtime."""
MAX_AGE_S: Final = 12.0
"""Oldest snapshot a screen is given [s]: below the wall's (15 s) and map's (30 s) intervals."""
REFRESH_AFTER_S: Final = 7.0
"""Age at which the next snapshot is read in the background [s]: until it is ready, screens are
given the current one, so that no screen waits for a read that takes less than
MAX_AGE_S - REFRESH_AFTER_S."""
WATCHED_S: Final = 60.0
"""How long after a screen last asked the snapshot is kept fresh [s]."""
ATTENTION_MAX: Final = 20
ALERT_MAX: Final = 20
"""Most rows of each wall list sent; the wall shows as many as fit."""


@dataclass(frozen=True, slots=True)
class WallRegion:
    """A wall's two lists for one region (a district, or all Kerala), as plain JSON."""

    attention: Any
    alerts: Any


@dataclass(frozen=True, slots=True)
class FleetSnapshot:
    """The fleet as read once, and what every map and wall builds from it."""

    data: MapData
    read_at: datetime
    """When the store was read (the time the states are judged at) [UTC]."""
    read_monotonic: float
    """The same instant on the monotonic clock [s], for its age."""
    version: str
    """Digest of the GeoJSON and the district table: equal versions show the same map."""
    geojson: orjson.Fragment
    """`data.geojson` serialised once, for every response that carries it."""
    districts: list[dict[str, Any]]
    district_names: list[str]
    legend: Any
    wall_legend: Any
    cycle: list[str | None]
    """The wall's rotation: all Kerala (None), then each district with feeders."""
    alerts: dict[str | None, RegionAlerts]
    """Each district's first active alerts and their count; None: all Kerala's."""
    lang: str = "en"
    """The interface language the wall lists are written in (components.strings)."""
    regions: dict[str | None, WallRegion] = field(default_factory=dict)
    region_lock: threading.Lock = field(default_factory=threading.Lock)

    def age_s(self, monotonic_now: float) -> float:
        """Return how long ago the store was read [s]."""
        return monotonic_now - self.read_monotonic

    def wall_region(self, district: str | None) -> WallRegion:
        """Return a wall's lists for `district` (None: all Kerala), built on first use."""
        with self.region_lock:
            found = self.regions.get(district)
            if found is None:
                found = self.regions[district] = build_wall_region(self, district)
            return found


def build_wall_region(snapshot: FleetSnapshot, district: str | None) -> WallRegion:
    """Return a wall's lists for one region of a snapshot: its feeders that need attention and
    its active alerts (a district's own, or all Kerala's), most severe then newest first."""
    rows = snapshot.data.rows
    shown = rows if district is None else [r for r in rows if r.district == district]
    lang = snapshot.lang
    region = district or text("wall_kerala", lang)
    alerts = snapshot.alerts.get(district, RegionAlerts((), 0))
    return WallRegion(
        attention=plain(build_attention(shown, ATTENTION_MAX, region, lang)),
        alerts=plain(build_alerts(alerts.alerts, alerts.total, snapshot.read_at, district, lang)),
    )


def digest(*parts: bytes) -> str:
    """Return a short digest of serialised parts, as a version string."""
    h = hashlib.blake2b(digest_size=8)
    for part in parts:
        h.update(part)
        h.update(b"\0")
    return h.hexdigest()


def build_snapshot(
    conn: Connection, now: datetime, monotonic_now: float, lang: str = "en"
) -> FleetSnapshot:
    """Read the fleet and its active alerts at `now`; build what every map and wall shows, the
    wall lists in the interface language `lang`."""
    data = load_map(conn, now)
    geojson = orjson.dumps(data.geojson)
    districts = orjson.dumps(data.districts)
    return FleetSnapshot(
        data=data,
        read_at=now,
        read_monotonic=monotonic_now,
        version=digest(geojson, districts),
        geojson=orjson.Fragment(geojson),
        districts=data.districts,
        district_names=[row["district"] for row in data.districts],
        legend=plain(build_legend(data.counts, lang=lang)),
        wall_legend=plain(build_legend(data.counts, wall=True, lang=lang)),
        cycle=district_cycle(data.rows),
        alerts=wall_alerts_by_district(conn, ALERT_MAX),
        lang=lang,
    )


class FleetCache:
    """The newest snapshot of one app in this process; thread-safe, one read at a time.

    While screens ask for it (within `watched_s` of the last one), a thread of the cache reads
    the next snapshot whenever the current one is `refresh_after_s` old, so that they are given
    it at once. A request that finds none younger than `max_age_s` (the first after a quiet
    spell) reads the store itself, or waits for the read under way. The wall lists are written
    in `lang`, the app's interface language.
    """

    def __init__(
        self,
        engine: Engine,
        max_age_s: float = MAX_AGE_S,
        refresh_after_s: float = REFRESH_AFTER_S,
        watched_s: float = WATCHED_S,
        lang: str = "en",
    ) -> None:
        if not 0 < refresh_after_s <= max_age_s:
            raise ValueError(
                f"refresh_after_s: must be above 0 and at most max_age_s ({max_age_s}), "
                f"not {refresh_after_s}"
            )
        if lang not in LANGUAGES:
            raise ValueError(f"lang: {lang!r} is not one of {', '.join(LANGUAGES)}")
        self._engine = engine
        self.lang = lang
        self._max_age_s = max_age_s
        self._refresh_after_s = refresh_after_s
        self._watched_s = watched_s
        self._lock = threading.Lock()
        """Held while the store is read: one read at a time."""
        self._snapshot: FleetSnapshot | None = None
        self._asked = time.monotonic()
        """When a screen last asked for the snapshot [s, monotonic]."""
        self._reader: threading.Thread | None = None
        self._reader_lock = threading.Lock()
        self.failures = 0
        """Background reads that failed: the reader stops, and the next request reads (and
        meets the error) itself."""

    def get(self) -> FleetSnapshot:
        """Return a snapshot at most `max_age_s` old."""
        self._asked = time.monotonic()
        self._keep_fresh()
        current = self._snapshot
        if current is not None and current.age_s(time.monotonic()) < self._max_age_s:
            return current
        with self._lock:  # a read under way finishes first; take it if it is young enough
            current = self._snapshot
            if current is None or current.age_s(time.monotonic()) >= self._max_age_s:
                current = self._read()
            return current

    def warm(self) -> None:
        """Start keeping a snapshot fresh, as if a screen had just asked for one."""
        self._asked = time.monotonic()
        self._keep_fresh()

    def _read(self) -> FleetSnapshot:
        """Read the store and keep the snapshot (the caller holds the lock), with the wall
        lists of every region the previous one was asked for already built."""
        with self._engine.connect() as conn:
            snapshot = build_snapshot(conn, datetime.now(UTC), time.monotonic(), self.lang)
        previous = self._snapshot
        if previous is not None:
            with previous.region_lock:
                shown = list(previous.regions)
            for district in shown:
                snapshot.wall_region(district)
        self._snapshot = snapshot
        return snapshot

    def _keep_fresh(self) -> None:
        """Start the reader thread unless it runs."""
        reader = self._reader
        if reader is not None and reader.is_alive():
            return
        with self._reader_lock:
            if self._reader is None or not self._reader.is_alive():
                self._reader = threading.Thread(
                    target=self._read_while_watched, name="fleet-snapshot", daemon=True
                )
                self._reader.start()

    def _read_while_watched(self) -> None:
        """Read a snapshot whenever the kept one is `refresh_after_s` old, until no screen has
        asked for `watched_s`."""
        while time.monotonic() - self._asked < self._watched_s:
            current = self._snapshot
            wait = (
                0.0 if current is None else self._refresh_after_s - current.age_s(time.monotonic())
            )
            if wait > 0:
                time.sleep(min(wait, 1.0))  # and look again whether a screen still asks
                continue
            with self._lock:
                current = self._snapshot
                if current is not None and current.age_s(time.monotonic()) < self._refresh_after_s:
                    continue  # a request read it meanwhile
                try:
                    self._read()
                except SQLAlchemyError as exc:
                    self.failures += 1
                    log.warning(
                        "reading the fleet snapshot failed (%s); the next screen reads", exc
                    )
                    return


def fleet(server: flask.Flask | None = None) -> FleetCache:
    """Return the snapshot cache of `server` (default: the current app), made on first use with
    the app's interface language."""
    current = runtime.current(server)
    cache = current.services.get(SERVICE)
    if cache is None:
        made = FleetCache(current.engine, lang=current.settings.ui_lang)
        cache = current.services.setdefault(SERVICE, made)
    assert isinstance(cache, FleetCache)
    return cache


def warm(server: flask.Flask) -> None:
    """Start reading the first snapshot of an app in the background (a server process that has
    just started: its first map or wall request then finds it ready)."""
    fleet(server).warm()
