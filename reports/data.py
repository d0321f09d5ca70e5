"""What a report reads from the store: typed rows and arrays, no figures (the I/O edge).

Feeder figures come from the rollups, never from raw summaries (DESIGN §12): the 15-minute
rollup for currents, loading and unbalance, the 1-minute rollup for 10-minute voltage means and
for the minutes in which a controller reported. The savings come from the hourly house rollup
summed per feeder (`feeder_house_loads_1h`), the house nodes' availability and minutes with
readings from it summed per house and day (`house_days`). The hours the house rollup does not
hold yet (those after its mark: the running hour and the one settling) are read from the raw
house readings with the rollup's own definition of a house hour
(`store.rollups.house_hours_select`), so that a period that ends now has its last hour.
Series are read for a few feeders at a time (`CHUNK`), so that a district or the state never
holds every feeder's series at once. Times come back as epoch seconds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
)

from grid.phasors import FloatArray
from reports.scope import ReportArgumentError, Scope
from store import schema as db
from store.rollups import HOUSE_ROLLUP_OFFSET_S, floor_time, house_hours_select
from store.schema import HOUSE_PHASE_MEASURES, HOUSE_ROLLUP_WIDTH_S

CHUNK: Final = 20
"""Feeders whose series are read and computed together."""

SESSION: Final = {
    "jit": "off",
    "work_mem": "'128MB'",
    "parallel_setup_cost": "10",
    "parallel_tuple_cost": "0.001",
}
"""PostgreSQL settings of a report's transaction: no JIT, memory per sort or hash so that a
chunk's aggregation does not spill to disk, and parallel scans."""

VOLTAGE_WINDOW_S: Final = 600
"""The voltage unbalance's averaging window: 10-minute means, as EN 50160 assesses it [s]."""

FEEDER_COLUMNS: Final = ("t", "i_r", "i_y", "i_b", "i_n", "i_n_max", "v_r", "v_y", "v_b",
                         "unbalance_pct", "samples")  # fmt: skip
"""The columns of a feeder's 15-minute series (`FeederSeries.data`)."""

HOUSE_HOUR_COLUMNS: Final = ("t", "p_r", "p_y", "p_b", "q_r", "q_y", "q_b",
                             "bp_r", "bp_y", "bp_b", "bq_r", "bq_y", "bq_b", "houses",
                             "minutes")  # fmt: skip
"""The columns of a feeder's house hours (`HouseHours.data`): the houses' mean P [W] and Q
[var] summed by the phase they were on (p_*, q_*) and by their as-built phase (bp_*, bq_*), how
many houses reported in the hour, and their house-minutes with a reading."""


@dataclass(frozen=True, slots=True)
class FeederInfo:
    """A feeder as provisioned, with how many houses it has."""

    feeder_id: str
    name: str
    district: str
    lat: float  # [°]
    lon: float  # [°]
    kva: float  # [kVA]
    created_at: datetime
    houses: int


@dataclass(frozen=True, slots=True)
class HouseInfo:
    """A house as provisioned."""

    house_id: str
    feeder_id: str
    built_phase: str
    phase: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FeederSeries:
    """A feeder's 15-minute rollup buckets in the period: one row per bucket, FEEDER_COLUMNS."""

    feeder_id: str
    data: FloatArray

    def column(self, name: str) -> FloatArray:
        """Return one column (e.g. "i_n")."""
        return self.data[:, FEEDER_COLUMNS.index(name)]


@dataclass(frozen=True, slots=True)
class VoltageSlots:
    """A feeder's 10-minute voltage means and the minutes with a summary in each."""

    feeder_id: str
    t: FloatArray  # start of each 10-minute window [epoch s]
    v: FloatArray  # (n, 3) mean phase-to-neutral voltages R, Y, B [V]
    minutes: FloatArray  # minutes of the window with at least one summary


@dataclass(frozen=True, slots=True)
class HouseHours:
    """A feeder's hourly house loads by phase on and as built: one row per hour."""

    feeder_id: str
    data: FloatArray

    def column(self, name: str) -> FloatArray:
        """Return one column (e.g. "bp_r")."""
        return self.data[:, HOUSE_HOUR_COLUMNS.index(name)]


