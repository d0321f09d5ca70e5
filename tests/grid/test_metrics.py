"""Tests of grid.metrics: phase and neutral currents and the unbalance metrics (DESIGN §6)."""

from __future__ import annotations

import cmath
import math
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grid.metrics import (
    MIN_AVG_CURRENT_A,
    current_unbalance_pct,
    i2r_loss_w,
    line_voltages,
    lvur_pct,
    neutral_current_a,
    phase_currents_a,
    pvur_pct,
    transformer_loading_pct,
    vuf_pct_from_line_magnitudes,
    vuf_pct_from_phasors,
)

SQRT3 = math.sqrt(3.0)
R, Y, B = 0, 1, 2

House = tuple[float, float, int]
"""(net P [W], Q [var], phase index 0/1/2) of one house."""


def polar(magnitude: float, angle_deg: float) -> complex:
    """Return magnitude∠angle as a complex number."""
    return cmath.rect(magnitude, math.radians(angle_deg))


def feeder_currents(houses: Sequence[House], v_phase: float = 230.0) -> np.ndarray:
    """Return (I_R, I_Y, I_B) of a feeder given as a list of houses [A]."""
    p = [h[0] for h in houses]
    q = [h[1] for h in houses]
    idx = [h[2] for h in houses]
    return phase_currents_a(p, q, idx, v_phase)


def feeder_neutral(houses: Sequence[House]) -> float:
    i = feeder_currents(houses)
    return float(neutral_current_a(i[0], i[1], i[2]))


def feeder_unbalance(houses: Sequence[House], min_avg_a: float = MIN_AVG_CURRENT_A) -> float:
    i = feeder_currents(houses)
    return float(current_unbalance_pct(i[0], i[1], i[2], min_avg_a=min_avg_a))


# Textbook unbalanced voltages: Va = 277∠0°, Vb = 260∠−120°, Vc = 295∠115°.
TEXTBOOK_V = (polar(277.0, 0.0), polar(260.0, -120.0), polar(295.0, 115.0))


# --- phase and neutral currents of concrete feeders ---------------------------------------------


def test_three_equal_houses_on_three_phases_cancel_in_neutral() -> None:
    # 2.3 kW at unity pf on each phase: 10∠0° + 10∠−120° + 10∠120° = 0.
    houses = [(2300.0, 0.0, R), (2300.0, 0.0, Y), (2300.0, 0.0, B)]
    i = feeder_currents(houses)
    np.testing.assert_allclose(i, [polar(10.0, 0.0), polar(10.0, -120.0), polar(10.0, 120.0)])
    assert feeder_neutral(houses) == pytest.approx(0.0, abs=1e-12)
    assert feeder_unbalance(houses) == pytest.approx(0.0, abs=1e-12)


def test_single_house_on_r_returns_all_its_current_in_the_neutral() -> None:
    # 2.3 kW on R only: I_R = 10 A, I_Y = I_B = 0, neutral = 10 A.
    houses = [(2300.0, 0.0, R)]
    np.testing.assert_allclose(feeder_currents(houses), [10.0, 0.0, 0.0], atol=1e-12)
    assert feeder_neutral(houses) == pytest.approx(10.0)
    # I_avg = 10/3 = 3.33 A < 5 A: the current unbalance is null ...
    assert math.isnan(feeder_unbalance(houses))
    # ... and without the threshold it would be |10 − 3.33| / 3.33 = 200 %.
    assert feeder_unbalance(houses, min_avg_a=0.0) == pytest.approx(200.0)


def test_two_loaded_phases_give_one_phase_current_in_the_neutral() -> None:
    # 10∠0° + 10∠−120° = (10 − 5) − j8.660 = 10∠−60°: neutral 10 A.
    # Magnitudes (10, 10, 0): I_avg = 6.667 A, max deviation 6.667 A: unbalance 100 %.
    houses = [(2300.0, 0.0, R), (2300.0, 0.0, Y)]
    assert feeder_neutral(houses) == pytest.approx(10.0)
    assert feeder_unbalance(houses) == pytest.approx(100.0)


