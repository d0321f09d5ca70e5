"""Refresh the rollup tables on plain PostgreSQL and SQLite (TimescaleDB does it itself).

The jobs scheduler calls `refresh` every minute. Each call recomputes the buckets from
`recent_s` before the table's last mark up to now. Every `deep_every_s` a call reaches back
`lookback_s` instead, so late readings (an edge replaying its outbox after an outage shorter
than the look-back) land in their buckets within that interval, without every call
re-aggregating hours of readings of every feeder. A bucket is written only when its figures
changed. Buckets start at multiples of their width since the Unix epoch, as TimescaleDB's
`time_bucket` does for these widths.

The hourly house rollup (`house_readings_1h`), its sums per feeder and as-built phase
(`feeder_house_loads_1h`, what the reports' savings read) and per house and day (`house_days`,
their node availability and the minutes with readings) are on the hours and days of IST; a
house hour is defined once, in `house_hours_select`. Each hour is taken once, `HOUSE_SETTLE_S`
after it ends, and every `HOUSE_DEEP_EVERY_S` the hours of the look-back again; the house
hours are read before anything is written, and only the rows that changed are written, in a
transaction of their own, so that on SQLite the ingest writer never waits for the reading. On
TimescaleDB the house rollup is a continuous aggregate and the sums are tables this refresh
fills from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Float,
    Integer,
    Select,
    Table,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.db import Backend, detect_backend
from store.schema import (
    HOUSE_PHASE_MEASURES,
    HOUSE_ROLLUP_WIDTH_S,
    ROLLUP_MEASURES,
    ROLLUP_RESOLUTIONS,
    UtcDateTime,
    feeder_house_loads,
    feeder_readings,
    feeder_rollups,
    feeders,
    house_days,
    house_readings,
    house_rollup,
    houses,
    rollup_marks,
)

DEFAULT_LOOKBACK_S: Final = 6 * 3600.0
"""How far before the last mark a deep refresh recomputes buckets [s]."""

RECENT_S: Final = 600.0
"""How far before the last mark every refresh recomputes buckets [s]."""

DEEP_EVERY_S: Final = 900.0
"""Least time between two deep refreshes of a table [s]."""

DEEP_SUFFIX: Final = ":deep"
"""Appended to a rollup table's name for the mark of its last deep refresh."""

COLUMNS: Final = ("feeder_id", "bucket", *ROLLUP_MEASURES, "i_n_max", "samples")

HOUSE_DAY_OFFSET_S: Final = 66_600
"""The house days start at 00:00 IST, which is 18:30 UTC: that far after UTC midnight [s]."""

HOUSE_SETTLE_S: Final = RECENT_S
"""A house hour is rolled up this long after it ends, once its readings have arrived [s]."""

HOUSE_DEEP_EVERY_S: Final = 3600.0
"""Least time between two recomputations of the house rollup's look-back [s]."""

HOUSE_CAGG_END_OFFSET_S: Final = 3600
"""On TimescaleDB, the house rollup's continuous aggregate leaves this much of the newest
readings to the next refresh [s] (its policy's end offset, migration 0007)."""

HOUSE_CAGG_EVERY_S: Final = 900
"""... and refreshes this often [s] (its policy's schedule)."""

HOUSE_CAGG_LAG_S: Final = HOUSE_CAGG_END_OFFSET_S + HOUSE_CAGG_EVERY_S
"""How far behind the house readings the continuous aggregate may be [s]."""

HOUSE_ROLLUP_OFFSET_S: Final = 1800
"""The house rollup's hours start half past the UTC hours: on the hours of India Standard Time
(UTC+05:30), so that a report's IST days hold whole house hours [s]."""

HOUSE_MEANS: Final = ("v", "i", "pv")
"""The house readings' figures the house rollup keeps the hourly means of (and P and Q by
phase, store.schema.HOUSE_PHASE_MEASURES)."""


def refresh(
    engine: Engine,
    *,
    now: datetime | None = None,
    lookback_s: float = DEFAULT_LOOKBACK_S,
    recent_s: float = RECENT_S,
    deep_every_s: float = DEEP_EVERY_S,
) -> int:
    """Recompute the recent buckets of every rollup table; return the rows added or changed."""
    now = now or datetime.now(UTC)
    written = 0
    with engine.begin() as conn:
        if detect_backend(conn, announce=False) is Backend.TIMESCALE:
            return refresh_houses(engine, now=now, lookback_s=lookback_s)
        for suffix, width_s in ROLLUP_RESOLUTIONS.items():
            table = feeder_rollups[suffix]
            start = _window_start(conn, table.name, now, lookback_s, recent_s, deep_every_s)
            if start is not None:
                written += _recompute(conn, table, width_s, floor_time(start, width_s), now)
                _set_mark(conn, table.name, now)
    return written + refresh_houses(engine, now=now, lookback_s=lookback_s)