@dataclass(frozen=True, slots=True)
class HouseSamples:
    """How much one house reported in the period."""

    house_id: str
    feeder_id: str
    samples: int  # readings
    hours: int  # hours with at least one reading
    minutes: int = 0  # minutes with at least one reading


@dataclass(frozen=True, slots=True)
class RunRow:
    """A balancing run with its phase currents [A] and unbalance [%] before and after."""

    ts: datetime
    feeder_id: str
    trigger: str
    result: str
    moves: int
    before: tuple[float | None, float | None, float | None, float | None, float | None]
    after: tuple[float | None, float | None, float | None, float | None, float | None]


@dataclass(frozen=True, slots=True)
class SwitchRow:
    """The outcome of one switch of a house."""

    ts: datetime
    feeder_id: str
    house_id: str
    from_phase: str
    to_phase: str
    result: str
    origin: str
    reason: str


@dataclass(frozen=True, slots=True)
class CommandRow:
    """An operator's command: who asked for what, why, and how it ended."""

    requested_at: datetime
    feeder_id: str
    house_id: str | None
    action: str
    requested_by: str
    why: str
    detail: str  # e.g. "R→Y" for a switch, "manual" for a mode change
    state: str
    reason: str


@dataclass(frozen=True, slots=True)
class LockoutRow:
    """A house locked out of balancing by its controller."""

    ts: datetime
    feeder_id: str
    house_id: str
    reason: str
    until: datetime | None


@dataclass(frozen=True, slots=True)
class AlertRow:
    """An alert raised in the period, with when it was acknowledged and cleared."""

    kind: str
    severity: str
    feeder_id: str | None
    raised_at: datetime
    acked_at: datetime | None
    cleared_at: datetime | None


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything a report reads besides the series: the events of the period."""

    runs: tuple[RunRow, ...]
    switches: tuple[SwitchRow, ...]
    commands: tuple[CommandRow, ...]
    lockouts: tuple[LockoutRow, ...]
    alerts: tuple[AlertRow, ...]
    operator_actions: Mapping[str, int]  # audit log action → entries that succeeded


# --- the scope ---------------------------------------------------------------------------------


def scope_feeders(conn: Connection, scope: Scope) -> list[FeederInfo]:
    """Return the scope's feeders by id, or raise ReportArgumentError when it has none."""
    f = db.feeders.c
    counts = (
        select(db.houses.c.feeder_id, func.count().label("n"))
        .group_by(db.houses.c.feeder_id)
        .subquery("counts")
    )
    stmt = (
        select(f.feeder_id, f.name, f.district, f.lat, f.lon, f.kva, f.created_at, counts.c.n)
        .select_from(db.feeders.outerjoin(counts, counts.c.feeder_id == f.feeder_id))
        .where(_scope_filter(f.feeder_id, scope))
        .order_by(f.feeder_id)
    )
    rows = [
        FeederInfo(r[0], r[1], r[2], float(r[3]), float(r[4]), float(r[5]), r[6], int(r[7] or 0))
        for r in conn.execute(stmt)
    ]
    if not rows:
        if scope.kind == "feeder":
            raise ReportArgumentError("--feeder", f"{scope.name!r} is not a provisioned feeder")
        if scope.kind in ("district", "section"):
            raise ReportArgumentError(scope.argument, f"no feeder is provisioned in {scope.name!r}")
        raise ReportArgumentError("--state", "no feeder is provisioned")
    return rows


def districts(conn: Connection) -> list[str]:
    """Return every district with a feeder, by name."""
    f = db.feeders.c
    return list(conn.execute(select(f.district).distinct().order_by(f.district)).scalars())


def scope_houses(conn: Connection, scope: Scope) -> list[HouseInfo]:
    """Return the scope's houses by id."""
    h = db.houses.c
    stmt = (
        select(h.house_id, h.feeder_id, h.built_phase, h.phase, h.created_at)
        .where(_scope_filter(h.feeder_id, scope))
        .order_by(h.house_id)
    )
    return [HouseInfo(*row) for row in conn.execute(stmt)]


def chunks(feeders: Sequence[FeederInfo], size: int = CHUNK) -> Iterator[list[FeederInfo]]:
    """Yield the feeders `size` at a time."""
    for start in range(0, len(feeders), size):
        yield list(feeders[start : start + size])