def test_pv_export_on_one_phase_doubles_the_neutral() -> None:
    # R exports 2.3 kW (I_R = −10 A), Y and B import 2.3 kW each:
    # −10 + 10∠−120° + 10∠120° = −10 + (−10) = −20: neutral 20 A.
    # The magnitudes are all 10 A, so the magnitude-based current unbalance reads 0 %.
    houses = [(-2300.0, 0.0, R), (2300.0, 0.0, Y), (2300.0, 0.0, B)]
    np.testing.assert_allclose(feeder_currents(houses)[0], -10.0, atol=1e-12)
    assert feeder_neutral(houses) == pytest.approx(20.0)
    assert feeder_unbalance(houses) == pytest.approx(0.0, abs=1e-9)


def test_pv_export_nets_against_load_on_the_same_phase() -> None:
    # R: 3000 W load and a PV house exporting 700 W: net 2300 W → I_R = 10 A.
    # Y: 1840 W + 1380 var (2.3 kVA, pf 0.8 lagging) → I_Y = (8 − j6)·1∠−120°
    #    = (−4 − 3√3) + j(3 − 4√3).
    # I_R + I_Y = (6 − 3√3) + j(3 − 4√3); |·|² = 36 − 36√3 + 27 + 9 − 24√3 + 48 = 120 − 60√3,
    # neutral = √(120 − 60√3) = 4.0096 A.
    houses = [(3000.0, 0.0, R), (-700.0, 0.0, R), (1840.0, 1380.0, Y)]
    i = feeder_currents(houses)
    assert complex(i[0]) == pytest.approx(10.0, abs=1e-12)
    assert complex(i[1]) == pytest.approx(complex(-4.0 - 3.0 * SQRT3, 3.0 - 4.0 * SQRT3))
    assert complex(i[2]) == 0.0
    assert feeder_neutral(houses) == pytest.approx(math.sqrt(120.0 - 60.0 * SQRT3))
    assert feeder_neutral(houses) == pytest.approx(4.0096, abs=1e-4)


def test_reactive_load_unbalances_a_feeder_balanced_in_active_power() -> None:
    # Balanced 2.3 kW on each phase plus a 2.3 kvar inductive load on R: the extra current
    # conj(j2300 / 230) = −j10 A is all that remains in the neutral.
    houses = [(2300.0, 0.0, R), (2300.0, 0.0, Y), (2300.0, 0.0, B), (0.0, 2300.0, R)]
    assert feeder_neutral(houses) == pytest.approx(10.0)
    # |I_R| = |10 − j10| = 14.142; avg = (14.142 + 10 + 10)/3 = 11.381; dev = 2.761 → 24.26 %.
    expected = 100.0 * (10.0 * math.sqrt(2.0) - (10.0 * math.sqrt(2.0) + 20.0) / 3.0)
    expected /= (10.0 * math.sqrt(2.0) + 20.0) / 3.0
    assert feeder_unbalance(houses) == pytest.approx(expected)
    assert feeder_unbalance(houses) == pytest.approx(24.26, abs=1e-2)


def test_phase_currents_use_per_phase_voltage_magnitudes() -> None:
    # 2.5 kW on R at 250 V → 10 A; 2.2 kW on Y at 220 V → 10 A; 2.4 kW on B at 240 V → 10 A.
    houses = [(2500.0, 0.0, R), (2200.0, 0.0, Y), (2400.0, 0.0, B)]
    p, q, idx = zip(*houses, strict=True)
    i = phase_currents_a(p, q, idx, [250.0, 220.0, 240.0])
    np.testing.assert_allclose(np.abs(i), [10.0, 10.0, 10.0])
    np.testing.assert_allclose(np.angle(i, deg=True), [0.0, -120.0, 120.0], atol=1e-9)


def test_feeder_without_houses_carries_no_current() -> None:
    i = feeder_currents([])
    np.testing.assert_array_equal(i, [0.0, 0.0, 0.0])
    assert math.isnan(float(current_unbalance_pct(i[0], i[1], i[2])))


# --- current unbalance --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currents_a", "expected_pct"),
    [
        ((12.0, 10.0, 8.0), 20.0),  # avg 10, max |dev| 2
        ((10.0, 10.0, 0.0), 100.0),  # avg 6.667, max |dev| 6.667
        ((30.0, 0.0, 0.0), 200.0),  # avg 10, max |dev| 20
        ((6.0, 5.0, 4.0), 20.0),  # avg exactly 5 A: defined (null only below 5 A)
        ((50.0, 50.0, 50.0), 0.0),
        ((100.0, 60.0, 50.0), 42.857142857142854),  # avg 70, max |dev| 30 → 30/70
    ],
)
def test_current_unbalance_hand_worked(
    currents_a: tuple[float, float, float], expected_pct: float
) -> None:
    assert float(current_unbalance_pct(*currents_a)) == pytest.approx(expected_pct)


