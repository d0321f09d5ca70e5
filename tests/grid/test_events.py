"""Event data on the wire: lockouts and the time a run's "before" was measured."""

from __future__ import annotations

import pytest

from grid.events import (
    BalancingRunData,
    LockoutData,
    PhaseSnapshot,
    RunMove,
    RunResult,
    RunTrigger,
    SwitchResult,
    parse_event_data,
)
from grid.messages import EventKind, WireError
from grid.phasors import Phase

FEEDER = "KL-TVM-0042"
HOUSE = "KL-TVM-0042-H017"


def test_a_lockout_round_trips_with_why_since_and_until() -> None:
    data = LockoutData(HOUSE, True, "did_not_help", 1_767_225_600.0, 1_767_247_200.0)
    wire = data.to_data()
    assert wire == {
        "house": HOUSE,
        "locked": True,
        "reason": "did_not_help",
        "since": 1_767_225_600.0,
        "until": 1_767_247_200.0,
    }
    assert parse_event_data(EventKind.LOCKOUT, wire, FEEDER) == data


def test_a_lockout_without_an_end_and_an_unlock_leave_the_fields_out() -> None:
    forever = LockoutData(HOUSE, True, "relay_feedback", 1_767_225_600.0)
    assert "until" not in forever.to_data()
    back = LockoutData(HOUSE, False)
    assert back.to_data() == {"house": HOUSE, "locked": False}
    assert parse_event_data(EventKind.LOCKOUT, back.to_data(), FEEDER) == back


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"house": HOUSE, "locked": "yes"}, "data.locked"),
        ({"house": HOUSE}, "data.locked"),
        ({"house": "KL-TVM-0043-H001", "locked": True}, "data.house"),
        ({"house": HOUSE, "locked": True, "until": "soon"}, "data.until"),
        ({"house": HOUSE, "locked": True, "by": "x"}, "data.by"),
    ],
)
def test_a_bad_lockout_names_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(WireError) as caught:
        parse_event_data(EventKind.LOCKOUT, data, FEEDER)
    assert caught.value.field.startswith(field)


def test_a_run_carries_when_it_was_decided() -> None:
    run = BalancingRunData(
        "r-1",
        RunTrigger.AUTO,
        RunResult.ROLLED_BACK,
        PhaseSnapshot((40.0, 20.0, 10.0), 26.5, 60.0),
        PhaseSnapshot((40.0, 20.0, 10.0), 26.5, 60.0),
        (RunMove(HOUSE, Phase.R, Phase.B, SwitchResult.ROLLED_BACK),),
        decided_s=1_767_225_600.0,
    )
    wire = run.to_data()
    assert wire["decided"] == 1_767_225_600.0
    assert parse_event_data(EventKind.BALANCING_RUN, wire, FEEDER) == run
    older = {k: v for k, v in wire.items() if k != "decided"}
    parsed = parse_event_data(EventKind.BALANCING_RUN, older, FEEDER)
    assert isinstance(parsed, BalancingRunData)
    assert parsed.decided_s is None