def prepare(conn: Connection) -> str | None:
    """Set up a report's transaction, its first statement: read-only, and on PostgreSQL
    repeatable read (one snapshot for the whole report), without JIT compilation (which costs
    seconds on these one-off aggregations), with room to aggregate in memory and with parallel
    scans. Return the snapshot's id for `join_snapshot` (None on SQLite)."""
    if conn.dialect.name != "postgresql":
        return None
    conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    _settings(conn)
    return str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())


def join_snapshot(conn: Connection, snapshot: str) -> None:
    """Set up a second transaction of a report on the first one's snapshot (PostgreSQL)."""
    if not re.fullmatch(r"[0-9A-Fa-f-]+", snapshot):
        raise ValueError(f"snapshot: {snapshot!r} is not a PostgreSQL snapshot id")
    conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    conn.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))  # takes no parameter
    _settings(conn)


def _settings(conn: Connection) -> None:
    for name, value in SESSION.items():
        conn.execute(text(f"SET LOCAL {name} = {value}"))


# --- series ------------------------------------------------------------------------------------


def feeder_series(
    conn: Connection, feeder_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, FeederSeries]:
    """Return the 15-minute rollup buckets of some feeders that start in [start, end)."""
    t = db.feeder_rollups["15m"].c
    stmt = (
        select(
            t.feeder_id,
            _epoch(conn, t.bucket),
            *(t[name] for name in FEEDER_COLUMNS[1:]),
        )
        .where(t.feeder_id.in_(list(feeder_ids)), t.bucket >= start, t.bucket < end)
        .order_by(t.feeder_id, t.bucket)
    )
    return {
        feeder_id: FeederSeries(feeder_id, data)
        for feeder_id, data in _grouped(conn, stmt, len(FEEDER_COLUMNS))
    }


def voltage_slots(
    conn: Connection, feeder_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, VoltageSlots]:
    """Return the 10-minute means of the phase voltages of some feeders, from the 1-minute
    rollup (each minute weighted by its summaries), and the minutes with a summary."""
    t = db.feeder_rollups["1m"].c
    slot = _slot(conn, t.bucket, VOLTAGE_WINDOW_S)
    weight = func.sum(t.samples)
    stmt = (
        select(
            t.feeder_id,
            slot.label("slot"),
            *(func.sum(t[v] * t.samples) / weight for v in ("v_r", "v_y", "v_b")),
            func.count(),
        )
        .where(t.feeder_id.in_(list(feeder_ids)), t.bucket >= start, t.bucket < end)
        .group_by(t.feeder_id, slot)
        .order_by(t.feeder_id, slot)
    )
    out = {}
    for feeder_id, data in _grouped(conn, stmt, 5):
        out[feeder_id] = VoltageSlots(
            feeder_id, data[:, 0] * VOLTAGE_WINDOW_S, data[:, 1:4], data[:, 4]
        )
    return out


def minutes_reported(
    conn: Connection, feeder_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, int]:
    """Return the minutes of [start, end) in which each of some feeders sent a summary."""
    t = db.feeder_rollups["1m"].c
    stmt = (
        select(t.feeder_id, func.count())
        .where(t.feeder_id.in_(list(feeder_ids)), t.bucket >= start, t.bucket < end)
        .group_by(t.feeder_id)
    )
    return {str(f): int(n) for f, n in conn.execute(stmt)}


def rolled_up_to(conn: Connection) -> datetime | None:
    """Return where the hourly house rollup's feeder sums end: every house hour before it is
    in `feeder_house_loads_1h`, none after (None: the rollup has never run)."""
    mark = db.rollup_marks.c
    done = conn.execute(
        select(mark.done_to).where(mark.name == db.feeder_house_loads.name)
    ).scalar_one_or_none()
    if done is None:
        return None
    return floor_time(done, HOUSE_ROLLUP_WIDTH_S, HOUSE_ROLLUP_OFFSET_S)


