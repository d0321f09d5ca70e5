"""The control loop on a fake clock: hysteresis, daily counts, pacing, commits and locks."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from grid.control import BalancingLoop, ControlConfig, UnbalanceDetector, local_day
from grid.phasors import UNIT_PHASORS, Phase
from sim.feeder_day import IST

MIDNIGHT = datetime(2026, 3, 16, tzinfo=IST).timestamp()


def test_detector_needs_sustained_unbalance_and_releases_with_hysteresis() -> None:
    det = UnbalanceDetector(trigger_a=8.0, release_a=5.0, sustain_s=300.0, tau_s=1.0)
    det.update(0.0, 20.0)
    assert not det.sustained(0.0)
    det.update(240.0, 20.0)
    assert not det.sustained(240.0)  # four minutes is not enough
    det.update(300.0, 20.0)
    assert det.sustained(300.0)
    det.update(360.0, 6.0)  # between the thresholds: still present
    assert det.sustained(360.0)
    det.update(420.0, 4.0)
    assert not det.sustained(420.0)


def test_detector_says_when_the_measured_neutral_has_been_quiet_for_the_hold_time() -> None:
    det = UnbalanceDetector(trigger_a=8.0, release_a=5.0, sustain_s=60.0, tau_s=600.0)
    det.update(0.0, 40.0)
    assert not det.quiet(0.0)
    det.update(10.0, 4.0)  # below the release: quiet from here
    det.update(40.0, 7.0)  # between the thresholds: still quiet
    assert not det.quiet(69.0)
    assert det.quiet(70.0)
    assert det.neutral_a is not None
    assert det.neutral_a > 8.0
    det.update(71.0, 9.0)  # at or above the trigger: no longer quiet
    assert not det.quiet(200.0)
    det.update(80.0, 6.0)  # between the thresholds again: quiet needs a sample below release
    assert not det.quiet(200.0)


def test_local_day_changes_at_ist_midnight() -> None:
    assert local_day(MIDNIGHT - 1.0, 19800.0) + 1 == local_day(MIDNIGHT, 19800.0)


def unbalanced_loop(config: ControlConfig | None = None) -> BalancingLoop:
    n = 12
    return BalancingLoop(
        [f"KL-TVM-0001-H{i:03d}" for i in range(n)],
        [Phase.R] * 9 + [Phase.Y, Phase.B, Phase.B],
        [True] * n,
        [0.0] * n,
        config,
    )


def run(loop: BalancingLoop, start: float, minutes: int) -> list[tuple[float, str]]:
    """Feed constant 1.15 kW per house and commit every planned move; return the moves."""
    moves = []
    ts = start
    p = np.full(12, 1150.0)
    for _ in range(minutes):
        plan = loop.control_step(ts)
        for move in plan.moves:
            loop.commit(move, ts)
            moves.append((ts, move.house_id))
        phases = np.array([ph.ordinal for ph in loop.phases])
        neutral = abs(complex(np.sum(5.0 * UNIT_PHASORS[phases])))
        loop.observe(ts, p, np.zeros(12), np.zeros(12), neutral_a=neutral)
        ts += 60.0
    return moves


def test_loop_waits_for_sustained_unbalance_then_balances() -> None:
    loop = unbalanced_loop(ControlConfig(pacing_head_start=1.0))
    moves = run(loop, MIDNIGHT + 3600.0, 60)
    assert moves
    first = moves[0][0] - (MIDNIGHT + 3600.0)
    assert first >= ControlConfig().sustain_s
    counts = np.bincount([ph.ordinal for ph in loop.phases], minlength=3)
    assert counts.tolist() == [4, 4, 4]
    assert loop.is_converged()
    assert loop.switches_today == len(moves) == 5


def test_pacing_caps_early_switching() -> None:
    loop = unbalanced_loop()  # 30 % of a 12-switch budget is allowed from midnight: 3
    run(loop, MIDNIGHT + 60.0, 30)
    assert loop.switches_today == 3


def test_counts_reset_at_local_midnight() -> None:
    loop = unbalanced_loop()
    run(loop, MIDNIGHT - 3600.0, 50)
    assert loop.switches_today > 0
    assert max(h.switches_today for h in loop.houses) == 1
    run(loop, MIDNIGHT + 60.0, 1)
    assert loop.switches_today == 0
    assert all(h.switches_today == 0 for h in loop.houses)


def test_pacing_raises_the_cost_as_the_allowance_is_used() -> None:
    loop = unbalanced_loop()
    early = MIDNIGHT + 600.0
    assert loop.cost_scale(early) == 1.0
    loop.switches_today = 2
    assert loop.cost_scale(early) > 1.5
    assert loop.allowance(MIDNIGHT + 43200.0) > loop.allowance(early)
    assert loop.allowance(MIDNIGHT + 86399.0) <= 12.0


def test_locked_house_is_not_moved() -> None:
    loop = unbalanced_loop()
    for i in range(9):
        loop.lock(f"KL-TVM-0001-H{i:03d}")
    assert run(loop, MIDNIGHT + 3600.0, 30) == []
    assert loop.release_expired_locks(MIDNIGHT + 86400.0 * 365) == []  # no end: an operator's


def test_locked_house_comes_back_after_its_cool_down_and_is_moved() -> None:
    start = MIDNIGHT + 3600.0
    loop = unbalanced_loop(ControlConfig(pacing_head_start=1.0))
    for i in range(9):
        loop.lock(f"KL-TVM-0001-H{i:03d}", until_s=start + 1800.0)
    assert run(loop, start, 30) == []  # the cool-down ends at 30 min
    assert loop.release_expired_locks(start + 1799.0) == []
    released = loop.release_expired_locks(start + 1800.0)
    assert released == [f"KL-TVM-0001-H{i:03d}" for i in range(9)]
    assert not any(h.locked for h in loop.houses)
    assert run(loop, start + 1800.0, 10)  # the unbalance has lasted: it acts at once


def test_unlock_releases_a_house_at_once() -> None:
    loop = unbalanced_loop(ControlConfig(pacing_head_start=1.0))
    for i in range(9):
        loop.lock(f"KL-TVM-0001-H{i:03d}", until_s=MIDNIGHT + 86400.0)
    run(loop, MIDNIGHT + 3600.0, 10)
    loop.unlock("KL-TVM-0001-H000")
    moves = run(loop, MIDNIGHT + 4200.0, 1)
    assert [house for _, house in moves] == ["KL-TVM-0001-H000"]


def test_forced_step_acts_without_sustained_unbalance() -> None:
    loop = unbalanced_loop(ControlConfig(pacing_head_start=1.0))
    run(loop, MIDNIGHT + 3600.0, 1)  # one sample: the unbalance is not yet sustained
    now = MIDNIGHT + 3660.0
    assert not loop.detector.sustained(now)
    assert loop.control_step(now).moves == ()
    forced = loop.control_step(now, force=True)
    assert forced.moves
    assert all(m.from_phase is Phase.R for m in forced.moves)


def test_set_phase_follows_a_house_without_counting_a_switch() -> None:
    loop = unbalanced_loop()
    loop.set_phase("KL-TVM-0001-H000", Phase.B)
    house = loop.houses[0]
    assert house.phase is Phase.B
    assert (house.last_switch_s, house.switches_today, loop.switches_today) == (None, 0, 0)


def test_reconfigure_changes_the_detector_thresholds() -> None:
    loop = unbalanced_loop()
    loop.reconfigure(ControlConfig(trigger_a=20.0, release_a=10.0, sustain_s=60.0))
    assert (loop.detector.trigger_a, loop.detector.release_a, loop.detector.sustain_s) == (
        20.0,
        10.0,
        60.0,
    )
    assert loop.config.sustain_s == 60.0


def test_relay_operations_that_left_a_house_in_place_restart_its_dwell() -> None:
    loop = unbalanced_loop()
    loop.note_relay_operations("KL-TVM-0001-H000", MIDNIGHT + 600.0, 2)  # a move, rolled back
    house = loop.houses[0]
    assert (house.phase, house.last_switch_s, house.switches_today) == (
        Phase.R,
        MIDNIGHT + 600.0,
        2,
    )
    assert loop.switches_today == 0  # the feeder's budget counts moves that stayed