def refresh_houses(
    engine: Engine,
    *,
    now: datetime | None = None,
    lookback_s: float = DEFAULT_LOOKBACK_S,
    deep_every_s: float = HOUSE_DEEP_EVERY_S,
) -> int:
    """Roll up the house hours settled since the last call, and sum them per feeder and
    as-built phase (`feeder_house_loads_1h`) and per house and day (`house_days`); return the
    rows added or changed.

    The first call rolls up every settled hour of the readings already stored; later calls the
    hours that settled since, and every `deep_every_s` the hours of the last `lookback_s` again,
    for readings that arrived late. The running hour is never in the rollup. On TimescaleDB the
    house rollup is a continuous aggregate and only the sums are refreshed here, from the hours
    it has materialised.
    """
    now = now or datetime.now(UTC)
    width, offset = HOUSE_ROLLUP_WIDTH_S, HOUSE_ROLLUP_OFFSET_S
    name = feeder_house_loads.name
    with engine.connect() as conn:
        timescale = detect_backend(conn, announce=False) is Backend.TIMESCALE
        settle = HOUSE_SETTLE_S + (HOUSE_CAGG_LAG_S if timescale else 0.0)
        end = floor_time(now - timedelta(seconds=settle), width, offset)
        mark = _mark(conn, name)
        deep = _mark(conn, name + DEEP_SUFFIX)
        deep_due = mark is None or deep is None or (now - deep).total_seconds() >= deep_every_s
        if mark is None:
            first = house_rollup.c.bucket if timescale else house_readings.c.ts
            start = conn.execute(select(func.min(first))).scalar()
            if start is None:
                return 0
        else:
            start = mark - timedelta(seconds=lookback_s) if deep_due else mark
        start = floor_time(start, width, offset)
        changed = [] if timescale or start >= end else _changed_house_hours(conn, start, end)
    written = len(changed)
    with engine.begin() as conn:
        if changed:
            upsert = _upsert(conn, house_rollup)
            figures = ("samples", *HOUSE_MEANS, *HOUSE_PHASE_MEASURES, "minutes")
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["house_id", "bucket"],
                    set_={c: upsert.excluded[c] for c in ("feeder_id", *figures)},
                ),
                changed,
            )
        if start < end:
            written += _sum_feeder_loads(conn, start, end)
            first_day = floor_time(start, 86_400, HOUSE_DAY_OFFSET_S)
            last_day = floor_time(end - timedelta(seconds=1), 86_400, HOUSE_DAY_OFFSET_S)
            written += _sum_house_days(conn, first_day, last_day + timedelta(days=1), end)
        _set_mark(conn, name, max(start, end))
        if deep_due:
            _set_mark(conn, name + DEEP_SUFFIX, now)
    return written


def _sum_feeder_loads(conn: Connection, start: datetime, end: datetime) -> int:
    """Recompute the feeder sums of the house hours in [start, end); return the rows changed."""
    r = house_rollup.c
    h = houses.c
    source = (
        select(
            r.feeder_id,
            r.bucket,
            h.built_phase,
            func.count().label("houses"),
            func.sum(r.samples).label("samples"),
            *(func.coalesce(func.sum(r[m]), 0.0).label(m) for m in HOUSE_PHASE_MEASURES),
            func.sum(r.minutes).label("minutes"),
        )
        .select_from(house_rollup.join(houses, h.house_id == r.house_id))
        # through the (feeder_id, bucket) index: the house rollup has no index on time alone
        .where(r.feeder_id.in_(select(feeders.c.feeder_id)), r.bucket >= start, r.bucket < end)
        .group_by(r.feeder_id, r.bucket, h.built_phase)
    )
    table = feeder_house_loads
    columns = ("feeder_id", "bucket", "built_phase", "houses", "samples",
               *HOUSE_PHASE_MEASURES, "minutes")  # fmt: skip
    insert = _upsert(conn, table).from_select(list(columns), source)
    figures = columns[3:]
    stmt = insert.on_conflict_do_update(
        index_elements=["feeder_id", "bucket", "built_phase"],
        set_={c: insert.excluded[c] for c in figures},
        where=or_(*(table.c[c].is_distinct_from(insert.excluded[c]) for c in figures)),
    ).execution_options(preserve_rowcount=True)
    return max(int(conn.execute(stmt).rowcount), 0)


