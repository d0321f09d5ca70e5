"""The read queries of the control room and the PDF reports: typed rows, no SQL in the pages.

Every function takes a Connection first and returns frozen dataclasses. Times are aware UTC
datetimes in and out. Ranges are half-open, `start <= ts < end`; either end may be None for
"unbounded". Logs come newest first and are capped by `limit`. "Today" is the calendar day in
India Standard Time (UTC+5:30), the operators' day, whatever the server's zone.

The feeder map reads the one-row-per-feeder `feeder_state` table and counts alerts and today's
switches in the same statement, so it costs one query however many feeders there are. Feeder
charts read the rollup tables (continuous aggregates on TimescaleDB) at a resolution picked from
the span, and complete the newest buckets, which a rollup may not hold yet, from raw readings of
a bounded recent window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, Final, Literal, NamedTuple, TypeAlias

from sqlalchemy import ColumnElement, Connection, Select, Table, func, select, text, true
from sqlalchemy.engine import RowMapping

from grid.feeder_states import FEEDER_STATUSES, OFFLINE_AFTER_S, FeederStatus, feeder_state
from grid.metrics import rated_current_a
from grid.timezones import IST as IST  # noqa: PLC0414 (re-exported for the pages)
from store import schema as db
from store.alerting import ACTIVE_ALERT_STATES as ACTIVE_ALERT_STATES  # noqa: PLC0414
from store.alerting import Alert as Alert  # noqa: PLC0414 (re-exported for the pages)
from store.alerting import active_alert_count as active_alert_count  # noqa: PLC0414
from store.alerting import list_alerts
from store.rollups import DEFAULT_LOOKBACK_S, bucket_expr, floor_time
from store.schema import ROLLUP_MEASURES, ROLLUP_RESOLUTIONS

AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"

STALE_S: Final = OFFLINE_AFTER_S
"""A feeder not heard from for longer than this is offline on the map [s]."""

APPLIED: Final = "applied"
"""The switch result that counts as a switch made."""

DEFAULT_LIMIT: Final = 200
"""Rows a log query returns unless told otherwise."""

alerts = list_alerts
"""Alerts most severe then newest first, rolled-up ones left out (store.alerting, where the
alert queries live)."""

RAW_LIMIT: Final = 20_000
"""Most raw readings a series query returns (the newest ones) [rows]."""

TAIL_MAX_S: Final = DEFAULT_LOOKBACK_S
"""Longest recent window a bucketed series computes from raw readings [s]."""

Resolution = Literal["raw", "1m", "15m", "1h"]
"""Where a feeder series comes from: raw readings (10 s) or a rollup table."""

RESOLUTION_SPANS: Final[tuple[tuple[Resolution, timedelta], ...]] = (
    ("raw", timedelta(hours=8)),
    ("1m", timedelta(days=2)),
    ("15m", timedelta(days=31)),
)
"""The finest resolution allowed for spans up to each limit; longer spans use 1 h buckets.

With 10 s summaries each limit gives at most ~3,000 points (8 h raw: 2,880; 2 days of 1 min:
2,880; 31 days of 15 min: 2,976), so a month never reads raw rows. A year at 1 h is 8,760 points,
the coarsest rollup there is.
"""


# ---------------------------------------------------------------------------------------------
# Rows


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
    mode: str
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
    by_state: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FeederState:
    """The latest summary of one feeder (per-phase P [W], Q [var], I [A], V [V])."""

    feeder_id: str
    ts: datetime
    p_r: float
    p_y: float
    p_b: float
    q_r: float
    q_y: float
    q_b: float
    i_r: float
    i_y: float
    i_b: float
    v_r: float
    v_y: float
    v_b: float
    i_n: float
    unbalance_pct: float | None
    mode: str
    houses_online: int
    houses_total: int


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One point of a feeder chart: a raw summary, or the means of one bucket."""

    ts: datetime  # reading time, or bucket start
    p_r: float  # [W]
    p_y: float
    p_b: float
    q_r: float  # [var]
    q_y: float
    q_b: float
    i_r: float  # [A]
    i_y: float
    i_b: float
    v_r: float  # [V]
    v_y: float
    v_b: float
    i_n: float  # [A]
    unbalance_pct: float | None  # [%]
    i_n_max: float  # largest neutral current in the bucket (= i_n for raw) [A]
    samples: int  # readings in the bucket (1 for raw)


