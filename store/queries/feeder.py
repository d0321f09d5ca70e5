"""The feeder page: a feeder's rating and latest summary, its houses with their latest reading and
today's switches, and the houses' readings at an instant (a balancing run's before and after)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select, true
from sqlalchemy.engine import RowMapping

from grid.messages import Mode
from grid.metrics import rated_current_a
from grid.phasors import Phase
from store import schema as db
from store.queries.filters import (
    aware,
    ist_day_start,
    mappings,
    now_or,
    select_fields,
    switched_on_ist_day,
)


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
    mode: Mode
    houses_online: int
    houses_total: int


@dataclass(frozen=True, slots=True)
class HouseReading:
    """One raw reading of a house node."""

    ts: datetime
    phase: Phase
    v: float  # [V]
    i: float  # [A]
    p: float  # net [W], + import, − export
    q: float  # [var]
    pv: float  # [W]


@dataclass(frozen=True, slots=True)
class FeederHouse:
    """A house of a feeder with its latest reading and today's switches."""

    house_id: str
    feeder_id: str
    phase: Phase
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


def feeder_rated_a(conn: Connection, feeder_id: str) -> float | None:
    """Return a feeder's rated phase current [A], or None when it is not provisioned."""
    stmt = select(db.feeders.c.kva).where(db.feeders.c.feeder_id == feeder_id)
    kva = conn.execute(stmt).scalar()
    return None if kva is None else rated_current_a(float(kva))


def latest_feeder_state(conn: Connection, feeder_id: str) -> FeederState | None:
    """Return the latest summary of a feeder, or None before its first one."""
    stmt = select_fields(db.feeder_state, FeederState)
    row = conn.execute(stmt.where(db.feeder_state.c.feeder_id == feeder_id)).mappings().first()
    return None if row is None else FeederState(**{**row, "mode": Mode(row["mode"])})


def feeder_extent(conn: Connection, feeder_id: str) -> tuple[datetime, datetime] | None:
    """Return the times of a feeder's first and latest summary, or None before its first."""
    r = db.feeder_readings.c
    first = conn.execute(select(func.min(r.ts)).where(r.feeder_id == feeder_id)).scalar()
    last = conn.execute(select(func.max(r.ts)).where(r.feeder_id == feeder_id)).scalar()
    return None if first is None or last is None else (first, last)


def feeder_houses(
    conn: Connection,
    feeder_id: str,
    now: datetime | None = None,
    *,
    recent_s: float = 86_400.0,
) -> list[FeederHouse]:
    """Return a feeder's houses with their latest reading (of the last `recent_s`) by id."""
    now = now_or(now)
    since = now - timedelta(seconds=recent_s)
    r = db.house_readings.c
    switched = (
        select(db.switch_events.c.house_id, func.count().label("n"))
        .where(db.switch_events.c.feeder_id == feeder_id, *switched_on_ist_day(ist_day_start(now)))
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
    h = db.houses.c
    stmt = (
        select(
            h.house_id,
            h.feeder_id,
            h.phase,
            h.pv_kw,
            h.switchable,
            h.locked,
            h.locked_reason,
            h.locked_since,
            h.locked_until,
            h.online,
            latest[0].label("last_reading"),
            latest[1].label("p"),
            latest[2].label("pv"),
            func.coalesce(switched.c.n, 0).label("switches_today"),
        )
        .select_from(base)
        .where(h.feeder_id == feeder_id)
        .order_by(h.house_id)
    )
    return [_house(m) for m in mappings(conn, stmt)]


def _house(m: RowMapping) -> FeederHouse:
    locked = bool(m["locked"])
    return FeederHouse(
        house_id=m["house_id"],
        feeder_id=m["feeder_id"],
        phase=Phase(m["phase"]),
        pv_kw=float(m["pv_kw"]),
        switchable=bool(m["switchable"]),
        locked=locked,
        online=None if m["online"] is None else bool(m["online"]),
        last_reading=m["last_reading"],
        p=m["p"],
        pv=m["pv"],
        switches_today=int(m["switches_today"]),
        locked_reason=m["locked_reason"] if locked else None,
        locked_since=m["locked_since"] if locked else None,
        locked_until=m["locked_until"] if locked else None,
    )


def house_readings_at(
    conn: Connection, house_ids: Sequence[str], at: datetime, *, max_age_s: float = 300.0
) -> dict[str, HouseReading]:
    """Return each house's latest reading at or before `at` and at most `max_age_s` older."""
    r = db.house_readings.c
    since = aware(at) - timedelta(seconds=max_age_s)
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
            out[house_id] = HouseReading(**{**m, "phase": Phase(m["phase"])})
    return out