@pytest.mark.parametrize(
    "currents_a", [(4.0, 4.0, 4.0), (5.99, 4.99, 3.99), (14.9, 0.0, 0.0), (0.0, 0.0, 0.0)]
)
def test_current_unbalance_is_null_below_five_amperes(currents_a: tuple[float, ...]) -> None:
    assert math.isnan(float(current_unbalance_pct(*currents_a)))


def test_current_unbalance_uses_phasor_magnitudes() -> None:
    # |12∠30°|, |10∠−100°|, |8∠170°| = 12, 10, 8 → 20 %.
    got = current_unbalance_pct(polar(12.0, 30.0), polar(10.0, -100.0), polar(8.0, 170.0))
    assert float(got) == pytest.approx(20.0)


def test_current_unbalance_threshold_is_a_parameter() -> None:
    # (2, 1, 0): avg 1, max |dev| 1 → 100 % once the threshold is lowered to 0.5 A.
    assert math.isnan(float(current_unbalance_pct(2.0, 1.0, 0.0)))
    assert float(current_unbalance_pct(2.0, 1.0, 0.0, min_avg_a=0.5)) == pytest.approx(100.0)


def test_current_unbalance_over_a_time_series() -> None:
    i_r = np.array([12.0, 4.0, 10.0])
    i_y = np.array([10.0, 4.0, 10.0])
    i_b = np.array([8.0, 4.0, 0.0])
    np.testing.assert_allclose(current_unbalance_pct(i_r, i_y, i_b), [20.0, np.nan, 100.0])


# --- voltage unbalance: PVUR, LVUR, VUF ---------------------------------------------------------


def test_pvur_of_textbook_set() -> None:
    # |V| = 277, 260, 295: avg 832/3 = 277.333; deviations 1/3, 52/3, 53/3 → max 53/3 (Vc);
    # PVUR = (53/3) / (832/3) = 53/832 = 6.3702 %.
    assert float(pvur_pct(277.0, 260.0, 295.0)) == pytest.approx(100.0 * 53.0 / 832.0)
    assert float(pvur_pct(*TEXTBOOK_V)) == pytest.approx(6.3702, abs=1e-4)


def test_line_voltages_of_nominal_set() -> None:
    # V_RY = 230 − 230∠−120° = 230√3∠30° = 398.37∠30°, then −90° and 150°.
    v_ry, v_yb, v_br = line_voltages(polar(230.0, 0.0), polar(230.0, -120.0), polar(230.0, 120.0))
    assert complex(v_ry) == pytest.approx(polar(230.0 * SQRT3, 30.0))
    assert complex(v_yb) == pytest.approx(polar(230.0 * SQRT3, -90.0))
    assert complex(v_br) == pytest.approx(polar(230.0 * SQRT3, 150.0))


def test_line_voltage_magnitudes_of_textbook_set() -> None:
    # Law of cosines, |Vi − Vj|² = Vi² + Vj² − 2·Vi·Vj·cos(angle between):
    # |V_ab|² = 277² + 260² − 2·277·260·cos 120° = 76729 + 67600 + 72020 = 216349 → 465.133
    # |V_bc|² = 260² + 295² − 2·260·295·cos 125° = 154625 + 153400·0.573576 = 242611.6 → 492.556
    # |V_ca|² = 295² + 277² − 2·295·277·cos 115° = 163754 + 163430·0.422618 = 232822.5 → 482.517
    mags = np.abs(line_voltages(*TEXTBOOK_V))
    np.testing.assert_allclose(mags**2, [216349.0, 242611.6, 232822.5], atol=0.1)
    np.testing.assert_allclose(mags, [465.133, 492.556, 482.517], atol=1e-3)


def test_lvur_of_textbook_set() -> None:
    # avg = (465.133 + 492.556 + 482.517)/3 = 480.069; max |dev| = 480.069 − 465.133 = 14.936;
    # LVUR = 14.936 / 480.069 = 3.111 %.
    mags = np.abs(line_voltages(*TEXTBOOK_V))
    assert float(lvur_pct(*mags)) == pytest.approx(3.1111, abs=1e-4)


