"""Lockouts after a failed switch: a cool-down, longer for a repeat, and an operator's unlock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge.lockout import cooldown_s
from edge.state import StateStore
from grid.messages import ControlAction, HouseCommand, TopicKind
from grid.phasors import Phase
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import NOON, Scenario, fast_settings

R, Y, B = Phase.R, Phase.Y, Phase.B
H007 = "KL-TST-0001-H007"


def commands(s: Scenario) -> list[HouseCommand]:
    """Return the commands sent to houses, in order."""
    return [HouseCommand.from_json(p) for _, p in s.bus.of_kind(TopicKind.CMD)]


def house_state(s: Scenario, house: str = H007) -> tuple[bool, float | None]:
    """Return whether the controller's loop has a house locked, and until when."""
    h = next(h for h in s.controller.loop.houses if h.house_id == house)
    return h.locked, h.locked_until_s


def results(s: Scenario) -> list[tuple[str, str | None]]:
    """Return (result, reason) of every switch so far."""
    return [(e["result"], e.get("reason")) for e in s.events("switch_result")]


def lost_ack_feeder(tmp_path: Path, cooldown: float) -> Scenario:
    """Return the unbalanced feeder whose H007 loses its next ack (a rollback at t ≈ 15 s)."""
    s = Scenario(tmp_path, UNBALANCED, settings=fast_settings(lockout_cooldown_s=cooldown))
    s.house("H007").lose_acks = 1
    return s


def test_locked_out_house_comes_back_after_its_cool_down(tmp_path: Path) -> None:
    s = lost_ack_feeder(tmp_path, cooldown=120.0)
    s.run(20)
    assert results(s) == [("rolled_back", "ack_timeout")]
    locked, until = house_state(s)
    assert locked
    assert until == pytest.approx(NOON + 15.0 + 120.0, abs=1.0)
    record = s.controller.state.house(H007)
    assert record.lockout is not None
    assert (record.lockout.reason, record.lockout.until_s, record.lockouts) == (
        "ack_timeout",
        until,
        1,
    )
    raised = [a for a in s.uplink(TopicKind.ALERT) if a.kind == "switch_rolled_back"]
    assert "locked out until" in raised[0].message
    s.run(100)
    assert house_state(s)[0]  # still cooling down
    s.run(30)
    assert house_state(s) == (False, None)
    assert s.alerts()[-1] == ("switch_rolled_back", "cleared", H007)
    assert len(commands(s)) == 2  # the move and its rollback restarted the node's dwell ...
    s.run(1800 - 150 + 30)
    assert len(commands(s)) == 3  # ... and once it ends the house is moved again, and stays
    assert results(s)[-1] == ("applied", None)
    assert s.house("H007").phase is Y
    assert s.controller.state.house(H007).lockouts == 0  # a confirmed move starts over


def lockouts(s: Scenario) -> list[dict[str, object]]:
    """Return the lockout events sent to HQ, without their kind."""
    return [{k: v for k, v in e.items() if k != "kind"} for e in s.events("lockout")]


def test_hq_is_told_why_since_and_until_when_a_house_is_locked_out(tmp_path: Path) -> None:
    s = lost_ack_feeder(tmp_path, cooldown=120.0)
    s.run(20)
    _, until = house_state(s)
    since = s.controller.state.house(H007).lockout.since_s  # type: ignore[union-attr]
    assert lockouts(s) == [
        {"house": H007, "locked": True, "reason": "ack_timeout", "since": since, "until": until}
    ]
    s.run(130)
    assert lockouts(s)[-1] == {"house": H007, "locked": False}
    s.restart()
    s.tick()
    assert len(lockouts(s)) == 2  # nothing to restore once it is back


def test_a_restarted_controller_tells_hq_again_of_a_lockout(tmp_path: Path) -> None:
    s = lost_ack_feeder(tmp_path, cooldown=300.0)
    s.run(20)
    first = lockouts(s)
    s.restart()
    s.tick()
    assert lockouts(s)[-1] == first[-1]


def test_a_house_failing_again_after_coming_back_is_locked_twice_as_long(tmp_path: Path) -> None:
    s = lost_ack_feeder(tmp_path, cooldown=60.0)
    s.run(20)
    s.house("H007").lose_acks = 1  # its next switch, once it may move again, fails again
    s.run(1830)
    assert ("switch_rolled_back", "cleared", H007) in s.alerts()
    assert [r for r, _ in results(s)] == ["rolled_back", "rolled_back"]
    record = s.controller.state.house(H007)
    assert record.lockout is not None
    assert record.lockout.since_s is not None
    assert record.lockout.until_s == record.lockout.since_s + 120.0
    assert house_state(s) == (True, record.lockout.until_s)
    assert record.lockouts == 2
    assert s.alerts().count(("switch_rolled_back", "raised", H007)) == 2


