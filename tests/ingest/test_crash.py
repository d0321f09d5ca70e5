"""Nothing lost, nothing twice: kill -9 of the worker and a PostgreSQL restart mid-stream."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from sim.uplink_traffic import FeederTraffic, traffic_key
from store.db import make_engine
from store.migrate import upgrade
from store.schema import house_readings, uplink_batches
from tests.ingest.conftest import provision, unique_feeder
from tests.ingest.outbox_edge import OutboxEdge

pytestmark = [pytest.mark.pg, pytest.mark.mqtt, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
ROWS = 20


class WorkerProcess:
    """`python -m ingest` as a child process that can be killed and restarted."""

    def __init__(self, db_url: str, mqtt_url: str, keys_dir: Path) -> None:
        self.env = {
            **os.environ,
            "SP_DATABASE_URL": db_url,
            "SP_MQTT_URL": mqtt_url,
            "SP_KEYS_DIR": str(keys_dir),
            "SP_INGEST_SHARED": "false",
            "SP_INGEST_CLIENT_ID": f"sp-ingest-crash-{uuid.uuid4().hex[:8]}",
            "SP_INGEST_METRICS_PORT": "0",
            "PYTHONPATH": str(ROOT),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ingest"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.kills += 1

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(15)


@pytest.fixture
def migrated(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def stream(edge: OutboxEdge, messages: int, stop: threading.Event) -> None:
    for _ in range(messages):
        if stop.is_set():
            return
        edge.publish(edge.traffic.readings(ROWS))
        time.sleep(0.004)


def settle(edge: OutboxEdge, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while edge.pending() and time.monotonic() < deadline:
        edge.resend_stale()
        time.sleep(0.5)


def ledger_and_rows(engine: Engine, traffic: FeederTraffic) -> tuple[list[int], int, int]:
    with engine.connect() as conn:
        seqs = [
            int(s)
            for (s,) in conn.execute(
                select(uplink_batches.c.seq)
                .where(uplink_batches.c.feeder_id == traffic.feeder)
                .order_by(uplink_batches.c.seq)
            )
        ]
        rows = conn.execute(
            select(func.count()).where(house_readings.c.feeder_id == traffic.feeder)
        ).scalar_one()
        distinct = conn.execute(
            select(func.count()).select_from(
                select(house_readings.c.house_id, house_readings.c.ts)
                .where(house_readings.c.feeder_id == traffic.feeder)
                .distinct()
                .subquery()
            )
        ).scalar_one()
    return seqs, int(rows), int(distinct)


def run_disruption(
    engine: Engine, pg_url: str, mqtt_url: str, disrupt: object, messages: int, keys_dir: Path
) -> tuple[FeederTraffic, OutboxEdge]:
    traffic = FeederTraffic.make(unique_feeder(), 12, boot=int(time.time() * 1000))
    provision(engine, traffic)
    (keys_dir / f"{traffic.feeder}.key").write_text(traffic_key(traffic.feeder).hex())
    worker = WorkerProcess(pg_url, mqtt_url, keys_dir)
    worker.start()
    edge = OutboxEdge(mqtt_url, traffic)
    stop = threading.Event()
    publisher = threading.Thread(target=stream, args=(edge, messages, stop))
    publisher.start()
    try:
        disrupt(worker, publisher, edge)  # type: ignore[operator]
        publisher.join()
        settle(edge, 90.0)
        assert edge.pending() == 0, f"{edge.pending()} messages never committed"
        assert worker.terminate() == 0
    finally:
        stop.set()
        publisher.join()
        edge.close()
        if worker.proc and worker.proc.poll() is None:
            worker.proc.kill()
    return traffic, edge


def test_kill_minus_nine_twenty_times_loses_and_doubles_nothing(
    migrated: Engine, pg_url: str, mqtt_url: str, tmp_path: Path
) -> None:
    rng = random.Random(2026)

    def kill_repeatedly(
        worker: WorkerProcess, publisher: threading.Thread, edge: OutboxEdge
    ) -> None:
        while worker.kills < 20:
            time.sleep(rng.uniform(0.3, 1.2))
            worker.kill()
            edge.resend_stale()
            worker.start()

    traffic, edge = run_disruption(
        migrated, pg_url, mqtt_url, kill_repeatedly, messages=3000, keys_dir=tmp_path
    )
    seqs, rows, distinct = ledger_and_rows(migrated, traffic)
    assert seqs == sorted(set(edge.published)) == list(range(1, 3001))
    assert rows == distinct == 3000 * ROWS


def test_postgresql_restart_mid_stream_loses_and_doubles_nothing(
    migrated: Engine, pg_url: str, mqtt_url: str, tmp_path: Path
) -> None:
    if os.geteuid() != 0 or not Path("/usr/bin/pg_ctlcluster").exists():
        pytest.skip("restarting PostgreSQL needs pg_ctlcluster as root")
    cluster = subprocess.run(
        ["pg_lsclusters", "-h"], capture_output=True, text=True, check=True
    ).stdout.split()

    def restart_postgres(
        worker: WorkerProcess, publisher: threading.Thread, edge: OutboxEdge
    ) -> None:
        time.sleep(2.0)
        subprocess.run(
            [
                "pg_ctlcluster",
                "--skip-systemctl-redirect",
                cluster[0],
                cluster[1],
                "restart",
                "-m",
                "fast",
            ],
            check=True,
        )
        migrated.dispose()

    traffic, _edge = run_disruption(
        migrated, pg_url, mqtt_url, restart_postgres, messages=1500, keys_dir=tmp_path
    )
    seqs, rows, distinct = ledger_and_rows(migrated, traffic)
    assert seqs == list(range(1, 1501))
    assert rows == distinct == 1500 * ROWS
