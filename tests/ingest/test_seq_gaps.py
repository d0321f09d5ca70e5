"""Messages a broker dropped show as a gap in a feeder's seqs: the worker says so, once."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import Engine, func, select

from ingest.worker import GAP_WARN_S, IngestWorker
from sim.uplink_traffic import FeederTraffic, TrafficKeys
from store.schema import uplink_batches
from tests.ingest.conftest import Publisher, wait_until, worker_settings


def ledger_keys(engine: Engine, traffic: FeederTraffic) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(uplink_batches.c.feeder_id == traffic.feeder)
            ).scalar_one()
        )


def gap_warnings(caplog: pytest.LogCaptureFixture, feeder: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "ingest" and r.levelno == logging.WARNING and feeder in r.getMessage()
    ]


def test_a_gap_in_a_feeders_seqs_is_logged_once_with_the_missing_seqs(
    engine: Engine,
    mqtt_url: str,
    traffic: FeederTraffic,
    publisher: Publisher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="ingest")
    later = [0.0]  # the worker's clock runs ahead when the test says so
    worker = IngestWorker(
        worker_settings(mqtt_url), engine, keys=TrafficKeys(), clock=lambda: time.time() + later[0]
    )
    worker.start()
    try:
        wait_until(lambda: worker.metrics.connected._value.get() == 1, 10, "worker connected")
        time.sleep(0.2)  # subscriptions granted
        publisher.message(traffic, traffic.readings(3))  # seq 1
        publisher.message(traffic, traffic.readings(3))  # seq 2
        traffic.readings(3)  # seq 3 and 4: dropped by the broker, never delivered
        traffic.readings(3)
        publisher.message(traffic, traffic.readings(3))  # seq 5
        wait_until(lambda: ledger_keys(engine, traffic) == 3, 10, "seqs 1, 2 and 5 stored")
        assert gap_warnings(caplog, traffic.feeder) == []  # a young gap may still fill
        later[0] = GAP_WARN_S + 1
        publisher.message(traffic, traffic.readings(3))  # seq 6
        wait_until(lambda: gap_warnings(caplog, traffic.feeder) != [], 10, "the gap's warning")
        later[0] = 3 * GAP_WARN_S
        publisher.message(traffic, traffic.readings(3))  # seq 7
        wait_until(lambda: ledger_keys(engine, traffic) == 5, 10, "seqs 6 and 7 stored")
        time.sleep(0.3)
    finally:
        worker.stop()
    [warning] = gap_warnings(caplog, traffic.feeder)
    assert f"feeder {traffic.feeder} boot {traffic.boot}: seqs 3 to 4 missing" in warning
    assert worker.marks.mark(traffic.feeder, traffic.boot) == 2