def house_hours(
    conn: Connection,
    feeder_ids: Sequence[str],
    start: datetime,
    end: datetime,
    raw_from: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, HouseHours]:
    """Return each feeder's hourly house loads summed by the phase each house was on and by
    its as-built phase (HOUSE_HOUR_COLUMNS): from the house rollup's feeder sums before
    `raw_from` (a house hour's start; None: throughout), and from the raw house readings,
    by the same definition, from `raw_from` to `end` or `until` (the report's time), the
    earlier.

    A house's load in an hour is the mean of its readings; when it changed phase in the hour,
    each phase has the share of its readings taken there. Hours in which a house did not
    report leave it out of both sums.
    """
    ids = list(feeder_ids)
    rolled_end = end if raw_from is None else min(end, raw_from)
    t = db.feeder_house_loads.c
    stmt = (
        select(
            t.feeder_id,
            _epoch(conn, t.bucket),
            t.built_phase,
            *(t[m] for m in HOUSE_PHASE_MEASURES),
            t.houses,
            t.minutes,
        )
        .where(t.feeder_id.in_(ids), t.bucket >= start, t.bucket < rolled_end)
        .order_by(t.feeder_id, t.bucket)
    )
    rows = _fetch(conn, stmt) if start < rolled_end else []
    raw_end = end if until is None else min(end, until)
    if raw_from is not None and max(start, raw_from) < raw_end:
        hh = house_hours_select(conn.dialect.name, max(start, raw_from), raw_end, ids).subquery()
        h = db.houses.c
        raw = (
            select(
                hh.c.feeder_id,
                _epoch(conn, hh.c.bucket),
                h.built_phase,
                *(func.sum(hh.c[m]) for m in HOUSE_PHASE_MEASURES),
                func.count(),
                func.sum(hh.c.minutes),
            )
            .select_from(hh.join(db.houses, h.house_id == hh.c.house_id))
            .group_by(hh.c.feeder_id, hh.c.bucket, h.built_phase)
        )
        rows += _fetch(conn, raw)
        rows.sort(key=lambda row: (row[0], row[1]))
    out = {}
    for feeder_id, group in itertools.groupby(rows, key=lambda row: row[0]):
        out[str(feeder_id)] = _house_hours(str(feeder_id), list(group))
    return out


def _house_hours(feeder_id: str, rows: Sequence[tuple[Any, ...]]) -> HouseHours:
    """Return a feeder's house hours from its sums per hour and as-built phase: (feeder, hour
    [epoch s], as-built phase, P and Q by phase on (HOUSE_PHASE_MEASURES), houses, minutes)."""
    times = np.array([row[1] for row in rows], dtype=np.float64)
    t_hours, hour = np.unique(times, return_inverse=True)
    built = np.array(["RYB".index(row[2]) for row in rows], dtype=np.intp)
    sums = np.array([row[3:] for row in rows], dtype=np.float64)  # p_r..q_b, houses, minutes
    data = np.zeros((len(t_hours), len(HOUSE_HOUR_COLUMNS)))
    data[:, 0] = t_hours
    np.add.at(data[:, 1:7], hour, sums[:, :6])
    for k, x in ((0, 7), (3, 10)):  # P, Q summed over the phases, on the as-built one
        np.add.at(data, (hour, x + built), sums[:, k : k + 3].sum(axis=1))
    np.add.at(data[:, 13], hour, sums[:, 6])
    np.add.at(data[:, 14], hour, sums[:, 7])
    return HouseHours(feeder_id, data)


