"""The edge's verification of a move and the dashboard's dry run predict with the same physics."""

from __future__ import annotations

import cmath
import math

import pytest

from edge.meter import MeterReading
from edge.totals import PhaseTotals, from_houses, from_meter, move_effect_a, neutral_with_house_on
from grid.dryrun import PhaseLoads, phase_figures, predict_move
from grid.phasors import Phase

R, Y, B = Phase.R, Phase.Y, Phase.B

CASES = {
    "unbalanced, nominal volts": ((6900.0, 2300.0, 4600.0), (300.0, 0.0, 150.0), (230.0,) * 3),
    "measured volts, one unknown": (
        (5200.0, 3100.0, 800.0),
        (900.0, -200.0, 0.0),
        (236.0, 0.0, 221.5),
    ),
    "PV export on one phase": (
        (-2500.0, 4100.0, 3900.0),
        (0.0, 450.0, 120.0),
        (241.0, 229.0, 233.0),
    ),
}
MOVES = [(1800.0, 200.0, R, Y), (-1200.0, 0.0, R, B), (950.0, -80.0, B, Y)]


def totals_of(
    p_w: tuple[float, float, float],
    q_var: tuple[float, float, float],
    v_v: tuple[float, float, float],
) -> PhaseTotals:
    """Return meter totals without a neutral CT of the given loads."""
    return from_meter(MeterReading(1.0e9, v_v, (0.0, 0.0, 0.0), p_w, q_var))


@pytest.mark.parametrize("move", MOVES)
@pytest.mark.parametrize(("p_w", "q_var", "v_v"), CASES.values(), ids=CASES.keys())
def test_the_edge_and_the_dry_run_predict_the_same_neutral_current(
    p_w: tuple[float, float, float],
    q_var: tuple[float, float, float],
    v_v: tuple[float, float, float],
    move: tuple[float, float, Phase, Phase],
) -> None:
    house_p, house_q, at, to = move
    totals = totals_of(p_w, q_var, v_v)
    effect = predict_move(PhaseLoads(p_w, q_var, v_v), house_p, house_q, at, to)
    measured, moved = neutral_with_house_on(totals, house_p, house_q, on=to, instead_of=at)
    assert (measured, moved) == (effect.before.i_n_a, effect.after.i_n_a)
    assert move_effect_a(totals, house_p, house_q, at, to) == effect.neutral_change_a
    assert totals.i_n_a == phase_figures(p_w, q_var, v_v).i_n_a


def test_the_shared_prediction_is_the_phasor_sum() -> None:
    """A hand calculation: 2300 W moved from R to Y at 230 V leaves R 10 A, Y 30 A, B 20 A."""
    totals = totals_of((4600.0, 4600.0, 4600.0), (0.0, 0.0, 0.0), (230.0, 230.0, 230.0))
    measured, moved = neutral_with_house_on(totals, 2300.0, 0.0, on=Y, instead_of=R)
    angles = (0.0, -120.0, 120.0)
    expected = abs(
        sum(cmath.rect(i, math.radians(a)) for i, a in zip((10.0, 30.0, 20.0), angles, strict=True))
    )
    assert measured == pytest.approx(0.0, abs=1e-9)
    assert moved == pytest.approx(expected)
    assert moved == pytest.approx(math.sqrt(300.0))


def test_totals_summed_from_houses_match_the_dry_run_at_one_voltage_per_phase() -> None:
    rows = [(R, 3000.0, 200.0, 231.0), (R, 1500.0, 0.0, 231.0), (Y, 800.0, 50.0, 228.0)]
    totals = from_houses(1.0e9, rows)
    figures = phase_figures(totals.p_w, totals.q_var, totals.v_v)
    assert totals.i_a == pytest.approx(figures.i_a)
    assert totals.i_n_a == pytest.approx(figures.i_n_a)