def _sum_house_days(conn: Connection, start: datetime, end: datetime, done_to: datetime) -> int:
    """Recompute the house days in [start, end) from the house hours before `done_to` (on
    TimescaleDB the aggregate may hold later hours, which the feeder sums do not have yet);
    return the rows changed."""
    r = house_rollup.c
    day = bucket_expr(conn.dialect.name, r.bucket, 86_400, HOUSE_DAY_OFFSET_S).label("day")
    source = (
        select(
            r.house_id,
            day,
            r.feeder_id,
            func.sum(r.samples).label("samples"),
            func.count().label("hours"),
            func.sum(r.minutes).label("minutes"),
        )
        # through the (feeder_id, bucket) index: the house rollup has no index on time alone
        .where(
            r.feeder_id.in_(select(feeders.c.feeder_id)),
            r.bucket >= start,
            r.bucket < min(end, done_to),
        )
        .group_by(r.house_id, day, r.feeder_id)
    )
    table = house_days
    columns = ("house_id", "day", "feeder_id", "samples", "hours", "minutes")
    insert = _upsert(conn, table).from_select(list(columns), source)
    figures = columns[2:]
    stmt = insert.on_conflict_do_update(
        index_elements=["house_id", "day"],
        set_={c: insert.excluded[c] for c in figures},
        where=or_(*(table.c[c].is_distinct_from(insert.excluded[c]) for c in figures)),
    ).execution_options(preserve_rowcount=True)
    return max(int(conn.execute(stmt).rowcount), 0)


def house_hours_select(
    dialect_name: str, start: datetime, end: datetime, feeder_ids: Sequence[str] | None = None
) -> Select[Any]:
    """Return the house hours of [start, end) from the raw house readings: one row per house
    and hour (house_id, bucket, feeder_id, samples, the means of HOUSE_MEANS, P and Q by phase
    as HOUSE_PHASE_MEASURES defines them, and the minutes with at least one reading).

    The one definition of a house hour: the house rollup is made of it, and a report reads it
    for the hours the rollup does not hold yet. `feeder_ids` limits it to some feeders' houses.
    """
    r = house_readings.c
    bucket = bucket_expr(dialect_name, r.ts, HOUSE_ROLLUP_WIDTH_S, HOUSE_ROLLUP_OFFSET_S)
    n = func.count()
    by_phase = [
        (func.sum(case((r.phase == phase, r[x]), else_=0.0)) / n).label(f"{x}_{phase.lower()}")
        for x in ("p", "q")
        for phase in "RYB"
    ]
    provisioned = select(houses.c.house_id)
    if feeder_ids is not None:
        provisioned = provisioned.where(houses.c.feeder_id.in_(list(feeder_ids)))
    return (
        select(
            r.house_id,
            bucket.label("bucket"),
            r.feeder_id,
            n.label("samples"),
            *(func.avg(r[m]).label(m) for m in HOUSE_MEANS),
            *by_phase,
            func.count(func.distinct(minute_index(dialect_name, r.ts))).label("minutes"),
        )
        # through the (house_id, ts) index: house readings have no index on time alone
        .where(r.house_id.in_(provisioned), r.ts >= start, r.ts < end)
        .group_by(r.house_id, bucket, r.feeder_id)
    )


def minute_index(dialect_name: str, ts: ColumnElement[Any]) -> ColumnElement[int]:
    """Return the minute since the epoch that a UtcDateTime column's time falls in."""
    sixty = literal_column("60", Integer)
    if dialect_name == "sqlite":  # epoch seconds, positive: truncation is the floor
        return cast(type_coerce(ts, Float) / sixty, Integer)
    return cast(func.floor(func.date_part("epoch", ts) / sixty), Integer)


