"""The HQ → edge command path end to end: store, sign, Mosquitto, a real EdgeController.

The dashboard's CommandService publishes through the broker; a subscriber hands what arrives
on the feeder's `ctl` topic to an EdgeController (fake houses, fake clock set to real time);
the controller's events go through the ingest decoder and the store writer, which advance the
command to its final state.
"""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, select

from grid.messages import ControlAction, ControlCommand, Mode, decode
from grid.phasors import Phase
from grid.signing import verify_control_command
from grid.uplink import Uplink
from hq.commands import CommandService
from hq.publisher import CommandPublisher, PublishOutcome
from ingest.decode import Fleet, decode_uplink
from keys import KeysDir
from store import queries as q
from store.commands import CommandError
from store.schema import houses
from store.writer import WriteBatch, write_batch
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import Scenario, feeder_key
from tests.store.seed import add_feeder, add_house

pytestmark = pytest.mark.mqtt

FEEDER = "KL-TST-0001"


class CtlListener:
    """A broker client that collects what arrives on one feeder's ctl topic."""

    def __init__(self, mqtt_url: str, feeder: str) -> None:
        url = urlsplit(mqtt_url)
        self.received: queue.Queue[bytes] = queue.Queue()
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"sp-test-edge-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
        )
        self.client.on_message = lambda _c, _u, m: self.received.put(bytes(m.payload))
        self.client.connect(url.hostname or "127.0.0.1", url.port or 1883)
        result, _mid = self.client.subscribe(f"sp/v1/{feeder}/ctl", qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS
        self.client.loop_start()
        time.sleep(0.3)  # the SUBACK

    def take(self, timeout_s: float = 5.0) -> bytes:
        return self.received.get(timeout=timeout_s)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    """Return the edge tests' unbalanced feeder in manual mode, its clock at the real time."""
    feeder = Scenario(tmp_path / "edge", UNBALANCED, feeder=FEEDER, mode=Mode.MANUAL)
    feeder.clock.now = time.time()
    feeder.run(30)
    return feeder


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "keys"
    directory.mkdir()
    (directory / f"{FEEDER}.key").write_text(feeder_key(FEEDER).hex(), encoding="ascii")
    return directory


@pytest.fixture
def hq_engine(engine: Engine) -> Engine:
    with engine.begin() as conn:
        add_feeder(conn, FEEDER, mode="manual")
        for name, phase, _, switchable in UNBALANCED:
            add_house(conn, f"{FEEDER}-{name}", FEEDER, str(phase), switchable=switchable)
    return engine


@pytest.fixture
def publisher(mqtt_url: str) -> Iterator[CommandPublisher]:
    pub = CommandPublisher(mqtt_url)
    pub.start()
    assert pub.wait_connected(5.0)
    yield pub
    pub.stop()


def store_uplink(engine: Engine, scenario: Scenario) -> None:
    """Write what the controller has sent to HQ, as the ingest worker would."""
    fleet = Fleet({FEEDER: frozenset(scenario.houses)})
    uplinks = []
    for topic, payload, _, _ in scenario.hq.published:
        decoded = decode_uplink(topic, payload, fleet, key_of=feeder_key, now_s=scenario.clock.now)
        if isinstance(decoded, Uplink):
            uplinks.append(decoded)
    with engine.begin() as conn:
        write_batch(conn, WriteBatch(uplinks=uplinks))


def test_a_manual_move_goes_through_the_broker_and_is_applied(
    hq_engine: Engine,
    scenario: Scenario,
    keys_dir: Path,
    publisher: CommandPublisher,
    mqtt_url: str,
) -> None:
    listener = CtlListener(mqtt_url, FEEDER)
    try:
        service = CommandService(hq_engine, KeysDir(keys_dir), publisher)
        house = f"{FEEDER}-H007"
        issued = service.issue(
            FEEDER,
            ControlAction.SWITCH,
            actor="op1",
            why="R is heavy",
            house=house,
            to_phase=Phase.Y,
        )
        assert issued.state == "sent"
        payload = listener.take()
    finally:
        listener.close()
    message = decode(f"sp/v1/{FEEDER}/ctl", payload)
    assert isinstance(message, ControlCommand)
    assert message.cmd_id == issued.cmd_id
    verdict = verify_control_command(
        message, key=feeder_key(FEEDER), feeder_id=FEEDER, last_counter=0, now_s=time.time()
    )
    assert verdict.accepted
    scenario.send_ctl(payload)
    scenario.run(60)
    assert scenario.house("H007").physical is Phase.Y
    store_uplink(hq_engine, scenario)
    with hq_engine.connect() as conn:
        final = q.command(conn, issued.cmd_id)
        houses = {h.house_id: h.phase for h in q.feeder_houses(conn, FEEDER)}
        actions = [e.action for e in q.audit_entries(conn, username="op1")]
    assert final is not None
    assert final.state == "applied"
    assert houses[house] == "Y"
    assert actions == ["command.sent", "command.switch"]


def test_the_mode_toggle_reaches_the_controller(
    hq_engine: Engine,
    scenario: Scenario,
    keys_dir: Path,
    publisher: CommandPublisher,
    mqtt_url: str,
) -> None:
    listener = CtlListener(mqtt_url, FEEDER)
    try:
        service = CommandService(hq_engine, KeysDir(keys_dir), publisher)
        issued = service.issue(FEEDER, ControlAction.SET_MODE, actor="op1", mode=Mode.AUTO)
        scenario.send_ctl(listener.take())
    finally:
        listener.close()
    scenario.run(5)
    assert scenario.controller.mode is Mode.AUTO
    store_uplink(hq_engine, scenario)
    with hq_engine.connect() as conn:
        final = q.command(conn, issued.cmd_id)
        feeder = q.feeder(conn, FEEDER)
    assert final is not None
    assert final.state == "applied"
    assert feeder is not None
    assert feeder.mode == "auto"


def test_an_operator_unlock_reaches_the_controller_and_is_applied(
    hq_engine: Engine,
    scenario: Scenario,
    keys_dir: Path,
    publisher: CommandPublisher,
    mqtt_url: str,
) -> None:
    house = f"{FEEDER}-H007"
    scenario.house("H007").lose_acks = 1  # an operator's move whose ack is lost: rolled back
    move = scenario.ctl(ControlAction.SWITCH, house=house, from_phase=Phase.R, to_phase=Phase.Y)
    scenario.send_ctl(move)
    scenario.run(15)
    assert next(h for h in scenario.controller.loop.houses if h.house_id == house).locked
    store_uplink(hq_engine, scenario)
    assert house_locked(hq_engine, house)  # from the edge's lockout event (and its alert)
    with hq_engine.connect() as conn:
        shown = next(h for h in q.feeder_houses(conn, FEEDER) if h.house_id == house)
    lockout = scenario.controller.state.house(house).lockout
    assert lockout is not None
    assert shown.locked_reason == lockout.reason == "ack_timeout"
    assert shown.locked_since is not None
    assert shown.locked_since.timestamp() == pytest.approx(lockout.since_s, abs=1e-3)
    if lockout.until_s is None:
        assert shown.locked_until is None
    else:
        assert shown.locked_until is not None
        assert shown.locked_until.timestamp() == pytest.approx(lockout.until_s, abs=1e-3)
    listener = CtlListener(mqtt_url, FEEDER)
    try:
        service = CommandService(hq_engine, KeysDir(keys_dir), publisher)
        issued = service.issue(FEEDER, ControlAction.UNLOCK, actor="op1", house=house)
        scenario.send_ctl(listener.take())
    finally:
        listener.close()
    scenario.run(2)
    assert not next(h for h in scenario.controller.loop.houses if h.house_id == house).locked
    store_uplink(hq_engine, scenario)
    with hq_engine.connect() as conn:
        final = q.command(conn, issued.cmd_id)
    assert final is not None
    assert final.state == "applied"
    assert not house_locked(hq_engine, house)


def house_locked(engine: Engine, house: str) -> bool:
    """Return whether the store shows a house locked out."""
    with engine.connect() as conn:
        return bool(
            conn.execute(select(houses.c.locked).where(houses.c.house_id == house)).scalar()
        )


def test_a_second_command_replayed_by_the_broker_is_refused_by_the_edge(
    hq_engine: Engine,
    scenario: Scenario,
    keys_dir: Path,
    publisher: CommandPublisher,
    mqtt_url: str,
) -> None:
    listener = CtlListener(mqtt_url, FEEDER)
    try:
        service = CommandService(hq_engine, KeysDir(keys_dir), publisher)
        first = service.issue(FEEDER, ControlAction.SET_MODE, actor="op1", mode=Mode.AUTO)
        second = service.issue(FEEDER, ControlAction.SET_MODE, actor="op1", mode=Mode.MANUAL)
        payloads = [listener.take(), listener.take()]
    finally:
        listener.close()
    assert second.ctr is not None
    assert first.ctr is not None
    assert second.ctr > first.ctr
    for payload in (*payloads, payloads[0]):  # the first again, as a replay
        scenario.send_ctl(payload)
        scenario.run(2)
    assert scenario.controller.mode is Mode.MANUAL
    assert scenario.controller.stats.security_rejections["replayed"] == 1


class DownBroker:
    def publish(self, topic: str, payload: bytes) -> PublishOutcome:
        return PublishOutcome.NOT_CONNECTED


def test_a_command_that_cannot_be_sent_stays_visible(hq_engine: Engine, keys_dir: Path) -> None:
    service = CommandService(hq_engine, KeysDir(keys_dir), DownBroker())
    issued = service.issue(FEEDER, ControlAction.BALANCE_NOW, actor="op1")
    assert (issued.state, issued.reason) == ("failed", "broker_unreachable")
    with hq_engine.connect() as conn:
        assert [c.cmd_id for c in q.commands(conn, FEEDER)] == [issued.cmd_id]


def test_a_feeder_without_a_key_is_refused_and_audited(hq_engine: Engine, tmp_path: Path) -> None:
    service = CommandService(hq_engine, KeysDir(tmp_path), DownBroker())
    with pytest.raises(CommandError, match="no signing key"):
        service.issue(FEEDER, ControlAction.BALANCE_NOW, actor="op1")
    with hq_engine.connect() as conn:
        [entry] = q.audit_entries(conn, username="op1")
        assert q.commands(conn) == []
    assert entry.outcome == "failed"


def test_the_publisher_reports_an_unreachable_broker() -> None:
    pub = CommandPublisher("mqtt://127.0.0.1:9")
    pub.start()
    try:
        assert not pub.wait_connected(0.5)
        assert pub.publish(f"sp/v1/{FEEDER}/ctl", b"{}") is PublishOutcome.NOT_CONNECTED
    finally:
        pub.stop()
