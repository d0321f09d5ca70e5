"""A store filled as the control room sees it: feeders in every map state, houses, alerts, runs,
switches, and optionally weeks of 10-second summaries loaded by binary COPY.

Used by bench/dashboard.py and the dashboard browser tests. Feeders sit near real Kerala towns
(sim.fleet.plan_fleet); their latest summaries are computed from their houses' loads with the
grid maths, so a dry run on a seeded feeder is consistent with what the page shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection, Engine, insert, text

from grid.dryrun import phase_figures
from grid.metrics import rated_current_a
from grid.phasors import NOMINAL_PHASE_V
from sim.fleet import FeederPlan, plan_fleet
from store import schema as db

STATE_SHARES: Final = (
    ("balanced", 0.70),
    ("unbalanced", 0.15),
    ("overloaded", 0.04),
    ("offline", 0.06),
    ("manual", 0.05),
)
"""Share of seeded feeders in each map state."""

_LOAD: Final = {
    "balanced": (0.42, 0.40, 0.41),
    "unbalanced": (0.70, 0.30, 0.22),
    "overloaded": (1.12, 0.55, 0.45),
    "offline": (0.40, 0.40, 0.40),
    "manual": (0.55, 0.35, 0.40),
}
"""Phase loads of each seeded state as a fraction of the rated phase current."""


def plans(n_feeders: int, houses: tuple[int, int] = (0, 0), seed: int = 7) -> list[FeederPlan]:
    """Return `n_feeders` feeders near Kerala towns (with houses when asked)."""
    return plan_fleet(n_feeders, houses=houses, seed=seed)


def assign_states(n: int, seed: int = 7) -> list[str]:
    """Return a map state for each of `n` feeders, in STATE_SHARES proportions."""
    rng = np.random.default_rng(seed)
    names = [s for s, _ in STATE_SHARES]
    shares = np.array([w for _, w in STATE_SHARES])
    return [names[k] for k in rng.choice(len(names), size=n, p=shares / shares.sum())]


def _house_loads(plan: FeederPlan, state: str, rng: np.random.Generator) -> list[float]:
    """Return each house's net power [W], scaled so the phases carry the state's loads."""
    rated_w = rated_current_a(plan.kva) * NOMINAL_PHASE_V
    target = _LOAD[state]
    out = [0.0] * len(plan.houses)
    for k, phase_share in enumerate(target):
        members = [i for i, h in enumerate(plan.houses) if h.phase.ordinal == k]
        if not members:
            continue
        raw = rng.uniform(0.5, 1.5, size=len(members))
        scaled = raw / raw.sum() * phase_share * rated_w
        for i, p in zip(members, scaled, strict=True):
            out[i] = float(p)
    return out


def seed_fleet(
    conn: Connection,
    fleet: Sequence[FeederPlan],
    now: datetime,
    *,
    states: Sequence[str] | None = None,
    seed: int = 7,
) -> dict[str, str]:
    """Provision the feeders (and houses) with a latest summary each; return feeder → state."""
    rng = np.random.default_rng(seed)
    states = list(states) if states is not None else assign_states(len(fleet), seed)
    created = now - timedelta(days=400)
    feeders: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    houses: list[dict[str, Any]] = []
    readings: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    switches: list[dict[str, Any]] = []
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for plan, state in zip(fleet, states, strict=True):
        offline = state == "offline"
        ts = now - timedelta(hours=2) if offline else now - timedelta(seconds=5)
        mode = "manual" if state == "manual" else "auto"
        feeders.append(
            {
                "feeder_id": plan.feeder_id,
                "name": plan.name,
                "district": plan.district,
                "lat": plan.lat,
                "lon": plan.lon,
                "kva": plan.kva,
                "mode": mode,
                "online": not offline,
                "boot": 1,
                "last_seen": ts,
                "created_at": created,
            }
        )
        summaries.append(summary_row(plan, state, ts, mode, rng, houses, readings))
        if state in ("unbalanced", "overloaded"):
            alerts.append(
                {
                    "alert_id": f"{plan.feeder_id}-a1",
                    "feeder_id": plan.feeder_id,
                    "kind": "phase_overload" if state == "overloaded" else "sustained_unbalance",
                    "severity": "critical" if state == "overloaded" else "warning",
                    "state": "open",
                    "message": f"{plan.feeder_id}: {state} for 15 min",
                    "raised_at": now - timedelta(minutes=int(rng.integers(5, 300))),
                    "updated_at": now,
                }
            )
        if plan.houses and rng.random() < 0.5:
            h = plan.houses[0]
            switches.append(
                {
                    "ts": max(day, now - timedelta(hours=1)),
                    "feeder_id": plan.feeder_id,
                    "house_id": h.house_id,
                    "from_phase": "R",
                    "to_phase": "Y",
                    "result": "applied",
                    "origin": "auto",
                    "reason": "",
                    "boot": 1,
                    "seq": 1,
                }
            )
    conn.execute(insert(db.feeders), feeders)
    conn.execute(insert(db.feeder_state), summaries)
    for table, rows in (
        (db.houses, houses),
        (db.house_readings, readings),
        (db.alerts, alerts),
        (db.switch_events, switches),
    ):
        if rows:
            conn.execute(insert(table), rows)
    return {p.feeder_id: s for p, s in zip(fleet, states, strict=True)}


def summary_row(
    plan: FeederPlan,
    state: str,
    ts: datetime,
    mode: str,
    rng: np.random.Generator,
    houses: list[dict[str, Any]],
    readings: list[dict[str, Any]],
) -> dict[str, Any]:
    """Return the feeder's latest summary; append its houses and their latest readings."""
    if plan.houses:
        loads = _house_loads(plan, state, rng)
        p = [0.0, 0.0, 0.0]
        for h, load in zip(plan.houses, loads, strict=True):
            p[h.phase.ordinal] += load
            houses.append(
                {
                    "house_id": h.house_id,
                    "feeder_id": plan.feeder_id,
                    "phase": str(h.phase),
                    "pv_kw": h.pv_kw,
                    "switchable": h.switchable,
                    "locked": False,
                    "online": True,
                    "created_at": ts - timedelta(days=400),
                }
            )
            readings.append(
                {
                    "ts": ts,
                    "feeder_id": plan.feeder_id,
                    "house_id": h.house_id,
                    "phase": str(h.phase),
                    "v": NOMINAL_PHASE_V,
                    "i": abs(load) / NOMINAL_PHASE_V,
                    "p": load,
                    "q": 0.0,
                    "pv": 0.0,
                }
            )
    else:
        rated_w = rated_current_a(plan.kva) * NOMINAL_PHASE_V
        p = [share * rated_w * float(rng.uniform(0.95, 1.05)) for share in _LOAD[state]]
    v = (231.0, 228.5, 229.4)
    fig = phase_figures((p[0], p[1], p[2]), (0.0, 0.0, 0.0), v)
    n = len(plan.houses)
    return {
        "feeder_id": plan.feeder_id,
        "ts": ts,
        "p_r": p[0], "p_y": p[1], "p_b": p[2],
        "q_r": 0.0, "q_y": 0.0, "q_b": 0.0,
        "i_r": fig.i_a[0], "i_y": fig.i_a[1], "i_b": fig.i_a[2],
        "v_r": v[0], "v_y": v[1], "v_b": v[2],
        "i_n": fig.i_n_a,
        "unbalance_pct": fig.unbalance_pct,
        "mode": mode,
        "houses_online": n,
        "houses_total": n,
    }  # fmt: skip


