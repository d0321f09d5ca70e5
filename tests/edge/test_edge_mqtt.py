"""The controller over the real broker, with house nodes and an HQ that speak the protocol."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.config import HouseConfig
from edge.controller import EdgeController, house_subscriptions, hq_subscriptions
from edge.mqtt import MqttConnection
from edge.runner import Runner
from edge.uplink import death
from grid.control import ControlConfig
from grid.messages import (
    Committed,
    Event,
    Mode,
    Status,
    Summary,
    TopicKind,
    decode,
    parse_topic,
    topic_for,
)
from grid.phasors import Phase
from grid.signing import open_uplink, sign
from keys import StaticKeys
from tests.edge.fakes import FakeHouse, fast_settings, feeder_key, house_key
from transport import Will

pytestmark = pytest.mark.mqtt


def client(mqtt_url: str, name: str) -> mqtt.Client:
    url = urlsplit(mqtt_url)
    c = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"sp-test-{name}-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv311,
    )
    c.connect(url.hostname or "127.0.0.1", url.port or 1883)
    return c


class HouseNode:
    """A house node on the broker: retained state with a last will, telemetry, signed acks."""

    def __init__(self, mqtt_url: str, house: FakeHouse) -> None:
        self.house = house
        self.lock = threading.Lock()
        self.client = client(mqtt_url, "house")
        state_topic, online = house.state(True)
        self.client.will_set(state_topic, house.state(False)[1], qos=1, retain=True)
        self.client.on_message = self._on_command
        self.client.subscribe(topic_for(TopicKind.CMD, house.feeder, house.house_id), qos=1)
        self.client.publish(state_topic, online, qos=1, retain=True)
        self.client.loop_start()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._report, daemon=True)
        self._thread.start()

    def _on_command(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            ack = self.house.handle(bytes(msg.payload), time.time())
            tele = self.house.telemetry(time.time())
        if ack is not None:
            self.client.publish(*ack, qos=1)
        self.client.publish(*tele, qos=0)

    def _report(self) -> None:
        while not self._stop.wait(0.3):
            with self.lock:
                tele = self.house.telemetry(time.time())
            self.client.publish(*tele, qos=0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.client.publish(self.house.state(True)[0], b"", qos=1, retain=True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()


class FakeHq:
    """Collects the feeder's uplink, checking each seal, and answers with signed `committed`
    marks as the ingest worker does."""

    def __init__(self, mqtt_url: str, feeder: str) -> None:
        self.feeder = feeder
        self.messages: list[object] = []
        self.seqs: dict[int, set[int]] = {}
        self.marks: dict[int, int] = {}
        self.counter = 0
        self.unsealed = 0
        self.lock = threading.Lock()
        self.client = client(mqtt_url, "hq")
        self.client.on_message = self._on_message
        self.client.subscribe(f"sp/v1/{feeder}/+", qos=1)
        self.client.loop_start()

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        topic = parse_topic(msg.topic)
        if topic.kind in (TopicKind.CTL, TopicKind.COMMITTED) or not msg.payload:
            return
        body = open_uplink(topic.kind, self.feeder, bytes(msg.payload), feeder_key(self.feeder))
        if body is None:
            self.unsealed += 1
            return
        message = decode(topic, body)
        with self.lock:
            self.messages.append(message)
            if isinstance(message, Status):
                return
            boot, seq = message.boot, message.seq  # type: ignore[union-attr]
            seen = self.seqs.setdefault(boot, set())
            seen.add(seq)
            mark = self.marks.get(boot, 0)
            while mark + 1 in seen:
                mark += 1
            self.marks[boot] = mark
            self.counter += 1
            signed = sign(Committed(boot, mark, self.feeder, self.counter), feeder_key(self.feeder))
        payload = signed.to_json()
        self.client.publish(topic_for(TopicKind.COMMITTED, self.feeder), payload, qos=1)

    def events(self, kind: str) -> list[Event]:
        with self.lock:
            return [m for m in self.messages if isinstance(m, Event) and str(m.kind) == kind]

    def statuses(self) -> list[Status]:
        with self.lock:
            return [m for m in self.messages if isinstance(m, Status)]

    def close(self) -> None:
        status = topic_for(TopicKind.STATUS, self.feeder)
        self.client.publish(status, b"", qos=1, retain=True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout_s} s waiting for {what}")


@pytest.fixture
def feeder_id() -> str:
    return f"KL-E{uuid.uuid4().hex[:6].upper()}-0001"


@pytest.fixture
def hq(mqtt_url: str, feeder_id: str) -> Iterator[FakeHq]:
    h = FakeHq(mqtt_url, feeder_id)
    yield h
    h.close()


def test_controller_balances_real_house_nodes_and_drains_its_outbox(
    mqtt_url: str, feeder_id: str, hq: FakeHq, tmp_path: Path
) -> None:
    specs = [
        ("H001", Phase.R, 3000.0, False),
        ("H002", Phase.R, 2500.0, True),
        ("H003", Phase.Y, 500.0, True),
    ]
    fakes = [
        FakeHouse(feeder_id, f"{feeder_id}-{n}", house_key(f"{feeder_id}-{n}"), ph, p)
        for n, ph, p, _ in specs
    ]
    nodes = [HouseNode(mqtt_url, f) for f in fakes]
    keys = {f.house_id: f.key for f in fakes} | {feeder_id: feeder_key(feeder_id)}
    wake = threading.Event()
    local = MqttConnection(mqtt_url, wake=wake)
    uplink = MqttConnection(
        mqtt_url,
        client_id=f"sp-edge-{feeder_id}",
        clean_session=False,
        will=Will(topic_for(TopicKind.STATUS, feeder_id), death(feeder_id, feeder_key(feeder_id))),
        wake=wake,
    )
    controller = EdgeController(
        feeder_id,
        [
            HouseConfig(f.house_id, f.phase, 0.0, sw)
            for f, (_, _, _, sw) in zip(fakes, specs, strict=True)
        ],
        clock=time.time,
        house_bus=local.port(feeder_id, house_subscriptions(feeder_id)),
        hq=uplink.port(feeder_id, hq_subscriptions(feeder_id)),
        keys=StaticKeys(keys),
        store_dir=tmp_path,
        settings=fast_settings(
            control_period_s=1.0, summary_period_s=0.5, readings_period_s=0.5, stale_after_s=3.0
        ),
        control=ControlConfig(
            sustain_s=0.0,
            trigger_a=5.0,
            release_a=3.0,
            pacing_head_start=1.0,
            target_min_history_s=0.0,
        ),
    )
    stop = threading.Event()
    runner = Runner([controller], wake, tick_s=0.05)
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    local.start()
    uplink.start()
    thread.start()
    try:
        wait_for(lambda: any(s.online for s in hq.statuses()), 10, "the birth status")
        birth = next(s for s in hq.statuses() if s.online)
        assert birth.boot == controller.outbox.boot
        wait_for(lambda: bool(hq.events("balancing_run")), 20, "a balancing run")
        run = hq.events("balancing_run")[0].data
        assert run["result"] == "improved"
        moved = [f for f in fakes if f.relay_operations]
        assert moved
        assert all(f.phase is not Phase.R or f.house_id.endswith("H001") for f in moved)
        switch = hq.events("switch_result")[0].data
        assert switch["result"] == "applied"
        wait_for(lambda: controller.outbox.pending <= 3, 10, "the outbox to drain")
        assert runner.failures == 0
        assert hq.unsealed == 0
    finally:
        stop.set()
        thread.join(5)
        controller.close()
        time.sleep(0.3)
        uplink.stop()
        local.stop()
        for node in nodes:
            node.close()
    wait_for(lambda: not hq.statuses()[-1].online, 5, "the offline status")


ROOT = Path(__file__).resolve().parents[2]


def start_cli(mqtt_url: str, feeder_id: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    """Start `python -m edge --feeder ID` on a houses file and keys directory of its own."""
    houses = tmp_path / "houses.csv"
    rows = [f"{feeder_id}-H00{k},{feeder_id},{ph},0,1" for k, ph in ((1, "R"), (2, "Y"))]
    houses.write_text("house_id,feeder_id,phase,pv_kw,switchable\n" + "\n".join(rows) + "\n")
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / f"{feeder_id}.key").write_text(feeder_key(feeder_id).hex())
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SP_MQTT_URL": mqtt_url,
        "SP_KEYS_DIR": str(keys),
        "SP_EDGE_HOUSES_FILE": str(houses),
        "SP_EDGE_STORE_DIR": str(tmp_path / "store"),
        "SP_EDGE_SUMMARY_PERIOD_S": "0.5",
        "SP_EDGE_STALE_AFTER_S": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "edge", "--feeder", feeder_id],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_cli_birth_summaries_and_death(
    mqtt_url: str, feeder_id: str, hq: FakeHq, tmp_path: Path, stop: str
) -> None:
    proc = start_cli(mqtt_url, feeder_id, tmp_path)
    try:
        wait_for(lambda: any(s.online for s in hq.statuses()), 15, "the birth status")
        wait_for(lambda: any(isinstance(m, Summary) for m in hq.messages), 10, "a summary")
        proc.send_signal(getattr(signal, stop))
        code = proc.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert code == (0 if stop == "SIGTERM" else -signal.SIGKILL), stderr
    # a clean stop publishes the offline status itself; a killed one leaves it to the last will
    wait_for(lambda: not hq.statuses()[-1].online, 10, "the offline status")
    summary = next(m for m in hq.messages if isinstance(m, Summary))
    assert (summary.houses_total, summary.mode) == (2, Mode.AUTO)
