"""A small store for the report tests: two Wayanad feeders and one in Idukki over four IST days.

Everything the store holds is generated here from closed-form house loads, so that a test can
work out what a report must say straight from these rows, without the reports code:

- KL-WYD-0001 (100 kVA): nine houses, six built on R. On 1 June the controller moves H001 R→Y
  and H002 R→B at 08:00 IST (run-1), the operator asha moves H003 R→B at 09:00 ("consumer
  complaint"), and H004's move R→Y at 10:00 is rolled back and the house locked out.
- KL-WYD-0002 (63 kVA): six houses, three on R and three on Y; silent (no summary, no reading)
  from 06:00 to 12:00 IST on 2 June.
- KL-IDK-0001 (100 kVA, Idukki): three houses, another district.

Summaries every minute, house readings every five minutes, from 30 May to 2 June (the report's
period is 1–2 June, its previous period 30–31 May).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import numpy as np
from sqlalchemy import Connection, Engine, insert, update

from grid.metrics import current_unbalance_pct
from store import schema as db
from store.queries import IST
from store.rollups import refresh
from tests.store.seed import add_alert, add_command, add_event, add_feeder, add_house, add_switch

FIRST: Final = date(2024, 6, 1)
LAST: Final = date(2024, 6, 2)
DATA_FROM: Final = datetime(2024, 5, 30, tzinfo=IST)
DATA_TO: Final = datetime(2024, 6, 3, tzinfo=IST)
PERIOD_FROM: Final = datetime(2024, 6, 1, tzinfo=IST)
V: Final = (231.0, 229.0, 230.0)
UNIT: Final = (1.0, complex(-0.5, -math.sqrt(3) / 2), complex(-0.5, math.sqrt(3) / 2))
"""The nominal phasors' unit vectors R, Y, B (0°, −120°, +120°), written out independently."""

SILENT: Final = (datetime(2024, 6, 2, 6, tzinfo=IST), datetime(2024, 6, 2, 12, tzinfo=IST))
MOVES_AT: Final = datetime(2024, 6, 1, 8, tzinfo=IST)
MANUAL_AT: Final = datetime(2024, 6, 1, 9, tzinfo=IST)
ROLLBACK_AT: Final = datetime(2024, 6, 1, 10, tzinfo=IST)


@dataclass(frozen=True)
class House:
    """A house of the test fleet."""

    house_id: str
    feeder_id: str
    built: str
    base_w: float

    def load_w(self, t: datetime) -> tuple[float, float]:
        """Return (P [W], Q [var]) at a time: a daily shape peaking at 19:00 IST."""
        hour = t.astimezone(IST).hour + t.astimezone(IST).minute / 60
        p = self.base_w * (1.0 + 0.6 * math.cos(2 * math.pi * (hour - 19) / 24))
        return p, 0.25 * p

    def phase_at(self, t: datetime) -> str:
        """Return the phase the house is on at a time."""
        moved = {"KL-WYD-0001-H001": (MOVES_AT, "Y"), "KL-WYD-0001-H002": (MOVES_AT, "B"),
                 "KL-WYD-0001-H003": (MANUAL_AT, "B")}  # fmt: skip
        if self.house_id in moved and t >= moved[self.house_id][0]:
            return moved[self.house_id][1]
        return self.built


FEEDERS: Final = {
    "KL-WYD-0001": ("Kalpetta", "Wayanad", 100.0, 11.68, 76.08),
    "KL-WYD-0002": ("Mananthavady", "Wayanad", 63.0, 11.80, 76.00),
    "KL-IDK-0001": ("Thodupuzha", "Idukki", 100.0, 9.90, 76.72),
}
HOUSES: Final = (
    *(House(f"KL-WYD-0001-H{k:03d}", "KL-WYD-0001", ph, 900.0 + 150 * k)
      for k, ph in enumerate("RRRRRRYYB", start=1)),
    *(House(f"KL-WYD-0002-H{k:03d}", "KL-WYD-0002", ph, 700.0 + 100 * k)
      for k, ph in enumerate("RRRYYY", start=1)),
    *(House(f"KL-IDK-0001-H{k:03d}", "KL-IDK-0001", ph, 1500.0) for k, ph in enumerate("RYB", 1)),
)  # fmt: skip


def silent(feeder_id: str, t: datetime) -> bool:
    """Return whether a feeder sent nothing at a time."""
    return feeder_id == "KL-WYD-0002" and SILENT[0] <= t < SILENT[1]


def times(step_s: int) -> Iterator[datetime]:
    """Yield the data's times at a step."""
    t = DATA_FROM
    while t < DATA_TO:
        yield t
        t += timedelta(seconds=step_s)