def house_samples(
    conn: Connection,
    feeder_ids: Sequence[str],
    start: datetime,
    end: datetime,
    raw_from: datetime | None = None,
    until: datetime | None = None,
) -> list[HouseSamples]:
    """Return the readings, reporting hours and minutes of each house of some feeders that
    reported: from the house days (the period is whole IST days), which hold the rolled-up
    hours, and from the raw readings from `raw_from` to `end` or `until` (as `house_hours`)."""
    ids = list(feeder_ids)
    t = db.house_days.c
    stmt = (
        select(t.house_id, t.feeder_id, func.sum(t.samples), func.sum(t.hours), func.sum(t.minutes))
        .where(t.feeder_id.in_(ids), t.day >= start, t.day < end)
        .group_by(t.house_id, t.feeder_id)
    )
    rows = _fetch(conn, stmt)
    raw_end = end if until is None else min(end, until)
    if raw_from is not None and max(start, raw_from) < raw_end:
        hh = house_hours_select(conn.dialect.name, max(start, raw_from), raw_end, ids).subquery()
        raw = select(
            hh.c.house_id,
            hh.c.feeder_id,
            func.sum(hh.c.samples),
            func.count(),
            func.sum(hh.c.minutes),
        ).group_by(hh.c.house_id, hh.c.feeder_id)
        rows += _fetch(conn, raw)
    totals: dict[tuple[str, str], list[int]] = {}
    for house_id, feeder_id, *counts in rows:
        got = totals.setdefault((str(house_id), str(feeder_id)), [0, 0, 0])
        for k, n in enumerate(counts):
            got[k] += int(n or 0)
    return [HouseSamples(h, f, *counts) for (h, f), counts in sorted(totals.items())]


# --- events ------------------------------------------------------------------------------------


def inputs(conn: Connection, scope: Scope, start: datetime, end: datetime) -> Inputs:
    """Return the period's balancing runs, switches, commands, lockouts, alerts and the
    count of operators' actions in the audit log."""
    return Inputs(
        runs=tuple(_runs(conn, scope, start, end)),
        switches=tuple(_switches(conn, scope, start, end)),
        commands=tuple(_commands(conn, scope, start, end)),
        lockouts=tuple(_lockouts(conn, scope, start, end)),
        alerts=tuple(_alerts(conn, scope, start, end)),
        operator_actions=_operator_actions(conn, scope, start, end),
    )


def _runs(conn: Connection, scope: Scope, start: datetime, end: datetime) -> Iterator[RunRow]:
    t = db.balancing_runs.c
    names = ("i_r", "i_y", "i_b", "i_n", "unbalance_pct")
    stmt = (
        select(
            t.ts,
            t.feeder_id,
            t.trigger,
            t.result,
            t.moves,
            *(t[f"before_{x}"] for x in names),
            *(t[f"after_{x}"] for x in names),
        )
        .where(_scope_filter(t.feeder_id, scope), t.ts >= start, t.ts < end)
        .order_by(t.ts, t.run_id)
    )
    for row in conn.execute(stmt):
        yield RunRow(row[0], row[1], row[2], row[3], len(row[4] or ()), row[5:10], row[10:15])


def _switches(
    conn: Connection, scope: Scope, start: datetime, end: datetime
) -> Iterator[SwitchRow]:
    t = db.switch_events.c
    stmt = (
        select(
            t.ts, t.feeder_id, t.house_id, t.from_phase, t.to_phase, t.result, t.origin, t.reason
        )
        .where(_scope_filter(t.feeder_id, scope), t.ts >= start, t.ts < end)
        .order_by(t.ts, t.event_id)
    )
    for row in conn.execute(stmt):
        yield SwitchRow(*row)


def _commands(
    conn: Connection, scope: Scope, start: datetime, end: datetime
) -> Iterator[CommandRow]:
    t = db.commands.c
    stmt = (
        select(
            t.requested_at,
            t.feeder_id,
            t.house_id,
            t.action,
            t.requested_by,
            t.params,
            t.state,
            t.reason,
        )
        .where(_scope_filter(t.feeder_id, scope), t.requested_at >= start, t.requested_at < end)
        .order_by(t.requested_at, t.cmd_id)
    )
    for at, feeder_id, house_id, action, who, stored, state, reason in conn.execute(stmt):
        params = dict(stored or {})
        yield CommandRow(
            at,
            feeder_id,
            house_id,
            action,
            who,
            str(params.get("why") or ""),
            _command_detail(action, params),
            state,
            reason or "",
        )


def _command_detail(action: str, params: Mapping[str, Any]) -> str:
    if action == "switch":
        return f"{params.get('from', '?')}→{params.get('to', '?')}"
    if action == "set_mode":
        return str(params.get("mode", ""))
    if action == "config":
        config = params.get("config") or {}
        return ", ".join(f"{k}={v}" for k, v in sorted(dict(config).items()))
    return ""


