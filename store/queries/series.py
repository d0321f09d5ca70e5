"""The feeder page's charts: a feeder's points over a span, at a resolution picked from the span.

Charts read the rollup tables (continuous aggregates on TimescaleDB) and complete the newest
buckets, which a rollup may not hold yet, from raw readings of a bounded recent window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from sqlalchemy import Connection, func, select

from store import schema as db
from store.queries.filters import aware, ceil_time, positive, span
from store.rollups import DEFAULT_LOOKBACK_S, bucket_expr, floor_time
from store.schema import ROLLUP_MEASURES, ROLLUP_RESOLUTIONS

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


def choose_resolution(start: datetime, end: datetime) -> Resolution:
    """Return the finest resolution that keeps a chart of [start, end) near 3,000 points."""
    length = span(start, end)
    for resolution, limit in RESOLUTION_SPANS:
        if length <= limit:
            return resolution
    return "1h"


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
    span(start, end)
    chosen = resolution or choose_resolution(start, end)
    if chosen == "raw":
        points, truncated = _raw_points(conn, feeder_id, start, end, positive(limit))
        return FeederSeries(feeder_id, chosen, start, end, points, truncated)
    if chosen not in ROLLUP_RESOLUTIONS:
        raise ValueError(f"unknown resolution {chosen!r}")
    points = _bucket_points(conn, feeder_id, start, end, chosen)
    return FeederSeries(feeder_id, chosen, start, end, points)


def feeder_reading_at(
    conn: Connection, feeder_id: str, at: datetime, *, max_age_s: float = 300.0
) -> SeriesPoint | None:
    """Return the feeder's latest summary at or before `at` and at most `max_age_s` older."""
    r = db.feeder_readings.c
    since = aware(at) - timedelta(seconds=max_age_s)
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
    first = ceil_time(start, width)
    stop = ceil_time(end, width)  # end of the last bucket that starts before `end`
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
