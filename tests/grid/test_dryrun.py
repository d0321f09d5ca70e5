"""The dry run of a manual move: the interlocks that block it, and phase currents, neutral and
unbalance before → after."""

from __future__ import annotations

import math

import pytest

from grid.dryrun import (
    HouseMove,
    PhaseLoads,
    blocked_until_s,
    phase_figures,
    predict_move,
    predict_moves,
    switch_record,
)
from grid.events import SwitchResult
from grid.interlocks import Blocker, HouseState, SwitchLimits, relay_operations, switch_blocker
from grid.phasors import Phase

R, Y, B = Phase.R, Phase.Y, Phase.B


def test_balanced_loads_have_no_neutral_current() -> None:
    figures = phase_figures((4600.0, 4600.0, 4600.0), (0.0, 0.0, 0.0), (230.0, 230.0, 230.0))
    assert figures.i_a == pytest.approx((20.0, 20.0, 20.0))
    assert figures.i_n_a == pytest.approx(0.0, abs=1e-9)
    assert figures.unbalance_pct == pytest.approx(0.0, abs=1e-9)


def test_moving_a_house_from_the_heavy_phase_balances_the_feeder() -> None:
    loads = PhaseLoads(p_w=(6900.0, 2300.0, 4600.0), q_var=(0.0, 0.0, 0.0))
    effect = predict_move(loads, 2300.0, 0.0, R, Y)
    assert effect.before.i_a == pytest.approx((30.0, 10.0, 20.0))
    # I_N = |30∠0 + 10∠-120 + 20∠120| = |(30-5-10) + j(-8.66+17.32)| = √(15² + 8.66²)
    assert effect.before.i_n_a == pytest.approx(math.hypot(15.0, 10 * math.sqrt(3) / 2))
    assert effect.before.unbalance_pct == pytest.approx(50.0)
    assert effect.after.i_a == pytest.approx((20.0, 20.0, 20.0))
    assert effect.after.i_n_a == pytest.approx(0.0, abs=1e-9)
    assert effect.neutral_change_a < -17.0
    assert effect.improves


def test_a_move_the_wrong_way_is_predicted_worse() -> None:
    loads = PhaseLoads(p_w=(4600.0, 4600.0, 4600.0), q_var=(0.0, 0.0, 0.0))
    effect = predict_move(loads, 2300.0, 0.0, B, R)
    assert effect.after.i_a == pytest.approx((30.0, 20.0, 10.0))
    assert effect.neutral_change_a > 0
    assert not effect.improves


def test_an_exporting_house_moves_its_export() -> None:
    loads = PhaseLoads(p_w=(-2300.0, 2300.0, 2300.0), q_var=(0.0, 0.0, 0.0))
    effect = predict_move(loads, -2300.0, 0.0, R, Y)
    assert effect.after.i_a == pytest.approx((0.0, 0.0, 10.0), abs=1e-9)


def test_reactive_power_and_measured_voltage_enter_the_currents() -> None:
    loads = PhaseLoads(p_w=(0.0, 0.0, 0.0), q_var=(2200.0, 0.0, 0.0), v_v=(220.0, 0.0, 240.0))
    figures = predict_move(loads, 0.0, 2200.0, R, B).after
    assert figures.i_a == pytest.approx((0.0, 0.0, 2200.0 / 240.0))


def test_a_move_that_overloads_a_phase_is_flagged() -> None:
    loads = PhaseLoads(p_w=(9200.0, 9200.0, 9200.0), q_var=(0.0, 0.0, 0.0))
    effect = predict_move(loads, 4600.0, 0.0, R, Y, rating_a=50.0)
    assert effect.overloads == (Y,)
    assert not effect.improves


def test_a_light_feeder_has_no_unbalance_figure() -> None:
    figures = phase_figures((230.0, 0.0, 0.0), (0.0, 0.0, 0.0), (230.0, 230.0, 230.0))
    assert figures.unbalance_pct is None


def test_a_move_to_the_same_phase_is_refused() -> None:
    loads = PhaseLoads(p_w=(1.0, 1.0, 1.0), q_var=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="already on Y"):
        predict_move(loads, 1.0, 0.0, Y, Y)


# --- may the house move now -------------------------------------------------------------------

