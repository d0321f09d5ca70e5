"""The dry run of a manual move: phase currents, neutral and unbalance before → after."""

from __future__ import annotations

import math

import pytest

from grid.dryrun import PhaseLoads, phase_figures, predict_move
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
