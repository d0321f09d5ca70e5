"""Every edge alert clears itself when its cause ends; many silent houses are one alert.

Kinds covered elsewhere as well: house_offline (test_edge_scenarios), phase_overload
(test_edge_scenarios), hq_unreachable and uplink_readings_dropped (test_edge_uplink),
switch_rolled_back after its cool-down and an operator's unlock (test_edge_lockout).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from edge.alerts import AlertBook, AlertChange
from edge.ids import IdMaker
from edge.state import StateStore
from edge.totals import PhaseTotals
from edge.watch import (
    overload_alert_active,
    unbalance_alert_active,
    watch_feeder,
    watch_houses,
)
from grid.alert_kinds import (
    OVERLOAD_RELEASE_SHARE,
    AlertKind,
    houses_rolled_up,
    houses_rollup_threshold,
)
from grid.control import UnbalanceDetector
from grid.feeder_states import detector_limits, feeder_state
from grid.messages import AlertState, ControlAction, Severity
from grid.metrics import rated_current_a
from grid.phasors import Phase
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import FAST_CONTROL, Scenario

R, Y, B = Phase.R, Phase.Y, Phase.B
H007 = "KL-TST-0001-H007"


class Book:
    """An alert book on a scratch state file, recording what it sends."""

    def __init__(self, folder: Path) -> None:
        self.store = StateStore(folder / "state.db")
        self.sent: list[AlertChange] = []
        self.book = AlertBook(self.store, IdMaker("KL-TST-0001", 1), self.sent.append)

    def changes(self) -> list[tuple[str, str, str | None]]:
        """Return (kind, raised|cleared, house) of every change sent."""
        return [(str(c.alert.kind), str(c.state), c.alert.house) for c in self.sent]

    def reopen(self) -> AlertBook:
        """Return a book on the same state file, as a restarted controller builds it."""
        self.book = AlertBook(self.store, IdMaker("KL-TST-0001", 2), self.sent.append)
        return self.book


@pytest.fixture
def book(tmp_path: Path) -> Book:
    return Book(tmp_path)


def totals(
    i_r: float = 10.0, i_y: float = 10.0, i_b: float = 10.0, i_n_a: float = 0.0
) -> PhaseTotals:
    return PhaseTotals(
        ts_s=0.0,
        i_a=(i_r, i_y, i_b),
        p_w=(230 * i_r, 230 * i_y, 230 * i_b),
        q_var=(0.0, 0.0, 0.0),
        v_v=(230.0, 230.0, 230.0),
        i_n_a=i_n_a,
        source="houses",
    )


# --- sustained unbalance ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("was_open", "sustained", "quiet", "neutral_a", "expected"),
    [
        (False, False, False, 20.0, False),  # present, not yet for the hold time
        (False, True, False, 20.0, True),
        (True, True, False, 20.0, True),
        (True, False, False, 6.0, True),  # between release (5) and trigger (8): still unbalanced
        (True, False, False, 5.0, True),  # at the release: not below it
        (True, False, False, 4.9, False),
        (True, False, False, None, True),  # restarted and not yet measured: keep it
        (True, True, True, 20.0, False),  # measured quiet for the hold time: the smoothed lags
        (False, True, True, 20.0, False),  # and it is not raised again while it stays quiet
    ],
)
def test_unbalance_alert_follows_the_detector_hysteresis(
    was_open: bool, sustained: bool, quiet: bool, neutral_a: float | None, expected: bool
) -> None:
    assert unbalance_alert_active(was_open, sustained, quiet, neutral_a, release_a=5.0) is expected


def test_a_balanced_feeder_clears_its_alert_before_the_smoothed_neutral_catches_up(
    book: Book,
) -> None:
    # The smoothed neutral current takes minutes to come down from a large unbalance (tau 300 s);
    # the measured one is below the release at once when the controller has balanced the feeder.
    detector = UnbalanceDetector(trigger_a=8.0, release_a=5.0, sustain_s=30.0, tau_s=300.0)
    rating = (100.0, 100.0, 100.0)
    t = 0.0

    def hold(neutral_a: float, seconds: int) -> None:
        nonlocal t
        for _ in range(seconds):
            t += 1.0
            detector.update(t, neutral_a)
            watch_feeder(book.book, t, totals(i_n_a=neutral_a), detector, rating)

    hold(100.0, 60)
    assert book.changes() == [("sustained_unbalance", "raised", None)]
    hold(3.0, 30)
    assert len(book.changes()) == 1  # quiet since its first sample, 29 s ago: not yet
    hold(3.0, 1)
    assert detector.neutral_a is not None
    assert detector.neutral_a > 8.0
    assert book.changes()[-1] == ("sustained_unbalance", "cleared", None)
    assert "has stayed under 8.0 A for 30 s" in book.sent[-1].message
    hold(7.0, 120)  # between release and trigger: no chatter
    assert len(book.changes()) == 2
    hold(12.0, 1)  # the measured neutral is back above the trigger, the smoothed one sustained
    assert book.changes()[-1] == ("sustained_unbalance", "raised", None)


def test_sustained_unbalance_clears_when_the_neutral_falls_below_the_release(book: Book) -> None:
    detector = UnbalanceDetector(trigger_a=8.0, release_a=5.0, sustain_s=60.0, tau_s=1.0)
    rating = (100.0, 100.0, 100.0)
    t = 0.0
    for neutral_a, seconds in ((12.0, 50), (12.0, 20), (6.5, 300), (3.0, 30)):
        for _ in range(seconds):
            t += 1.0
            detector.update(t, neutral_a)
            watch_feeder(book.book, t, totals(), detector, rating)
        if seconds == 50:
            assert book.changes() == []  # present, not yet for 60 s
        elif neutral_a == 12.0:
            assert book.changes() == [("sustained_unbalance", "raised", None)]
        elif neutral_a == 6.5:
            assert len(book.changes()) == 1  # under the trigger, over the release: held
    assert book.changes()[-1] == ("sustained_unbalance", "cleared", None)
    assert "below 5.0 A again" in book.sent[-1].message


def test_the_unbalance_alert_means_what_the_feeder_state_means(book: Book) -> None:
    rated = rated_current_a(250.0)
    limits = detector_limits(rated)
    detector = UnbalanceDetector(limits.trigger_a, limits.release_a, sustain_s=0.0, tau_s=1.0)
    t = 0.0

    def hold(neutral_a: float, seconds: int = 30) -> str:
        nonlocal t
        for _ in range(seconds):
            t += 1.0
            detector.update(t, neutral_a)
            watch_feeder(book.book, t, totals(), detector, (rated,) * 3)
        return feeder_state(
            online=True, fresh=True, mode="auto", currents_a=(), i_n_a=neutral_a, rated_a=rated
        )

    assert hold(0.9 * limits.trigger_a) == "balanced"
    assert book.changes() == []
    assert hold(1.1 * limits.trigger_a) == "unbalanced"
    assert book.changes() == [("sustained_unbalance", "raised", None)]
    assert hold(0.9 * limits.release_a) == "balanced"
    assert book.changes()[-1] == ("sustained_unbalance", "cleared", None)


def test_a_restart_neither_drops_nor_repeats_an_open_unbalance_alert(book: Book) -> None:
    detector = UnbalanceDetector(trigger_a=8.0, release_a=5.0, sustain_s=0.0, tau_s=1.0)
    detector.update(1.0, 12.0)
    watch_feeder(book.book, 1.0, totals(), detector, (100.0,) * 3)
    fresh = UnbalanceDetector(trigger_a=8.0, release_a=5.0, sustain_s=60.0, tau_s=1.0)
    reopened = book.reopen()
    watch_feeder(reopened, 2.0, totals(), fresh, (100.0,) * 3)  # nothing measured yet
    fresh.update(3.0, 6.0)
    watch_feeder(reopened, 3.0, totals(), fresh, (100.0,) * 3)
    assert book.changes() == [("sustained_unbalance", "raised", None)]
    fresh.update(4.0, 1.0)
    fresh.update(30.0, 1.0)
    watch_feeder(reopened, 30.0, totals(), fresh, (100.0,) * 3)
    assert book.changes()[-1] == ("sustained_unbalance", "cleared", None)
    assert book.sent[0].alert.alert_id == book.sent[-1].alert.alert_id  # cleared under its id


def test_sustained_unbalance_clears_after_the_controller_balances(tmp_path: Path) -> None:
    control = replace(FAST_CONTROL, trigger_a=8.0, release_a=5.0, neutral_tau_s=30.0)
    s = Scenario(tmp_path, UNBALANCED, control=control)
    s.run(60)
    assert ("sustained_unbalance", "raised", None) in s.alerts()
    assert s.house("H007").phase is Y  # R 4 kW, Y 3 kW, B 4 kW: about 4.3 A of neutral
    s.run(300)
    assert s.alerts()[-1] == ("sustained_unbalance", "cleared", None)
    assert s.controller.loop.detector.neutral_a is not None
    assert s.controller.loop.detector.neutral_a < 5.0


# --- phase overload --------------------------------------------------------------------------


def test_phase_overload_clears_inside_a_deadband_under_the_rating(book: Book) -> None:
    detector = UnbalanceDetector(trigger_a=8.0, release_a=5.0, sustain_s=0.0, tau_s=1.0)
    rating = (100.0, 100.0, 100.0)
    hold = OVERLOAD_RELEASE_SHARE * 100.0
    for k, i_r in enumerate((101.0, 99.0, hold + 0.5, 101.0, hold - 0.5, 99.0)):
        watch_feeder(book.book, float(k), totals(i_r=i_r), detector, rating)
    assert book.changes() == [
        ("phase_overload", "raised", None),
        ("phase_overload", "cleared", None),
    ]
    assert "back to" in book.sent[-1].message
    assert not overload_alert_active(False, 100.0, 100.0)  # at the rating: not above it
    assert overload_alert_active(True, hold + 0.1, 100.0)


# --- silent houses ---------------------------------------------------------------------------


def houses(n: int) -> list[str]:
    return [f"KL-TST-0001-H{k:03d}" for k in range(1, n + 1)]


@pytest.mark.parametrize(
    ("n", "threshold"), [(1, 2), (5, 2), (8, 2), (9, 3), (16, 4), (20, 5), (80, 5)]
)
def test_houses_rollup_threshold(n: int, threshold: int) -> None:
    assert houses_rollup_threshold(n) == threshold
    assert not houses_rolled_up(threshold - 1, n, rolled_up=False)
    assert houses_rolled_up(threshold, n, rolled_up=False)


def test_houses_rollup_holds_until_half_the_threshold() -> None:
    assert houses_rolled_up(3, 60, rolled_up=True)  # threshold 5: held above 2
    assert not houses_rolled_up(2, 60, rolled_up=True)
    with pytest.raises(ValueError, match="n_houses"):
        houses_rollup_threshold(-1)


def test_many_silent_houses_are_one_alert_that_clears_when_they_report(book: Book) -> None:
    ids = houses(60)
    online = [True] * 60
    watch_houses(book.book, ids, online, 45.0)
    online[10] = False  # one silent house: an alert of its own
    watch_houses(book.book, ids, online, 45.0)
    assert book.changes() == [("house_offline", "raised", ids[10])]
    for k in range(20, 44):  # the bus goes down for 24 more
        online[k] = False
    watch_houses(book.book, ids, online, 45.0)
    assert book.changes()[1:] == [("houses_offline", "raised", None)]
    assert book.sent[-1].message.startswith("25 of 60 houses have not reported for 45 s")
    assert "H011, H021, H022 and 22 more" in book.sent[-1].message
    watch_houses(book.book, ids, online, 45.0)
    assert len(book.sent) == 2  # nothing repeated
    for k in range(20, 44):
        online[k] = True
    watch_houses(book.book, ids, online, 45.0)
    assert book.changes()[2:] == [("houses_offline", "cleared", None)]
    online[10] = True
    watch_houses(book.book, ids, online, 45.0)
    assert book.changes()[3:] == [("house_offline", "cleared", ids[10])]
    assert book.book.open_keys == set()


def test_houses_left_silent_after_a_rollup_get_alerts_of_their_own(book: Book) -> None:
    ids = houses(20)
    online = [k >= 6 for k in range(20)]  # 6 silent: threshold 5
    watch_houses(book.book, ids, online, 45.0)
    assert book.changes() == [("houses_offline", "raised", None)]
    online = [k >= 2 for k in range(20)]  # 2 still silent: no more than half of 5
    watch_houses(book.book, ids, online, 45.0)
    assert book.changes()[1:] == [
        ("houses_offline", "cleared", None),
        ("house_offline", "raised", ids[0]),
        ("house_offline", "raised", ids[1]),
    ]


def test_alerts_of_a_house_no_longer_on_the_feeder_clear(book: Book) -> None:
    ids = houses(10)
    watch_houses(book.book, ids, [k != 3 for k in range(10)], 45.0)
    book.book.raise_(
        "switch:" + ids[5], AlertKind.SWITCH_FAILED, Severity.CRITICAL, "failed", ids[5]
    )
    remaining = [h for k, h in enumerate(ids) if k not in (3, 5)]
    watch_houses(book.reopen(), remaining, [True] * len(remaining), 45.0)
    assert sorted(book.changes()[2:]) == [
        ("house_offline", "cleared", ids[3]),
        ("switch_failed", "cleared", ids[5]),
    ]
    assert "no longer on this feeder" in book.sent[-1].message


def test_the_bus_going_quiet_raises_one_alert_and_clears_it(tmp_path: Path) -> None:
    many = [(f"H{k:03d}", (R, Y, B)[k % 3], 500.0, False) for k in range(1, 13)]
    s = Scenario(tmp_path, many)
    s.run(60)
    for house in s.houses.values():
        house.silent = True
    s.run(60)
    assert [a for a in s.alerts() if a[1] == "raised"] == [("houses_offline", "raised", None)]
    for house in s.houses.values():
        house.silent = False
    s.run(15)
    assert s.alerts() == [("houses_offline", "raised", None), ("houses_offline", "cleared", None)]


# --- a failed switch -------------------------------------------------------------------------


def test_a_failed_switch_alert_clears_when_an_operator_unlocks_the_house(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED)
    s.house("H007").stuck = True
    s.run(15)
    assert ("switch_failed", "raised", H007) in s.alerts()
    s.run(600)
    assert ("switch_failed", "cleared", H007) not in s.alerts()  # the relay needs a person
    s.send_ctl(s.ctl(ControlAction.UNLOCK, house=H007))
    s.tick()
    assert s.alerts()[-1] == ("switch_failed", "cleared", H007)
    cleared = [a for a in s.uplink() if getattr(a, "state", None) is AlertState.CLEARED]
    assert "unlocked by an operator" in cleared[-1].message


def test_lockout_alert_says_until_when_in_ist(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED)
    s.house("H007").lose_acks = 1
    s.run(20)
    raised = [a for a in s.uplink() if getattr(a, "kind", None) == "switch_rolled_back"]
    assert raised[0].message.count(" IST") == 1
    assert "UTC" not in raised[0].message
