"""Phases, phasors and symmetrical components of a three-phase, four-wire LV system."""

from __future__ import annotations

import cmath
import math
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

ComplexArray = npt.NDArray[np.complex128]
FloatArray = npt.NDArray[np.float64]

NOMINAL_PHASE_V: Final = 230.0
"""Nominal phase-to-neutral voltage of the LV network [V]."""


class Phase(StrEnum):
    """A supply phase, in the Indian naming R, Y, B (positive sequence R → Y → B)."""

    R = "R"
    Y = "Y"
    B = "B"

    @property
    def ordinal(self) -> int:
        """Return 0, 1 or 2 for R, Y, B."""
        return _PHASE_INDEX[self]

    @staticmethod
    def from_index(index: int) -> Phase:
        """Return the phase with index 0, 1 or 2."""
        return PHASES[index]


PHASES: Final = (Phase.R, Phase.Y, Phase.B)
_PHASE_INDEX: Final = {Phase.R: 0, Phase.Y: 1, Phase.B: 2}

PHASE_ANGLE_DEG: Final = (0.0, -120.0, 120.0)
"""Angle of the R, Y, B phase voltages [°]."""

A_OPERATOR: Final = cmath.rect(1.0, math.radians(120.0))
"""The symmetrical-components operator a = 1∠120°."""

UNIT_PHASORS: Final[ComplexArray] = np.array(
    [cmath.rect(1.0, math.radians(angle)) for angle in PHASE_ANGLE_DEG], dtype=np.complex128
)
"""Unit phasors u_R, u_Y, u_B of the nominal phase voltages."""


def voltage_phasor(phase: Phase, magnitude_v: float = NOMINAL_PHASE_V) -> complex:
    """Return the phase-to-neutral voltage phasor of `phase` [V]."""
    return complex(UNIT_PHASORS[phase.ordinal] * magnitude_v)


def house_current_a(
    p_w: float | FloatArray,
    q_var: float | FloatArray,
    v_phasor: complex | ComplexArray,
) -> complex | ComplexArray:
    """Return the current phasor drawn by a single-phase house, I = conj(S / V) [A].

    Parameters
    ----------
    p_w : net active power [W], + import, − export.
    q_var : reactive power [var], + inductive.
    v_phasor : the phase-to-neutral voltage phasor at the house [V].
    """
    s_va = np.asarray(p_w) + 1j * np.asarray(q_var)
    current = np.conj(s_va / np.asarray(v_phasor))
    return complex(current) if current.ndim == 0 else current


def sequence_components(
    x_r: complex | ComplexArray, x_y: complex | ComplexArray, x_b: complex | ComplexArray
) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
    """Return the zero, positive and negative sequence components (X0, X1, X2) of a phasor set.

    X0 = (Xr + Xy + Xb)/3, X1 = (Xr + a·Xy + a²·Xb)/3, X2 = (Xr + a²·Xy + a·Xb)/3 with
    a = 1∠120°; same unit as the inputs.
    """
    a, a2 = A_OPERATOR, A_OPERATOR * A_OPERATOR
    r, y, b = np.asarray(x_r), np.asarray(x_y), np.asarray(x_b)
    return (r + y + b) / 3.0, (r + a * y + a2 * b) / 3.0, (r + a2 * y + a * b) / 3.0
