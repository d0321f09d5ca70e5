"""The map, the wall and the watchdog: every feeder with its map state, and per-district counts.

The map reads the one-row-per-feeder `feeder_state` table and counts open alerts and today's
switches in the same statement, so it costs one query however many feeders there are. "Today" is
the calendar day in India Standard Time, the operators' day, whatever the server's zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Final, NamedTuple

from sqlalchemy import Connection, func, select, text

from grid.feeder_states import FEEDER_STATUSES, OFFLINE_AFTER_S, FeederStatus, feeder_state
from grid.metrics import rated_current_a
from store import schema as db
from store.alerting import ACTIVE_ALERT_STATES
from store.queries.filters import AnySelect, ist_day_start, now_or, switched_on_ist_day

STALE_S: Final = OFFLINE_AFTER_S
"""A feeder not heard from for longer than this is offline on the map [s]."""


class FeederMapRow(NamedTuple):
    """A provisioned feeder with its latest summary, alert and switch counts and map status.

    A named tuple rather than a dataclass: the map builds 5,000 of them per refresh, and a
    tuple is built several times faster.
    """

    feeder_id: str
    name: str
    district: str
    lat: float  # [°]
    lon: float  # [°]
    kva: float  # transformer rating [kVA]
    mode: str  # a grid.messages.Mode value, kept a plain str for the map's speed
    online: bool
    last_seen: datetime | None
    ts: datetime | None  # time of the latest summary
    p_total: float | None  # net three-phase active power [W]
    i_r: float | None  # [A]
    i_y: float | None
    i_b: float | None
    i_n: float | None
    unbalance_pct: float | None  # [%]
    houses_online: int | None
    houses_total: int | None
    active_alerts: int
    switches_today: int
    state: FeederStatus

    @property
    def rated_a(self) -> float:
        """Return the rated phase current [A]."""
        return rated_current_a(self.kva)


@dataclass(frozen=True, slots=True)
class DistrictSummary:
    """The feeders of one district, counted for the map's side panel and reports."""

    district: str
    feeders: int
    online: int
    active_alerts: int
    avg_unbalance_pct: float | None  # mean over feeders that are not offline [%]
    switches_today: int
    by_state: Mapping[FeederStatus, int] = field(default_factory=dict)


def feeder_status(
    *,
    online: bool,
    last_seen: datetime | None,
    mode: str,
    kva: float,
    currents_a: Sequence[float | None],
    i_n: float | None,
    now: datetime,
    stale_s: float = STALE_S,
) -> FeederStatus:
    """Return how a feeder shows on the map (grid.feeder_states); currents [A], staleness [s]."""
    fresh_since = now - timedelta(seconds=stale_s)
    return _status(online, last_seen, mode, kva, currents_a, i_n, fresh_since)


def _status(
    online: bool,
    last_seen: datetime | None,
    mode: str,
    kva: float,
    currents_a: Sequence[float | None],
    i_n: float | None,
    fresh_since: datetime,
) -> FeederStatus:
    """`feeder_status` with positional arguments and the staleness limit as an instant, for the
    map's loop over every feeder."""
    return feeder_state(
        online=online,
        fresh=last_seen is not None and last_seen >= fresh_since,
        mode=mode,
        currents_a=currents_a,
        i_n_a=i_n,
        rated_a=rated_current_a(kva),
    )


def summarize_districts(rows: Sequence[FeederMapRow]) -> list[DistrictSummary]:
    """Return per-district counts of feeder map rows, by district name."""
    groups: dict[str, list[FeederMapRow]] = {}
    for row in rows:
        groups.setdefault(row.district, []).append(row)
    out = []
    for district in sorted(groups):
        members = groups[district]
        live = [r for r in members if r.state != "offline"]
        unbalance = [r.unbalance_pct for r in live if r.unbalance_pct is not None]
        by_state: dict[FeederStatus, int] = dict.fromkeys(FEEDER_STATUSES, 0)
        for r in members:
            by_state[r.state] += 1
        out.append(
            DistrictSummary(
                district=district,
                feeders=len(members),
                online=len(live),
                active_alerts=sum(r.active_alerts for r in members),
                avg_unbalance_pct=sum(unbalance) / len(unbalance) if unbalance else None,
                switches_today=sum(r.switches_today for r in members),
                by_state=by_state,
            )
        )
    return out


