"""The rule of no new phase peak (grid.peaks): minute history and the replay of a move on it."""

from __future__ import annotations

import numpy as np
import pytest

from grid.control import BalancingLoop, ControlConfig
from grid.peaks import MinuteHistory, peak_safe
from grid.phasors import Phase

START_S = 60.0 * 16_666_667  # a whole minute


def test_minute_history_keeps_minute_means_and_carries_a_silent_house() -> None:
    history = MinuteHistory(np.array([0, 1]), size=3)
    for second in range(0, 240, 10):
        minute = second // 60
        silent = minute == 1
        history.observe(START_S + second, np.array([minute + 0j, np.nan if silent else 5.0 + 0j]))
    history.observe(START_S + 240, np.array([0j, 0j]))  # closes the fourth minute
    kept = history.minutes()
    assert kept.shape == (3, 2)  # the oldest of four minutes fell out
    assert sorted(kept[:, 0].real.tolist()) == [1.0, 2.0, 3.0]
    assert (kept[:, 1] == 5.0).all()  # the silent minute carries its last value


def test_a_move_that_makes_a_new_peak_on_the_minutes_kept_is_refused() -> None:
    # Minute 0: house 1 small; minute 1: house 1 draws 25 A while house 0 draws 10 A on R.
    minutes = np.array([[10.0, 2.0, 0.0, 5.0], [10.0, 25.0, 0.0, 5.0]], dtype=np.complex128)
    phase = np.array([0, 1, 2, 2], dtype=np.intp)
    assert peak_safe(minutes, phase, [(1, 0)], cap_a=30.0) == [False]  # 35 A on R, minute 1
    assert peak_safe(minutes, phase, [(1, 2)], cap_a=30.0) == [True]  # 30 A on B
    assert peak_safe(minutes, phase, [(1, 2), (0, 2)], cap_a=30.0) == [True, False]  # in order
    rating = np.array([100.0, 100.0, 20.0])
    assert peak_safe(minutes, phase, [(1, 2)], cap_a=30.0, rating_a=rating) == [False]


def test_a_phase_already_above_the_cap_may_take_a_house_that_lowers_it() -> None:
    minutes = np.array([[40.0, -8.0, 0.0]], dtype=np.complex128)  # house 1 exports
    phase = np.array([0, 1, 2], dtype=np.intp)
    assert peak_safe(minutes, phase, [(1, 0)], cap_a=30.0) == [True]


def test_phase_sums_follow_the_moves_and_the_as_built_peak_stays() -> None:
    history = MinuteHistory(np.array([0, 0, 1]), size=4)
    rows = [[30.0, 20.0, 0.2], [5.0, 5.0, 60.0], [1.0, 2.0, 3.0]]
    for minute, row in enumerate([*rows, [0.0, 0.0, 0.0]]):
        history.observe(START_S + 60.0 * minute, np.array(row, dtype=np.complex128))
    assert history.as_built_peak_a() == pytest.approx(60.0)
    history.move(1, 2)
    expected = np.array(rows, dtype=np.complex128) @ np.eye(3)[[0, 2, 1]]
    np.testing.assert_allclose(history.phase_sums(), expected)
    assert history.as_built_peak_a() == pytest.approx(60.0)  # the as-built sums do not move


def test_the_target_strategy_moves_no_house_onto_a_new_peak() -> None:
    """Four houses on R; one of them draws a large evening load. Balancing would move it and
    a steady one apart; the rule lets it go only where no phase goes above the as-built peak."""
    loop = BalancingLoop(
        ["a", "b", "c", "d"],
        [Phase.R, Phase.R, Phase.R, Phase.Y],
        [True, True, True, True],
        [0.0] * 4,
        ControlConfig(strategy="target", pacing_head_start=1.0, peak_margin=0.05),
    )
    start = 1773599400.0
    for minute in range(60):
        evening = minute % 20 >= 15
        p = np.array([2000.0, 2000.0, 9000.0 if evening else 500.0, 8000.0])
        loop.observe(start + 60.0 * minute, p, np.zeros(4), np.zeros(4), neutral_a=0.0)
    now = start + 3600.0
    plan = loop.control_step(now)
    assert plan.moves  # something is worth moving
    phases = {h.house_id: h.phase for h in loop.houses}
    for move in plan.moves:
        phases[move.house_id] = move.to_phase
    power = {"a": 2000.0, "b": 2000.0, "c": 9000.0, "d": 8000.0}
    peak = max(sum(power[h] for h, ph in phases.items() if ph == p) for p in Phase) / 230.0
    as_built = (2000.0 + 2000.0 + 9000.0) / 230.0
    assert peak <= 0.95 * as_built + 1e-9
