"""The exact planner: the planner's problem as a mixed-integer linear programme (HiGHS).

Binary y[h, φ] says "move house h to phase φ". The magnitudes |I_N,k| and |3·I_2,k| of the
objective are the epigraphs of their projections on M evenly spaced directions (a circumscribed
M-gon, exact to within 1 − cos(π/M)); the ratings use the inscribed M-gon, so a feasible answer
never exceeds a rating. The chosen moves are then scored with the true objective. It serves as
the oracle of the fast path in tests and for dry runs; it is not meant for the control loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, vstack

from grid.phasors import UNIT_PHASORS, ComplexArray, Phase
from grid.planner import (
    NEG_SEQ_PHASORS,
    FeederState,
    Move,
    Plan,
    PlannerConfig,
    PlanReason,
    Problem,
    build_problem,
    objective_terms,
)

DIRECTIONS = 64
"""Number of projection directions M of the polygonal norms."""


def plan_moves_exact(
    state: FeederState, config: PlannerConfig | None = None, time_limit_s: float = 30.0
) -> Plan:
    """Return the optimal set of at most max-moves moves for the planner's objective."""
    config = config or PlannerConfig()
    problem = build_problem(state, config)
    sums = problem.phase_sums
    j0, n0 = (float(x) for x in objective_terms(sums, problem.weights, problem.rating_a, config))

    def plan(moves: tuple[Move, ...], reason: PlanReason, sums_after: ComplexArray) -> Plan:
        j1, n1 = objective_terms(sums_after, problem.weights, problem.rating_a, config)
        return Plan(moves, reason, j0, float(j1), n0, float(n1))

    if not state.sustained:
        return plan((), PlanReason.NOT_SUSTAINED, sums)
    if problem.budget_left == 0:
        return plan((), PlanReason.BUDGET_SPENT, sums)
    houses = np.flatnonzero(problem.eligible)
    if houses.size == 0:
        return plan((), PlanReason.NO_ELIGIBLE, sums)

    # Candidate moves: every eligible house to each of its two other phases.
    owner = np.repeat(houses, 2)
    to = np.array([[p for p in range(3) if p != problem.phase[h]] for h in houses]).ravel()
    c = problem.currents[owner]  # (m, K)
    delta = np.zeros((owner.size, 3, c.shape[1]), dtype=np.complex128)  # change of S_φ,k
    delta[np.arange(owner.size), to] += c
    delta[np.arange(owner.size), problem.phase[owner]] -= c
    m, k_points = owner.size, c.shape[1]
    directions = np.exp(-2j * np.pi * np.arange(DIRECTIONS) / DIRECTIONS)  # conj(d_m)
    weights = problem.weights

    # Variables: y (m), t_k (K), s_k (K).
    n_var = m + 2 * k_points
    cost = np.concatenate(
        [np.full(m, problem.switch_cost_a), weights, config.neg_seq_weight * weights]
    )
    rows: list[csr_array] = []
    upper: list[np.ndarray] = []
    for offset, phasors in ((m, UNIT_PHASORS), (m + k_points, NEG_SEQ_PHASORS)):
        base = phasors @ sums  # (K,)
        change = np.einsum("p,mpk->mk", phasors, delta)  # (m, K)
        for k in range(k_points):
            coef = np.real(change[:, k][None, :] * directions[:, None])  # (M, m)
            block = np.zeros((DIRECTIONS, n_var))
            block[:, :m] = coef
            block[:, offset + k] = -1.0
            rows.append(csr_array(block))
            upper.append(-np.real(base[k] * directions))
    for phase in range(3):
        rating = problem.rating_a[phase]
        for k in range(k_points):
            if not np.isfinite(rating) or abs(sums[phase, k]) > rating:
                continue
            block = np.zeros((DIRECTIONS, n_var))
            block[:, :m] = np.real(delta[:, phase, k][None, :] * directions[:, None])
            rows.append(csr_array(block))
            upper.append(rating * np.cos(np.pi / DIRECTIONS) - np.real(sums[phase, k] * directions))
    one_per_house = np.zeros((houses.size, n_var))
    one_per_house[np.repeat(np.arange(houses.size), 2), np.arange(m)] = 1.0
    total = np.zeros((1, n_var))
    total[0, :m] = 1.0
    rows += [csr_array(one_per_house), csr_array(total)]
    upper += [np.ones(houses.size), np.array([float(problem.max_moves)])]

    matrix = vstack(rows).tocsr()
    hi = np.concatenate(upper)
    result = milp(
        cost,
        constraints=LinearConstraint(matrix, -np.inf, hi),
        integrality=np.concatenate([np.ones(m), np.zeros(2 * k_points)]),
        bounds=Bounds(np.zeros(n_var), np.concatenate([np.ones(m), np.full(2 * k_points, np.inf)])),
        options={"time_limit": time_limit_s},
    )
    if result.x is None:
        return plan((), PlanReason.NO_GAIN, sums)
    candidates = _Candidates(owner, to, delta, np.flatnonzero(result.x[:m] > 0.5))
    moves, sums_after = _ordered_moves(state, problem, config, candidates)
    return plan(moves, PlanReason.MOVES if moves else PlanReason.NO_GAIN, sums_after)


def _ordered_moves(
    state: FeederState, problem: Problem, config: PlannerConfig, candidates: _Candidates
) -> tuple[tuple[Move, ...], ComplexArray]:
    """Order the chosen moves best first, score each with the true objective, apply them."""
    sums = problem.phase_sums
    remaining = list(candidates.chosen)
    moves: list[Move] = []
    j_now = float(objective_terms(sums, problem.weights, problem.rating_a, config)[0])
    while remaining:
        scores = [
            float(
                objective_terms(
                    sums + candidates.delta[i], problem.weights, problem.rating_a, config
                )[0]
            )
            for i in remaining
        ]
        best = int(np.argmin(scores))
        i = remaining.pop(best)
        sums = sums + candidates.delta[i]
        house = int(candidates.owner[i])
        moves.append(
            Move(
                house_id=state.houses[house].house_id,
                from_phase=Phase.from_index(int(problem.phase[house])),
                to_phase=Phase.from_index(int(candidates.to[i])),
                gain_a=j_now - scores[best],
            )
        )
        j_now = scores[best]
    return tuple(moves), sums


@dataclass(frozen=True)
class _Candidates:
    """Every candidate move (house `owner` to phase `to`), its change of S, and the choice."""

    owner: npt.NDArray[np.intp]
    to: npt.NDArray[np.intp]
    delta: ComplexArray
    chosen: npt.NDArray[np.intp]
