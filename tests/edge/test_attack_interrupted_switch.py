"""Finding 13: a controller killed mid-switch finishes the switch when it starts again.

An operator's move is acknowledged by the house and the controller dies (kill -9: nothing is
closed, nothing in memory survives, the ack's telemetry is lost with it). The next controller on
the same state files finds the switch in its journal, sends the house back to its from-phase
with a new signed command and ends the operator's command with a final state; the house's two
relay operations count toward its dwell and daily cap.
"""

from __future__ import annotations

from pathlib import Path

from edge.switching import Step
from grid.messages import ControlAction, Mode, TopicKind
from grid.phasors import Phase
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import Scenario

R, Y = Phase.R, Phase.Y


def acknowledged_then_killed(tmp_path: Path) -> Scenario:
    """Return a feeder whose controller died with H007's move R → Y acknowledged."""
    s = Scenario(tmp_path, UNBALANCED, mode=Mode.MANUAL)
    s.run(10)
    h007 = s.house("H007").house_id
    s.send_ctl(s.ctl(ControlAction.SWITCH, house=h007, from_phase=R, to_phase=Y))
    s.tick()  # the command goes out; the house switches and answers
    s.bus.inbox = type(s.bus.inbox)(m for m in s.bus.inbox if not m.topic.endswith("/tele"))
    s.controller.step()  # the signed ack: acknowledged, waiting for telemetry to verify
    job = s.controller.switcher.job
    assert job is not None
    assert job.step is Step.VERIFY
    assert [e["state"] for e in s.events("command_result")] == ["sent", "acknowledged"]
    s.bus.inbox.clear()  # kill -9: what was in flight dies with the process
    s.controller = s.make_controller()
    return s


def test_a_restart_finishes_an_interrupted_switch_with_a_final_state(tmp_path: Path) -> None:
    s = acknowledged_then_killed(tmp_path)
    h007 = s.house("H007")
    s.run(3)
    states = [e["state"] for e in s.events("command_result")]
    assert states == ["sent", "acknowledged", "rolled_back"]
    (switch,) = s.events("switch_result")
    assert (switch["result"], switch["reason"], switch["cmd_id"]) == (
        "rolled_back",
        "interrupted",
        "op0001",
    )
    assert h007.phase is R  # sent back with a signed command, confirmed by its signed ack
    assert len(h007.received) == 2
    assert s.controller.phase_of(h007.house_id) is R
    assert s.controller.state.in_flight_switch() is None
    held = s.controller.loop.houses[2]
    assert held.house_id == h007.house_id
    assert held.switches_today == 2  # the move and its undo, as the node counts them
    assert held.last_switch_s is not None
    assert held.last_switch_s >= s.clock.now - 3  # its dwell starts again
    assert not held.locked  # an interruption is not the house's fault
    s.restart()  # a clean restart later finds nothing left to finish
    s.run(3)
    assert len(h007.received) == 2


def test_a_restart_without_the_house_bus_waits_for_it(tmp_path: Path) -> None:
    s = acknowledged_then_killed(tmp_path)
    s.bus.set_connected(False)
    s.run(5)
    assert len(s.bus.of_kind(TopicKind.CMD)) == 1  # only the interrupted move's command
    assert s.controller.switcher.busy  # nothing else starts meanwhile
    s.bus.set_connected(True)
    s.run(3)
    assert [e["state"] for e in s.events("command_result")][-1] == "rolled_back"
