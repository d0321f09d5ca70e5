"""What the read queries share: aware times, half-open ranges, row limits, optional filters,
selects of the columns a row dataclass names, and the operators' (IST) day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeAlias

from sqlalchemy import ColumnElement, Connection, Select, Table, select
from sqlalchemy.engine import RowMapping

from grid.events import SwitchResult
from grid.timezones import IST
from store import schema as db
from store.rollups import floor_time

AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"

DEFAULT_LIMIT: Final = 200
"""Rows a log query returns unless told otherwise."""

Filter: TypeAlias = tuple[ColumnElement[Any], str | Sequence[str] | None]
"""A column and the value (or any of the values) it must have; None: any."""


def now_or(now: datetime | None) -> datetime:
    """Return `now`, checked to be aware, or the current UTC time."""
    return datetime.now(UTC) if now is None else aware(now)


def aware(t: datetime) -> datetime:
    """Return `t`, or raise ValueError when it has no time zone."""
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t.isoformat()} given; times must be aware")
    return t


def span(start: datetime, end: datetime) -> timedelta:
    """Return the length of [start, end), or raise ValueError when it is empty."""
    length = aware(end) - aware(start)
    if length <= timedelta(0):
        raise ValueError(f"empty range: end {end.isoformat()} is not after {start.isoformat()}")
    return length


def ceil_time(t: datetime, width_s: int) -> datetime:
    """Return the start of the first bucket of `width_s` seconds that begins at or after `t`."""
    floor = floor_time(t, width_s)
    return floor if floor == t else floor + timedelta(seconds=width_s)


def positive(limit: int) -> int:
    """Return `limit`, or raise ValueError when it is below 1."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    return limit


def select_fields(table: Table, row_type: type[Any]) -> AnySelect:
    """Return a select of the columns named like the fields of a row dataclass."""
    return select(*(table.c[f.name] for f in fields(row_type)))


def mappings(conn: Connection, stmt: AnySelect) -> Sequence[RowMapping]:
    """Return every row of `stmt` as a mapping."""
    return conn.execute(stmt).mappings().all()


def filtered(stmt: AnySelect, *filters: Filter) -> AnySelect:
    """Return `stmt` limited to the rows whose columns have the given values (None: any)."""
    for column, value in filters:
        if value is None:
            continue
        if isinstance(value, str):
            stmt = stmt.where(column == value)
        else:
            stmt = stmt.where(column.in_(list(value)))
    return stmt


def between(
    stmt: AnySelect, column: ColumnElement[Any], start: datetime | None, end: datetime | None
) -> AnySelect:
    """Return `stmt` limited to `start <= column < end` (either end None: unbounded)."""
    if start is not None:
        stmt = stmt.where(column >= aware(start))
    if end is not None:
        stmt = stmt.where(column < aware(end))
    return stmt


def newest_first(
    stmt: AnySelect,
    time: ColumnElement[Any],
    key: ColumnElement[Any],
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> AnySelect:
    """Return a log query: [start, end) on `time`, newest first (ties by `key`), `limit` rows."""
    stmt = between(stmt.order_by(time.desc(), key.desc()), time, start, end)
    return stmt.limit(positive(limit))


def ist_day_start(now: datetime) -> datetime:
    """Return the UTC instant of the last midnight in India Standard Time at `now`."""
    local = aware(now).astimezone(IST)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def switched_on_ist_day(day_start: datetime) -> tuple[ColumnElement[bool], ...]:
    """Return the conditions of the switches made (applied) on the IST day from `day_start`."""
    t = db.switch_events.c
    return (
        t.ts >= day_start,
        t.ts < day_start + timedelta(days=1),
        t.result == str(SwitchResult.APPLIED),
    )
