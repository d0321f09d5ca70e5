"""HQ's jobs: the silent-feeder watchdog, the rollup refresh, the scheduler and its command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select, update

from jobs.schedule import add_jobs, refresh_rollups, watch_feeders
from store.schema import alerts, feeder_readings, feeders
from store.watchdog import KIND

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
    add_feeder(engine, "KL-EKM-0001", NOW)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    with engine.begin() as conn:
        conn.execute(
            feeder_readings.insert(),
            [
                {
                    "feeder_id": "KL-EKM-0001",
                    "ts": start + timedelta(seconds=10 * k),
                    **{
                        c.name: 10.0
                        for c in feeder_readings.columns
                        if c.name not in ("feeder_id", "ts") and not c.primary_key
                    },
                }
                for k in range(12)
            ],
        )
    assert refresh_rollups(engine) > 0


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
