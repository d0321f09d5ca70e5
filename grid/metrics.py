"""Unbalance metrics of a three-phase, four-wire feeder (DESIGN §6).

Every function is pure and broadcasts over NumPy arrays; the last axis of an array of phase
quantities is (R, Y, B) where a function says so.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from grid.phasors import (
    NOMINAL_PHASE_V,
    UNIT_PHASORS,
    ComplexArray,
    FloatArray,
    sequence_components,
)

MIN_AVG_CURRENT_A = 5.0
"""Below this average phase current the current unbalance is undefined (null) [A]."""


def phase_currents_a(
    p_w: npt.ArrayLike,
    q_var: npt.ArrayLike,
    phase_index: npt.ArrayLike,
    v_phase: npt.ArrayLike = NOMINAL_PHASE_V,
) -> ComplexArray:
    """Return the phase current phasors (I_R, I_Y, I_B) from per-house powers [A].

    Parameters
    ----------
    p_w : net active power per house [W], shape (..., n_houses); + import, − export.
    q_var : reactive power per house [var], same shape.
    phase_index : phase of each house, 0 = R, 1 = Y, 2 = B, shape (n_houses,).
    v_phase : phase-to-neutral voltage magnitudes [V], scalar or shape (3,); the angles are
        the nominal 0°, −120°, +120°.

    Returns
    -------
    Complex array of shape (..., 3): the sum of conj(S/V) over the houses of each phase.
    """
    p = np.asarray(p_w, dtype=np.float64)
    q = np.asarray(q_var, dtype=np.float64)
    idx = np.asarray(phase_index, dtype=np.intp)
    one_hot = np.zeros((idx.shape[0], 3))
    one_hot[np.arange(idx.shape[0]), idx] = 1.0
    s_conj_per_phase = (p @ one_hot) - 1j * (q @ one_hot)
    v = np.broadcast_to(np.asarray(v_phase, dtype=np.float64), (3,)) * UNIT_PHASORS
    return np.asarray(s_conj_per_phase / np.conj(v), dtype=np.complex128)


def neutral_current_a(
    i_r: complex | ComplexArray, i_y: complex | ComplexArray, i_b: complex | ComplexArray
) -> FloatArray:
    """Return the neutral current magnitude |I_R + I_Y + I_B| [A]."""
    return np.asarray(np.abs(np.asarray(i_r) + np.asarray(i_y) + np.asarray(i_b)), dtype=np.float64)


def current_unbalance_pct(
    i_r: npt.ArrayLike,
    i_y: npt.ArrayLike,
    i_b: npt.ArrayLike,
    min_avg_a: float = MIN_AVG_CURRENT_A,
) -> FloatArray:
    """Return the current unbalance max|I_φ − I_avg| / I_avg [%].

    Inputs are phase current magnitudes [A] or phasors (their magnitudes are used).
    NaN (null) where the average phase current is below `min_avg_a` [A].
    """
    mags = _stack_magnitudes(i_r, i_y, i_b)
    pct = _max_deviation_pct(mags)
    return np.asarray(np.where(mags.mean(axis=-1) >= min_avg_a, pct, np.nan), dtype=np.float64)


def _stack_magnitudes(*values: npt.ArrayLike) -> FloatArray:
    return np.stack([np.abs(np.asarray(v)).astype(np.float64) for v in values], axis=-1)


def _max_deviation_pct(mags: FloatArray) -> FloatArray:
    avg = mags.mean(axis=-1)
    dev = np.abs(mags - avg[..., None]).max(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(avg > 0, 100.0 * dev / avg, np.nan), dtype=np.float64)


def lvur_pct(v_ry: npt.ArrayLike, v_yb: npt.ArrayLike, v_br: npt.ArrayLike) -> FloatArray:
    """Return the NEMA line voltage unbalance rate [%].

    Maximum deviation of the three line-to-line voltage magnitudes [V] from their average,
    divided by the average.
    """
    return _max_deviation_pct(_stack_magnitudes(v_ry, v_yb, v_br))


def pvur_pct(v_r: npt.ArrayLike, v_y: npt.ArrayLike, v_b: npt.ArrayLike) -> FloatArray:
    """Return the IEEE phase voltage unbalance rate [%].

    Maximum deviation of the three phase-to-neutral voltage magnitudes [V] from their average,
    divided by the average. An indicator, not the IEC voltage unbalance factor.
    """
    return _max_deviation_pct(_stack_magnitudes(v_r, v_y, v_b))


def line_voltages(
    v_r: complex | ComplexArray, v_y: complex | ComplexArray, v_b: complex | ComplexArray
) -> tuple[ComplexArray, ComplexArray, ComplexArray]:
    """Return the line-to-line phasors (V_RY, V_YB, V_BR) from phase-to-neutral phasors [V]."""
    r, y, b = np.asarray(v_r), np.asarray(v_y), np.asarray(v_b)
    return r - y, y - b, b - r


def vuf_pct_from_phasors(
    v_r: complex | ComplexArray, v_y: complex | ComplexArray, v_b: complex | ComplexArray
) -> FloatArray:
    """Return the IEC voltage unbalance factor |V2| / |V1| from voltage phasors [%].

    The phasors may be phase-to-neutral or line-to-line: the zero sequence does not enter.
    """
    _, v1, v2 = sequence_components(v_r, v_y, v_b)
    return np.asarray(100.0 * np.abs(v2) / np.abs(v1), dtype=np.float64)


def vuf_pct_from_line_magnitudes(
    v_ry: npt.ArrayLike, v_yb: npt.ArrayLike, v_br: npt.ArrayLike
) -> FloatArray:
    """Return the exact IEC voltage unbalance factor from three line-to-line magnitudes [%].

    With β = ΣV⁴ / (ΣV²)², VUF = √((1 − √(3 − 6β)) / (1 + √(3 − 6β))). Exact, because
    line-to-line voltages carry no zero sequence.

    Evaluated as √(6β − 2) / (1 + √(3 − 6β)), the same value, with
    6β − 2 = 2·Σ(V_i² − V_j²)² / (ΣV²)² over the three pairs: 1 − √(3 − 6β) cancels
    catastrophically near balance and rounds below zero (NaN) for balanced sets.
    """
    v = _stack_magnitudes(v_ry, v_yb, v_br)
    ry, yb, br = v[..., 0], v[..., 1], v[..., 2]
    pair_sq = (
        ((ry - yb) * (ry + yb)) ** 2 + ((yb - br) * (yb + br)) ** 2 + ((br - ry) * (br + ry)) ** 2
    )
    six_beta_minus_two = np.clip(2.0 * pair_sq / (v**2).sum(axis=-1) ** 2, 0.0, 1.0)
    root = np.sqrt(1.0 - six_beta_minus_two)
    return np.asarray(100.0 * np.sqrt(six_beta_minus_two) / (1.0 + root), dtype=np.float64)


def rated_current_a(kva: float) -> float:
    """Return the rated phase current [A] of a three-phase transformer of `kva` [kVA]."""
    return kva * 1000.0 / (3.0 * NOMINAL_PHASE_V)


def transformer_loading_pct(
    i_phase_a: npt.ArrayLike, kva: float, v_phase: npt.ArrayLike = NOMINAL_PHASE_V
) -> FloatArray:
    """Return the loading of the most loaded phase against a third of the rating [%].

    Parameters
    ----------
    i_phase_a : phase current magnitudes or phasors, last axis (R, Y, B) [A].
    kva : transformer rating [kVA].
    v_phase : phase-to-neutral voltage magnitudes [V], scalar or last axis (R, Y, B).
    """
    s_phase_va = np.abs(np.asarray(i_phase_a)) * np.asarray(v_phase, dtype=np.float64)
    return np.asarray(100.0 * s_phase_va.max(axis=-1) / (kva * 1000.0 / 3.0), dtype=np.float64)


def i2r_loss_w(
    i_phase_a: npt.ArrayLike,
    r_phase_ohm: float,
    r_neutral_ohm: float,
) -> FloatArray:
    """Return the I²R loss in the phase and neutral conductors [W].

    Parameters
    ----------
    i_phase_a : phase current phasors, last axis (R, Y, B) [A]; the neutral current is their sum.
    r_phase_ohm : resistance of each phase conductor, transformer to load centre [Ω].
    r_neutral_ohm : resistance of the neutral conductor [Ω].
    """
    currents = np.asarray(i_phase_a)
    phase_loss = r_phase_ohm * (np.abs(currents) ** 2).sum(axis=-1)
    neutral_loss = r_neutral_ohm * np.abs(currents.sum(axis=-1)) ** 2
    return np.asarray(phase_loss + neutral_loss, dtype=np.float64)