@pytest.mark.parametrize(
    ("line_v", "expected_pct"),
    [
        ((400.0, 410.0, 390.0), 2.5),  # avg 400, max |dev| 10
        ((415.0, 415.0, 415.0), 0.0),
        ((420.0, 400.0, 380.0), 5.0),  # avg 400, max |dev| 20
        ((440.0, 400.0, 390.0), 100.0 * 30.0 / 410.0),  # avg 410, max |dev| 30 → 7.317 %
    ],
)
def test_lvur_hand_worked(line_v: tuple[float, float, float], expected_pct: float) -> None:
    assert float(lvur_pct(*line_v)) == pytest.approx(expected_pct)


def test_vuf_of_textbook_set_from_phasors() -> None:
    # From test_phasors: |V1| = 277.0917, |V2| = 9.2181 → VUF = 9.2181 / 277.0917 = 3.3267 %.
    assert float(vuf_pct_from_phasors(*TEXTBOOK_V)) == pytest.approx(3.3267, abs=1e-4)
    # Line-to-line phasors carry the same V1 and V2 (times √3), so the same VUF.
    assert float(vuf_pct_from_phasors(*line_voltages(*TEXTBOOK_V))) == pytest.approx(
        3.3267, abs=1e-4
    )


def test_vuf_of_textbook_set_from_line_magnitudes() -> None:
    # Squares x = (216349, 242611.63, 232822.50): Σx = 691783.13,
    # Σx² = 4.68069e10 + 5.88604e10 + 5.42063e10 = 1.598736e11, β = 1.598736e11 / 4.785639e11
    # = 0.334070; 3 − 6β = 0.995583; √ = 0.997789; VUF = √(0.002211 / 1.997789) = 3.3267 %.
    mags = np.abs(line_voltages(*TEXTBOOK_V))
    assert float(vuf_pct_from_line_magnitudes(*mags)) == pytest.approx(3.3267, abs=1e-4)


def test_vuf_of_known_sequence_mix() -> None:
    """V1 = 1∠0°, V2 = 0.1∠0° (VUF 10 % by construction).

    Phase voltages: Va = V1 + V2, Vb = a²V1 + aV2, Vc = aV1 + a²V2.
    Line voltages: V_ab = √3(V1∠30° + V2∠−30°), |V_ab|² = 3(1 + 0.01 + 0.2·cos 60°) = 3.33;
    V_bc = √3(V1∠−90° + V2∠90°), |V_bc|² = 3·0.9² = 2.43;
    V_ca = √3(V1∠150° + V2∠−150°), |V_ca|² = 3(1.01 + 0.2·cos 300°) = 3.33.
    x = (3.33, 2.43, 3.33): β = 28.0827 / 82.6281 = 0.339869, 3 − 6β = 0.960788 = (0.99/1.01)²,
    VUF = √((1 − 0.99/1.01) / (1 + 0.99/1.01)) = √(0.02/2) = 0.1.
    """
    a = polar(1.0, 120.0)
    v = (1.1 + 0j, a * a + 0.1 * a, a + 0.1 * a * a)
    assert float(vuf_pct_from_phasors(*v)) == pytest.approx(10.0)
    np.testing.assert_allclose(np.abs(line_voltages(*v)) ** 2, [3.33, 2.43, 3.33])
    got = vuf_pct_from_line_magnitudes(math.sqrt(3.33), math.sqrt(2.43), math.sqrt(3.33))
    assert float(got) == pytest.approx(10.0)


def test_vuf_of_collinear_line_voltages_is_one_hundred_percent() -> None:
    # Line phasors 1, 1, −2 (a degenerate triangle): V1 = (1 + a − 2a²)/3 = −a², V2 = −a, so
    # |V2|/|V1| = 1. From magnitudes: x = (1, 1, 4), β = 18/36 = 1/2, 3 − 6β = 0 → VUF = 1.
    assert float(vuf_pct_from_phasors(1.0 + 0j, 1.0 + 0j, -2.0 + 0j)) == pytest.approx(100.0)
    assert float(vuf_pct_from_line_magnitudes(1.0, 1.0, 2.0)) == pytest.approx(100.0)


