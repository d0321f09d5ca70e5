"""The best one-time rephasing of a feeder with hindsight: what a utility crew does by hand.

Minimises Σ_t |I_N,t|² over a whole period by local search (single moves, then pairs) from the
present assignment and from several random starts; pure, used as the `static` baseline.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from grid.phasors import UNIT_PHASORS, ComplexArray, FloatArray

IntArray = npt.NDArray[np.intp]


def best_static_assignment(
    currents: ComplexArray,
    phase: IntArray,
    switchable: npt.NDArray[np.bool_],
    restarts: int = 32,
    seed: int = 0,
) -> IntArray:
    """Return the phase of every house that minimises the summed squared neutral current.

    Parameters
    ----------
    currents : conj(S)/V of every house at every step, shape (steps, houses) [A].
    phase : present phase of every house, 0 = R, 1 = Y, 2 = B.
    switchable : houses that may be moved; the others keep their phase.
    restarts : random starting assignments tried besides the present one.

    Up to EXACT_MAX_MOVABLE movable houses every assignment is evaluated (the optimum); beyond,
    a local search of single moves and swaps from the present and `restarts` random starts.
    """
    gram = currents.T @ np.conj(currents)  # G[g, h] = Σ_t c_g,t · conj(c_h,t)
    movable = np.flatnonzero(switchable)
    if movable.size <= EXACT_MAX_MOVABLE:
        return exhaustive_assignment(gram, phase, movable)
    rng = np.random.default_rng(seed)
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


EXACT_MAX_MOVABLE = 9
"""Largest number of movable houses whose 3^n assignments are all evaluated."""


def exhaustive_assignment(gram: ComplexArray, phase: IntArray, movable: IntArray) -> IntArray:
    """Return the assignment of the movable houses with the least cost, trying all 3^n."""
    if movable.size == 0:
        return phase.copy()
    choices = np.array(np.meshgrid(*[np.arange(3)] * movable.size, indexing="ij"))
    choices = choices.reshape(movable.size, -1).T  # (3^n, n)
    candidates = np.repeat(phase[None, :], len(choices), axis=0)
    candidates[:, movable] = choices
    u = UNIT_PHASORS[candidates]  # (3^n, houses)
    costs = np.real(np.einsum("kg,gh,kh->k", u, gram, np.conj(u)))
    best = int(np.argmin(costs))
    if costs[best] >= _cost(gram, phase) - 1e-9:
        return phase.copy()  # ties keep the present wiring
    return np.asarray(candidates[best])


def _cost(gram: ComplexArray, phase: IntArray) -> float:
    u = UNIT_PHASORS[phase]
    return float(np.real(u @ gram @ np.conj(u)))


def _local_search(
    gram: ComplexArray,
    phase: IntArray,
    movable: IntArray,
    extra: FloatArray | None = None,
    pairs: bool = True,
    pair_pool: int | None = None,
) -> IntArray:
    """Descend by the best single move until none improves, then try swaps (if `pairs`).

    `extra` (houses, 3), if given, is a cost added to the objective for each house on each
    phase (the switch cost of leaving the present phase) [same unit as the gram]. The pair
    search costs O(houses²) per round; without it a descent costs O(houses) per move.
    """
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
        if extra is not None:
            gain = gain + extra[movable] - extra[movable, phase[movable]][:, None]
        flat = int(np.argmin(gain))
        i, to = divmod(flat, 3)
        if gain[i, to] >= -1e-9 * max(1.0, float(diag.sum())):
            if pairs and _improve_by_swap(gram, phase, movable, z, u, extra, pair_pool):
                continue
            return phase
        house = movable[i]
        step = UNIT_PHASORS[to] - u[house]
        z += gram[:, house] * np.conj(step)
        u[house] = UNIT_PHASORS[to]
        phase[house] = to


def _improve_by_swap(
    gram: ComplexArray,
    phase: IntArray,
    movable: IntArray,
    z: ComplexArray,
    u: ComplexArray,
    extra: FloatArray | None = None,
    pool: int | None = None,
) -> bool:
    """Apply the best improving pair of moves in place; return whether one was found.

    With `pool`, only pairs among the `pool` houses whose best single move costs least are
    tried: O(pool²) rather than O(houses²).
    """
    if movable.size < 2:
        return False
    diag = np.real(np.diag(gram))
    du = UNIT_PHASORS[None, :] - u[movable, None]  # (m, 3)
    single = 2.0 * np.real(z[movable, None] * du) + 3.0 * diag[movable, None]
    single = np.where(np.abs(du) < 1e-12, 0.0, single)
    if extra is not None:
        single = single + extra[movable] - extra[movable, phase[movable]][:, None]
    if pool is not None and movable.size > pool:
        keep = np.argsort(single.min(axis=1))[:pool]
        movable, du, single = movable[keep], du[keep], single[keep]
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


def moves_toward_target(
    gram: ComplexArray,
    phase: IntArray,
    eligible: npt.NDArray[np.bool_],
    switch_cost: float,
    max_moves: int,
    pair_pool: int = 16,
) -> list[tuple[int, int, float]]:
    """Return up to `max_moves` moves (house, to-phase, gain) toward the best assignment.

    The target minimises uᵀ·gram·conj(u) + switch_cost·(houses off their present phase) by the
    local search above, from the present assignment and over the `eligible` houses only; the
    moves that reach it are returned best first (each gain given the moves before it). A move
    may have a negative gain on its own when it is half of a pair the target needs.

    Parameters
    ----------
    gram : expected second moments of the house currents, shape (houses, houses) [A²].
    phase : present phase of every house, 0 = R, 1 = Y, 2 = B.
    switch_cost : what one switch must save in the mean squared neutral current [A²].
    pair_pool : pair moves are searched among this many houses only (those whose best single
        move costs least); a search over all pairs is O(houses²) per round, too slow for a 5 ms
        decision at 100 houses.
    """
    if max_moves <= 0 or not eligible.any():
        return []
    n = len(phase)
    extra = np.full((n, 3), switch_cost, dtype=np.float64)
    extra[np.arange(n), phase] = 0.0
    target = _local_search(gram, phase, np.flatnonzero(eligible), extra, True, pair_pool)
    pending = np.flatnonzero(target != phase).tolist()
    u = UNIT_PHASORS[phase].astype(np.complex128)
    z = gram @ np.conj(u)
    diag = np.real(np.diag(gram))
    moves: list[tuple[int, int, float]] = []
    while pending and len(moves) < max_moves:
        steps = np.array([UNIT_PHASORS[target[h]] - u[h] for h in pending])
        deltas = 2.0 * np.real(z[pending] * steps) + 3.0 * diag[pending]
        pick = int(np.argmin(deltas))
        house = pending.pop(pick)
        z += gram[:, house] * np.conj(steps[pick])
        u[house] = UNIT_PHASORS[target[house]]
        moves.append((house, int(target[house]), -float(deltas[pick])))
    return moves


def quadratic_cost(gram: ComplexArray, phase: IntArray) -> float:
    """Return uᵀ·gram·conj(u) for an assignment: the mean squared neutral current [A²]."""
    return _cost(gram, phase)
