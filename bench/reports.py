"""Report benchmark on PostgreSQL: one feeder for a month, and a district of 200 feeders.

    python -m bench.reports [PG_URL] [--feeders 200] [--houses 60] [--days 30]

Creates a scratch database and fills it as the store would be after two months (the period and
the previous one, which a report compares with) by binary COPY: the feeders and houses of one
district, the rollups a report reads (15-minute and 1-minute feeder rollups, the hourly house
rollup with its mark, which says every hour of both periods is in it; raw 10-second summaries
and house readings are never read by a report of a period the rollups hold, DESIGN §12), and
balancing runs, switches, commands, lockouts and alerts. A quarter of each feeder's houses move
off their as-built phase early in the period, some feeders go silent for hours.

Then it times, as the control room's worker would run them, `python -m reports` for one feeder
and for the district (wall time from start to exit, and the peak resident memory of the
process), and the same reports built and rendered in this process (the figures, the PDF, the
annex) for where the time goes. Prints one JSON line with the figures, the machine, the load
average before each timing (other processes on the same cores inflate every figure), the
targets of DESIGN §8 and whether each was met. The database is always dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
from sqlalchemy import Engine, Table, insert, text

from bench.dashboard import machine_info, progress
from bench.ingest import scratch_database
from grid.metrics import rated_current_a
from reports import Scope, build_report
from reports.render import write_csv, write_pdf
from reports.scope import Period
from store import schema as db
from store.db import make_engine
from store.migrate import upgrade

ROOT: Final = Path(__file__).resolve().parents[1]
DISTRICT: Final = "Palakkad"
CENTRE: Final = (10.78, 76.65)
"""Where the district's feeders are placed around [°]."""

PG_EPOCH_S: Final = 946_684_800.0
"""2000-01-01T00:00:00Z, the origin of PostgreSQL's binary timestamps [epoch s]."""

TARGETS: Final = {"feeder_month_s": 5.0, "district_month_s": 30.0, "district_peak_mb": 600.0}
"""DESIGN §8 on a 2-core machine."""

PROFILE_PEAK_H: Final = 20.0
"""Hour of the evening peak of the houses' daily load shape [h, IST]."""


# --- binary COPY -------------------------------------------------------------------------------


def copy_rows(engine: Engine, table: str, columns: dict[str, Any], n: int) -> int:
    """COPY n rows of columns (name → array, or None for a NULL column) into a table.

    Arrays are float64 (float8), int32 (int4), datetime64 as epoch seconds float ("ts:" prefix
    in the name) or fixed-width bytes; each becomes one binary field.
    """
    fields: list[tuple[str, str]] = [("n", ">i2")]
    values: dict[str, Any] = {}
    names = []
    for key, array in columns.items():
        name = key.removeprefix("ts:")
        names.append(name)
        fields.append((f"{name}_len", ">i4"))
        if array is None:
            continue
        a = np.asarray(array)
        if key.startswith("ts:"):
            fields.append((name, ">i8"))
            values[name] = np.round((a - PG_EPOCH_S) * 1e6).astype(np.int64)
        elif a.dtype.kind == "f":
            fields.append((name, ">f8"))
            values[name] = a
        elif a.dtype.kind in "iu":
            fields.append((name, ">i4"))
            values[name] = a
        else:
            fields.append((name, f"S{a.dtype.itemsize}"))
            values[name] = a
    rows = np.zeros(n, dtype=np.dtype(fields))
    rows["n"] = len(names)
    for key, array in columns.items():
        name = key.removeprefix("ts:")
        if array is None:
            rows[f"{name}_len"] = -1
        else:
            rows[f"{name}_len"] = rows.dtype[name].itemsize
            rows[name] = values[name]
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.write(b"PGCOPY\n\xff\r\n\x00" + bytes(8))
            copy.write(rows.tobytes())
            copy.write(b"\xff\xff")
    return n


# --- the district --------------------------------------------------------------------------------


def daily_shape(hour: np.ndarray) -> np.ndarray:
    """Return the houses' load shape over the IST hour of day (mean about 1)."""
    evening = np.exp(-(((hour - PROFILE_PEAK_H) / 2.5) ** 2))
    morning = np.exp(-(((hour - 7.5) / 1.8) ** 2))
    return 0.55 + 1.3 * evening + 0.5 * morning