def test_vuf_from_line_magnitudes_of_balanced_set_is_zero_not_nan() -> None:
    # Magnitudes a few ulps apart (as |V_i − V_j| of a balanced set come out): 3 − 6β rounds
    # to just above 1, and 1 − √(3 − 6β) must not turn into √(negative) = NaN.
    got = vuf_pct_from_line_magnitudes(230.0, 229.99999999999991, 230.0)
    assert float(got) == pytest.approx(0.0, abs=1e-9)
    nominal_lines = np.abs(line_voltages(polar(230, 0), polar(230, -120), polar(230, 120)))
    assert float(vuf_pct_from_line_magnitudes(*nominal_lines)) == pytest.approx(0.0, abs=1e-9)


# --- transformer loading and I²R loss -----------------------------------------------------------


def test_transformer_loading_hand_worked() -> None:
    # 100 kVA: 33.33 kVA per phase. Most loaded phase R: 100 A · 230 V = 23 kVA → 69 %.
    assert float(transformer_loading_pct([100.0, 50.0, 20.0], 100.0)) == pytest.approx(69.0)
    # 250 kVA, 362.3 A on B at 230 V: 83.33 kVA = 100 %.
    i_full = 250_000.0 / 3.0 / 230.0
    assert float(transformer_loading_pct([0.0, 10.0, i_full], 250.0)) == pytest.approx(100.0)


def test_transformer_loading_takes_the_most_loaded_phase_in_va() -> None:
    # V = (240, 230, 220), I = (100, 104, 50): S = 24000, 23920, 11000 VA. Most loaded is R
    # (not Y, which carries the most current): 24000 / 33333.3 = 72 %.
    got = transformer_loading_pct([100.0, 104.0, 50.0], 100.0, [240.0, 230.0, 220.0])
    assert float(got) == pytest.approx(72.0)


def test_transformer_loading_from_phasors() -> None:
    # |100∠−30°| = 100 A → 69 % of 100 kVA.
    currents = np.array([polar(100.0, -30.0), polar(50.0, -150.0), polar(20.0, 90.0)])
    assert float(transformer_loading_pct(currents, 100.0)) == pytest.approx(69.0)


@pytest.mark.parametrize(
    ("currents_a", "expected_w"),
    [
        # 10∠0°, 10∠−120°, 0: phases 0.1·(100 + 100) = 20 W; neutral |10∠−60°| = 10 A,
        # 0.2·100 = 20 W; total 40 W.
        ((polar(10.0, 0.0), polar(10.0, -120.0), 0j), 40.0),
        # Balanced 10 A: 0.1·300 = 30 W, no neutral current.
        ((polar(10.0, 0.0), polar(10.0, -120.0), polar(10.0, 120.0)), 30.0),
        # R exporting 10 A: phases 30 W, neutral 20 A → 0.2·400 = 80 W; total 110 W.
        ((-10.0 + 0j, polar(10.0, -120.0), polar(10.0, 120.0)), 110.0),
    ],
)
def test_i2r_loss_hand_worked(currents_a: tuple[complex, ...], expected_w: float) -> None:
    got = i2r_loss_w(np.array(currents_a), r_phase_ohm=0.1, r_neutral_ohm=0.2)
    assert float(got) == pytest.approx(expected_w)


# --- properties ---------------------------------------------------------------------------------

p_watts = st.floats(min_value=-5000.0, max_value=10000.0, allow_nan=False, allow_infinity=False)
q_vars = st.floats(min_value=-2000.0, max_value=3000.0, allow_nan=False, allow_infinity=False)
phase_idx = st.integers(min_value=0, max_value=2)
houses_st = st.lists(st.tuples(p_watts, q_vars, phase_idx), min_size=1, max_size=15)
rotations = st.floats(min_value=-360.0, max_value=360.0, allow_nan=False, allow_infinity=False)


def power_scale_a(houses: Sequence[House]) -> float:
    """Return Σ|S| / 230 V, a bound on any phase current of the feeder [A]."""
    return sum(math.hypot(p, q) for p, q, _ in houses) / 230.0


def balanced(magnitude: float, rotation_deg: float) -> tuple[complex, complex, complex]:
    """Return a positive-sequence set magnitude∠(rotation + 0°, −120°, +120°)."""
    return (
        polar(magnitude, rotation_deg),
        polar(magnitude, rotation_deg - 120.0),
        polar(magnitude, rotation_deg + 120.0),
    )