def phase_sums(feeder_id: str, t: datetime, *, as_built: bool) -> list[complex]:
    """Return the phase currents of a feeder's houses at a time [A], on their phases then or
    as built, each house I = conj(S / V) at the nominal 230 V."""
    sums = [0j, 0j, 0j]
    for h in HOUSES:
        if h.feeder_id == feeder_id:
            p, q = h.load_w(t)
            k = "RYB".index(h.built if as_built else h.phase_at(t))
            sums[k] += (complex(p, q) / (230.0 * UNIT[k])).conjugate()
    return sums


def summaries(feeder_id: str) -> list[dict[str, Any]]:
    """Return a feeder's summaries, one a minute, from its houses' loads."""
    rows = []
    for t in times(60):
        if silent(feeder_id, t):
            continue
        i = phase_sums(feeder_id, t, as_built=False)
        mags = [abs(x) for x in i]
        p = [0.0, 0.0, 0.0]
        for h in HOUSES:
            if h.feeder_id == feeder_id:
                p["RYB".index(h.phase_at(t))] += h.load_w(t)[0]
        rows.append(
            {
                "ts": t, "feeder_id": feeder_id,
                "p_r": p[0], "p_y": p[1], "p_b": p[2],
                "q_r": 0.25 * p[0], "q_y": 0.25 * p[1], "q_b": 0.25 * p[2],
                "i_r": mags[0], "i_y": mags[1], "i_b": mags[2],
                "v_r": V[0], "v_y": V[1], "v_b": V[2],
                "i_n": abs(sum(i)),
                "unbalance_pct": float(current_unbalance_pct(*mags)),
                "mode": "auto", "houses_online": 9, "houses_total": 9,
            }
        )  # fmt: skip
    return rows


def readings() -> list[dict[str, Any]]:
    """Return every house's readings, one every five minutes."""
    rows = []
    for t in times(300):
        for h in HOUSES:
            if silent(h.feeder_id, t):
                continue
            p, q = h.load_w(t)
            rows.append(
                {"ts": t, "feeder_id": h.feeder_id, "house_id": h.house_id,
                 "phase": h.phase_at(t), "v": 230.0, "i": math.hypot(p, q) / 230.0,
                 "p": p, "q": q, "pv": 0.0}
            )  # fmt: skip
    return rows


def seed(engine: Engine) -> None:
    """Fill a migrated store with the fleet and roll it up."""
    with engine.begin() as conn:
        for feeder_id, (name, district, kva, lat, lon) in FEEDERS.items():
            add_feeder(conn, feeder_id, name=name, district=district, kva=kva, lat=lat, lon=lon)
        for h in HOUSES:
            add_house(conn, h.house_id, h.feeder_id, h.built)
        for feeder_id in FEEDERS:
            conn.execute(insert(db.feeder_readings), summaries(feeder_id))
        conn.execute(insert(db.house_readings), readings())
        _events(conn)
    refresh(engine, now=DATA_TO + timedelta(hours=2), lookback_s=10 * 86_400)


