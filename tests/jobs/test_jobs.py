"""HQ's jobs: the silent-feeder watchdog, the rollup refresh, the scheduler and its command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select, text, update

from jobs.schedule import add_jobs, refresh_rollups, watch_feeders
from store.db import Backend, detect_backend
from store.schema import ROLLUP_MEASURES, alerts, feeder_rollups, feeders
from store.watchdog import KIND
from tests.store.seed import add_feeder_readings, bucket_means, varied_summaries

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def add_feeder(engine: Engine, feeder_id: str, last_seen: datetime | None) -> None:
    with engine.begin() as conn:
        conn.execute(
            feeders.insert().values(
                feeder_id=feeder_id,
                name=feeder_id,
                district="Ernakulam",
                lat=10.0,
                lon=76.3,
                kva=250.0,
                online=last_seen is not None,
                last_seen=last_seen,
                created_at=NOW - timedelta(days=1),
            )
        )


def offline_alerts(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(alerts.c.feeder_id, alerts.c.state)
            .where(alerts.c.kind == KIND)
            .order_by(alerts.c.raised_at)
        ).all()
    return [(r.feeder_id, r.state) for r in rows]


def test_a_silent_feeder_is_alerted_once_and_cleared_when_heard(engine: Engine) -> None:
    add_feeder(engine, "KL-EKM-0001", NOW - timedelta(seconds=10))
    add_feeder(engine, "KL-EKM-0002", NOW - timedelta(minutes=5))
    add_feeder(engine, "KL-EKM-0003", None)  # provisioned, never heard: no alarm
    assert watch_feeders(engine, NOW) == 1
    assert offline_alerts(engine) == [("KL-EKM-0002", "open")]
    with engine.begin() as conn:
        conn.execute(update(alerts).values(state="acknowledged", acked_by="asha", acked_at=NOW))
    assert watch_feeders(engine, NOW + timedelta(seconds=30)) == 0  # seen: not raised again
    with engine.begin() as conn:
        conn.execute(
            update(feeders)
            .where(feeders.c.feeder_id != "KL-EKM-0003")
            .values(last_seen=NOW + timedelta(seconds=55))
        )
    assert watch_feeders(engine, NOW + timedelta(seconds=60)) == 1
    assert offline_alerts(engine) == [("KL-EKM-0002", "cleared")]
    assert watch_feeders(engine, NOW + timedelta(minutes=10)) == 2  # both silent again
    assert sorted(offline_alerts(engine)[1:]) == [("KL-EKM-0001", "open"), ("KL-EKM-0002", "open")]


def test_rollups_job_fills_the_minute_rollup(engine: Engine) -> None:
    """The job fills the rollup tables on plain PostgreSQL and SQLite; on TimescaleDB the
    minute rollup is a continuous aggregate that its own policy fills, and the job leaves it
    alone. Either way the minute rollup ends up with the readings' means."""
    add_feeder(engine, "KL-EKM-0001", NOW)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    rows = varied_summaries("KL-EKM-0001", start, 12)  # two whole minutes of 10 s summaries
    with engine.begin() as conn:
        add_feeder_readings(conn, rows)
        timescale = detect_backend(conn, announce=False) is Backend.TIMESCALE
    written = refresh_rollups(engine)
    if timescale:
        assert written == 0  # no house readings: nothing of the job's own to sum
        run_minute_rollup_policy(engine)
    else:
        assert written > 0
    expected = bucket_means(rows, 60)
    minute = feeder_rollups["1m"]
    with engine.connect() as conn:
        stored = {(r.feeder_id, r.bucket): r for r in conn.execute(select(minute))}
    assert set(stored) == set(expected)
    assert len(stored) == 2
    for key, figures in expected.items():
        assert stored[key].samples == figures["samples"] == 6
        assert stored[key].i_n_max == pytest.approx(figures["i_n_max"])
        for m in ROLLUP_MEASURES:
            assert getattr(stored[key], m) == pytest.approx(figures[m]), m


def run_minute_rollup_policy(engine: Engine) -> None:
    """Run, now, the refresh policy TimescaleDB keeps for the minute continuous aggregate."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        job = conn.execute(
            text(
                "SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name = :view"
                " AND proc_name = 'policy_refresh_continuous_aggregate'"
            ),
            {"view": feeder_rollups["1m"].name},
        ).scalar_one()
        conn.execute(text("CALL run_job(:job)"), {"job": job})


def test_the_scheduler_runs_its_jobs(engine: Engine) -> None:
    add_feeder(engine, "KL-EKM-0002", datetime.now(UTC) - timedelta(minutes=5))
    scheduler = BackgroundScheduler(timezone=UTC)
    add_jobs(scheduler, engine)
    assert {j.id for j in scheduler.get_jobs()} == {"rollups", "watchdog", "reports"}
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not offline_alerts(engine) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown()
    assert offline_alerts(engine) == [("KL-EKM-0002", "open")]


def test_jobs_command_runs_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SP_DATABASE_URL": f"sqlite:///{tmp_path}/j.db"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobs"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Added job" in err or "rollups" in err