@given(
    magnitude=st.floats(min_value=1e-2, max_value=1e5, allow_nan=False, allow_infinity=False),
    rotation_deg=rotations,
)
def test_balanced_voltages_show_no_unbalance(magnitude: float, rotation_deg: float) -> None:
    v = balanced(magnitude, rotation_deg)
    lines = np.abs(line_voltages(*v))
    assert float(vuf_pct_from_phasors(*v)) == pytest.approx(0.0, abs=1e-9)
    # The three line magnitudes differ by a few ulps here; the result must stay ~0, not NaN.
    assert float(vuf_pct_from_line_magnitudes(*lines)) == pytest.approx(0.0, abs=1e-9)
    assert float(lvur_pct(*lines)) == pytest.approx(0.0, abs=1e-9)
    assert float(pvur_pct(*v)) == pytest.approx(0.0, abs=1e-9)


@given(
    magnitude=st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False),
    rotation_deg=rotations,
)
def test_balanced_currents_show_no_unbalance(magnitude: float, rotation_deg: float) -> None:
    i = balanced(magnitude, rotation_deg)
    assert float(neutral_current_a(*i)) == pytest.approx(0.0, abs=1e-12 * (1.0 + magnitude))
    unbalance = float(current_unbalance_pct(*i))
    if magnitude >= MIN_AVG_CURRENT_A * (1 + 1e-12):
        assert unbalance == pytest.approx(0.0, abs=1e-9)
    elif magnitude < MIN_AVG_CURRENT_A * (1 - 1e-12):
        assert math.isnan(unbalance)
    # Equal currents: the loss is the phase loss alone, 3·R·I².
    loss = float(i2r_loss_w(np.array(i), r_phase_ohm=0.05, r_neutral_ohm=0.3))
    assert loss == pytest.approx(3.0 * 0.05 * magnitude**2, rel=1e-9, abs=1e-12)


@given(loads=st.lists(st.tuples(p_watts, q_vars), min_size=1, max_size=8))
def test_same_houses_on_every_phase_give_zero_neutral(loads: list[tuple[float, float]]) -> None:
    houses = [(p, q, ph) for p, q in loads for ph in (R, Y, B)]
    i = feeder_currents(houses)
    scale = power_scale_a(houses)
    np.testing.assert_allclose(np.abs(i), np.abs(i[0]), rtol=1e-12, atol=1e-9 * (1 + scale))
    assert feeder_neutral(houses) == pytest.approx(0.0, abs=1e-9 * (1.0 + scale))
    avg = float(np.abs(i).mean())
    assume(abs(avg - MIN_AVG_CURRENT_A) > 1e-6)
    unbalance = feeder_unbalance(houses)
    if avg > MIN_AVG_CURRENT_A:
        assert unbalance == pytest.approx(0.0, abs=1e-9)
    else:
        assert math.isnan(unbalance)


@given(houses=houses_st, data=st.data())
def test_house_order_does_not_matter(houses: list[House], data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(len(houses))))
    shuffled = [houses[k] for k in order]
    i, j = feeder_currents(houses), feeder_currents(shuffled)
    scale = power_scale_a(houses)
    tol = 1e-12 * (1.0 + scale)
    np.testing.assert_allclose(j, i, rtol=0, atol=tol)
    assert feeder_neutral(shuffled) == pytest.approx(feeder_neutral(houses), abs=tol)
    assert float(transformer_loading_pct(j, 100.0)) == pytest.approx(
        float(transformer_loading_pct(i, 100.0)), abs=1e-9
    )
    assert float(i2r_loss_w(j, 0.1, 0.2)) == pytest.approx(float(i2r_loss_w(i, 0.1, 0.2)), abs=tol)
    assume(abs(float(np.abs(i).mean()) - MIN_AVG_CURRENT_A) > 1e-6)
    u_i, u_j = feeder_unbalance(houses), feeder_unbalance(shuffled)
    assert math.isnan(u_i) == math.isnan(u_j)
    if not math.isnan(u_i):
        assert u_j == pytest.approx(u_i, abs=1e-9)