def test_operator_unlock_brings_a_house_back_at_once(tmp_path: Path) -> None:
    s = lost_ack_feeder(tmp_path, cooldown=0.0)  # no cool-down: only an operator's word
    s.run(20)
    assert house_state(s) == (True, None)
    s.run(3600)
    assert house_state(s) == (True, None)
    assert len(commands(s)) == 2
    s.send_ctl(s.ctl(ControlAction.UNLOCK, house=H007))
    s.tick()
    assert [(e["state"], e.get("reason")) for e in s.events("command_result")] == [
        ("applied", None)
    ]
    assert house_state(s) == (False, None)
    assert s.alerts()[-1] == ("switch_rolled_back", "cleared", H007)
    assert [e["locked"] for e in lockouts(s)] == [True, False]
    assert "until" not in lockouts(s)[0]  # only an operator ends it
    s.run(1800)
    assert results(s)[-1] == ("applied", None)  # moved again once the node's dwell ended
    assert s.house("H007").phase is Y


def test_unlock_of_a_house_not_locked_or_unknown_is_refused(feeder: Scenario) -> None:
    feeder.send_ctl(feeder.ctl(ControlAction.UNLOCK, house="KL-TST-0001-H004"))
    feeder.send_ctl(feeder.ctl(ControlAction.UNLOCK, house="KL-TST-0001-H999"))
    feeder.tick()
    assert [(e["state"], e.get("reason")) for e in feeder.events("command_result")] == [
        ("rejected", "not_locked"),
        ("rejected", "unknown_house"),
    ]


def test_lockout_and_its_end_survive_a_restart(tmp_path: Path) -> None:
    s = lost_ack_feeder(tmp_path, cooldown=300.0)
    s.run(20)
    before = house_state(s)
    s.restart()
    assert house_state(s) == before
    s.run(before[1] - s.clock.now + 11.0)  # type: ignore[operator]
    assert house_state(s) == (False, None)


def test_a_node_still_locked_after_the_cool_down_stays_out(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, settings=fast_settings(lockout_cooldown_s=60.0))
    s.house("H007").stuck = True  # the relay does not move: the node locks itself
    s.run(20)
    assert results(s) == [("failed", "relay_feedback")]
    s.run(80)
    locked, until = house_state(s)
    assert locked
    assert until is not None
    assert until > s.clock.now
    record = s.controller.state.house(H007)
    assert record.lockout is not None
    assert record.lockout.reason == "relay_locked"
    assert len(commands(s)) == 1
    assert ("switch_failed", "cleared", H007) not in s.alerts()


def test_a_node_refusing_for_its_dwell_is_not_asked_again_before_it_ends(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED)
    s.house("H007").refuse = "interlock_min_dwell"  # switched by hand on site, say
    s.run(15)
    assert results(s) == [("rejected", "interlock_min_dwell")]
    assert house_state(s) == (False, None)  # a refusal is no fault: no lockout
    s.run(1790)
    assert len(commands(s)) == 1
    s.run(20)
    assert results(s)[-1] == ("applied", None)


def test_a_node_that_reports_its_relay_locked_is_never_offered(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED)
    s.house("H007").locked = True  # locked on site by a failed feedback check
    s.run(120)
    assert commands(s) == []


def test_a_lockout_stored_without_an_end_gets_a_cool_down_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    old = sqlite3.connect(path)  # a state file of the version before lockouts ended
    old.execute(
        "CREATE TABLE houses (house_id TEXT PRIMARY KEY, phase TEXT,"
        " locked INTEGER NOT NULL DEFAULT 0, counter INTEGER NOT NULL DEFAULT 0)"
    )
    old.execute("INSERT INTO houses VALUES (?, 'R', 1, 7)", (H007,))
    old.commit()
    old.close()
    record = StateStore(path).house(H007)
    assert record.locked
    assert record.counter == 7
    assert record.lockout is not None
    assert record.lockout.since_s is None
    s = Scenario(tmp_path, UNBALANCED, settings=fast_settings(lockout_cooldown_s=600.0))
    assert house_state(s) == (True, pytest.approx(NOON + 600.0))


def test_cool_down_doubles_up_to_its_cap() -> None:
    settings = fast_settings(lockout_cooldown_s=3600.0, lockout_max_cooldown_s=10_000.0)
    assert [cooldown_s(settings, n) for n in (1, 2, 3, 4)] == [3600.0, 7200.0, 10_000.0, 10_000.0]
    assert cooldown_s(fast_settings(lockout_cooldown_s=0.0), 1) is None
