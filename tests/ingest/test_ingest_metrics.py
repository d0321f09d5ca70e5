"""The worker's metrics count each message once, when its batch commits, whatever is retried."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select, text

from ingest.metrics import IngestMetrics
from ingest.worker import IngestWorker
from sim.uplink_traffic import FeederTraffic
from store.schema import dead_letters, house_readings, uplink_batches
from tests.ingest.conftest import Publisher, wait_until

pytestmark = pytest.mark.mqtt

MESSAGES = 5
ROWS = 4


def total(counter: object) -> float:
    """Return a counter's value summed over its labels."""
    return sum(
        s.value
        for metric in counter.collect()  # type: ignore[attr-defined]
        for s in metric.samples
        if s.name.endswith("_total")
    )


def stored(engine: Engine, traffic: FeederTraffic) -> tuple[int, int, int]:
    """Return the feeder's ledger keys and reading rows, and the dead letters, in the store."""
    with engine.connect() as conn:
        keys = conn.execute(
            select(func.count()).where(uplink_batches.c.feeder_id == traffic.feeder)
        ).scalar_one()
        rows = conn.execute(
            select(func.count()).where(house_readings.c.feeder_id == traffic.feeder)
        ).scalar_one()
        dead = conn.execute(select(func.count()).select_from(dead_letters)).scalar_one()
    return int(keys), int(rows), int(dead)


def kick_off_the_broker(worker: IngestWorker, mqtt_url: str) -> None:
    """Take the worker's session over with a client that acks nothing and then leaves, as a
    network cut would: the broker delivers the worker's unacked messages again once it is
    back."""
    url = urlsplit(mqtt_url)
    taken: list[int] = []
    imposter = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=worker.settings.ingest_client_id,
        clean_session=False,
        protocol=mqtt.MQTTv311,
        manual_ack=True,
    )
    imposter.on_message = lambda _c, _u, msg: taken.append(msg.mid)
    imposter.connect(url.hostname or "127.0.0.1", url.port or 1883)
    imposter.loop_start()
    try:
        wait_until(lambda: len(taken) >= MESSAGES, 10, "the unacked messages offered again")
    finally:
        imposter.disconnect()
        imposter.loop_stop()


def test_a_batch_delivered_again_after_a_reconnect_is_counted_once(
    engine: Engine,
    worker: IngestWorker,
    mqtt_url: str,
    traffic: FeederTraffic,
    publisher: Publisher,
) -> None:
    gate = engine.connect()
    trans = gate.begin()
    if engine.dialect.name == "postgresql":
        gate.execute(text("LOCK TABLE uplink_batches IN EXCLUSIVE MODE"))
    else:
        gate.execute(text("UPDATE feeders SET name = name"))  # holds SQLite's write lock
    try:
        for _ in range(MESSAGES):
            publisher.message(traffic, traffic.readings(ROWS))
        time.sleep(0.5)  # the worker holds them, unacked, behind the lock
        kick_off_the_broker(worker, mqtt_url)
        wait_until(lambda: worker.metrics.connected._value.get() == 1, 15, "worker back")
        wait_until(lambda: worker.queue.qsize() >= MESSAGES, 10, "the messages again")
    finally:
        trans.rollback()
        gate.close()
    m = worker.metrics
    wait_until(lambda: m.duplicates._value.get() == MESSAGES, 30, "the second copies")
    keys, rows, _ = stored(engine, traffic)
    assert (keys, rows) == (MESSAGES, MESSAGES * ROWS)
    assert m.committed_rows._value.get() == rows
    assert m.received.labels(kind="readings")._value.get() == 2 * MESSAGES  # both deliveries
    # other clients of a shared broker may add dead letters meanwhile: compare once it settles
    wait_until(
        lambda: m.committed._value.get() == keys + stored(engine, traffic)[2],
        10,
        f"committed messages = {keys} ledger keys + the dead letters stored",
    )
    wait_until(
        lambda: m.dead_letters._value.get() == stored(engine, traffic)[2],
        10,
        "dead-letter metric = the dead letters stored",
    )
    wait_until(
        lambda: total(m.received) == m.committed._value.get() + m.duplicates._value.get(),
        10,
        "each delivery received once: committed or a duplicate",
    )


def test_total_sums_a_counter_over_its_labels() -> None:
    m = IngestMetrics()
    m.received.labels(kind="readings").inc(3)
    m.received.labels(kind="dead").inc()
    assert total(m.received) == 4