SERIES_FIELDS: Final = (*ROLLUP_MEASURES, "i_n_max")
"""The numeric fields of a SeriesPoint, for `FeederSeries.column`."""


@dataclass(frozen=True, slots=True)
class FeederSeries:
    """A feeder chart's points, oldest first, and the resolution they were read at."""

    feeder_id: str
    resolution: Resolution
    start: datetime
    end: datetime
    points: tuple[SeriesPoint, ...]
    truncated: bool = False  # raw only: older readings beyond the row limit were left out

    @property
    def timestamps(self) -> list[datetime]:
        """Return the x values."""
        return [p.ts for p in self.points]

    def column(self, name: str) -> list[float | None]:
        """Return one measure (e.g. "i_r", "i_n_max") of every point."""
        if name not in SERIES_FIELDS:
            raise KeyError(f"{name!r} is not a series measure")
        return [getattr(p, name) for p in self.points]


@dataclass(frozen=True, slots=True)
class HouseReading:
    """One raw reading of a house node."""

    ts: datetime
    phase: str
    v: float  # [V]
    i: float  # [A]
    p: float  # net [W], + import, − export
    q: float  # [var]
    pv: float  # [W]


@dataclass(frozen=True, slots=True)
class HouseSeries:
    """A house chart's readings, oldest first."""

    house_id: str
    start: datetime
    end: datetime
    readings: tuple[HouseReading, ...]
    truncated: bool = False  # older readings beyond the row limit were left out


@dataclass(frozen=True, slots=True)
class FeederHouse:
    """A house of a feeder with its latest reading and today's switches."""

    house_id: str
    feeder_id: str
    phase: str
    pv_kw: float  # installed PV [kW]
    switchable: bool
    locked: bool
    online: bool | None
    last_reading: datetime | None
    p: float | None  # latest net power [W]
    pv: float | None  # latest PV output [W]
    switches_today: int
    locked_reason: str | None = None  # why the edge locked it out (e.g. "did_not_help")
    locked_since: datetime | None = None
    locked_until: datetime | None = None  # None while locked: until an operator unlocks it


@dataclass(frozen=True, slots=True)
class BalancingRun:
    """One balancing run with the phase currents [A] and unbalance [%] before and after it."""

    run_id: str
    feeder_id: str
    ts: datetime
    trigger: str
    result: str
    before_i_r: float | None
    before_i_y: float | None
    before_i_b: float | None
    before_i_n: float | None
    before_unbalance_pct: float | None
    after_i_r: float | None
    after_i_y: float | None
    after_i_b: float | None
    after_i_n: float | None
    after_unbalance_pct: float | None
    moves: tuple[Mapping[str, Any], ...]
    decided_at: datetime | None = None  # when "before" was measured; `ts`: when "after" was

    @property
    def neutral_reduction_pct(self) -> float | None:
        """Return how much the run cut the neutral current [%], or None when unknown."""
        if self.before_i_n is None or self.after_i_n is None or self.before_i_n <= 0:
            return None
        return 100.0 * (self.before_i_n - self.after_i_n) / self.before_i_n


@dataclass(frozen=True, slots=True)
class SwitchEvent:
    """The outcome of one switch of a house."""

    event_id: int
    ts: datetime
    feeder_id: str
    house_id: str
    from_phase: str
    to_phase: str
    result: str
    origin: str
    cmd_id: str | None
    run_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Command:
    """An operator command and where it is in its lifecycle."""

    cmd_id: str
    feeder_id: str
    house_id: str | None
    action: str
    params: Mapping[str, Any]
    state: str
    reason: str
    requested_by: str
    requested_at: datetime
    updated_at: datetime
    ctr: int | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited action or denial."""

    entry_id: int
    ts: datetime
    username: str | None
    action: str
    target: str
    outcome: str
    detail: Mapping[str, Any]
    address: str | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that was not stored as data, with why."""

    letter_id: int
    received_at: datetime
    topic: str
    payload: bytes
    reason: str

    def preview(self, size: int = 200) -> str:
        """Return the start of the payload as text, undecodable bytes replaced."""
        return self.payload[:size].decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class FeederEvent:
    """One edge event as received."""

    event_id: int
    ts: datetime
    feeder_id: str
    kind: str
    data: Mapping[str, Any]


