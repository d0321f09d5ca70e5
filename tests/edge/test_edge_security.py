"""Security matrix: every refused command causes zero relay operations and is reported."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from edge.links import Inbound
from grid.messages import ControlAction, ControlCommand, HouseAck, Mode, TopicKind, topic_for
from grid.phasors import Phase
from grid.signing import sign
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import Scenario, feeder_key, house_key, replace_mac

R, Y, B = Phase.R, Phase.Y, Phase.B
FEEDER = "KL-TST-0001"
H007 = f"{FEEDER}-H007"


def switch(s: Scenario, **overrides: Any) -> bytes:
    """Return a correctly signed operator move of H007 R → Y, with fields overridden."""
    return s.ctl(ControlAction.SWITCH, house=H007, from_phase=R, to_phase=Y, **overrides)


def forged_mac(s: Scenario) -> bytes:
    return replace_mac(switch(s), "ab" * 32)


def wrong_key(s: Scenario) -> bytes:
    cmd = ControlCommand.from_json(switch(s))
    return sign(cmd, house_key(H007)).to_json()


def tampered(s: Scenario) -> bytes:
    obj = json.loads(switch(s))
    obj["to"] = "B"  # the MAC covered Y
    return json.dumps(obj).encode()


def expired(s: Scenario) -> bytes:
    return switch(s, ttl_s=-1)


def wrong_from_phase(s: Scenario) -> bytes:
    return s.ctl(ControlAction.SWITCH, house=H007, from_phase=Y, to_phase=B)


def other_feeder(s: Scenario) -> bytes:
    other = "KL-TST-0002"
    cmd = ControlCommand(
        cmd_id="op9999",
        feeder=other,
        ctr=10_000,
        exp_s=int(s.clock.now) + 60,
        action=ControlAction.SWITCH,
        house=f"{other}-H007",
        from_phase=R,
        to_phase=Y,
    )
    return sign(cmd, feeder_key(other)).to_json()


def malformed(s: Scenario) -> bytes:
    return b'{"id":"op1","feeder":"KL-TST-0001","ctr":1,'


CASES: dict[str, tuple[Callable[[Scenario], bytes], str, bool]] = {
    "forged MAC": (forged_mac, "bad_mac", False),
    "signed with another key": (wrong_key, "bad_mac", False),
    "field changed after signing": (tampered, "bad_mac", False),
    "expired": (expired, "expired", True),
    "wrong from-phase": (wrong_from_phase, "wrong_from_phase", True),
    "another feeder's command": (other_feeder, "wrong_device", False),
    "malformed": (malformed, "malformed", False),
}
"""name: (forge, rejection reason, whether HQ hears a command_result "rejected")."""


@pytest.fixture
def manual(tmp_path: Path) -> Scenario:
    """Return the unbalanced feeder in manual mode: only operator commands could move a relay."""
    s = Scenario(tmp_path, UNBALANCED, mode=Mode.MANUAL)
    s.run(5)
    return s


def assert_no_relay_operation(s: Scenario) -> None:
    assert s.bus.of_kind(TopicKind.CMD) == []
    assert s.controller.switcher.relay_commands == 0
    assert all(h.relay_operations == 0 and not h.received for h in s.houses.values())


@pytest.mark.parametrize("case", list(CASES))
def test_refused_command_moves_no_relay_and_is_reported(manual: Scenario, case: str) -> None:
    forge, reason, answered = CASES[case]
    manual.send_ctl(forge(manual))
    manual.run(30)
    assert_no_relay_operation(manual)
    assert manual.controller.stats.security_rejections == {reason: 1}
    (event,) = manual.events("security_rejection")
    assert event["reason"] == reason
    results = manual.events("command_result")
    if answered:
        assert [(r["state"], r["reason"]) for r in results] == [("rejected", reason)]
    else:
        assert results == []  # an unauthenticated id must not mark a real command at HQ


def test_replayed_command_moves_no_relay_again(manual: Scenario) -> None:
    payload = switch(manual)
    manual.send_ctl(payload)
    manual.run(5)
    assert manual.controller.switcher.relay_commands == 1
    manual.send_ctl(payload)  # the same signed bytes again
    manual.run(30)
    assert manual.controller.switcher.relay_commands == 1
    assert manual.house("H007").relay_operations == 1
    assert manual.controller.stats.security_rejections["replayed"] == 1


def test_lower_counter_is_a_replay_even_with_a_good_mac(manual: Scenario) -> None:
    manual.ctl_counter = 50
    manual.send_ctl(manual.ctl(ControlAction.SET_MODE, mode=Mode.MANUAL))
    manual.ctl_counter = 10
    manual.send_ctl(switch(manual))
    manual.run(30)
    assert_no_relay_operation(manual)
    assert manual.controller.stats.security_rejections == {"replayed": 1}


def test_counter_survives_a_restart(manual: Scenario) -> None:
    payload = manual.ctl(ControlAction.SET_MODE, mode=Mode.MANUAL)
    manual.send_ctl(payload)
    manual.tick()
    manual.restart()
    manual.send_ctl(payload)
    manual.tick()
    assert manual.controller.stats.security_rejections == {"replayed": 1}


def test_forged_ack_is_refused_and_the_real_one_completes(feeder: Scenario) -> None:
    feeder.run(10)  # t = 10 s: the command to H007 is out
    forged = HouseAck(
        cmd_id="cfake",
        house=H007,
        ctr=1,
        ok=False,
        ph=R,
        reason="refused",
        ts_s=int(feeder.clock.now),
    )
    forged = sign(forged, b"not-the-house-key-0123456789")
    topic = topic_for(TopicKind.ACK, FEEDER, H007)
    feeder.bus.inbox.appendleft(Inbound(topic, forged.to_json()))  # ahead of the real ack
    feeder.run(3)
    assert feeder.controller.stats.security_rejections == {"ack_bad_mac": 1}
    (switch_result,) = feeder.events("switch_result")
    assert switch_result["result"] == "applied"