@contextmanager
def bulk_load(engine: Engine, tables: Sequence[Table]) -> Iterator[None]:
    """Drop the tables' primary keys and indexes for a load, build them again after it, and
    analyze the tables, as a bulk load into PostgreSQL is done."""
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"ALTER TABLE {table.name} DROP CONSTRAINT {table.name}_pkey"))
            for index in table.indexes:
                index.drop(conn)
    yield
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for table in tables:
            keys = ", ".join(c.name for c in table.primary_key.columns)
            conn.execute(text(f"ALTER TABLE {table.name} ADD PRIMARY KEY ({keys})"))
            for index in table.indexes:
                index.create(conn)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f"VACUUM ANALYZE {table.name}"))


def seed(engine: Engine, n_feeders: int, n_houses: int, period: Period) -> dict[str, int]:
    """Fill the store with a district over the period and the previous one; return row counts."""
    big = (
        db.house_rollup,
        db.feeder_house_loads,
        db.feeder_rollups["1m"],
        db.feeder_rollups["15m"],
    )
    with bulk_load(engine, big):
        return _seed(engine, n_feeders, n_houses, period)


def _seed(engine: Engine, n_feeders: int, n_houses: int, period: Period) -> dict[str, int]:
    rng = np.random.default_rng(7)
    start = period.previous().start.timestamp()
    end = period.end.timestamp()
    hours = np.arange(start, end, 3600.0)
    hour_of_day = ((hours - period.start.timestamp()) % 86_400) / 3600.0
    move_at = period.start.timestamp() + 2 * 86_400
    counts = dict.fromkeys(
        ("house_hours", "feeder_loads", "house_days", "rollup_15m", "rollup_1m"), 0
    )
    created = datetime(2023, 1, 1, tzinfo=UTC)
    feeders: list[dict[str, Any]] = []
    houses: list[dict[str, Any]] = []
    for k in range(n_feeders):
        feeders.append(
            {
                "feeder_id": f"KL-PKD-{k + 1:04d}",
                "name": f"Palakkad {k + 1}",
                "district": DISTRICT,
                "lat": CENTRE[0] + rng.uniform(-0.25, 0.25),
                "lon": CENTRE[1] + rng.uniform(-0.3, 0.3),
                "kva": float(rng.choice([63.0, 100.0, 160.0, 250.0])),
                "created_at": created,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(db.feeders), feeders)
    for k, f in enumerate(feeders):
        fid = f["feeder_id"]
        built = rng.choice(3, size=n_houses, p=[0.5, 0.3, 0.2])
        now_phase = np.tile(built[:, None], (1, len(hours)))
        moved = rng.random(n_houses) < 0.25
        now_phase[moved, :] = np.where(
            hours >= move_at, (built[moved, None] + 1) % 3, built[moved, None]
        )
        scale = rated_current_a(f["kva"]) * 230.0 * 3 / n_houses * 0.45
        base = scale * rng.uniform(0.5, 1.5, n_houses)
        p = (
            base[:, None]
            * daily_shape(hour_of_day)[None, :]
            * rng.lognormal(0, 0.15, (n_houses, len(hours)))
        )
        q = 0.2 * p
        present = rng.random((n_houses, len(hours))) > 0.01
        if k % 20 == 3:  # a silent day for one feeder in twenty
            present[:, (hours >= move_at + 86_400) & (hours < move_at + 86_400 + 6 * 3600)] = False
        ids = np.array([f"{fid}-H{j + 1:03d}".encode() for j in range(n_houses)])
        houses += [
            {"house_id": ids[j].decode(), "feeder_id": fid, "phase": "RYB"[now_phase[j, -1]],
             "built_phase": "RYB"[built[j]], "created_at": created}
            for j in range(n_houses)
        ]  # fmt: skip
        hh, tt = np.nonzero(present)
        on = now_phase[hh, tt]
        columns: dict[str, Any] = {
            "house_id": ids[hh],
            "ts:bucket": hours[tt],
            "feeder_id": np.full(len(hh), fid.encode()),
            "samples": np.full(len(hh), 60, dtype=np.int32),
            "minutes": np.full(len(hh), 60, dtype=np.int32),
            "v": 230.0 + rng.normal(0, 2, len(hh)),
            "i": np.hypot(p[hh, tt], q[hh, tt]) / 230.0,
            "pv": np.zeros(len(hh)),
        }
        for x, values in (("p", p[hh, tt]), ("q", q[hh, tt])):
            for j, phase in enumerate("ryb"):
                columns[f"{x}_{phase}"] = np.where(on == j, values, 0.0)
        counts["house_hours"] += copy_rows(engine, db.house_rollup.name, columns, len(hh))
        counts["feeder_loads"] += _feeder_loads(engine, fid, hours, present, built, now_phase, p, q)
        counts["house_days"] += _house_days(engine, fid, ids, hours, present)
        n15, n1 = _feeder_rollups(engine, fid, f["kva"], hours, present, p, q, now_phase, rng)
        counts["rollup_15m"] += n15
        counts["rollup_1m"] += n1
    with engine.begin() as conn:
        conn.execute(insert(db.houses), houses)
        # every house hour of both periods is rolled up, as the refresh would have left it
        conn.execute(
            insert(db.rollup_marks),
            [{"name": db.feeder_house_loads.name, "done_to": period.end}],
        )
    counts["events"] = _events(engine, [f["feeder_id"] for f in feeders], period, rng)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in (
            db.house_rollup.name,
            "feeder_readings_15m",
            "feeder_readings_1m",
            "houses",
            "feeders",
            "balancing_runs",
            "switch_events",
            "alerts",
        ):
            conn.execute(text(f"ANALYZE {table}"))  # fmt: skip
    return counts


def _feeder_loads(
    engine: Engine,
    fid: str,
    hours: np.ndarray,
    present: np.ndarray,
    built: np.ndarray,
    phase: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
) -> int:
    """COPY a feeder's house hours summed per hour and as-built phase, as the store's
    refresh sums them (feeder_house_loads_1h)."""
    columns: dict[str, Any] = {}
    parts = []
    for b in range(3):
        mine = present & (built[:, None] == b)
        houses = mine.sum(axis=0)
        keep = houses > 0
        part: dict[str, Any] = {
            "feeder_id": np.full(keep.sum(), fid.encode()),
            "ts:bucket": hours[keep],
            "built_phase": np.full(keep.sum(), b"RYB"[b : b + 1]),
            "houses": houses[keep].astype(np.int32),
            "samples": (60 * houses[keep]).astype(np.int32),
            "minutes": (60 * houses[keep]).astype(np.int32),
        }
        for x, values in (("p", p), ("q", q)):
            for k, ph in enumerate("ryb"):
                part[f"{x}_{ph}"] = (values * (mine & (phase == k))).sum(axis=0)[keep]
        parts.append(part)
    for key in parts[0]:
        columns[key] = np.concatenate([part[key] for part in parts])
    return copy_rows(engine, db.feeder_house_loads.name, columns, len(columns["houses"]))


def _house_days(
    engine: Engine, fid: str, ids: np.ndarray, hours: np.ndarray, present: np.ndarray
) -> int:
    """COPY a feeder's house days (readings and reporting hours per house and IST day)."""
    n_houses, n_hours = present.shape
    per_day = present.reshape(n_houses, n_hours // 24, 24).sum(axis=2)
    hh, dd = np.nonzero(per_day)
    columns = {
        "house_id": ids[hh],
        "ts:day": hours[::24][dd],
        "feeder_id": np.full(len(hh), fid.encode()),
        "samples": (60 * per_day[hh, dd]).astype(np.int32),
        "hours": per_day[hh, dd].astype(np.int32),
        "minutes": (60 * per_day[hh, dd]).astype(np.int32),
    }
    return copy_rows(engine, db.house_days.name, columns, len(hh))


def _feeder_rollups(
    engine: Engine,
    fid: str,
    kva: float,
    hours: np.ndarray,
    present: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    phase: np.ndarray,
    rng: np.random.Generator,
) -> tuple[int, int]:
    """COPY a feeder's 15-minute and 1-minute rollups, from its houses' hourly loads; return
    the rows of each."""
    unit = np.exp(1j * np.radians([0.0, -120.0, 120.0]))
    on = present.any(axis=0)
    currents = np.zeros((len(hours), 3), dtype=complex)
    for k in range(3):
        mask = (phase == k) & present
        currents[:, k] = ((p * mask).sum(axis=0) - 1j * (q * mask).sum(axis=0)) / (
            230.0 * unit[k].conjugate()
        )
    rated = rated_current_a(kva)
    written = []
    for width, per_hour, samples in ((900, 4, 90), (60, 60, 6)):
        t = (hours[on][:, None] + width * np.arange(per_hour)[None, :]).ravel()
        i = np.repeat(currents[on], per_hour, axis=0) * rng.lognormal(0, 0.08, (len(t), 3))
        mags = np.abs(i)
        neutral = np.abs(i.sum(axis=1))
        avg = mags.mean(axis=1)
        columns: dict[str, Any] = {"feeder_id": np.full(len(t), fid.encode()), "ts:bucket": t}
        v = 231.0 - 8.0 * mags / rated + rng.normal(0, 0.4, mags.shape)
        if width == 900:
            for k, ph in enumerate("ryb"):
                columns[f"p_{ph}"] = (i[:, k] * 230.0 * unit[k].conjugate()).real
                columns[f"q_{ph}"] = -(i[:, k] * 230.0 * unit[k].conjugate()).imag
                columns[f"i_{ph}"] = mags[:, k]
                columns[f"v_{ph}"] = v[:, k]
            columns["i_n"] = neutral
            columns["unbalance_pct"] = 100 * np.abs(mags - avg[:, None]).max(axis=1) / avg
            columns["i_n_max"] = neutral * 1.3
        else:
            for k, ph in enumerate("ryb"):
                columns[f"v_{ph}"] = v[:, k]
        columns["samples"] = np.full(len(t), samples, dtype=np.int32)
        table = f"feeder_readings_{'15m' if width == 900 else '1m'}"
        written.append(copy_rows(engine, table, columns, len(t)))
    return written[0], written[1]


def _events(
    engine: Engine, feeder_ids: Sequence[str], period: Period, rng: np.random.Generator
) -> int:
    """Insert runs, switches, commands, lockouts and alerts over both periods; return rows."""
    start = period.previous().start
    rows: dict[Any, list[dict[str, Any]]] = {
        db.balancing_runs: [], db.switch_events: [], db.events: [], db.alerts: [], db.commands: []
    }  # fmt: skip
    for fid in feeder_ids:
        for d in range(2 * period.days):
            day = start + timedelta(days=d)
            for r in range(int(rng.integers(0, 4))):
                ts = day + timedelta(hours=float(rng.uniform(17, 23)))
                house = f"{fid}-H{int(rng.integers(1, 61)):03d}"
                applied = rng.random() > 0.05
                _run(rows, fid, f"{fid}-{d}-{r}", house, ts, applied, rng)
            if rng.random() < 0.3:
                _alert(
                    rows, fid, f"{fid}-a{d}", day + timedelta(hours=float(rng.uniform(0, 24))), rng
                )
            if rng.random() < 0.02:
                _command(rows, fid, f"{fid}-c{d}", day + timedelta(hours=11))
    with engine.begin() as conn:
        for table, values in rows.items():
            if values:
                conn.execute(insert(table), values)
    return sum(len(v) for v in rows.values())


def _run(
    rows: dict[Any, list[dict[str, Any]]],
    fid: str,
    run_id: str,
    house: str,
    ts: datetime,
    applied: bool,
    rng: np.random.Generator,
) -> None:
    result = "applied" if applied else "rolled_back"
    rows[db.balancing_runs].append(
        {
            "run_id": run_id, "feeder_id": fid, "ts": ts, "trigger": "auto",
            "result": "improved" if applied else "rolled_back",
            "before_i_n": float(rng.uniform(20, 60)), "after_i_n": float(rng.uniform(5, 20)),
            "before_unbalance_pct": 40.0, "after_unbalance_pct": 12.0,
            "moves": [{"house": house, "from": "R", "to": "Y", "result": result}],
            "decided_at": ts - timedelta(seconds=40), "boot": 1, "seq": 1,
        }
    )  # fmt: skip
    rows[db.switch_events].append(
        {
            "ts": ts, "feeder_id": fid, "house_id": house, "from_phase": "R", "to_phase": "Y",
            "result": result, "origin": "auto", "run_id": run_id,
            "reason": "" if applied else "did_not_help", "boot": 1, "seq": 1,
        }
    )  # fmt: skip
    if not applied:
        lockout = {"house": house, "locked": True, "reason": "did_not_help",
                   "since": ts.timestamp(), "until": ts.timestamp() + 21_600}  # fmt: skip
        rows[db.events].append(
            {"ts": ts, "feeder_id": fid, "kind": "lockout", "data": lockout, "boot": 1, "seq": 1}
        )


def _alert(
    rows: dict[Any, list[dict[str, Any]]],
    fid: str,
    alert_id: str,
    raised: datetime,
    rng: np.random.Generator,
) -> None:
    acked = raised + timedelta(minutes=float(rng.exponential(20)))
    rows[db.alerts].append(
        {
            "alert_id": alert_id, "feeder_id": fid, "kind": "sustained_unbalance",
            "severity": "warning", "state": "cleared", "message": "neutral above the limit",
            "raised_at": raised, "acked_by": "asha", "acked_at": acked,
            "cleared_at": acked + timedelta(minutes=float(rng.exponential(60))),
            "updated_at": acked,
        }
    )  # fmt: skip


def _command(rows: dict[Any, list[dict[str, Any]]], fid: str, cmd_id: str, at: datetime) -> None:
    rows[db.commands].append(
        {
            "cmd_id": cmd_id, "feeder_id": fid, "house_id": f"{fid}-H001", "action": "switch",
            "params": {"from": "R", "to": "B", "why": "voltage complaint"}, "state": "applied",
            "reason": "", "requested_by": "asha", "requested_at": at, "updated_at": at,
        }
    )  # fmt: skip


# --- timing --------------------------------------------------------------------------------------


def run_cli(url: str, args: Sequence[str]) -> dict[str, Any]:
    """Run `python -m reports` in a fresh process; return its wall time and peak memory."""
    env = {**os.environ, "SP_DATABASE_URL": url}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "reports", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    out, err = (
        child.stdout.read() if child.stdout else "",
        child.stderr.read() if child.stderr else "",
    )
    if child.returncode != 0:
        raise RuntimeError(f"python -m reports {' '.join(args)} exited {child.returncode}: {err}")
    return {"s": round(wall, 2), "peak_mb": round(usage.ru_maxrss / 1024, 1), "said": out.strip()}


def in_process(engine: Engine, scope: Scope, period: Period, folder: Path) -> dict[str, Any]:
    """Build and render a report here; return where the time went."""
    t0 = time.perf_counter()
    report = build_report(engine, scope, period, "en")
    t1 = time.perf_counter()
    pages = write_pdf(report, folder / f"{scope.slug}.pdf")
    t2 = time.perf_counter()
    rows = write_csv(report, folder / f"{scope.slug}.csv")
    t3 = time.perf_counter()
    return {
        "build_s": round(t1 - t0, 2),
        "pdf_s": round(t2 - t1, 2),
        "csv_s": round(t3 - t2, 3),
        "total_s": round(t3 - t0, 2),
        "pages": pages,
        "csv_rows": rows,
    }


def run(args: argparse.Namespace, url: str, out: dict[str, Any]) -> None:
    """Seed the scratch store at `url` and fill `out` with the figures."""
    engine = make_engine(url)
    out["machine"] = machine_info(engine)
    upgrade(engine)
    last = date(2024, 6, 30)
    period = Period(last - timedelta(days=args.days - 1), last)
    progress(f"seeding {args.feeders} feeders of {args.houses} houses over {2 * args.days} days")
    t = time.perf_counter()
    out["rows"] = seed(engine, args.feeders, args.houses, period)
    out["seed_s"] = round(time.perf_counter() - t, 1)
    progress(f"seeded in {out['seed_s']} s: {out['rows']}")
    dates = ["--from", period.first_day.isoformat(), "--to", period.last_day.isoformat()]
    out["loadavg_1m"] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        feeder = ["--feeder", "KL-PKD-0004", *dates, "--out", str(folder / "feeder.pdf")]
        district = ["--district", DISTRICT, *dates, "--out", str(folder / "district.pdf")]
        run_cli(url, feeder)  # warm the database's cache and the OS's file cache
        out["loadavg_1m"]["before_feeder"] = round(os.getloadavg()[0], 2)
        progress("timing one feeder, one month")
        out["feeder_cli"] = run_cli(url, feeder)
        out["feeder_in_process"] = in_process(
            engine, Scope("feeder", "KL-PKD-0004"), period, folder
        )
        out["loadavg_1m"]["before_district"] = round(os.getloadavg()[0], 2)
        progress("timing the district, one month")
        out["district_cli"] = run_cli(url, district)
        out["district_in_process"] = in_process(engine, Scope("district", DISTRICT), period, folder)
    out["feeder_month_s"] = out["feeder_cli"]["s"]
    out["district_month_s"] = out["district_cli"]["s"]
    out["district_peak_mb"] = out["district_cli"]["peak_mb"]
    engine.dispose()


def main() -> None:
    """Run the benchmark and print one JSON line (with "error" when it failed)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("pg", nargs="?", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--feeders", type=int, default=200)
    parser.add_argument("--houses", type=int, default=60)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    out: dict[str, Any] = {"bench": "reports", "feeders": args.feeders, "houses": args.houses,
                           "days": args.days}  # fmt: skip
    started = time.perf_counter()
    try:
        with scratch_database(args.pg) as url:
            run(args, url, out)
    except BaseException as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        out["targets"] = TARGETS
        out["met"] = {k: (None if k not in out else out[k] <= v) for k, v in TARGETS.items()}
        out["self_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        out["total_s"] = round(time.perf_counter() - started, 1)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
