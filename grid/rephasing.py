"""The best one-time rephasing of a feeder with hindsight: what a utility crew does by hand.

Minimises Σ_t |I_N,t|² over a whole period by local search (single moves, then pairs) from the
present assignment and from several random starts; pure, used as the `static` baseline.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from grid.phasors import UNIT_PHASORS, ComplexArray

IntArray = npt.NDArray[np.intp]


def best_static_assignment(
    currents: ComplexArray,
    phase: IntArray,
    switchable: npt.NDArray[np.bool_],
    restarts: int = 8,
    seed: int = 0,
) -> IntArray:
    """Return the phase of every house that minimises the summed squared neutral current.

    Parameters
    ----------
    currents : conj(S)/V of every house at every step, shape (steps, houses) [A].
    phase : present phase of every house, 0 = R, 1 = Y, 2 = B.
    switchable : houses that may be moved; the others keep their phase.
    restarts : random starting assignments tried besides the present one.
    """
    gram = currents.T @ np.conj(currents)  # G[g, h] = Σ_t c_g,t · conj(c_h,t)
    rng = np.random.default_rng(seed)
    movable = np.flatnonzero(switchable)
    starts = [phase.copy()]
    for _ in range(restarts):
        start = phase.copy()
        start[movable] = rng.integers(0, 3, movable.size)
        starts.append(start)
    best, best_cost = phase.copy(), _cost(gram, phase)
    for start in starts:
        found = _local_search(gram, start, movable)
        cost = _cost(gram, found)
        if cost < best_cost - 1e-9:
            best, best_cost = found, cost
    return best


def _cost(gram: ComplexArray, phase: IntArray) -> float:
    u = UNIT_PHASORS[phase]
    return float(np.real(u @ gram @ np.conj(u)))


def _local_search(gram: ComplexArray, phase: IntArray, movable: IntArray) -> IntArray:
    """Descend by the best single move until none improves, then try swaps."""
    phase = phase.copy()
    if movable.size == 0:
        return phase
    diag = np.real(np.diag(gram))
    u = UNIT_PHASORS[phase]
    # z_g = Σ_t c_g,t · conj(N_t): gradient of the cost w.r.t. each house's phasor.
    z = gram @ np.conj(u)
    while True:
        du = UNIT_PHASORS[None, :] - u[movable, None]  # (m, 3)
        gain = 2.0 * np.real(z[movable, None] * du) + np.abs(du) ** 2 * diag[movable, None]
        flat = int(np.argmin(gain))
        i, to = divmod(flat, 3)
        if gain[i, to] >= -1e-9 * max(1.0, float(diag.sum())):
            if _improve_by_swap(gram, phase, movable, z, u):
                continue
            return phase
        house = movable[i]
        step = UNIT_PHASORS[to] - u[house]
        z += gram[:, house] * np.conj(step)
        u[house] = UNIT_PHASORS[to]
        phase[house] = to


def _improve_by_swap(
    gram: ComplexArray, phase: IntArray, movable: IntArray, z: ComplexArray, u: ComplexArray
) -> bool:
    """Apply the best improving pair of moves in place; return whether one was found."""
    if movable.size < 2:
        return False
    diag = np.real(np.diag(gram))
    du = UNIT_PHASORS[None, :] - u[movable, None]  # (m, 3)
    single = 2.0 * np.real(z[movable, None] * du) + 3.0 * diag[movable, None]
    single = np.where(np.abs(du) < 1e-12, 0.0, single)
    # Pair cost: single_a + single_b + 2·Re(du_a · conj(du_b) · G[a, b]) for houses a ≠ b.
    g = gram[np.ix_(movable, movable)][:, None, :, None]
    cross = 2.0 * np.real(du[:, :, None, None] * np.conj(du[None, None, :, :]) * g)
    total = single[:, :, None, None] + single[None, None, :, :] + cross
    m = movable.size
    same = np.eye(m, dtype=bool)[:, None, :, None]
    total = np.where(same, np.inf, total)
    idx = np.unravel_index(int(np.argmin(total)), total.shape)
    if total[idx] >= -1e-9 * max(1.0, float(diag.sum())):
        return False
    a, to_a, b, to_b = (int(v) for v in idx)
    for i, to in ((a, to_a), (b, to_b)):
        house = movable[i]
        step = UNIT_PHASORS[to] - u[house]
        z += gram[:, house] * np.conj(step)
        u[house] = UNIT_PHASORS[to]
        phase[house] = to
    return True