def _events(conn: Connection) -> None:
    f = "KL-WYD-0001"
    conn.execute(
        insert(db.balancing_runs).values(
            run_id="run-1", feeder_id=f, ts=MOVES_AT + timedelta(minutes=2), trigger="auto",
            result="improved", before_i_r=60.0, before_i_y=25.0, before_i_b=12.0,
            before_i_n=42.0, before_unbalance_pct=85.0, after_i_r=40.0, after_i_y=33.0,
            after_i_b=24.0, after_i_n=14.0, after_unbalance_pct=24.0,
            moves=[{"house": f"{f}-H001", "from": "R", "to": "Y", "result": "applied"},
                   {"house": f"{f}-H002", "from": "R", "to": "B", "result": "applied"}],
            decided_at=MOVES_AT, boot=1, seq=1,
        )
    )  # fmt: skip
    add_switch(conn, MOVES_AT, f, f"{f}-H001", from_phase="R", to_phase="Y", run_id="run-1")
    add_switch(conn, MOVES_AT, f, f"{f}-H002", from_phase="R", to_phase="B", run_id="run-1")
    add_command(
        conn, "cmd-1", f, MANUAL_AT - timedelta(minutes=1), house_id=f"{f}-H003",
        action="switch", state="applied", requested_by="asha",
        params={"from": "R", "to": "B", "why": "consumer complaint"},
    )  # fmt: skip
    add_switch(conn, MANUAL_AT, f, f"{f}-H003", from_phase="R", to_phase="B", origin="manual",
               cmd_id="cmd-1")  # fmt: skip
    add_switch(conn, ROLLBACK_AT, f, f"{f}-H004", from_phase="R", to_phase="Y",
               result="rolled_back", reason="did_not_help")  # fmt: skip
    add_event(conn, ROLLBACK_AT, f, "lockout",
              {"house": f"{f}-H004", "locked": True, "reason": "did_not_help",
               "since": ROLLBACK_AT.timestamp(), "until": ROLLBACK_AT.timestamp() + 21_600})  # fmt: skip
    # the previous period's one switch, refused by the node
    add_switch(conn, datetime(2024, 5, 30, 12, tzinfo=IST), f, f"{f}-H005", from_phase="R",
               to_phase="Y", result="rejected", reason="dwell")  # fmt: skip
    raised = datetime(2024, 6, 1, 7, tzinfo=IST)
    add_alert(conn, "al-1", f, raised, kind="sustained_unbalance", state="cleared")
    add_alert(conn, "al-2", "KL-WYD-0002", SILENT[0] + timedelta(minutes=1), kind="feeder_offline",
              severity="critical", state="cleared")  # fmt: skip
    add_alert(conn, "al-3", "KL-IDK-0001", raised, kind="phase_overload")  # another district
    add_alert(conn, "al-0", f, datetime(2024, 5, 31, 7, tzinfo=IST), kind="sustained_unbalance")
    conn.execute(
        update(db.alerts).where(db.alerts.c.alert_id == "al-1").values(
            acked_by="asha", acked_at=raised + timedelta(minutes=10),
            cleared_at=raised + timedelta(minutes=80),
        )
    )  # fmt: skip
    conn.execute(
        update(db.alerts)
        .where(db.alerts.c.alert_id == "al-2")
        .values(acked_by=None, acked_at=None, cleared_at=SILENT[1])
    )


# --- what a report must say, worked out from the rows above --------------------------------------


def in_period(t: datetime) -> bool:
    """Return whether a time is in the report's period (1–2 June IST)."""
    return PERIOD_FROM <= t < DATA_TO


def measured_neutral_mean(feeder_ids: tuple[str, ...]) -> float:
    """Return the mean neutral current over every summary of the feeders in the period [A]."""
    values = [r["i_n"] for f in feeder_ids for r in summaries(f) if in_period(r["ts"])]
    return float(np.mean(values))


def house_minutes_share(feeder_ids: tuple[str, ...]) -> float:
    """Return the share of the houses' minutes in the period with at least one reading."""
    minutes = {
        (r["house_id"], int(r["ts"].timestamp() // 60))
        for r in readings()
        if r["feeder_id"] in feeder_ids and in_period(r["ts"])
    }
    houses = sum(1 for h in HOUSES if h.feeder_id in feeder_ids)
    return len(minutes) / (houses * (DATA_TO - PERIOD_FROM).total_seconds() / 60)


def hours_unbalanced(feeder_id: str) -> float:
    """Return the hours of 15-minute means of the neutral at or above 20 % of the rating."""
    rated = FEEDERS[feeder_id][2] * 1000 / 690
    buckets: dict[datetime, list[float]] = {}
    for r in summaries(feeder_id):
        if in_period(r["ts"]):
            start = datetime.fromtimestamp(r["ts"].timestamp() // 900 * 900, UTC)
            buckets.setdefault(start, []).append(r["i_n"])
    return 0.25 * sum(1 for values in buckets.values() if np.mean(values) >= 0.2 * rated)


def saved_kwh(feeder_ids: tuple[str, ...], r_phase: float, r_neutral: float) -> float:
    """Return the energy the moves saved in the period: I²R of hourly mean house loads placed
    on the phases they were on, against their as-built phases [kWh]."""
    total = 0.0
    for feeder_id in feeder_ids:
        hour = PERIOD_FROM
        while hour < DATA_TO:
            sums = {True: [0j, 0j, 0j], False: [0j, 0j, 0j]}
            for h in (h for h in HOUSES if h.feeder_id == feeder_id):
                steps = [hour + timedelta(minutes=5 * k) for k in range(12)]
                steps = [t for t in steps if not silent(feeder_id, t)]
                for as_built in (True, False):
                    for t in steps:
                        p, q = h.load_w(t)
                        k = "RYB".index(h.built if as_built else h.phase_at(t))
                        current = (complex(p, q) / (230.0 * UNIT[k])).conjugate()
                        sums[as_built][k] += current / len(steps)
            for as_built, sign in ((True, 1.0), (False, -1.0)):
                i = sums[as_built]
                loss = r_phase * sum(abs(x) ** 2 for x in i) + r_neutral * abs(sum(i)) ** 2
                total += sign * loss / 1000.0
            hour += timedelta(hours=1)
    return total
