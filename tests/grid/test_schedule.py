"""Day-schedule planning (grid.schedule): daily profiles, the per-house Viterbi step, the peak rule."""

from __future__ import annotations

import numpy as np
import pytest

from grid.schedule import (
    DailyProfiles,
    DaySchedule,
    Horizon,
    ScheduleConfig,
    as_built_peak_a,
    large_enough_to_move,
    peak_safe,
    slot_of,
)

IST_S = 19800.0
MIDNIGHT_S = 1773599400.0  # 2026-03-16 00:00 IST


def horizon(m: np.ndarray, phase: list[int], **kw: float) -> Horizon:
    rows, slots, houses = m.shape
    base = {
        "m": m.astype(np.complex128),
        "w": np.full((rows, slots), 1.0 / rows),
        "phase_now": np.array(phase, dtype=np.intp),
        "free_from": np.zeros(houses, dtype=np.intp),
        "switch_cost": 0.0,
        "move_cost": 0.0,
        "cap_a": np.inf,
    }
    return Horizon(**(base | kw))  # type: ignore[arg-type]


def test_profiles_keep_slot_means_of_each_past_day() -> None:
    cfg = ScheduleConfig(slot_s=3600.0)
    profiles = DailyProfiles(2, cfg, IST_S)
    for minute in range(2 * 1440 + 1):
        ts = MIDNIGHT_S + 60.0 * minute
        hour = (minute // 60) % 24
        day = minute // 1440
        profiles.observe(ts, np.array([hour + 0j, 10.0 * (day + 1) + 0j]))
    assert profiles.full_days == 2
    first, second = profiles.days
    assert first[5, 0] == pytest.approx(5.0)
    assert first[5, 1] == pytest.approx(10.0)
    assert second[5, 1] == pytest.approx(20.0)
    m, w, order = profiles.rows(MIDNIGHT_S + 2 * 86400.0 + 3 * 3600.0)
    assert order[0] == 3  # the rows start at the present slot
    assert m.shape == (3, 24, 2)
    np.testing.assert_allclose(w.sum(axis=0), 1.0)
    assert w[1, 0] > w[0, 0]  # the later day counts more
    assert w[2, 0] > w[2, 12]  # the recent row fades with the lead time


def test_slot_of_uses_local_time() -> None:
    assert slot_of(MIDNIGHT_S, IST_S, 1800.0) == 0
    assert slot_of(MIDNIGHT_S + 86400.0 - 1.0, IST_S, 1800.0) == 47


def test_a_house_follows_the_best_phase_of_each_part_of_the_day() -> None:
    """A house that imports, then exports, sits on a different phase in each part of the day.

    Houses 0 (R) and 1 (Y) draw 10 A; house 2 draws 10 A in the first half of the day and
    exports 10 A in the second. On B it cancels the neutral while it imports; on R it cancels
    R while it exports. Any one phase for the whole day leaves J = 1600; following the day
    leaves 400 plus two switches a day.
    """
    slots = 8
    m = np.zeros((1, slots, 3), dtype=np.complex128)
    m[0, :, 0] = 10.0
    m[0, :, 1] = 10.0
    m[0, :4, 2] = 10.0
    m[0, 4:, 2] = -10.0
    h = horizon(m, [0, 1, 0], switch_cost=50.0, move_cost=5.0)
    schedule = DaySchedule(h)
    schedule.improve(np.array([False, False, True]), 10)
    assert schedule.plan[2].tolist() == [2, 2, 2, 2, 0, 0, 0, 0]
    assert schedule.objective() == pytest.approx(400.0 + 2 * 50.0 + 5.0)
    dear = DaySchedule(horizon(m, [0, 1, 0], switch_cost=1000.0))
    dear.improve(np.array([False, False, True]), 10)
    assert len(set(dear.plan[2].tolist())) == 1  # a daily switch that does not pay is left out


def test_a_daily_switch_must_pay_for_itself() -> None:
    """With a high daily switch cost, a house takes one lasting phase instead of a cycle."""
    m = np.zeros((1, 4, 2), dtype=np.complex128)
    m[0, :, 0] = 10.0
    m[0, :2, 1] = 10.0
    m[0, 2:, 1] = 1.0
    cheap = DaySchedule(horizon(m, [0, 0], switch_cost=0.1))
    cheap.improve(np.ones(2, dtype=bool), 5)
    dear = DaySchedule(horizon(m, [0, 0], switch_cost=1e6))
    dear.improve(np.ones(2, dtype=bool), 5)
    assert all(len(set(row.tolist())) == 1 for row in dear.plan)
    assert set(dear.plan[:, 0].tolist()) == {0, 1} or set(dear.plan[:, 0].tolist()) == {0, 2}


def test_pinned_slots_keep_the_present_phase() -> None:
    m = np.zeros((1, 6, 2), dtype=np.complex128)
    m[0, :, :] = 10.0
    h = horizon(m, [0, 0], free_from=np.array([6, 3], dtype=np.intp))
    schedule = DaySchedule(h)
    schedule.improve(np.ones(2, dtype=bool), 5)
    assert (schedule.plan[0] == 0).all()
    assert (schedule.plan[1, :3] == 0).all()
    assert (schedule.plan[1, 3:] != 0).any()


def test_the_cap_bars_a_phase_from_a_new_peak() -> None:
    m = np.zeros((1, 2, 3), dtype=np.complex128)
    m[0, :, 0] = 30.0  # a big house on R
    m[0, :, 1] = 20.0  # two houses on Y
    m[0, :, 2] = 20.0
    h = horizon(m, [0, 1, 1], cap_a=35.0)
    schedule = DaySchedule(h)
    barred = schedule._barred_by_cap()
    assert barred[1, :, 0].all()  # Y's house onto R: 50 A, above the cap and R's 30 A
    assert not barred[1, :, 2].any()  # onto B: 20 A
    schedule.improve(np.ones(3, dtype=bool), 5)
    sums = np.abs(np.einsum("rsh,hsp->rsp", m, np.eye(3)[schedule.plan]))
    assert sums.max() <= 40.0 + 1e-9


def test_peak_safe_refuses_moves_that_create_a_new_peak() -> None:
    m = np.array([[[30.0, 20.0, 20.0, 5.0]]], dtype=np.complex128)  # one row, one slot
    phase = np.array([0, 1, 1, 2], dtype=np.intp)
    assert peak_safe(m, phase, [(1, 2)], cap_a=30.0) == [True]  # B: 25 A
    assert peak_safe(m, phase, [(1, 0)], cap_a=30.0) == [False]  # R: 50 A
    # In order: once house 1 is on B, house 2 may not follow it there (45 A).
    assert peak_safe(m, phase, [(1, 2), (2, 2)], cap_a=30.0) == [True, False]


def test_as_built_peak_and_small_houses() -> None:
    m = np.array([[[30.0, 20.0, 0.2]]], dtype=np.complex128)
    assert as_built_peak_a(m, 1, np.array([0, 0, 1])) == pytest.approx(50.0)
    w = np.ones((1, 1))
    assert large_enough_to_move(m, w, 1.0).tolist() == [True, True, False]
