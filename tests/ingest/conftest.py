"""Fixtures of the ingest tests: a provisioned feeder, a running worker and a publisher."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine

from grid.messages import WireMessage
from ingest.worker import IngestWorker
from settings import Settings
from sim.uplink_traffic import FeederTraffic, TrafficKeys
from sim.uplink_traffic import provision as provision_feeder


def provision(engine: Engine, traffic: FeederTraffic) -> None:
    """Provision the traffic's feeder and houses."""
    with engine.begin() as conn:
        provision_feeder(conn, traffic)


def unique_feeder() -> str:
    """Return a feeder id no other test uses."""
    return f"KL-T{uuid.uuid4().hex[:6]}-0001"


@pytest.fixture
def traffic(engine: Engine) -> FeederTraffic:
    """Return the traffic of a freshly provisioned feeder with 8 houses."""
    t = FeederTraffic.make(unique_feeder(), 8, boot=int(time.time()))
    provision(engine, t)
    return t


def worker_settings(mqtt_url: str, **overrides: object) -> Settings:
    """Return settings for a test worker with a client id of its own."""
    base = Settings(
        mqtt_url=mqtt_url,
        ingest_client_id=f"sp-ingest-test-{uuid.uuid4().hex[:8]}",
        ingest_shared=False,
        ingest_metrics_port=0,
    )
    return base.with_overrides(**overrides)


@pytest.fixture
def worker(engine: Engine, mqtt_url: str, traffic: FeederTraffic) -> Iterator[IngestWorker]:
    """Return a started worker on the test database and broker, after the feeder exists."""
    w = IngestWorker(worker_settings(mqtt_url), engine, keys=TrafficKeys())
    w.start()
    wait_until(lambda: w.metrics.connected._value.get() == 1, 10.0, "worker connected")
    time.sleep(0.2)  # subscriptions granted
    yield w
    w.stop()


class Publisher:
    """A QoS 1 publisher on the test broker."""

    def __init__(self, mqtt_url: str) -> None:
        url = urlsplit(mqtt_url)
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"sp-test-pub-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.connect(url.hostname or "127.0.0.1", url.port or 1883)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes, qos: int = 1) -> None:
        """Publish and wait until the broker has it."""
        info = self.client.publish(topic, payload, qos=qos)
        info.wait_for_publish(10.0)

    def message(self, traffic: FeederTraffic, message: WireMessage) -> None:
        """Publish a message of the traffic's feeder, sealed as its edge sends it."""
        self.send(traffic.topic(message), traffic.payload(message))

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(mqtt_url: str) -> Iterator[Publisher]:
    """Return a connected publisher."""
    p = Publisher(mqtt_url)
    yield p
    p.close()


def wait_until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `predicate` until it holds, or fail naming `what`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