def feeder_map(
    conn: Connection,
    now: datetime | None = None,
    *,
    district: str | None = None,
    stale_s: float = STALE_S,
) -> list[FeederMapRow]:
    """Return every provisioned feeder (of one district if given) with its map status."""
    now = now_or(now)
    stmt = _feeder_select(now)
    if district is not None:
        stmt = stmt.where(db.feeders.c.district == district)
    rows = _feeder_rows(conn, stmt, now, stale_s)
    rows.sort(key=lambda r: r.feeder_id)  # cheaper here than a collation-aware sort in SQL
    return rows


def feeder(
    conn: Connection,
    feeder_id: str,
    now: datetime | None = None,
    *,
    stale_s: float = STALE_S,
) -> FeederMapRow | None:
    """Return one feeder as the map shows it, or None when it is not provisioned."""
    now = now_or(now)
    stmt = _feeder_select(now).where(db.feeders.c.feeder_id == feeder_id)
    rows = _feeder_rows(conn, stmt, now, stale_s)
    return rows[0] if rows else None


def districts(conn: Connection) -> list[str]:
    """Return the districts that have provisioned feeders, by name."""
    stmt = select(db.feeders.c.district).distinct().order_by(db.feeders.c.district)
    return [str(d) for d in conn.execute(stmt).scalars()]


def _feeder_select(now: datetime) -> AnySelect:
    day = ist_day_start(now)
    switches = (
        select(func.count())
        .select_from(db.switch_events)
        .where(db.switch_events.c.feeder_id == db.feeders.c.feeder_id, *switched_on_ist_day(day))
        .scalar_subquery()
    )
    open_alerts = (
        select(db.alerts.c.feeder_id, func.count().label("n"))
        .where(
            db.alerts.c.state.in_(ACTIVE_ALERT_STATES),
            db.alerts.c.feeder_id.is_not(None),
            db.alerts.c.parent_id.is_(None),  # what is rolled up counts once, in its parent
        )
        .group_by(db.alerts.c.feeder_id)
        .subquery("open_alerts")
    )
    s = db.feeder_state.c
    return select(
        db.feeders.c.feeder_id,
        db.feeders.c.name,
        db.feeders.c.district,
        db.feeders.c.lat,
        db.feeders.c.lon,
        db.feeders.c.kva,
        db.feeders.c.mode,
        db.feeders.c.online,
        db.feeders.c.last_seen,
        s.ts,
        (s.p_r + s.p_y + s.p_b).label("p_total"),
        s.i_r,
        s.i_y,
        s.i_b,
        s.i_n,
        s.unbalance_pct,
        s.houses_online,
        s.houses_total,
        func.coalesce(open_alerts.c.n, 0).label("active_alerts"),
        switches.label("switches_today"),
    ).select_from(
        db.feeders.outerjoin(db.feeder_state, s.feeder_id == db.feeders.c.feeder_id).outerjoin(
            open_alerts, open_alerts.c.feeder_id == db.feeders.c.feeder_id
        )
    )


def _feeder_rows(
    conn: Connection,
    stmt: AnySelect,
    now: datetime,
    stale_s: float,
) -> list[FeederMapRow]:
    if conn.dialect.name == "postgresql":
        # JIT compilation costs more than this many-small-lookups plan gains from it.
        conn.execute(text("SET LOCAL jit = off"))
    # Rows are plain tuples in FeederMapRow's field order (the select's columns), read by index.
    fresh_since = now - timedelta(seconds=stale_s)
    status_inputs = itemgetter(*_MAP_INDEX)
    out = []
    for row in conn.execute(stmt).all():
        on, seen, mode, kva, i_r, i_y, i_b, i_n = status_inputs(row)
        state = _status(bool(on), seen, mode, kva, (i_r, i_y, i_b), i_n, fresh_since)
        out.append(FeederMapRow._make((*row, state)))
    return out


_MAP_FIELDS: Final = list(FeederMapRow._fields)
_MAP_INDEX: Final = tuple(
    _MAP_FIELDS.index(name)
    for name in (
        "online", "last_seen", "mode", "kva", "i_r", "i_y", "i_b", "i_n",
    )
)  # fmt: skip
"""Where `_feeder_rows` finds the status inputs in a map row."""
