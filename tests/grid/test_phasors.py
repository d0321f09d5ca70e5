"""Tests of grid.phasors: phase naming, house currents and symmetrical components."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grid.phasors import (
    A_OPERATOR,
    NOMINAL_PHASE_V,
    PHASES,
    Phase,
    house_current_a,
    sequence_components,
    voltage_phasor,
)

SQRT3_2 = math.sqrt(3.0) / 2.0


def polar(magnitude: float, angle_deg: float) -> complex:
    """Return magnitude∠angle as a complex number."""
    return cmath.rect(magnitude, math.radians(angle_deg))


# --- phases -------------------------------------------------------------------------------------


def test_phase_ordinals_follow_r_y_b() -> None:
    assert [p.ordinal for p in PHASES] == [0, 1, 2]
    assert [str(p) for p in PHASES] == ["R", "Y", "B"]
    assert Phase("Y") is Phase.Y


@pytest.mark.parametrize("index", [0, 1, 2])
def test_phase_from_index_round_trips(index: int) -> None:
    assert Phase.from_index(index).ordinal == index


def test_nominal_voltage_phasors() -> None:
    # 230∠0° = 230; 230∠−120° = 230(−1/2 − j√3/2) = −115 − j199.186;
    # 230∠+120° = −115 + j199.186.
    assert NOMINAL_PHASE_V == 230.0
    assert voltage_phasor(Phase.R) == pytest.approx(230.0 + 0.0j, abs=1e-12)
    assert voltage_phasor(Phase.Y) == pytest.approx(-115.0 - 230.0 * SQRT3_2 * 1j, abs=1e-12)
    assert voltage_phasor(Phase.B) == pytest.approx(-115.0 + 230.0 * SQRT3_2 * 1j, abs=1e-12)
    assert voltage_phasor(Phase.Y, 240.0) == pytest.approx(-120.0 - 240.0 * SQRT3_2 * 1j)


def test_positive_sequence_is_r_then_y_then_b() -> None:
    # Y lags R by 120° and B lags Y by 120°: V_Y = a²·V_R, V_B = a·V_R with a = 1∠120°.
    v_r, v_y, v_b = (voltage_phasor(p) for p in PHASES)
    a = A_OPERATOR
    assert a == pytest.approx(-0.5 + SQRT3_2 * 1j)
    assert v_y == pytest.approx(a**2 * v_r)
    assert v_b == pytest.approx(a * v_r)


# --- house currents -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p_w", "q_var", "phase", "expected_a"),
    [
        # 2.3 kW at unity pf on R: I = conj(2300 / 230) = 10∠0°.
        (2300.0, 0.0, Phase.R, 10.0 + 0.0j),
        # Same load on Y: 10∠−120° = −5 − j8.660.
        (2300.0, 0.0, Phase.Y, -5.0 - 10.0 * SQRT3_2 * 1j),
        # PV exporting 2.3 kW on B: −10∠120° = 10∠−60° = 5 − j8.660.
        (-2300.0, 0.0, Phase.B, 5.0 - 10.0 * SQRT3_2 * 1j),
        # Pure inductive 2.3 kvar on R: conj(j2300 / 230) = −j10, lagging by 90°.
        (0.0, 2300.0, Phase.R, -10.0j),
        # 2.3 kVA at pf 0.8 lagging on R: conj((1840 + j1380) / 230) = 8 − j6.
        (1840.0, 1380.0, Phase.R, 8.0 - 6.0j),
        # Same on Y: (8 − j6)·1∠−120° = (8 − j6)(−1/2 − j√3/2) = (−4 − 3√3) + j(3 − 4√3).
        (1840.0, 1380.0, Phase.Y, complex(-4.0 - 3.0 * math.sqrt(3.0), 3.0 - 4.0 * math.sqrt(3.0))),
    ],
)
def test_house_current_hand_worked(
    p_w: float, q_var: float, phase: Phase, expected_a: complex
) -> None:
    current = house_current_a(p_w, q_var, voltage_phasor(phase))
    assert isinstance(current, complex)
    assert current == pytest.approx(expected_a, abs=1e-12)


def test_house_current_uses_actual_voltage_magnitude() -> None:
    # 2.3 kW at 250 V on R: 9.2 A.
    assert house_current_a(2300.0, 0.0, voltage_phasor(Phase.R, 250.0)) == pytest.approx(9.2)


def test_house_current_broadcasts_over_arrays() -> None:
    p = np.array([2300.0, -1150.0, 0.0])
    q = np.array([0.0, 0.0, 2300.0])
    current = house_current_a(p, q, voltage_phasor(Phase.R))
    assert isinstance(current, np.ndarray)
    np.testing.assert_allclose(current, [10.0, -5.0, -10.0j], atol=1e-12)


# --- symmetrical components ---------------------------------------------------------------------


def test_sequence_components_of_textbook_unbalanced_voltages() -> None:
    """Va = 277∠0°, Vb = 260∠−120°, Vc = 295∠115°.

    Vb = 260(−0.5 − j0.866025) = −130 − j225.1666
    Vc = 295(cos 115° + j sin 115°) = 295(−0.422618 + j0.906308) = −124.6724 + j267.3608

    V0 = (Va + Vb + Vc)/3 = (22.3276 + j42.1942)/3 = 7.4425 + j14.0647, |V0| = 15.9125
    V1: a·Vb = 260∠0° = 260, a²·Vc = 295∠355° = 295(0.996195 − j0.087156)
        = 293.8774 − j25.7109; V1 = (830.8774 − j25.7109)/3 = 276.9591 − j8.5703,
        |V1| = 277.0917
    V2: a²·Vb = 260∠120° = −130 + j225.1666, a·Vc = 295∠235° = 295(−0.573576 − j0.819152)
        = −169.2050 − j241.6499; V2 = (−22.2050 − j16.4832)/3 = −7.4017 − j5.4944,
        |V2| = 9.2181
    """
    v0, v1, v2 = sequence_components(polar(277.0, 0.0), polar(260.0, -120.0), polar(295.0, 115.0))
    assert complex(v0) == pytest.approx(7.4425 + 14.0647j, abs=1e-4)
    assert complex(v1) == pytest.approx(276.9591 - 8.5703j, abs=1e-4)
    assert complex(v2) == pytest.approx(-7.4017 - 5.4944j, abs=1e-4)
    assert abs(v0) == pytest.approx(15.9125, abs=1e-4)
    assert abs(v1) == pytest.approx(277.0917, abs=1e-4)
    assert abs(v2) == pytest.approx(9.2181, abs=1e-4)


def test_sequence_components_of_two_phase_current_set() -> None:
    """Ia = 10∠0°, Ib = 10∠180°, Ic = 0.

    I0 = (10 − 10 + 0)/3 = 0
    I1 = (10 + a·(−10))/3 = (10 − (−5 + j8.660))/3 = 5 − j2.8868, |I1| = 10/√3 = 5.7735
    I2 = (10 + a²·(−10))/3 = (10 − (−5 − j8.660))/3 = 5 + j2.8868, |I2| = 10/√3
    """
    i0, i1, i2 = sequence_components(10.0 + 0j, -10.0 + 0j, 0j)
    assert complex(i0) == pytest.approx(0.0, abs=1e-12)
    assert complex(i1) == pytest.approx(5.0 - 10.0 / (2.0 * math.sqrt(3.0)) * 1j, abs=1e-12)
    assert complex(i2) == pytest.approx(5.0 + 10.0 / (2.0 * math.sqrt(3.0)) * 1j, abs=1e-12)
    assert abs(i1) == pytest.approx(10.0 / math.sqrt(3.0))
    assert abs(i2) == pytest.approx(10.0 / math.sqrt(3.0))


def test_nominal_set_is_pure_positive_sequence() -> None:
    v0, v1, v2 = sequence_components(*(voltage_phasor(p) for p in PHASES))
    assert complex(v0) == pytest.approx(0.0, abs=1e-12)
    assert complex(v1) == pytest.approx(230.0, abs=1e-12)
    assert complex(v2) == pytest.approx(0.0, abs=1e-12)


def test_swapping_y_and_b_gives_pure_negative_sequence() -> None:
    # R→B→Y rotation: 230∠0°, 230∠+120°, 230∠−120° is a negative-sequence set.
    v0, v1, v2 = sequence_components(polar(230.0, 0.0), polar(230.0, 120.0), polar(230.0, -120.0))
    assert complex(v0) == pytest.approx(0.0, abs=1e-12)
    assert complex(v1) == pytest.approx(0.0, abs=1e-12)
    assert complex(v2) == pytest.approx(230.0, abs=1e-12)


def test_equal_phasors_are_pure_zero_sequence() -> None:
    x0, x1, x2 = sequence_components(3.0 - 4.0j, 3.0 - 4.0j, 3.0 - 4.0j)
    assert complex(x0) == pytest.approx(3.0 - 4.0j)
    assert complex(x1) == pytest.approx(0.0, abs=1e-12)
    assert complex(x2) == pytest.approx(0.0, abs=1e-12)


# --- properties ---------------------------------------------------------------------------------

magnitudes = st.floats(min_value=1e-3, max_value=1e5, allow_nan=False, allow_infinity=False)
angles_deg = st.floats(min_value=-360.0, max_value=360.0, allow_nan=False, allow_infinity=False)
components = st.complex_numbers(max_magnitude=1e4, allow_nan=False, allow_infinity=False)


@given(magnitude=magnitudes, rotation_deg=angles_deg)
def test_balanced_set_has_only_positive_sequence(magnitude: float, rotation_deg: float) -> None:
    x_r, x_y, x_b = (polar(magnitude, rotation_deg + a) for a in (0.0, -120.0, 120.0))
    x0, x1, x2 = sequence_components(x_r, x_y, x_b)
    tol = 1e-12 * magnitude
    assert abs(x0) == pytest.approx(0.0, abs=tol)
    assert abs(x2) == pytest.approx(0.0, abs=tol)
    assert complex(x1) == pytest.approx(polar(magnitude, rotation_deg), abs=tol)


@given(x0=components, x1=components, x2=components)
def test_sequence_components_invert_the_synthesis(x0: complex, x1: complex, x2: complex) -> None:
    # Synthesis (standard inverse): Xr = X0 + X1 + X2, Xy = X0 + a²X1 + aX2, Xb = X0 + aX1 + a²X2.
    a = polar(1.0, 120.0)
    x_r = x0 + x1 + x2
    x_y = x0 + a * a * x1 + a * x2
    x_b = x0 + a * x1 + a * a * x2
    got = sequence_components(x_r, x_y, x_b)
    tol = 1e-12 * (1.0 + abs(x0) + abs(x1) + abs(x2))
    for value, expected in zip(got, (x0, x1, x2), strict=True):
        assert complex(value) == pytest.approx(expected, abs=tol)


@given(
    phasors=hnp.arrays(
        np.complex128,
        st.tuples(st.integers(1, 8), st.just(3)),
        elements=st.complex_numbers(max_magnitude=1e4, allow_nan=False, allow_infinity=False),
    )
)
def test_sequence_components_vectorized_matches_scalar(phasors: np.ndarray) -> None:
    vectorized = sequence_components(phasors[:, 0], phasors[:, 1], phasors[:, 2])
    for t, row in enumerate(phasors):
        scalar = sequence_components(complex(row[0]), complex(row[1]), complex(row[2]))
        for k in range(3):
            assert complex(vectorized[k][t]) == pytest.approx(complex(scalar[k]), abs=1e-9)


@given(
    p_w=hnp.arrays(np.float64, st.integers(1, 10), elements=st.floats(-1e4, 1e4)),
    phase=st.sampled_from(PHASES),
)
def test_house_current_vectorized_matches_scalar(p_w: np.ndarray, phase: Phase) -> None:
    q_var = 0.3 * p_w[::-1]
    v = voltage_phasor(phase, 235.0)
    vectorized = house_current_a(p_w, q_var, v)
    assert isinstance(vectorized, np.ndarray)
    for t in range(p_w.shape[0]):
        scalar = house_current_a(float(p_w[t]), float(q_var[t]), v)
        assert complex(vectorized[t]) == pytest.approx(scalar, abs=1e-12)
        # |I| = |S| / |V| whatever the phase.
        assert abs(scalar) == pytest.approx(math.hypot(p_w[t], q_var[t]) / 235.0, abs=1e-12)
