"""transport/ clients against real brokers: the local Mosquitto, a private one, the shipped TLS
configurations of deploy/mosquitto (tests/deploy runs them) and the demo's embedded broker.

On the shared Mosquitto every client id and topic is this test's own, sessions are clean or
are cleaned at the end, and no retained message is left.
"""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from edge.controller import house_subscriptions, hq_subscriptions
from edge.mqtt import MqttConnection
from grid.messages import HouseAck, HouseCommand, Telemetry, TopicKind, topic_for
from grid.phasors import Phase
from grid.signing import sign, verify_ack
from hq.publisher import CommandPublisher, PublishOutcome
from settings import Settings
from sim.broker import BrokerThread
from sim.fleet import FeederPlan, HousePlan
from sim.house_nodes import FeederNodes, SimClock, derive_key
from tests.conftest import service_missing
from tests.deploy.test_broker_configs import (
    HOUSE_LISTENERS,
    HQ_LISTENERS,
    Broker,
    free_port,
    make_certs,
    shipped,
)
from tests.ingest.conftest import wait_until
from transport import (
    ClientOptions,
    Tls,
    Will,
    broker_from_settings,
    make_client,
    parse_broker_url,
    stop_client,
    unique_client_id,
)

pytestmark = pytest.mark.mqtt

SECRET = b"fleet-secret-for-transport-tests"


