"""Finding 11: unsigned house telemetry does not rewrite the edge's idea of a house's phase.

One spoofed `tele` naming another phase moved a house in the controller's books. The phase a
house is on now comes from its node's signed acks and relay feedback; telemetry that disagrees
raises `house_phase_mismatch`, which clears when telemetry agrees again.
"""

from __future__ import annotations

from pathlib import Path

from grid.messages import ControlAction, Mode, TopicKind
from grid.phasors import Phase
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import Scenario

R, Y, B = Phase.R, Phase.Y, Phase.B


def test_a_spoofed_telemetry_phase_raises_an_alert_and_moves_nothing(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, mode=Mode.MANUAL)
    s.run(20)
    house = s.house("H004")  # on Y
    spoofer = s.house("H004")
    spoofer.phase = B
    s.bus.deliver(*spoofer.telemetry(s.clock.now))  # one telemetry message saying B
    spoofer.phase = Y
    s.controller.step()
    assert s.controller.phase_of(house.house_id) is Y
    assert s.controller.state.house(house.house_id).phase in (None, Y)
    assert s.controller.loop.phases[3] is Y
    assert ("house_phase_mismatch", "raised", house.house_id) in s.alerts()
    s.run(6)  # its own telemetry says Y again
    assert s.alerts()[-1] == ("house_phase_mismatch", "cleared", house.house_id)
    (raised,) = [
        a for a in s.uplink(TopicKind.ALERT) if a.kind == "house_phase_mismatch" and a.house
    ][:1]
    assert "holds Y" in raised.message


def test_a_house_moved_by_hand_is_followed_from_its_signed_ack(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, mode=Mode.MANUAL)
    s.run(8)
    h007 = s.house("H007")
    h007.phase = h007.physical = Y  # moved by hand: its telemetry says Y from now on
    s.run(6)
    assert s.controller.phase_of(h007.house_id) is R  # telemetry alone moves nothing
    assert ("house_phase_mismatch", "raised", h007.house_id) in s.alerts()
    s.send_ctl(s.ctl(ControlAction.BALANCE_NOW))
    s.run(3)  # the planner's move from R is refused by the node, whose signed ack measures Y
    assert (s.events("switch_result")[0]["reason"]) == "wrong_from_phase"
    assert s.controller.phase_of(h007.house_id) is Y
    assert s.controller.state.house(h007.house_id).phase is Y
    s.run(6)
    assert s.alerts()[-1] == ("house_phase_mismatch", "cleared", h007.house_id)
