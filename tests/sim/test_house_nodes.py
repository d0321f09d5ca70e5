"""Virtual house nodes: the firmware's checks and interlocks, and the protocol over MQTT."""

from __future__ import annotations

import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from msgspec.structs import replace
from paho.mqtt.enums import CallbackAPIVersion

from grid.messages import HouseAck, HouseCommand, Telemetry
from grid.phasors import Phase
from grid.signing import sign, verify_ack
from sim.broker import BrokerThread
from sim.fleet import FeederPlan, HousePlan
from sim.house_nodes import FeederNodes, SimClock, VirtualHouse, derive_key, sim_epoch
from tests.ingest.conftest import wait_until

SECRET = b"fleet-secret-for-tests-0123456789"
HOUSE = "KL-EKM-0001-H001"
KEY = derive_key(SECRET, HOUSE)
NOW = 1_795_000_000.0


def command(ctr: int = 1, **changes: object) -> HouseCommand:
    cmd = HouseCommand(
        cmd_id=f"c{ctr}",
        house=HOUSE,
        ctr=ctr,
        exp_s=int(NOW) + 60,
        from_phase=Phase.R,
        to_phase=Phase.Y,
    )
    return sign(replace(cmd, **changes), KEY)  # type: ignore[arg-type]


def node() -> VirtualHouse:
    return VirtualHouse(HOUSE, Phase.R, KEY)


def test_an_accepted_command_switches_once_and_acks_the_measured_phase() -> None:
    n = node()
    ack = n.handle(command(), NOW)
    assert ack.ok
    assert ack.ph is Phase.Y
    assert n.relay_operations == 1
    assert verify_ack(ack, key=KEY, house_id=HOUSE, command=command()).accepted


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: replace(command(), mac="0" * 64), "bad_mac"),
        (
            lambda: sign(
                replace(command(), to_phase=Phase.B), derive_key(SECRET, "KL-EKM-0001-H002")
            ),
            "bad_mac",
        ),
        (lambda: command(ctr=1), "replayed"),
        (lambda: command(exp_s=int(NOW) - 1), "expired"),
        (lambda: command(from_phase=Phase.B), "wrong_from_phase"),
        (lambda: sign(replace(command(), house="KL-EKM-0001-H002"), KEY), "wrong_device"),
    ],
)
def test_every_rejection_moves_no_relay(make: object, reason: str) -> None:
    n = node()
    if reason == "replayed":
        n.last_counter = 1  # counter 1 was spent already
    ack = n.handle(make(), NOW)  # type: ignore[operator]
    assert HouseAck.from_json(ack.to_json()) == ack  # valid on the wire
    assert not ack.ok
    assert ack.reason == reason
    assert n.relay_operations == 0
    assert n.phase is Phase.R
    assert n.rejections == {reason: 1}


def test_interlocks_dwell_daily_cap_and_lockout() -> None:
    n = node()
    assert n.handle(command(1), NOW).ok
    soon = n.handle(
        command(2, from_phase=Phase.Y, to_phase=Phase.B, exp_s=int(NOW) + 600), NOW + 600
    )
    assert soon.reason == "interlock_min_dwell"
    t = NOW + 1800
    assert n.handle(command(3, from_phase=Phase.Y, to_phase=Phase.B, exp_s=int(t) + 60), t).ok
    t += 1800
    assert n.handle(command(4, from_phase=Phase.B, to_phase=Phase.R, exp_s=int(t) + 60), t).ok
    t += 1800
    capped = n.handle(command(5, from_phase=Phase.R, to_phase=Phase.Y, exp_s=int(t) + 60), t)
    assert capped.reason == "interlock_daily_cap"
    assert n.relay_operations == 3
    stuck = node()
    stuck.faults.stuck_relay = True
    failed = stuck.handle(command(), NOW)
    assert (failed.ok, failed.reason, failed.ph, stuck.locked) == (
        False,
        "interlock_feedback",
        Phase.R,
        True,
    )
    later = stuck.handle(command(2, exp_s=int(NOW) + 4000), NOW + 3600)
    assert later.reason == "interlock_locked"
    for ack in (soon, capped, failed, later):
        assert HouseAck.from_json(ack.to_json()) == ack  # every reason is valid on the wire


