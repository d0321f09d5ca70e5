"""The embedded demo broker speaks MQTT 3.1.1 to real paho clients and to the ingest worker."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from ingest.worker import IngestWorker
from sim.broker import BrokerThread, split_shared, topic_matches
from sim.uplink_traffic import FeederTraffic, TrafficKeys
from store.db import make_engine
from store.migrate import upgrade
from store.schema import house_readings, uplink_batches
from tests.ingest.conftest import provision, wait_until, worker_settings


@pytest.fixture
def broker_url() -> Iterator[str]:
    broker = BrokerThread(port=0)
    url = broker.start()
    yield url
    broker.stop()


class Client:
    def __init__(
        self,
        url: str,
        client_id: str | None = None,
        *,
        clean: bool = True,
        manual_ack: bool = False,
        will: tuple[str, bytes] | None = None,
    ) -> None:
        self.got: list[mqtt.MQTTMessage] = []
        self.session_present: bool | None = None
        self.c = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id or f"t-{uuid.uuid4().hex[:8]}",
            clean_session=clean,
            protocol=mqtt.MQTTv311,
            manual_ack=manual_ack,
        )
        if will:
            self.c.will_set(will[0], will[1], qos=1, retain=True)
        self.c.on_message = lambda _c, _u, m: self.got.append(m)
        self.c.on_connect = self._on_connect
        u = urlsplit(url)
        self.c.connect(u.hostname or "127.0.0.1", u.port or 1883, keepalive=5)
        self.c.loop_start()
        wait_until(lambda: self.session_present is not None, 5, "connack")

    def _on_connect(
        self, _c: mqtt.Client, _u: object, flags: mqtt.ConnectFlags, rc: object, _p: object
    ) -> None:
        self.session_present = flags.session_present

    def sub(self, topic: str, qos: int = 1) -> None:
        info = self.c.subscribe(topic, qos)
        assert info[0] == 0
        time.sleep(0.1)

    def pub(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self.c.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(5)

    def close(self, *, abrupt: bool = False) -> None:
        if abrupt:
            self.c.socket().close()  # type: ignore[union-attr]
            self.c.loop_stop()
            return
        self.c.disconnect()
        self.c.loop_stop()


def test_topic_filters() -> None:
    assert topic_matches("sp/v1/+/readings", "sp/v1/KL-1/readings")
    assert not topic_matches("sp/v1/+/readings", "sp/v1/KL-1/h/x/readings")
    assert topic_matches("sp/#", "sp/v1/KL-1/h/x/tele")
    assert not topic_matches("#", "$SYS/x")
    assert split_shared("$share/ingest/sp/v1/+/alert") == ("ingest", "sp/v1/+/alert")


def test_wildcards_retained_and_will(broker_url: str) -> None:
    sub = Client(broker_url)
    sub.sub("sp/v1/+/status")
    dying = Client(broker_url, will=("sp/v1/KL-9/status", b'{"online":false}'))
    dying.pub("sp/v1/KL-9/status", b'{"online":true}', retain=True)
    dying.close(abrupt=True)
    wait_until(lambda: len(sub.got) == 2, 5, "birth and will")
    assert [m.payload for m in sub.got] == [b'{"online":true}', b'{"online":false}']
    late = Client(broker_url)
    late.sub("sp/v1/#")
    wait_until(lambda: len(late.got) == 1, 5, "retained will")
    assert late.got[0].retain
    assert late.got[0].payload == b'{"online":false}'
    for c in (sub, late):
        c.close()


def test_persistent_session_keeps_and_redelivers(broker_url: str) -> None:
    first = Client(broker_url, "worker-1", clean=False, manual_ack=True)
    assert first.session_present is False
    first.sub("sp/v1/+/readings")
    pub = Client(broker_url)
    pub.pub("sp/v1/KL-1/readings", b"one")
    wait_until(lambda: len(first.got) == 1, 5, "first delivery")
    first.close(abrupt=True)  # never acked
    pub.pub("sp/v1/KL-1/readings", b"two")
    again = Client(broker_url, "worker-1", clean=False, manual_ack=True)
    assert again.session_present is True
    wait_until(lambda: len(again.got) == 2, 5, "redelivery and queued")
    assert [m.payload for m in again.got] == [b"one", b"two"]
    assert again.got[0].dup
    for m in again.got:
        again.c.ack(m.mid, m.qos)
    again.close()
    pub.close()


def test_shared_subscription_splits_the_load(broker_url: str) -> None:
    a, b = Client(broker_url), Client(broker_url)
    a.sub("$share/ingest/sp/v1/+/event")
    b.sub("$share/ingest/sp/v1/+/event")
    pub = Client(broker_url)
    for k in range(10):
        pub.pub("sp/v1/KL-1/event", str(k).encode())
    wait_until(lambda: len(a.got) + len(b.got) == 10, 5, "ten events")
    assert len(a.got) == len(b.got) == 5
    for c in (a, b, pub):
        c.close()


def test_ingest_worker_round_trip_over_the_embedded_broker(
    broker_url: str, tmp_path: object
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/demo.db")
    upgrade(engine)
    traffic = FeederTraffic.make("KL-DEM-0001", 6, boot=7)
    provision(engine, traffic)
    worker = IngestWorker(
        worker_settings(broker_url, ingest_shared=True), engine, keys=TrafficKeys()
    )
    worker.start()
    pub = Client(broker_url)
    try:
        wait_until(lambda: worker.metrics.connected._value.get() == 1, 5, "worker connected")
        time.sleep(0.2)
        for _ in range(20):
            m = traffic.readings(30)
            pub.pub(traffic.topic(m), traffic.payload(m))

        def stored() -> tuple[int, int]:
            with engine.connect() as conn:
                return (
                    int(
                        conn.execute(select(func.count()).select_from(uplink_batches)).scalar_one()
                    ),
                    int(
                        conn.execute(select(func.count()).select_from(house_readings)).scalar_one()
                    ),
                )

        wait_until(lambda: stored() == (20, 600), 10, "20 messages, 600 rows")
    finally:
        worker.stop()
        pub.close()