NOON_S = 1_767_225_600.0 + 6.5 * 3600.0  # 2026-01-01 12:00 IST = 06:30 UTC [epoch s]
LIMITS = SwitchLimits()
APPLIED, ROLLED_BACK, FAILED, REJECTED = (
    SwitchResult.APPLIED, SwitchResult.ROLLED_BACK, SwitchResult.FAILED, SwitchResult.REJECTED,
)  # fmt: skip


def test_outcomes_count_as_the_node_counts_them() -> None:
    assert relay_operations(APPLIED, "", LIMITS) == 1
    assert relay_operations(ROLLED_BACK, "did_not_help", LIMITS) == 2
    assert relay_operations(FAILED, "relay_feedback", LIMITS) == 1
    assert relay_operations(REJECTED, "interlock_min_dwell", LIMITS) == 0
    assert relay_operations(REJECTED, "interlock_daily_cap", SwitchLimits(max_per_house_day=5)) == 5
    assert relay_operations(REJECTED, "house_offline", LIMITS) is None


def test_a_rolled_back_house_waits_out_its_dwell_from_the_rollback() -> None:
    outcomes = [(NOON_S - 3600.0, APPLIED, ""), (NOON_S - 120.0, ROLLED_BACK, "did_not_help")]
    last, today = switch_record(outcomes, NOON_S, LIMITS)
    assert (last, today) == (NOON_S - 120.0, 3)
    house = HouseState("KL-TVM-0042-H017", R, last_switch_s=last, switches_today=today)
    blocker = switch_blocker(house, NOON_S, LIMITS)
    assert blocker is Blocker.MIN_DWELL  # the first rule that holds: the cap (3) comes after
    assert blocked_until_s(house, blocker, NOON_S, LIMITS) == NOON_S - 120.0 + 1800.0
    assert switch_blocker(house, NOON_S + 1700.0, LIMITS) is Blocker.DAILY_CAP


def test_yesterday_counts_for_the_dwell_but_not_for_the_day() -> None:
    just_before_midnight = NOON_S - 12 * 3600.0 - 60.0
    last, today = switch_record([(just_before_midnight, APPLIED, "")], NOON_S, LIMITS)
    assert (last, today) == (just_before_midnight, 0)
    ignored = [(NOON_S - 10.0, REJECTED, "house_offline"), (NOON_S + 10.0, APPLIED, "")]
    assert switch_record(ignored, NOON_S, LIMITS) == (None, 0)


def test_a_daily_cap_ends_at_the_next_local_midnight() -> None:
    house = HouseState("KL-TVM-0042-H017", R, switches_today=3)
    blocker = switch_blocker(house, NOON_S, LIMITS)
    assert blocker is Blocker.DAILY_CAP
    assert blocked_until_s(house, blocker, NOON_S, LIMITS) == NOON_S + 12 * 3600.0


def test_a_lockout_ends_when_the_edge_said_or_never_by_itself() -> None:
    locked = HouseState("KL-TVM-0042-H017", R, locked=True, locked_until_s=NOON_S + 600.0)
    assert blocked_until_s(locked, Blocker.LOCKED, NOON_S, LIMITS) == NOON_S + 600.0
    assert switch_blocker(locked, NOON_S + 600.0, LIMITS) is None  # the cool-down is over
    forever = HouseState("KL-TVM-0042-H017", R, locked=True)
    assert blocked_until_s(forever, Blocker.LOCKED, NOON_S, LIMITS) is None
    offline = HouseState("KL-TVM-0042-H017", R, online=False)
    assert blocked_until_s(offline, Blocker.OFFLINE, NOON_S, LIMITS) is None


def test_moves_of_a_run_are_predicted_one_after_the_other() -> None:
    loads = PhaseLoads(p_w=(9200.0, 2300.0, 2300.0), q_var=(0.0, 0.0, 0.0))
    moves = [HouseMove(2300.0, 0.0, R, Y), HouseMove(2300.0, 0.0, R, B)]
    first, second = predict_moves(loads, moves)
    assert first.before.i_a == pytest.approx((40.0, 10.0, 10.0))
    assert first.after.i_a == pytest.approx((30.0, 20.0, 10.0))
    assert second.before.i_a == pytest.approx(first.after.i_a)
    assert second.after.i_a == pytest.approx((20.0, 20.0, 20.0))
    assert second.after.i_n_a == pytest.approx(0.0, abs=1e-9)