def test_a_rollback_within_the_undo_window_is_not_refused() -> None:
    n = node()
    assert n.handle(command(1), NOW).ok  # R → Y
    back = n.handle(
        command(2, from_phase=Phase.Y, to_phase=Phase.R, exp_s=int(NOW) + 120), NOW + 60
    )
    assert (back.ok, back.ph) == (True, Phase.R)
    again = n.handle(
        command(3, from_phase=Phase.R, to_phase=Phase.Y, exp_s=int(NOW) + 180), NOW + 120
    )
    assert again.reason == "interlock_min_dwell"  # an undo is not undone
    late = node()
    assert late.handle(command(1), NOW).ok
    t = NOW + 601
    refused = late.handle(command(2, from_phase=Phase.Y, to_phase=Phase.R, exp_s=int(t) + 60), t)
    assert refused.reason == "interlock_min_dwell"


def test_nodes_speak_the_protocol_over_mqtt() -> None:
    broker = BrokerThread(port=0)
    url = broker.start()
    houses = tuple(HousePlan(f"KL-EKM-0001-H{k:03d}", Phase.R, 0.0, True) for k in range(1, 5))
    plan = FeederPlan("KL-EKM-0001", "Kochi 1", "Ernakulam", 9.93, 76.26, 100.0, houses)
    nodes = FeederNodes(
        plan, url, lambda h: derive_key(SECRET, h), SimClock(speed=60.0), tele_period_s=10.0
    )
    got: list[mqtt.MQTTMessage] = []
    edge = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"edge-{uuid.uuid4().hex[:6]}",
        protocol=mqtt.MQTTv311,
    )
    edge.on_message = lambda _c, _u, m: got.append(m)
    edge.connect("127.0.0.1", int(url.rsplit(":", 1)[1]))
    edge.subscribe([("sp/v1/KL-EKM-0001/h/+/tele", 0), ("sp/v1/KL-EKM-0001/h/+/ack", 1)])
    edge.loop_start()
    nodes.start()
    try:
        wait_until(lambda: sum(m.topic.endswith("/tele") for m in got) >= 8, 10, "telemetry")
        tele = Telemetry.from_json(next(m.payload for m in got if m.topic.endswith("/tele")))
        assert tele.ph is Phase.R
        cmd = HouseCommand(
            cmd_id="m1",
            house=HOUSE,
            ctr=1,
            exp_s=int(nodes.clock.now()) + 600,
            from_phase=Phase.R,
            to_phase=Phase.B,
        )
        edge.publish(f"sp/v1/KL-EKM-0001/h/{HOUSE}/cmd", sign(cmd, KEY).to_json(), qos=1)
        wait_until(lambda: any(m.topic.endswith("/ack") for m in got), 10, "ack")
        ack = HouseAck.from_json(next(m.payload for m in got if m.topic.endswith("/ack")))
        assert ack.ok
        assert ack.ph is Phase.B
        time.sleep(0.5)
        latest = [Telemetry.from_json(m.payload) for m in got if m.topic.endswith(f"{HOUSE}/tele")][
            -1
        ]
        assert latest.ph is Phase.B
    finally:
        nodes.stop()
        edge.disconnect()
        edge.loop_stop()
        broker.stop()


def test_clocks_with_one_epoch_agree_across_processes() -> None:
    epoch = time.time() - 100.0
    a, b = SimClock(10.0, epoch), SimClock(10.0, epoch)
    assert abs(a.now() - b.now()) < 0.05
    assert a.now() == pytest.approx(epoch + 1000.0, abs=1.0)
    assert SimClock(1.0).now() == pytest.approx(time.time(), abs=0.05)
    with pytest.raises(ValueError, match="speed"):
        SimClock(0.0)


def test_epoch_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_SIM_EPOCH", "1700000000.5")
    assert sim_epoch() == 1700000000.5
    assert sim_epoch("12") == 12.0
    monkeypatch.setenv("SP_SIM_EPOCH", "noon")
    with pytest.raises(ValueError, match="epoch 'noon'"):
        sim_epoch()