def seed_runs(conn: Connection, feeder_id: str, now: datetime, count: int = 3) -> None:
    """Add `count` balancing runs with before/after snapshots to a feeder."""
    rows = []
    for k in range(count):
        before = (62.0 - 3 * k, 31.0 + k, 24.0 + k)
        after = (41.0 - k, 39.0 + k, 37.0 + k)
        rows.append(
            {
                "run_id": f"{feeder_id}-r{k + 1}",
                "feeder_id": feeder_id,
                "ts": now - timedelta(hours=2 * (k + 1)),
                "trigger": "auto",
                "result": "improved",
                "before_i_r": before[0], "before_i_y": before[1], "before_i_b": before[2],
                "before_i_n": 34.0 - 2 * k, "before_unbalance_pct": 59.0 - 4 * k,
                "after_i_r": after[0], "after_i_y": after[1], "after_i_b": after[2],
                "after_i_n": 4.0 + k, "after_unbalance_pct": 6.0 + k,
                "moves": [
                    {"house": f"{feeder_id}-H00{k + 1}", "from": "R", "to": "B",
                     "result": "applied"},
                ],
                "boot": 1,
                "seq": 100 + k,
            }
        )  # fmt: skip
    conn.execute(insert(db.balancing_runs), rows)


# --- history: 10-second summaries by binary COPY ----------------------------------------------

_PG_EPOCH_S: Final = 946_684_800.0
"""2000-01-01T00:00:00Z, the origin of PostgreSQL's binary timestamps [epoch s]."""
_FLOATS: Final = (*db.FEEDER_MEASURES, "unbalance_pct")
_COLUMNS: Final = ("ts", "feeder_id", *_FLOATS, "mode", "houses_online", "houses_total")