# ---------------------------------------------------------------------------------------------
# Pure helpers


def ist_day_start(now: datetime) -> datetime:
    """Return the UTC instant of the last midnight in India Standard Time at `now`."""
    local = _aware(now).astimezone(IST)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


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


def choose_resolution(start: datetime, end: datetime) -> Resolution:
    """Return the finest resolution that keeps a chart of [start, end) near 3,000 points."""
    span = _span(start, end)
    for resolution, limit in RESOLUTION_SPANS:
        if span <= limit:
            return resolution
    return "1h"


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
        by_state: dict[str, int] = dict.fromkeys(FEEDER_STATUSES, 0)
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


# ---------------------------------------------------------------------------------------------
# Feeders and the map


def feeder_map(
    conn: Connection,
    now: datetime | None = None,
    *,
    district: str | None = None,
    stale_s: float = STALE_S,
) -> list[FeederMapRow]:
    """Return every provisioned feeder (of one district if given) with its map status."""
    now = _now(now)
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
    now = _now(now)
    stmt = _feeder_select(now).where(db.feeders.c.feeder_id == feeder_id)
    rows = _feeder_rows(conn, stmt, now, stale_s)
    return rows[0] if rows else None


def district_summary(
    conn: Connection, now: datetime | None = None, *, stale_s: float = STALE_S
) -> list[DistrictSummary]:
    """Return per-district feeder, alert, unbalance and switch figures, by district name."""
    return summarize_districts(feeder_map(conn, now, stale_s=stale_s))


def districts(conn: Connection) -> list[str]:
    """Return the districts that have provisioned feeders, by name."""
    stmt = select(db.feeders.c.district).distinct().order_by(db.feeders.c.district)
    return [str(d) for d in conn.execute(stmt).scalars()]


def feeder_rated_a(conn: Connection, feeder_id: str) -> float | None:
    """Return a feeder's rated phase current [A], or None when it is not provisioned."""
    stmt = select(db.feeders.c.kva).where(db.feeders.c.feeder_id == feeder_id)
    kva = conn.execute(stmt).scalar()
    return None if kva is None else rated_current_a(float(kva))


def latest_feeder_state(conn: Connection, feeder_id: str) -> FeederState | None:
    """Return the latest summary of a feeder, or None before its first one."""
    stmt = _select_fields(db.feeder_state, FeederState)
    row = conn.execute(stmt.where(db.feeder_state.c.feeder_id == feeder_id)).mappings().first()
    return None if row is None else FeederState(**row)


