"""Operations: Prometheus metrics over HTTP, the lost-session alert, SIGTERM and a full queue."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select, text

from ingest.worker import IngestWorker
from sim.uplink_traffic import FeederTraffic, TrafficKeys
from store.schema import alerts, house_readings
from tests.conftest import _reachable
from tests.ingest.conftest import Publisher, wait_until, worker_settings

pytestmark = pytest.mark.mqtt


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_metrics_are_served_over_http(
    engine: Engine, mqtt_url: str, traffic: FeederTraffic, publisher: Publisher
) -> None:
    port = free_port()
    worker = IngestWorker(
        worker_settings(mqtt_url, ingest_metrics_port=port), engine, keys=TrafficKeys()
    )
    worker.metrics.serve(port)
    worker.start()
    try:
        wait_until(lambda: worker.metrics.connected._value.get() == 1, 10, "connected")
        time.sleep(0.2)
        publisher.message(traffic, traffic.readings(30))
        wait_until(lambda: worker.metrics.committed_rows._value.get() == 30, 10, "rows")
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        worker.stop()
    for name in (
        "sp_ingest_received_total",
        "sp_ingest_committed_messages_total",
        "sp_ingest_dead_letters_total",
        "sp_ingest_batch_seconds_bucket",
        "sp_ingest_queue_depth",
        "sp_ingest_lag_seconds",
    ):
        assert name in body
    assert "sp_ingest_committed_rows_total 30.0" in body


def test_a_reconnect_without_the_session_raises_an_alert_that_clears_on_the_next_commit(
    engine: Engine,
    worker: IngestWorker,
    mqtt_url: str,
    traffic: FeederTraffic,
    publisher: Publisher,
) -> None:
    url = urlsplit(mqtt_url)
    assert _reachable(url.hostname or "127.0.0.1", url.port or 1883)
    imposter = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=worker.settings.ingest_client_id,
        clean_session=True,
        protocol=mqtt.MQTTv311,
    )
    imposter.connect(url.hostname or "127.0.0.1", url.port or 1883)
    imposter.loop_start()
    time.sleep(0.3)
    imposter.disconnect()
    imposter.loop_stop()

    def alerted() -> bool:
        with engine.connect() as conn:
            return bool(
                conn.execute(
                    select(func.count()).where(alerts.c.kind == "ingest_session_lost")
                ).scalar_one()
            )

    wait_until(alerted, 15, "session-lost alert")
    with engine.connect() as conn:
        row = conn.execute(select(alerts).where(alerts.c.kind == "ingest_session_lost")).one()
    assert row.severity == "critical"
    assert row.state == "open"
    publisher.message(traffic, traffic.readings(5))  # messages are committed again

    def cleared() -> bool:
        with engine.connect() as conn:
            state = conn.execute(select(alerts.c.state).where(alerts.c.kind == row.kind))
            return state.scalar_one() == "cleared"

    wait_until(cleared, 15, "session-lost alert cleared")


def test_stop_is_quick_and_the_next_start_gets_the_rest_exactly_once(
    engine: Engine, mqtt_url: str, traffic: FeederTraffic, publisher: Publisher
) -> None:
    settings = worker_settings(mqtt_url)
    worker = IngestWorker(settings, engine, keys=TrafficKeys())
    worker.start()
    wait_until(lambda: worker.metrics.connected._value.get() == 1, 10, "connected")
    time.sleep(0.2)
    for _ in range(50):
        m = traffic.readings(10)
        publisher.client.publish(traffic.topic(m), traffic.payload(m), qos=1)
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < 5.0
    again = IngestWorker(settings, engine, keys=TrafficKeys())
    again.start()
    try:
        wait_until(lambda: stored_rows(engine, traffic) >= 500, 20, "the rest after restart")
        time.sleep(0.5)
        assert stored_rows(engine, traffic) == 500
    finally:
        again.stop()


def stored_rows(engine: Engine, traffic: FeederTraffic) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(house_readings.c.feeder_id == traffic.feeder)
            ).scalar_one()
        )


def test_a_full_queue_stops_the_reading_instead_of_growing(
    engine: Engine, mqtt_url: str, traffic: FeederTraffic, publisher: Publisher
) -> None:
    worker = IngestWorker(worker_settings(mqtt_url, ingest_queue_max=5), engine, keys=TrafficKeys())
    gate = engine.connect()
    trans = gate.begin()
    if engine.dialect.name == "postgresql":
        gate.execute(text("LOCK TABLE uplink_batches IN EXCLUSIVE MODE"))
    else:
        gate.execute(text("UPDATE feeders SET name = name"))  # holds SQLite's write lock
    worker.start()
    try:
        wait_until(lambda: worker.metrics.connected._value.get() == 1, 10, "connected")
        time.sleep(0.2)
        for _ in range(40):
            m = traffic.readings(5)
            publisher.client.publish(traffic.topic(m), traffic.payload(m), qos=1)
        time.sleep(1.5)
        assert worker.queue.qsize() <= 5
        assert worker.metrics.committed_rows._value.get() == 0
    finally:
        trans.rollback()
        gate.close()
    wait_until(lambda: stored_rows(engine, traffic) == 200, 40, "all rows after the lock")
    worker.stop()


def test_the_command_line_refuses_bad_settings_by_name() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SP_INGEST_BATCH_ROWS": "lots", "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-m", "ingest"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "SP_INGEST_BATCH_ROWS: 'lots' is not an integer" in result.stderr


def test_the_writer_opens_a_new_connection_when_the_server_closed_its_own(
    engine: Engine, worker: IngestWorker, traffic: FeederTraffic, publisher: Publisher
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("a server that closes connections is PostgreSQL's")
    publisher.message(traffic, traffic.readings(5))
    wait_until(lambda: stored_rows(engine, traffic) == 5, 10, "the first message stored")
    with engine.connect() as conn:  # the test's own database: every other backend is the worker's
        closed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    assert closed >= 1
    publisher.message(traffic, traffic.readings(5))
    publisher.message(traffic, traffic.readings(5))
    wait_until(lambda: stored_rows(engine, traffic) == 15, 20, "the next messages stored")
    assert worker.metrics.committed_rows._value.get() == 15