@given(houses=houses_st)
def test_rotating_every_house_to_the_next_phase_rotates_the_currents(houses: list[House]) -> None:
    # R→Y, Y→B, B→R: each phase current moves to the next phase and turns by −120°, so the
    # neutral and the unbalance are unchanged.
    rotated = [(p, q, (ph + 1) % 3) for p, q, ph in houses]
    i, j = feeder_currents(houses), feeder_currents(rotated)
    tol = 1e-12 * (1.0 + power_scale_a(houses))
    np.testing.assert_allclose(j, np.roll(i, 1) * polar(1.0, -120.0), rtol=0, atol=tol)
    assert feeder_neutral(rotated) == pytest.approx(feeder_neutral(houses), abs=tol)
    assume(abs(float(np.abs(i).mean()) - MIN_AVG_CURRENT_A) > 1e-6)
    u_i, u_j = feeder_unbalance(houses), feeder_unbalance(rotated)
    assert math.isnan(u_i) == math.isnan(u_j)
    if not math.isnan(u_i):
        assert u_j == pytest.approx(u_i, abs=1e-9)


@given(
    houses=houses_st,
    k=st.one_of(st.floats(min_value=0.01, max_value=100.0), st.floats(-100.0, -0.01)),
)
def test_scaling_every_power_scales_the_currents(houses: list[House], k: float) -> None:
    scaled = [(k * p, k * q, ph) for p, q, ph in houses]
    i, j = feeder_currents(houses), feeder_currents(scaled)
    scale = power_scale_a(houses)
    np.testing.assert_allclose(j, k * i, rtol=1e-12, atol=1e-12 * abs(k) * (1.0 + scale))
    assert feeder_neutral(scaled) == pytest.approx(
        abs(k) * feeder_neutral(houses), rel=1e-12, abs=1e-12 * abs(k) * (1.0 + scale)
    )
    # Unbalance is a ratio: scale invariant wherever it is defined (threshold off).
    avg = float(np.abs(i).mean())
    assume(avg > 1e-6 * (1.0 + scale))
    u_i = feeder_unbalance(houses, min_avg_a=0.0)
    u_j = feeder_unbalance(scaled, min_avg_a=0.0)
    assert u_j == pytest.approx(u_i, rel=1e-6, abs=1e-6)


voltage_mags = st.floats(min_value=150.0, max_value=300.0, allow_nan=False, allow_infinity=False)
angle_offsets = st.floats(min_value=-20.0, max_value=20.0, allow_nan=False, allow_infinity=False)


@st.composite
def unbalanced_voltages(draw: st.DrawFn) -> tuple[complex, complex, complex]:
    """Draw phase voltages of 150–300 V around R 0°, Y −120°, B +120° (±20°)."""
    v_r = polar(draw(voltage_mags), draw(angle_offsets))
    v_y = polar(draw(voltage_mags), -120.0 + draw(angle_offsets))
    v_b = polar(draw(voltage_mags), 120.0 + draw(angle_offsets))
    return v_r, v_y, v_b


@given(v=unbalanced_voltages())
# Near balance (VUF ≈ 1.4e-4 %), where 1 − √(3 − 6β) would lose most of its digits.
@example(v=(polar(230.0, 0.0), polar(230.001, -120.0), polar(230.0, 120.0)))
def test_exact_line_formula_agrees_with_phasor_vuf(v: tuple[complex, complex, complex]) -> None:
    by_phasors = float(vuf_pct_from_phasors(*v))
    lines = line_voltages(*v)
    by_magnitudes = float(vuf_pct_from_line_magnitudes(*np.abs(lines)))
    assert by_magnitudes == pytest.approx(by_phasors, rel=1e-9, abs=1e-11)
    # Line-to-line phasors hold the same V1 and V2 as the phase phasors, without V0.
    assert float(vuf_pct_from_phasors(*lines)) == pytest.approx(by_phasors, rel=1e-9, abs=1e-11)


@given(
    v=unbalanced_voltages(),
    k=st.floats(min_value=1e-3, max_value=1e3),
    rotation_deg=rotations,
)
def test_voltage_unbalance_is_scale_and_rotation_invariant(
    v: tuple[complex, complex, complex], k: float, rotation_deg: float
) -> None:
    w = tuple(k * polar(1.0, rotation_deg) * x for x in v)
    assert float(vuf_pct_from_phasors(*w)) == pytest.approx(
        float(vuf_pct_from_phasors(*v)), rel=1e-9, abs=1e-11
    )
    assert float(pvur_pct(*w)) == pytest.approx(float(pvur_pct(*v)), rel=1e-9, abs=1e-11)
    lines_v, lines_w = np.abs(line_voltages(*v)), np.abs(line_voltages(*w))
    assert float(lvur_pct(*lines_w)) == pytest.approx(float(lvur_pct(*lines_v)), abs=1e-9)