def _row_dtype(id_len: int) -> np.dtype[Any]:
    fields: list[tuple[str, str]] = [("n", ">i2"), ("ts_len", ">i4"), ("ts", ">i8")]
    fields += [("id_len", ">i4"), ("id", f"S{id_len}")]
    for name in _FLOATS:
        fields += [(f"{name}_len", ">i4"), (name, ">f8")]
    fields += [("mode_len", ">i4"), ("mode", "S4")]
    fields += [("on_len", ">i4"), ("on", ">i4"), ("total_len", ">i4"), ("total", ">i4")]
    return np.dtype(fields)


def history_copy(
    feeder_id: str, start: datetime, end: datetime, step_s: int, kva: float, seed: int
) -> bytes:
    """Return the binary COPY rows (no header) of a feeder's summaries over [start, end)."""
    t = np.arange(start.timestamp(), end.timestamp(), step_s)
    rng = np.random.default_rng(seed)
    hour = ((t + 5.5 * 3600) % 86_400) / 3600.0
    shape = (
        0.35
        + 0.45 * np.exp(-(((hour - 20.0) / 2.5) ** 2))
        - 0.2 * np.exp(-(((hour - 12.5) / 2.0) ** 2))
    )
    rated = rated_current_a(kva)
    rows = np.zeros(len(t), dtype=_row_dtype(len(feeder_id)))
    rows["n"] = len(_COLUMNS)
    rows["ts_len"] = 8
    rows["ts"] = np.round((t - _PG_EPOCH_S) * 1e6).astype(np.int64)
    rows["id_len"] = len(feeder_id)
    rows["id"] = feeder_id.encode()
    currents = []
    for k, name in enumerate(("i_r", "i_y", "i_b")):
        i = rated * shape * (1.0 + 0.25 * (k - 1)) * rng.uniform(0.9, 1.1, len(t))
        currents.append(i)
        rows[name] = i
        rows[f"p_{name[-1]}"] = i * NOMINAL_PHASE_V * 0.95
        rows[f"q_{name[-1]}"] = i * NOMINAL_PHASE_V * 0.3
        rows[f"v_{name[-1]}"] = 231.0 - 8.0 * i / rated
    i_r, i_y, i_b = currents
    rows["i_n"] = np.abs(i_r + i_y * np.exp(-2j * math.pi / 3) + i_b * np.exp(2j * math.pi / 3))
    avg = (i_r + i_y + i_b) / 3
    rows["unbalance_pct"] = 100 * np.max(np.abs(np.stack(currents) - avg), axis=0) / avg
    for name in _FLOATS:
        rows[f"{name}_len"] = 8
    rows["mode_len"] = 4
    rows["mode"] = b"auto"
    rows["on_len"] = rows["total_len"] = 4
    rows["on"] = rows["total"] = 60
    return rows.tobytes()


def load_history(
    engine: Engine,
    fleet: Sequence[FeederPlan],
    end: datetime,
    days: float,
    step_s: int = 10,
) -> int:
    """COPY `days` of `step_s` summaries of every feeder into feeder_readings; return rows.

    One binary COPY stream in one transaction, the next feeder's rows built while the server
    takes the current one's; the table's indexes are dropped before and built after the load,
    and the table is analyzed, so the planner knows its size at once.
    """
    start = end - timedelta(days=days)
    names = ", ".join(_COLUMNS)
    total = 0
    indexes = sorted(db.feeder_readings.indexes, key=lambda i: str(i.name))
    with engine.begin() as conn, ThreadPoolExecutor(max_workers=1) as pool:
        for index in indexes:
            index.drop(conn)
        raw = conn.connection.driver_connection
        assert raw is not None

        def build(k: int) -> bytes:
            plan = fleet[k]
            return history_copy(plan.feeder_id, start, end, step_s, plan.kva, seed=k)

        with (
            raw.cursor() as cur,
            cur.copy(f"COPY feeder_readings ({names}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.write(b"PGCOPY\n\xff\r\n\x00" + bytes(8))
            pending = pool.submit(build, 0) if fleet else None
            for k, plan in enumerate(fleet):
                assert pending is not None
                chunk = pending.result()
                pending = pool.submit(build, k + 1) if k + 1 < len(fleet) else None
                total += len(chunk) // _row_dtype(len(plan.feeder_id)).itemsize
                copy.write(chunk)
            copy.write(b"\xff\xff")
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for index in indexes:
            index.create(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE feeder_readings"))
    return total


def utc_now() -> datetime:
    """Return the present time, aware UTC."""
    return datetime.now(UTC)
