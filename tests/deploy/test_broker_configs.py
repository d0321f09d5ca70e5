"""Finding 10: the shipped Mosquitto configurations, run by a real Mosquitto.

deploy/mosquitto/mosquitto.conf (HQ's broker) and house-bus.conf (each Pi's) start on free
ports of this machine with their ACL files as shipped, the credentials made by the shipped
recipe (credentials.sh) and a throwaway CA; only paths, ports and the listeners' addresses are
replaced. The attacks of the issue then fail: a feeder's credential cannot take over the ingest
worker's persistent session or read another feeder's topics, an oversized packet and a huge
half-sent CONNECT are refused, and on the house bus a node reaches only its own topics.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import service_missing

pytestmark = pytest.mark.mqtt

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
FEEDERS_CSV = "feeder_id,name,district,lat,lon,kva\nKL-TST-0001,A,Thrissur,10,76,100\n"
FEEDERS_CSV += "KL-TST-0002,B,Thrissur,10,76,100\n"
HOUSES_CSV = "house_id,feeder_id,phase,pv_kw,switchable\n"
HOUSES_CSV += "KL-TST-0001-H001,KL-TST-0001,R,0,1\nKL-TST-0001-H002,KL-TST-0001,Y,0,1\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if path is None:
        service_missing(f"{name} is not installed")
    assert path is not None
    return path


def make_certs(directory: Path) -> None:
    """Write a throwaway CA and a server certificate for 127.0.0.1."""
    openssl = tool("openssl")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=SmartPhase test CA")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")  # fmt: skip
    (directory / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.cnf")  # fmt: skip
    for name in ("house-bus.crt", "house-bus.key"):
        shutil.copy(directory / name.replace("house-bus", "server"), directory / name)


@dataclass
class Broker:
    """A Mosquitto running a shipped configuration."""

    directory: Path
    ports: dict[str, int]

    def secret(self, user: str) -> str:
        return (self.directory / "secrets" / f"{user}.password").read_text().strip()


@contextmanager
def shipped(conf: str, listeners: dict[str, str], tmp_path: Path, *recipe: str) -> Iterator[Broker]:
    """Run deploy/mosquitto/`conf` with the recipe's credentials; `listeners` maps each shipped
    listener line to a name, given a free port on 127.0.0.1."""
    mosquitto = tool("mosquitto")
    tool("mosquitto_passwd")
    make_certs(tmp_path)
    for acl in DEPLOY.glob("*.acl"):
        shutil.copy(acl, tmp_path / acl.name)
    (tmp_path / "feeders.csv").write_text(FEEDERS_CSV)
    (tmp_path / "houses.csv").write_text(HOUSES_CSV)
    for args in recipe:
        subprocess.run(
            ["sh", str(DEPLOY / "credentials.sh"), *args.split(), str(tmp_path)],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
    text = (DEPLOY / conf).read_text()
    ports = {}
    for line, name in listeners.items():
        assert f"\n{line}\n" in text, f"{conf} has no '{line}'"
        ports[name] = free_port()
        text = text.replace(f"\n{line}\n", f"\nlistener {ports[name]} 127.0.0.1\n")
    text = text.replace("/etc/mosquitto/certs/", f"{tmp_path}/")
    text = text.replace("/etc/mosquitto/", f"{tmp_path}/")
    text = text.replace("/var/lib/mosquitto/", f"{tmp_path}/")
    if os.geteuid() == 0:
        text += "user root\n"  # keep reading the test's files instead of dropping to mosquitto
    (tmp_path / conf).write_text(text)
    log = (tmp_path / "mosquitto.log").open("wb")
    proc = subprocess.Popen([mosquitto, "-c", str(tmp_path / conf)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        for port in ports.values():
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    assert proc.poll() is None, (tmp_path / "mosquitto.log").read_text()
                    assert time.monotonic() < deadline, "mosquitto did not listen"
                    time.sleep(0.05)
        yield Broker(tmp_path, ports)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


class Client:
    """A paho 3.1.1 client over TLS with a user name, recording what it receives."""

    def __init__(
        self,
        broker: Broker,
        listener: str,
        user: str,
        client_id: str,
        *,
        clean: bool = True,
        keepalive: int = 30,
        password: str | None = None,
    ) -> None:
        self.got: list[tuple[str, bytes]] = []
        self.connack: Any = None
        self.disconnected = threading.Event()
        self.c = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean,
            protocol=mqtt.MQTTv311,
        )
        self.c.username_pw_set(user, broker.secret(user) if password is None else password)
        if listener != "edge":  # the house bus's loopback listener has no TLS
            self.c.tls_set(ca_certs=str(broker.directory / "ca.crt"))
        self.c.on_message = lambda _c, _u, m: self.got.append((m.topic, bytes(m.payload)))
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = lambda *_: self.disconnected.set()
        self.c.connect("127.0.0.1", broker.ports[listener], keepalive=keepalive)
        self.c.loop_start()
        wait(lambda: self.connack is not None or self.disconnected.is_set(), "a CONNACK")

    def _on_connect(self, _c: Any, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        self.connack = (reason.is_failure, flags.session_present)

    @property
    def accepted(self) -> bool:
        return self.connack is not None and not self.connack[0]

    def sub(self, *filters: str) -> None:
        for f in filters:
            self.c.subscribe(f, qos=1)
        time.sleep(0.3)

    def pub(self, topic: str, payload: bytes) -> None:
        self.c.publish(topic, payload, qos=1)

    def close(self) -> None:
        self.c.disconnect()
        self.c.loop_stop()


def wait(predicate: Callable[[], bool], what: str, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


HQ_LISTENERS = {"listener 8883": "field", "listener 8884 10.10.0.1": "hq"}


@pytest.fixture
def hq_broker(tmp_path: Path) -> Iterator[Broker]:
    with shipped("mosquitto.conf", HQ_LISTENERS, tmp_path, "hq feeders.csv") as broker:
        yield broker


def test_a_feeder_credential_cannot_take_over_the_ingest_session(hq_broker: Broker) -> None:
    ingest = Client(hq_broker, "hq", "sp-ingest", "sp-ingest-1", clean=False)
    ingest.sub("sp/v1/+/summary")
    ingest.close()
    edge = Client(hq_broker, "field", "KL-TST-0001", "sp-edge-KL-TST-0001")
    edge.pub("sp/v1/KL-TST-0001/summary", b"queued for ingest")
    time.sleep(0.3)
    thief = Client(hq_broker, "field", "KL-TST-0002", "sp-ingest-1", clean=False)
    assert thief.accepted
    time.sleep(0.5)
    assert thief.got == []
    again = Client(hq_broker, "hq", "sp-ingest", "sp-ingest-1", clean=False)
    assert again.connack == (False, True)  # its session is still there
    wait(lambda: again.got == [("sp/v1/KL-TST-0001/summary", b"queued for ingest")], "the queue")
    refused = Client(
        hq_broker, "hq", "KL-TST-0002", "sp-ingest-1", password=hq_broker.secret("KL-TST-0002")
    )
    assert not refused.accepted  # no field credential on HQ's listener
    for c in (edge, thief, again, refused):
        c.close()


def test_a_feeder_credential_reaches_only_its_own_topics(hq_broker: Broker) -> None:
    ingest = Client(hq_broker, "hq", "sp-ingest", "sp-ingest-2")
    ingest.sub("sp/v1/+/summary")
    nosy = Client(hq_broker, "field", "KL-TST-0001", "nosy")
    nosy.sub("sp/v1/+/ctl", "sp/v1/KL-TST-0002/ctl", "sp/v1/+/committed", "sp/v1/#")
    dashboard = Client(hq_broker, "hq", "sp-dashboard", "sp-hq-1")
    dashboard.pub("sp/v1/KL-TST-0002/ctl", b"for feeder 2")
    ingest.pub("sp/v1/KL-TST-0002/committed", b"for feeder 2")
    dashboard.pub("sp/v1/KL-TST-0001/ctl", b"for feeder 1")
    nosy.pub("sp/v1/KL-TST-0002/summary", b"forged for feeder 2")
    nosy.pub("sp/v1/KL-TST-0001/summary", b"its own")
    wait(lambda: len(nosy.got) >= 1 and len(ingest.got) >= 1, "deliveries")
    time.sleep(0.5)
    assert nosy.got == [("sp/v1/KL-TST-0001/ctl", b"for feeder 1")]
    assert ingest.got == [("sp/v1/KL-TST-0001/summary", b"its own")]
    for c in (ingest, nosy, dashboard):
        c.close()


def test_oversized_packets_and_half_sent_connects_are_refused(hq_broker: Broker) -> None:
    ingest = Client(hq_broker, "hq", "sp-ingest", "sp-ingest-3")
    ingest.sub("sp/v1/+/readings")
    big = Client(hq_broker, "field", "KL-TST-0001", "big")
    big.pub("sp/v1/KL-TST-0001/readings", b"x" * 1_200_000)
    assert big.disconnected.wait(5)
    time.sleep(0.3)
    assert ingest.got == []
    context = ssl.create_default_context(cafile=str(hq_broker.directory / "ca.crt"))
    held = []
    for _ in range(20):  # the twenty 8 MB CONNECTs, each cut off at its header
        raw = context.wrap_socket(
            socket.create_connection(("127.0.0.1", hq_broker.ports["field"])),
            server_hostname="127.0.0.1",
        )
        raw.sendall(b"\x10\x80\x80\x80\x04\x00\x04MQTT")  # announces 8 MiB
        raw.settimeout(5)
        held.append(raw.recv(16))
        raw.close()
    assert held == [b""] * 20
    idle = Client(hq_broker, "field", "KL-TST-0001", "idle", keepalive=0)
    assert idle.disconnected.wait(5)  # no keepalive at all: refused (max_keepalive)
    for c in (ingest, big):
        c.close()


HOUSE_LISTENERS = {"listener 8883": "houses", "listener 1883 127.0.0.1": "edge"}


def test_on_the_house_bus_a_node_reaches_only_its_own_topics(tmp_path: Path) -> None:
    with shipped(
        "house-bus.conf", HOUSE_LISTENERS, tmp_path, "house-bus KL-TST-0001 houses.csv"
    ) as broker:
        h1, h2 = "KL-TST-0001-H001", "KL-TST-0001-H002"
        edge = Client(broker, "edge", "sp-edge", "sp-edge-KL-TST-0001-bus", clean=False)
        edge.sub("sp/v1/KL-TST-0001/h/+/tele", "sp/v1/KL-TST-0001/h/+/ack")
        node = Client(broker, "houses", h1, "sp-edge-KL-TST-0001-bus", clean=False)
        assert node.accepted
        node.sub(f"sp/v1/KL-TST-0001/h/{h2}/cmd", "sp/v1/KL-TST-0001/h/+/cmd")
        edge.pub(f"sp/v1/KL-TST-0001/h/{h2}/cmd", b"for h2")
        edge.pub(f"sp/v1/KL-TST-0001/h/{h1}/cmd", b"for h1")
        node.pub(f"sp/v1/KL-TST-0001/h/{h2}/ack", b"forged ack of h2")
        node.pub(f"sp/v1/KL-TST-0001/h/{h1}/tele", b"its own telemetry")
        wait(lambda: bool(node.got and edge.got), "deliveries")
        time.sleep(0.5)
        assert node.got == [(f"sp/v1/KL-TST-0001/h/{h1}/cmd", b"for h1")]
        assert edge.got == [(f"sp/v1/KL-TST-0001/h/{h1}/tele", b"its own telemetry")]
        assert not edge.disconnected.is_set()  # the node did not take over its session
        stranger = Client(broker, "houses", "sp-edge", "x", password="wrong")
        assert not stranger.accepted
        for c in (edge, node, stranger):
            c.close()