def _feeder_select(now: datetime) -> AnySelect:
    day = ist_day_start(now)
    switches = (
        select(func.count())
        .select_from(db.switch_events)
        .where(
            db.switch_events.c.feeder_id == db.feeders.c.feeder_id,
            db.switch_events.c.ts >= day,
            db.switch_events.c.ts < day + timedelta(days=1),
            db.switch_events.c.result == APPLIED,
        )
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


# ---------------------------------------------------------------------------------------------
# Series


def feeder_series(
    conn: Connection,
    feeder_id: str,
    start: datetime,
    end: datetime,
    resolution: Resolution | None = None,
    *,
    limit: int = RAW_LIMIT,
) -> FeederSeries:
    """Return a feeder's chart points over [start, end), oldest first.

    The resolution is `choose_resolution(start, end)` unless given. Raw points are the summaries
    in the range (the newest `limit` of them). Bucketed points are the buckets that start in the
    range, read from the rollup table; the newest buckets, which the rollup may not hold yet,
    are computed from raw readings of at most the last `TAIL_MAX_S`.
    """
    _span(start, end)
    chosen = resolution or choose_resolution(start, end)
    if chosen == "raw":
        points, truncated = _raw_points(conn, feeder_id, start, end, _positive(limit))
        return FeederSeries(feeder_id, chosen, start, end, points, truncated)
    if chosen not in ROLLUP_RESOLUTIONS:
        raise ValueError(f"unknown resolution {chosen!r}")
    points = _bucket_points(conn, feeder_id, start, end, chosen)
    return FeederSeries(feeder_id, chosen, start, end, points)


def _raw_points(
    conn: Connection, feeder_id: str, start: datetime, end: datetime, limit: int
) -> tuple[tuple[SeriesPoint, ...], bool]:
    r = db.feeder_readings.c
    stmt = (
        select(r.ts, *(r[m] for m in ROLLUP_MEASURES))
        .where(r.feeder_id == feeder_id, r.ts >= start, r.ts < end)
        .order_by(r.ts.desc())
        .limit(limit + 1)
    )
    rows = conn.execute(stmt).all()
    truncated = len(rows) > limit
    n_i = 1 + ROLLUP_MEASURES.index("i_n")
    points = tuple(_point((*row, row[n_i], 1)) for row in reversed(rows[:limit]))
    return points, truncated


def _bucket_points(
    conn: Connection, feeder_id: str, start: datetime, end: datetime, resolution: str
) -> tuple[SeriesPoint, ...]:
    width = ROLLUP_RESOLUTIONS[resolution]
    table = db.feeder_rollups[resolution]
    first = _ceil_time(start, width)
    stop = _ceil_time(end, width)  # end of the last bucket that starts before `end`
    if first >= stop:
        return ()
    t = table.c
    in_range = (t.feeder_id == feeder_id, t.bucket >= first, t.bucket < stop)
    last = conn.execute(select(func.max(t.bucket)).where(*in_range)).scalar()
    tail = max(last or first, floor_time(stop - timedelta(seconds=TAIL_MAX_S), width))
    rolled = (
        select(t.bucket, *(t[m] for m in ROLLUP_MEASURES), t.i_n_max, t.samples)
        .where(*in_range)
        .order_by(t.bucket)
    )
    r = db.feeder_readings.c
    bucket = bucket_expr(conn.dialect.name, r.ts, width)
    live = (
        select(
            bucket.label("bucket"),
            *(func.avg(r[m]).label(m) for m in ROLLUP_MEASURES),
            func.max(r.i_n).label("i_n_max"),
            func.count().label("samples"),
        )
        .where(r.feeder_id == feeder_id, r.ts >= tail, r.ts < stop)
        .group_by(bucket)
    )
    points = {row[0]: row for row in conn.execute(rolled)}
    points.update((row[0], row) for row in conn.execute(live))  # raw is never behind
    return tuple(_point(row) for _, row in sorted(points.items()))


_FLOAT_FIELDS: Final = len(db.FEEDER_MEASURES)
"""SeriesPoint's float fields after `ts` and before `unbalance_pct`: FEEDER_MEASURES in order."""


def _point(row: Sequence[Any]) -> SeriesPoint:
    """Return a point from (ts, *ROLLUP_MEASURES, i_n_max, samples)."""
    unbalance = row[1 + _FLOAT_FIELDS]
    values: tuple[Any, ...] = (
        row[0],
        *map(float, row[1 : 1 + _FLOAT_FIELDS]),
        None if unbalance is None else float(unbalance),
        float(row[2 + _FLOAT_FIELDS]),
        int(row[3 + _FLOAT_FIELDS]),
    )
    return SeriesPoint(*values)


def house_series(
    conn: Connection, house_id: str, start: datetime, end: datetime, *, limit: int = RAW_LIMIT
) -> HouseSeries:
    """Return a house's raw readings over [start, end), oldest first (the newest `limit`)."""
    _span(start, end)
    limit = _positive(limit)
    r = db.house_readings.c
    stmt = (
        select(r.ts, r.phase, r.v, r.i, r.p, r.q, r.pv)
        .where(r.house_id == house_id, r.ts >= start, r.ts < end)
        .order_by(r.ts.desc())
        .limit(limit + 1)
    )
    rows = conn.execute(stmt).mappings().all()
    readings = tuple(HouseReading(**dict(m)) for m in reversed(rows[:limit]))
    return HouseSeries(house_id, start, end, readings, truncated=len(rows) > limit)


def feeder_houses(
    conn: Connection,
    feeder_id: str,
    now: datetime | None = None,
    *,
    recent_s: float = 86_400.0,
) -> list[FeederHouse]:
    """Return a feeder's houses with their latest reading (of the last `recent_s`) by id."""
    now = _now(now)
    since = now - timedelta(seconds=recent_s)
    day = ist_day_start(now)
    r = db.house_readings.c
    switched = (
        select(db.switch_events.c.house_id, func.count().label("n"))
        .where(
            db.switch_events.c.feeder_id == feeder_id,
            db.switch_events.c.ts >= day,
            db.switch_events.c.ts < day + timedelta(days=1),
            db.switch_events.c.result == APPLIED,
        )
        .group_by(db.switch_events.c.house_id)
        .subquery("switched")
    )
    recent = (r.house_id == db.houses.c.house_id, r.ts >= since, r.ts <= now)
    base = db.houses.outerjoin(switched, switched.c.house_id == db.houses.c.house_id)
    latest: tuple[ColumnElement[Any], ...]
    if conn.dialect.name == "postgresql":
        lateral = (
            select(r.ts, r.p, r.pv).where(*recent).order_by(r.ts.desc()).limit(1).lateral("latest")
        )
        base = base.outerjoin(lateral, true())
        latest = (lateral.c.ts, lateral.c.p, lateral.c.pv)
    else:
        latest = tuple(
            select(r[name]).where(*recent).order_by(r.ts.desc()).limit(1).scalar_subquery()
            for name in ("ts", "p", "pv")
        )
    stmt = (
        select(
            db.houses.c.house_id,
            db.houses.c.feeder_id,
            db.houses.c.phase,
            db.houses.c.pv_kw,
            db.houses.c.switchable,
            db.houses.c.locked,
            db.houses.c.locked_reason,
            db.houses.c.locked_since,
            db.houses.c.locked_until,
            db.houses.c.online,
            latest[0].label("last_reading"),
            latest[1].label("p"),
            latest[2].label("pv"),
            func.coalesce(switched.c.n, 0).label("switches_today"),
        )
        .select_from(base)
        .where(db.houses.c.feeder_id == feeder_id)
        .order_by(db.houses.c.house_id)
    )
    return [
        FeederHouse(
            house_id=m["house_id"],
            feeder_id=m["feeder_id"],
            phase=m["phase"],
            pv_kw=float(m["pv_kw"]),
            switchable=bool(m["switchable"]),
            locked=bool(m["locked"]),
            online=None if m["online"] is None else bool(m["online"]),
            last_reading=m["last_reading"],
            p=m["p"],
            pv=m["pv"],
            switches_today=int(m["switches_today"]),
            locked_reason=m["locked_reason"] if m["locked"] else None,
            locked_since=m["locked_since"] if m["locked"] else None,
            locked_until=m["locked_until"] if m["locked"] else None,
        )
        for m in _maps(conn, stmt)
    ]


def house_readings_at(
    conn: Connection, house_ids: Sequence[str], at: datetime, *, max_age_s: float = 300.0
) -> dict[str, HouseReading]:
    """Return each house's latest reading at or before `at` and at most `max_age_s` older."""
    r = db.house_readings.c
    since = _aware(at) - timedelta(seconds=max_age_s)
    out = {}
    for house_id in dict.fromkeys(house_ids):
        stmt = (
            select(r.ts, r.phase, r.v, r.i, r.p, r.q, r.pv)
            .where(r.house_id == house_id, r.ts >= since, r.ts <= at)
            .order_by(r.ts.desc())
            .limit(1)
        )
        m = conn.execute(stmt).mappings().first()
        if m is not None:
            out[house_id] = HouseReading(**dict(m))
    return out


def feeder_reading_at(
    conn: Connection, feeder_id: str, at: datetime, *, max_age_s: float = 300.0
) -> SeriesPoint | None:
    """Return the feeder's latest summary at or before `at` and at most `max_age_s` older."""
    r = db.feeder_readings.c
    since = _aware(at) - timedelta(seconds=max_age_s)
    stmt = (
        select(r.ts, *(r[m] for m in ROLLUP_MEASURES))
        .where(r.feeder_id == feeder_id, r.ts >= since, r.ts <= at)
        .order_by(r.ts.desc())
        .limit(1)
    )
    row = conn.execute(stmt).first()
    if row is None:
        return None
    return _point((*row, row[1 + ROLLUP_MEASURES.index("i_n")], 1))


def feeder_extent(conn: Connection, feeder_id: str) -> tuple[datetime, datetime] | None:
    """Return the times of a feeder's first and latest summary, or None before its first."""
    r = db.feeder_readings.c
    first = conn.execute(select(func.min(r.ts)).where(r.feeder_id == feeder_id)).scalar()
    last = conn.execute(select(func.max(r.ts)).where(r.feeder_id == feeder_id)).scalar()
    return None if first is None or last is None else (first, last)


# ---------------------------------------------------------------------------------------------
# Logs


def balancing_runs(
    conn: Connection,
    feeder_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    result: str | Sequence[str] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[BalancingRun]:
    """Return balancing runs, newest first."""
    t = db.balancing_runs.c
    stmt = _select_fields(db.balancing_runs, BalancingRun).order_by(t.ts.desc(), t.run_id.desc())
    stmt = _filtered(stmt, (t.feeder_id, feeder_id), (t.result, result))
    stmt = _between(stmt, t.ts, start, end).limit(_positive(limit))
    return [_run(m) for m in _maps(conn, stmt)]


def balancing_run(conn: Connection, run_id: str) -> BalancingRun | None:
    """Return one balancing run, or None."""
    stmt = _select_fields(db.balancing_runs, BalancingRun)
    stmt = stmt.where(db.balancing_runs.c.run_id == run_id)
    m = conn.execute(stmt).mappings().first()
    return None if m is None else _run(m)


def _run(m: RowMapping) -> BalancingRun:
    values = dict(m)
    moves = values.pop("moves") or ()
    return BalancingRun(**values, moves=tuple(dict(x) for x in moves))


def switch_events(
    conn: Connection,
    feeder_id: str | None = None,
    house_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    result: str | Sequence[str] | None = None,
    run_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[SwitchEvent]:
    """Return switch outcomes, newest first."""
    t = db.switch_events.c
    stmt = _select_fields(db.switch_events, SwitchEvent)
    stmt = stmt.order_by(t.ts.desc(), t.event_id.desc())
    stmt = _filtered(
        stmt,
        (t.feeder_id, feeder_id),
        (t.house_id, house_id),
        (t.result, result),
        (t.run_id, run_id),
    )
    stmt = _between(stmt, t.ts, start, end).limit(_positive(limit))
    return [SwitchEvent(**m) for m in _maps(conn, stmt)]


def commands(
    conn: Connection,
    feeder_id: str | None = None,
    state: str | Sequence[str] | None = None,
    *,
    house_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Command]:
    """Return commands by request time, newest first."""
    t = db.commands.c
    stmt = _select_fields(db.commands, Command)
    stmt = stmt.order_by(t.requested_at.desc(), t.cmd_id.desc())
    stmt = _filtered(stmt, (t.feeder_id, feeder_id), (t.state, state), (t.house_id, house_id))
    stmt = _between(stmt, t.requested_at, start, end).limit(_positive(limit))
    return [_command(m) for m in _maps(conn, stmt)]


def command(conn: Connection, cmd_id: str) -> Command | None:
    """Return one command, or None."""
    stmt = _select_fields(db.commands, Command).where(db.commands.c.cmd_id == cmd_id)
    m = conn.execute(stmt).mappings().first()
    return None if m is None else _command(m)


def _command(m: RowMapping) -> Command:
    values = dict(m)
    values["params"] = dict(values["params"] or {})
    return Command(**values)


def audit_entries(
    conn: Connection,
    username: str | None = None,
    action_prefix: str | None = None,
    outcome: str | Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    target: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[AuditEntry]:
    """Return audit entries, newest first; `action_prefix` matches literally (no wildcards)."""
    t = db.audit_log.c
    stmt = _select_fields(db.audit_log, AuditEntry).order_by(t.ts.desc(), t.entry_id.desc())
    stmt = _filtered(stmt, (t.username, username), (t.outcome, outcome), (t.target, target))
    if action_prefix:
        stmt = stmt.where(t.action.startswith(action_prefix, autoescape=True))
    stmt = _between(stmt, t.ts, start, end).limit(_positive(limit))
    return [_audit(m) for m in _maps(conn, stmt)]


def _audit(m: RowMapping) -> AuditEntry:
    values = dict(m)
    values["detail"] = dict(values["detail"] or {})
    return AuditEntry(**values)


def dead_letters(conn: Connection, limit: int = DEFAULT_LIMIT) -> list[DeadLetter]:
    """Return dead letters, newest first."""
    t = db.dead_letters.c
    stmt = _select_fields(db.dead_letters, DeadLetter)
    stmt = stmt.order_by(t.received_at.desc(), t.letter_id.desc()).limit(_positive(limit))
    return [
        DeadLetter(
            letter_id=m["letter_id"],
            received_at=m["received_at"],
            topic=m["topic"],
            payload=bytes(m["payload"]),
            reason=m["reason"],
        )
        for m in _maps(conn, stmt)
    ]


def feeder_events(
    conn: Connection,
    feeder_id: str | None = None,
    kind: str | Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
) -> list[FeederEvent]:
    """Return edge events as received, newest first."""
    t = db.events.c
    stmt = _select_fields(db.events, FeederEvent)
    stmt = stmt.order_by(t.ts.desc(), t.event_id.desc())
    stmt = _filtered(stmt, (t.feeder_id, feeder_id), (t.kind, kind))
    stmt = _between(stmt, t.ts, start, end).limit(_positive(limit))
    return [
        FeederEvent(
            event_id=m["event_id"],
            ts=m["ts"],
            feeder_id=m["feeder_id"],
            kind=m["kind"],
            data=dict(m["data"] or {}),
        )
        for m in _maps(conn, stmt)
    ]


# ---------------------------------------------------------------------------------------------
# Internals


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else _aware(now)


def _aware(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t.isoformat()} given; times must be aware")
    return t


def _span(start: datetime, end: datetime) -> timedelta:
    span = _aware(end) - _aware(start)
    if span <= timedelta(0):
        raise ValueError(f"empty range: end {end.isoformat()} is not after {start.isoformat()}")
    return span


def _ceil_time(t: datetime, width_s: int) -> datetime:
    floor = floor_time(t, width_s)
    return floor if floor == t else floor + timedelta(seconds=width_s)


def _positive(limit: int) -> int:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    return limit


def _select_fields(table: Table, row_type: type[Any]) -> AnySelect:
    """Return a select of the columns named like the fields of a row dataclass."""
    return select(*(table.c[f.name] for f in fields(row_type)))


def _maps(conn: Connection, stmt: AnySelect) -> Sequence[RowMapping]:
    return conn.execute(stmt).mappings().all()


def _filtered(
    stmt: AnySelect, *filters: tuple[ColumnElement[Any], str | Sequence[str] | None]
) -> AnySelect:
    for column, value in filters:
        if value is None:
            continue
        if isinstance(value, str):
            stmt = stmt.where(column == value)
        else:
            stmt = stmt.where(column.in_(list(value)))
    return stmt


def _between(
    stmt: AnySelect, column: ColumnElement[Any], start: datetime | None, end: datetime | None
) -> AnySelect:
    if start is not None:
        stmt = stmt.where(column >= _aware(start))
    if end is not None:
        stmt = stmt.where(column < _aware(end))
    return stmt