class Recorder:
    """A transport-built client that records what it receives and its CONNACKs."""

    def __init__(self, broker: Any, options: ClientOptions) -> None:
        self.got: list[tuple[str, bytes]] = []
        self.connacks: list[tuple[bool, bool]] = []
        self.client = make_client(broker, options)
        self.client.on_message = lambda _c, _u, m: self.got.append((m.topic, bytes(m.payload)))
        self.client.on_connect = self._on_connect
        self.client.loop_start()
        wait_until(lambda: bool(self.connacks), 10, "a CONNACK")

    def _on_connect(self, _c: Any, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        self.connacks.append((not reason.is_failure, flags.session_present))

    def sub(self, topic: str) -> None:
        result, _mid = self.client.subscribe(topic, qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS
        time.sleep(0.2)

    def pub(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        stop_client(self.client)


def test_a_persistent_session_keeps_what_arrived_while_away(mqtt_url: str) -> None:
    topic = f"sp-test/transport/{uuid.uuid4().hex}/q"
    worker_id = unique_client_id("sp-test-persistent")
    persistent = ClientOptions(worker_id, clean_session=False, manual_ack=True)
    first = Recorder(mqtt_url, persistent)
    assert first.connacks == [(True, False)]
    first.sub(topic)
    first.close()
    sender = Recorder(mqtt_url, ClientOptions(unique_client_id("sp-test-sender")))
    sender.pub(topic, b"while away")
    again = Recorder(mqtt_url, persistent)
    try:
        assert again.connacks == [(True, True)]  # the broker kept the session
        wait_until(lambda: again.got == [(topic, b"while away")], 5, "the queued message")
    finally:
        again.close()
        sender.close()
    clean = Recorder(mqtt_url, ClientOptions(worker_id, clean_session=True))
    clean.close()  # a clean session under the same id discards the persistent one
    check = Recorder(mqtt_url, ClientOptions(worker_id, clean_session=False))
    try:
        assert check.connacks == [(True, False)]
    finally:
        check.close()
        Recorder(mqtt_url, ClientOptions(worker_id)).close()


def test_a_vanished_client_leaves_its_will(mqtt_url: str) -> None:
    topic = f"sp-test/transport/{uuid.uuid4().hex}/status"
    watcher = Recorder(mqtt_url, ClientOptions(unique_client_id("sp-test-watcher")))
    watcher.sub(topic)
    will = Will(topic, b'{"online":false}', retain=False)
    dying = Recorder(mqtt_url, ClientOptions(unique_client_id("sp-test-dying"), will=will))
    try:
        dying.pub(topic, b'{"online":true}')
        wait_until(lambda: len(watcher.got) == 1, 5, "the birth")
        sock = dying.client.socket()
        assert sock is not None
        sock.close()  # gone without a DISCONNECT
        wait_until(lambda: len(watcher.got) == 2, 10, "the last will")
        assert watcher.got[1] == (topic, b'{"online":false}')
    finally:
        dying.client.loop_stop()
        watcher.close()


@contextmanager
def private_mosquitto(port: int) -> Iterator[None]:
    binary = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    if binary is None:
        service_missing("mosquitto is not installed")
    assert binary is not None
    proc = subprocess.Popen(
        [binary, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_client_started_before_its_broker_connects_once_it_is_up() -> None:
    port = free_port()
    options = ClientOptions(unique_client_id("sp-test-early"), reconnect_max_s=2)
    early = make_client(f"mqtt://127.0.0.1:{port}", options)
    up = threading.Event()
    early.on_connect = lambda _c, _u, _f, reason, _p: up.set() if not reason.is_failure else None
    early.loop_start()  # nothing listens yet: paho keeps trying with backoff
    try:
        time.sleep(0.5)
        assert not up.is_set()
        with private_mosquitto(port):
            assert up.wait(15), "the client did not connect once the broker was up"
    finally:
        stop_client(early)


@pytest.fixture
def hq_broker(tmp_path: Path) -> Iterator[Broker]:
    with shipped("mosquitto.conf", HQ_LISTENERS, tmp_path, "hq feeders.csv") as broker:
        yield broker


def tls_settings(broker: Broker, listener: str, user: str, password: str | None = None) -> Settings:
    secret = broker.secret(user) if password is None else password
    return Settings(
        mqtt_url=f"mqtts://{user}:{secret}@127.0.0.1:{broker.ports[listener]}",
        mqtt_ca_file=str(broker.directory / "ca.crt"),
    )


def test_hq_and_an_edge_over_tls_with_their_credentials(hq_broker: Broker) -> None:
    feeder = "KL-TST-0001"
    watcher = Recorder(
        broker_from_settings(tls_settings(hq_broker, "hq", "sp-dashboard")),
        ClientOptions(unique_client_id("sp-hq-watch")),
    )
    watcher.sub(topic_for(TopicKind.STATUS, feeder))
    edge_broker = broker_from_settings(tls_settings(hq_broker, "field", feeder))
    will = Will(topic_for(TopicKind.STATUS, feeder), b'{"online":false}')
    edge = MqttConnection(
        edge_broker, client_id=f"sp-edge-{feeder}", clean_session=False, will=will
    )
    port = edge.port(feeder, hq_subscriptions(feeder))
    edge.start()
    publisher = CommandPublisher(
        broker_from_settings(tls_settings(hq_broker, "hq", "sp-dashboard"))
    )
    publisher.start()
    try:
        wait_until(lambda: edge.connected, 10, "the edge over TLS")
        assert publisher.wait_connected(10)
        time.sleep(0.3)  # the edge's subscriptions granted
        assert publisher.publish(topic_for(TopicKind.CTL, feeder), b"signed ctl") is (
            PublishOutcome.SENT
        )
        wait_until(lambda: bool(port.drain()), 5, "the ctl at the edge")
        sock = edge.client.socket()
        assert sock is not None
        sock.close()  # the controller vanishes: its will reaches HQ
        wait_until(lambda: bool(watcher.got), 10, "the edge's last will")
        assert watcher.got == [(topic_for(TopicKind.STATUS, feeder), b'{"online":false}')]
    finally:
        publisher.stop()
        edge.client.loop_stop()
        watcher.close()


def test_tls_verification_is_on(hq_broker: Broker, tmp_path: Path) -> None:
    other = tmp_path / "other-ca"
    other.mkdir()
    make_certs(other)  # a CA the broker's certificate does not chain to
    port = hq_broker.ports["hq"]
    secret = hq_broker.secret("sp-ingest")
    wrong_ca = parse_broker_url(
        f"mqtts://sp-ingest:{secret}@127.0.0.1:{port}", tls=Tls(str(other / "ca.crt"))
    )
    client = make_client(wrong_ca, ClientOptions(unique_client_id("sp-test-ca")))
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        client.reconnect()
    wrong_name = parse_broker_url(
        f"mqtts://sp-ingest:{secret}@localhost:{port}",
        tls=Tls(str(hq_broker.directory / "ca.crt")),
    )
    client = make_client(wrong_name, ClientOptions(unique_client_id("sp-test-name")))
    with pytest.raises(ssl.SSLCertVerificationError, match="match"):
        client.reconnect()  # the certificate is for 127.0.0.1, not localhost


def test_a_refused_login_is_logged_without_the_password(
    hq_broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "not-the-password-1234"
    publisher = CommandPublisher(
        broker_from_settings(tls_settings(hq_broker, "hq", "sp-dashboard", wrong))
    )
    with caplog.at_level(logging.WARNING, logger="hq.publisher"):
        publisher.start()
        try:
            wait_until(lambda: "refused the connection" in caplog.text, 10, "the refusal")
        finally:
            publisher.stop()
    assert not publisher.connected
    assert f"mqtts://sp-dashboard@127.0.0.1:{hq_broker.ports['hq']}" in caplog.text
    assert wrong not in caplog.text


def one_house_plan(feeder: str) -> FeederPlan:
    house = HousePlan(f"{feeder}-H001", Phase.R, 0.0, True)
    return FeederPlan(feeder, "Test 1", "Thrissur", 10.5, 76.2, 100.0, (house,))


def nodes_and_edge_talk(nodes: FeederNodes, edge: MqttConnection) -> None:
    """The node's state and telemetry reach the edge; a signed command is carried out."""
    feeder, house = nodes.plan.feeder_id, nodes.plan.houses[0].house_id
    port = edge.port(feeder, house_subscriptions(feeder))
    edge.start()
    started = False
    try:
        wait_until(lambda: edge.connected, 10, "the edge on the house bus")
        time.sleep(0.3)
        nodes.start()
        started = True
        got: list[tuple[str, bytes]] = []

        def arrived(kind: str) -> bool:
            got.extend((m.topic, m.payload) for m in port.drain())
            return any(t.endswith(f"/{kind}") for t, _ in got)

        wait_until(lambda: arrived("state") and arrived("tele"), 10, "state and telemetry")
        tele = Telemetry.from_json(next(p for t, p in got if t.endswith("/tele")))
        assert tele.ph is Phase.R
        key = derive_key(SECRET, house)
        cmd = HouseCommand(
            cmd_id="t1",
            house=house,
            ctr=1,
            exp_s=int(nodes.clock.now()) + 600,
            from_phase=Phase.R,
            to_phase=Phase.Y,
        )
        assert edge.publish(
            topic_for(TopicKind.CMD, feeder, house), sign(cmd, key).to_json(), qos=1
        )
        wait_until(lambda: arrived("ack"), 10, "the ack")
        ack = HouseAck.from_json(next(p for t, p in got if t.endswith("/ack")))
        assert ack.ok
        assert ack.ph is Phase.Y
        assert verify_ack(ack, key=key, house_id=house, command=cmd).accepted
    finally:
        if started:
            nodes.stop()
        edge.stop()


def test_house_nodes_log_in_with_their_credential_over_tls(tmp_path: Path) -> None:
    feeder = "KL-TST-0001"
    recipe = f"house-bus {feeder} houses.csv"
    with shipped("house-bus.conf", HOUSE_LISTENERS, tmp_path, recipe) as bus:
        plan = one_house_plan(feeder)
        house = plan.houses[0].house_id
        node_settings = tls_settings(bus, "houses", house)
        nodes = FeederNodes(
            plan,
            broker_from_settings(node_settings),
            lambda h: derive_key(SECRET, h),
            SimClock(speed=60.0),
            tele_period_s=10.0,
        )
        assert nodes.broker.tls is not None
        assert nodes.broker.username == house
        edge_url = f"mqtt://sp-edge:{bus.secret('sp-edge')}@127.0.0.1:{bus.ports['edge']}"
        edge = MqttConnection(edge_url, client_id=f"sp-edge-{feeder}-bus")
        nodes_and_edge_talk(nodes, edge)


def test_house_nodes_with_credentials_on_the_demo_broker() -> None:
    broker = BrokerThread(port=0)
    url = broker.start()
    try:
        port = int(url.rsplit(":", 1)[1])
        feeder = f"KL-T{uuid.uuid4().hex[:6]}-0001"
        nodes = FeederNodes(
            one_house_plan(feeder),
            f"mqtt://sim:any-password@127.0.0.1:{port}",
            lambda h: derive_key(SECRET, h),
            SimClock(speed=60.0),
            tele_period_s=10.0,
        )
        edge = MqttConnection(url, client_id=unique_client_id("sp-edge-demo"))
        nodes_and_edge_talk(nodes, edge)
    finally:
        broker.stop()