def _changed_house_hours(conn: Connection, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Return the house hours in [start, end) whose figures differ from the rollup's."""
    source = house_hours_select(conn.dialect.name, start, end)
    t = house_rollup.c
    stored = {
        (m["house_id"], m["bucket"]): m
        for m in conn.execute(
            select(house_rollup).where(t.bucket >= start, t.bucket < end)
        ).mappings()
    }
    changed = []
    for m in conn.execute(source).mappings():
        row = dict(m)
        known = stored.get((row["house_id"], row["bucket"]))
        if known is None or any(known[c] != row[c] for c in row):
            changed.append(row)
    return changed


def bucket_expr(
    dialect_name: str, ts: ColumnElement[Any], width_s: int, offset_s: int = 0
) -> ColumnElement[datetime]:
    """Return the start of the `width_s` bucket of a UtcDateTime column, as a UtcDateTime;
    buckets start `offset_s` after multiples of their width since the epoch."""
    width = literal_column(str(int(width_s)), Integer)
    offset = literal_column(str(int(offset_s)), Integer)
    if dialect_name == "sqlite":
        epoch: ColumnElement[Any] = type_coerce(ts, Float)
        if offset_s:
            epoch = epoch - offset
        expr: ColumnElement[Any] = cast(epoch / width, Integer) * width
    else:  # date_part gives double precision, much faster to bucket than extract's numeric
        epoch = func.date_part("epoch", ts)
        if offset_s:
            epoch = epoch - offset
        expr = func.floor(epoch / width) * width
    if offset_s:
        expr = expr + offset
    if dialect_name != "sqlite":
        expr = func.to_timestamp(expr)
    return type_coerce(expr, UtcDateTime)


def floor_time(t: datetime, width_s: int, offset_s: int = 0) -> datetime:
    """Return the start of the `width_s` bucket (starting `offset_s` after multiples of its
    width since the epoch) that holds `t`."""
    start = ((t.timestamp() - offset_s) // width_s) * width_s + offset_s
    return datetime.fromtimestamp(start, UTC)


def _upsert(conn: Connection, table: Table) -> Any:
    return sqlite_insert(table) if conn.dialect.name == "sqlite" else pg_insert(table)


def _mark(conn: Connection, name: str) -> datetime | None:
    stmt = select(rollup_marks.c.done_to).where(rollup_marks.c.name == name)
    return conn.execute(stmt).scalar_one_or_none()


def _set_mark(conn: Connection, name: str, now: datetime) -> None:
    upsert = _upsert(conn, rollup_marks).values(name=name, done_to=now)
    conn.execute(
        upsert.on_conflict_do_update(
            index_elements=["name"],
            set_={"done_to": now},
            where=rollup_marks.c.done_to < upsert.excluded.done_to,
        )
    )


def _window_start(
    conn: Connection,
    name: str,
    now: datetime,
    lookback_s: float,
    recent_s: float,
    deep_every_s: float,
) -> datetime | None:
    """Return where this call recomputes from (None: no readings yet), noting a deep pass."""
    mark = _mark(conn, name)
    if mark is None:
        first: datetime | None = conn.execute(select(func.min(feeder_readings.c.ts))).scalar()
        if first is not None:
            _set_mark(conn, name + DEEP_SUFFIX, now)
        return first
    deep = _mark(conn, name + DEEP_SUFFIX)
    if deep is None or (now - deep).total_seconds() >= deep_every_s:
        _set_mark(conn, name + DEEP_SUFFIX, now)
        return mark - timedelta(seconds=max(lookback_s, recent_s))
    return mark - timedelta(seconds=recent_s)


def _recompute(conn: Connection, table: Table, width_s: int, start: datetime, now: datetime) -> int:
    r = feeder_readings.c
    bucket = bucket_expr(conn.dialect.name, r.ts, width_s)
    source = (
        select(
            r.feeder_id,
            bucket.label("bucket"),
            *(func.avg(r[m]).label(m) for m in ROLLUP_MEASURES),
            func.max(r.i_n).label("i_n_max"),
            func.count().label("samples"),
        )
        .where(r.ts >= start, r.ts <= now)
        .group_by(r.feeder_id, bucket)
    )
    insert = _upsert(conn, table).from_select(list(COLUMNS), source)
    figures = COLUMNS[2:]
    stmt = insert.on_conflict_do_update(
        index_elements=["feeder_id", "bucket"],
        set_={c: insert.excluded[c] for c in figures},
        where=or_(*(table.c[c].is_distinct_from(insert.excluded[c]) for c in figures)),
    ).execution_options(preserve_rowcount=True)
    return max(int(conn.execute(stmt).rowcount), 0)
