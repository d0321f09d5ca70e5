"""Refresh the feeder rollup tables on plain PostgreSQL and SQLite (TimescaleDB does it itself).

Each refresh recomputes every bucket from `lookback_s` before the last mark up to now, so late
readings (an edge replaying its outbox after an outage shorter than the look-back) land in
their buckets. The jobs scheduler calls `refresh` every minute.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.db import Backend, detect_backend
from store.schema import (
    ROLLUP_MEASURES,
    ROLLUP_RESOLUTIONS,
    feeder_readings,
    feeder_rollups,
    rollup_marks,
)

DEFAULT_LOOKBACK_S = 6 * 3600.0


def refresh(engine: Engine, *, now: datetime | None = None, lookback_s: float = DEFAULT_LOOKBACK_S) -> int:
    """Recompute the recent buckets of every rollup table; return the rows written."""
    now = now or datetime.now(UTC)
    written = 0
    with engine.begin() as conn:
        if detect_backend(conn, announce=False) is Backend.TIMESCALE:
            return 0
        for suffix, width_s in ROLLUP_RESOLUTIONS.items():
            written += _refresh_one(conn, suffix, width_s, now, lookback_s)
    return written


def _bucket_expr(conn: Connection, width_s: int) -> object:
    if conn.dialect.name == "sqlite":
        return literal_column(f"CAST(ts / {width_s} AS INTEGER) * {width_s}")
    return func.to_timestamp(
        func.floor(func.extract("epoch", feeder_readings.c.ts) / width_s) * width_s
    )


def _refresh_one(
    conn: Connection, suffix: str, width_s: int, now: datetime, lookback_s: float
) -> int:
    table = feeder_rollups[suffix]
    name = table.name
    mark = conn.execute(
        select(rollup_marks.c.done_to).where(rollup_marks.c.name == name)
    ).scalar_one_or_none()
    if mark is None:
        mark = conn.execute(select(func.min(feeder_readings.c.ts))).scalar_one_or_none()
        if mark is None:
            return 0
        if not isinstance(mark, datetime):
            mark = datetime.fromtimestamp(float(mark), UTC)
        start = mark
    else:
        start = mark - timedelta(seconds=lookback_s)
    start = datetime.fromtimestamp((start.timestamp() // width_s) * width_s, UTC)
    bucket = _bucket_expr(conn, width_s).label("bucket")  # type: ignore[attr-defined]
    source = (
        select(
            feeder_readings.c.feeder_id,
            bucket,
            *(func.avg(feeder_readings.c[m]).label(m) for m in ROLLUP_MEASURES),
            func.max(feeder_readings.c.i_n).label("i_n_max"),
            func.count().label("samples"),
        )
        .where(feeder_readings.c.ts >= start, feeder_readings.c.ts <= now)
        .group_by(feeder_readings.c.feeder_id, text("bucket"))
    )
    columns = ["feeder_id", "bucket", *ROLLUP_MEASURES, "i_n_max", "samples"]
    insert = sqlite_insert(table) if conn.dialect.name == "sqlite" else pg_insert(table)
    stmt = insert.from_select(columns, source)
    stmt = stmt.on_conflict_do_update(
        index_elements=["feeder_id", "bucket"],
        set_={c: stmt.excluded[c] for c in columns[2:]},
    )
    written = conn.execute(stmt).rowcount or 0
    marks_insert = sqlite_insert(rollup_marks) if conn.dialect.name == "sqlite" else pg_insert(rollup_marks)
    upsert = marks_insert.values(name=name, done_to=now)
    conn.execute(upsert.on_conflict_do_update(index_elements=["name"], set_={"done_to": now}))
    return int(written)