def _lockouts(
    conn: Connection, scope: Scope, start: datetime, end: datetime
) -> Iterator[LockoutRow]:
    t = db.events.c
    stmt = (
        select(t.ts, t.feeder_id, t.data)
        .where(
            _scope_filter(t.feeder_id, scope),
            t.kind == "lockout",
            t.ts >= start,
            t.ts < end,
        )
        .order_by(t.ts, t.event_id)
    )
    for ts, feeder_id, stored in conn.execute(stmt):
        data = dict(stored or {})
        if not data.get("locked"):
            continue
        until = data.get("until")
        yield LockoutRow(
            ts,
            feeder_id,
            str(data.get("house", "")),
            str(data.get("reason", "")),
            None if until is None else datetime.fromtimestamp(float(until), ts.tzinfo),
        )


def _alerts(conn: Connection, scope: Scope, start: datetime, end: datetime) -> Iterator[AlertRow]:
    """Alerts raised in the period that stand on their own (not rolled up under a wider one);
    at state scope also HQ's fleet alerts, which belong to no feeder."""
    t = db.alerts.c
    where: list[ColumnElement[bool]] = [t.raised_at >= start, t.raised_at < end]
    where.append(t.parent_id.is_(None))
    if scope.kind == "state":
        where.append(or_(t.feeder_id.is_(None), _scope_filter(t.feeder_id, scope)))
    else:
        where.append(_scope_filter(t.feeder_id, scope))
    stmt = (
        select(t.kind, t.severity, t.feeder_id, t.raised_at, t.acked_at, t.cleared_at)
        .where(*where)
        .order_by(t.raised_at, t.alert_id)
    )
    for row in conn.execute(stmt):
        yield AlertRow(*row)


def _operator_actions(
    conn: Connection, scope: Scope, start: datetime, end: datetime
) -> dict[str, int]:
    t = db.audit_log.c
    stmt = (
        select(t.action, func.count())
        .where(
            _scope_filter(t.feeder_id, scope),
            t.ts >= start,
            t.ts < end,
            t.outcome == "ok",
            t.username.is_not(None),
            or_(t.action.startswith("command."), t.action.startswith("alert.")),
        )
        .group_by(t.action)
        .order_by(t.action)
    )
    return {str(action): int(n) for action, n in conn.execute(stmt)}


# --- internals ---------------------------------------------------------------------------------


def _scope_filter(column: ColumnElement[Any], scope: Scope) -> ColumnElement[bool]:
    if scope.kind == "feeder":
        return column == scope.name
    if scope.kind == "district":
        f = db.feeders.c
        return column.in_(select(f.feeder_id).where(f.district == scope.name))
    if scope.kind == "section":
        s = db.feeder_sections.c
        return column.in_(select(s.feeder_id).where(s.section == scope.name))
    return column.is_not(None)


def _epoch(conn: Connection, column: ColumnElement[Any]) -> ColumnElement[float]:
    """Return a UtcDateTime column as epoch seconds, without converting every row."""
    if conn.dialect.name == "sqlite":
        return type_coerce(column, Float)  # stored as epoch seconds
    return type_coerce(func.date_part("epoch", column), Float)


def _slot(conn: Connection, column: ColumnElement[Any], width_s: int) -> ColumnElement[int]:
    """Return the index of the `width_s` window since the epoch that a time falls in."""
    width = literal_column(str(int(width_s)), Integer)
    if conn.dialect.name == "sqlite":  # times are positive: truncation is the floor
        return cast(_epoch(conn, column) / width, Integer)
    return cast(func.floor(_epoch(conn, column) / width), Integer)


def _grouped(conn: Connection, stmt: Select[Any], columns: int) -> Iterator[tuple[str, FloatArray]]:
    """Yield (feeder id, rows as a float array) of a query ordered by its first column."""
    for feeder_id, group in itertools.groupby(_fetch(conn, stmt), key=lambda row: row[0]):
        data = np.array([row[1:] for row in group], dtype=np.float64)
        yield str(feeder_id), data.reshape(-1, columns)


def _fetch(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """Return every row of a query as plain tuples from the driver, in one fetch: a month of a
    district's buckets is hundreds of thousands of rows, which row objects would slow down.
    The query's columns need no result processing (times come as epoch seconds)."""
    result = conn.execute(stmt)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()