@st.composite
def feeder_series(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw P, Q of shape (T, n), phase indices of shape (n,) and phase voltages (3,)."""
    t = draw(st.integers(min_value=1, max_value=6))
    n = draw(st.integers(min_value=1, max_value=8))
    p = draw(hnp.arrays(np.float64, (t, n), elements=p_watts))
    q = draw(hnp.arrays(np.float64, (t, n), elements=q_vars))
    idx = draw(hnp.arrays(np.intp, n, elements=phase_idx))
    v = draw(hnp.arrays(np.float64, 3, elements=st.floats(200.0, 260.0)))
    return p, q, idx, v


@given(series=feeder_series())
def test_time_series_of_feeder_matches_step_by_step(
    series: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    p, q, idx, v = series
    currents = phase_currents_a(p, q, idx, v)
    assert currents.shape == (p.shape[0], 3)
    scale = (np.abs(p) + np.abs(q)).sum() / 200.0
    tol = 1e-12 * (1.0 + scale)
    i_r, i_y, i_b = currents[:, 0], currents[:, 1], currents[:, 2]
    neutral = neutral_current_a(i_r, i_y, i_b)
    unbalance = current_unbalance_pct(i_r, i_y, i_b)
    loading = transformer_loading_pct(currents, 63.0, v)
    loss = i2r_loss_w(currents, 0.08, 0.12)
    for t in range(p.shape[0]):
        step = phase_currents_a(p[t], q[t], idx, v)
        np.testing.assert_allclose(currents[t], step, rtol=0, atol=tol)
        assert float(neutral[t]) == pytest.approx(
            float(neutral_current_a(step[0], step[1], step[2])), abs=tol
        )
        # Same currents in, so the null/defined decision must match exactly.
        row = currents[t]
        scalar_u = float(current_unbalance_pct(complex(row[0]), complex(row[1]), complex(row[2])))
        np.testing.assert_allclose(unbalance[t], scalar_u, rtol=1e-12, equal_nan=True)
        assert float(loading[t]) == pytest.approx(float(transformer_loading_pct(row, 63.0, v)))
        assert float(loss[t]) == pytest.approx(float(i2r_loss_w(row, 0.08, 0.12)))


@st.composite
def voltage_series(draw: st.DrawFn) -> np.ndarray:
    """Draw phase voltage phasors of shape (T, 3): 150–300 V, nominal angles ±20°."""
    shape = (draw(st.integers(min_value=1, max_value=8)), 3)
    mags = draw(hnp.arrays(np.float64, shape, elements=voltage_mags))
    offsets = draw(hnp.arrays(np.float64, shape, elements=angle_offsets))
    return np.asarray(mags * np.exp(1j * np.radians(offsets + np.array([0.0, -120.0, 120.0]))))


@given(volts=voltage_series())
def test_time_series_of_voltages_matches_step_by_step(volts: np.ndarray) -> None:
    v_r, v_y, v_b = volts[:, 0], volts[:, 1], volts[:, 2]
    lines = np.abs(np.stack(line_voltages(v_r, v_y, v_b), axis=-1))
    vuf_p = vuf_pct_from_phasors(v_r, v_y, v_b)
    vuf_l = vuf_pct_from_line_magnitudes(lines[:, 0], lines[:, 1], lines[:, 2])
    lvur = lvur_pct(lines[:, 0], lines[:, 1], lines[:, 2])
    pvur = pvur_pct(v_r, v_y, v_b)
    assert vuf_p.shape == vuf_l.shape == lvur.shape == pvur.shape == (volts.shape[0],)
    for t, row in enumerate(volts):
        r, y, b = (complex(x) for x in row)
        lr = lines[t]
        np.testing.assert_allclose(vuf_p[t], vuf_pct_from_phasors(r, y, b), rtol=1e-12)
        np.testing.assert_allclose(vuf_l[t], vuf_pct_from_line_magnitudes(*lr), rtol=1e-12)
        np.testing.assert_allclose(lvur[t], lvur_pct(*lr), rtol=1e-12)
        np.testing.assert_allclose(pvur[t], pvur_pct(r, y, b), rtol=1e-12)
