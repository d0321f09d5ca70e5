"""The balancing planner: from a feeder's state to the moves worth making now (DESIGN §6).

The objective for an assignment of houses to phases, over the forecast points k with weights
w_k, is

    J = Σ_k w_k · ( |I_N,k| + β·|3·I_2,k| + γ·Σ_φ max(0, |I_φ,k| − rating_φ) )    [A]

with I_N the neutral current, I_2 the negative-sequence current (together they are zero exactly
when the three phases carry equal complex loads; the positive sequence does not depend on the
assignment) and a penalty for phases above their rating. A move is worth making when it lowers
J by at least the switch cost; a move may never push a phase above its rating.

`plan_moves` is the fast online path (a beam search over short sequences of moves, then an
exchange pass); `grid.planner_exact.plan_moves_exact` solves the same problem as an integer
programme and serves as the oracle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from grid.forecast import Forecast
from grid.interlocks import HouseState, SwitchLimits, feeder_budget, switch_blocker
from grid.phasors import NOMINAL_PHASE_V, UNIT_PHASORS, ComplexArray, FloatArray, Phase

NEG_SEQ_PHASORS = np.conj(UNIT_PHASORS)
"""Weights v_φ with 3·I_2 = Σ_φ v_φ·S_φ, where S_φ is the conjugate power sum of phase φ / V."""

_EYE3 = np.eye(3)


@dataclass(frozen=True, slots=True)
class PlannerConfig:
    """Tuning of the planner; every field is a visible knob."""

    limits: SwitchLimits = field(default_factory=SwitchLimits)
    switch_cost_a: float = 1.0
    """Floor of the switch cost: the least reduction of J a single move must bring [A]."""
    switch_cost_frac: float = 0.02
    """Switch cost as a share of the feeder's mean phase current, when above the floor."""
    cost_scale: float = 1.0
    """Multiplier of the switch cost, raised by the control loop to pace the daily budget."""
    neg_seq_weight: float = 0.5
    """β: weight of the negative-sequence current against the neutral current."""
    overload_weight: float = 10.0
    """γ: weight of current above a phase rating [A per A]."""
    beam_width: int = 8
    """Move sequences the search keeps at each depth; 1 is plain greedy descent."""


@dataclass(frozen=True)
class FeederState:
    """What the planner is given about one feeder at one moment."""

    now_s: float
    """Epoch time [s]."""
    houses: Sequence[HouseState]
    forecast: Forecast | None = None
    """Net P/Q per house over the horizon, in the order of `houses`; None uses each house's
    smoothed p_w/q_var as a single point."""
    phase_rating_a: tuple[float, float, float] = (math.inf, math.inf, math.inf)
    """Current rating of the R, Y, B phases [A]."""
    switches_today: int = 0
    """Switches the feeder has made since local midnight."""
    sustained: bool = True
    """Whether the unbalance has been sustained long enough to act (hysteresis, see control)."""


class PlanReason(StrEnum):
    """Why a plan holds the moves it holds."""

    MOVES = "moves"
    NOT_SUSTAINED = "not_sustained"
    NO_GAIN = "no_move_worth_a_switch"
    NO_ELIGIBLE = "no_eligible_house"
    BUDGET_SPENT = "daily_budget_spent"


@dataclass(frozen=True, slots=True)
class Move:
    """Move one house from one phase to another."""

    house_id: str
    from_phase: Phase
    to_phase: Phase
    gain_a: float
    """Predicted reduction of the objective J by this move, given the moves before it [A]."""


@dataclass(frozen=True)
class Plan:
    """The planner's answer: the moves in execution order and their predicted effect."""

    moves: tuple[Move, ...]
    reason: PlanReason
    objective_before_a: float
    objective_after_a: float
    neutral_before_a: float
    """Forecast neutral current, weighted over the horizon, before the moves [A]."""
    neutral_after_a: float


@dataclass(frozen=True)
class Problem:
    """The planning problem as arrays, shared by the fast and the exact planner."""

    currents: ComplexArray
    """conj(S)/V per house and forecast point, before rotation to a phase, shape (n, K) [A]."""
    phase: npt.NDArray[np.intp]
    eligible: npt.NDArray[np.bool_]
    weights: FloatArray
    rating_a: FloatArray
    max_moves: int
    budget_left: int
    switch_cost_a: float
    """The switch cost in force for this problem [A]."""

    @property
    def phase_sums(self) -> ComplexArray:
        """Return S_φ,k, the per-phase sums of house currents, shape (3, K) [A]."""
        return _EYE3[self.phase].T @ self.currents


def build_problem(state: FeederState, config: PlannerConfig) -> Problem:
    """Turn a feeder state into arrays: house currents, phases, eligibility and limits."""
    houses = state.houses
    if state.forecast is None:
        forecast = Forecast.persistence(
            np.array([h.p_w for h in houses]), np.array([h.q_var for h in houses])
        )
    else:
        forecast = state.forecast
    currents = (forecast.p_w - 1j * forecast.q_var) / NOMINAL_PHASE_V
    limits = config.limits
    budget_left = max(0, feeder_budget(limits, len(houses)) - state.switches_today)
    phase_index = np.array([h.phase.ordinal for h in houses], dtype=np.intp)
    weights = np.asarray(forecast.weights, dtype=np.float64)
    mean_phase_a = float(np.abs(_EYE3[phase_index].T @ currents).mean(axis=0) @ weights)
    return Problem(
        currents=np.asarray(currents, dtype=np.complex128),
        phase=phase_index,
        eligible=np.array(
            [switch_blocker(h, state.now_s, limits) is None for h in houses], dtype=np.bool_
        ),
        weights=weights,
        rating_a=np.asarray(state.phase_rating_a, dtype=np.float64),
        max_moves=min(limits.max_moves_per_cycle, budget_left),
        budget_left=budget_left,
        switch_cost_a=config.cost_scale
        * max(config.switch_cost_a, config.switch_cost_frac * mean_phase_a),
    )


def objective_terms(
    phase_sums: ComplexArray, weights: FloatArray, rating_a: FloatArray, config: PlannerConfig
) -> tuple[FloatArray, FloatArray]:
    """Return (J, weighted neutral current) for phase sums of shape (..., 3, K) [A]."""
    neutral = np.abs(np.einsum("p,...pk->...k", UNIT_PHASORS, phase_sums))
    neg_seq = np.abs(np.einsum("p,...pk->...k", NEG_SEQ_PHASORS, phase_sums))
    total = neutral + config.neg_seq_weight * neg_seq
    if np.isfinite(rating_a).any():
        excess = np.clip(np.abs(phase_sums) - rating_a[:, None], 0.0, None).sum(axis=-2)
        total = total + config.overload_weight * excess
    return total @ weights, neutral @ weights


def _move_deltas(problem: Problem, houses: npt.NDArray[np.intp]) -> ComplexArray:
    """Return the change of the phase sums for moving each house to each phase, (m, 3, 3, K)."""
    c = problem.currents[houses]  # (m, K)
    direction = _EYE3[None, :, :] - _EYE3[problem.phase[houses]][:, None, :]  # (m, to, phase)
    return direction[..., None] * c[:, None, None, :]


def _breaks_rating(
    new_sums: ComplexArray, sums: ComplexArray, rating_a: FloatArray
) -> npt.NDArray[np.bool_]:
    """Return True where a candidate pushes a phase above its rating or further above it."""
    new_mag = np.abs(new_sums)
    over = (new_mag > rating_a[:, None]) & (new_mag > np.abs(sums) + 1e-9)
    return np.asarray(over.any(axis=(-2, -1)))


def plan_moves(state: FeederState, config: PlannerConfig | None = None) -> Plan:
    """Return the moves worth making now (fast path: a beam search over sequences of moves)."""
    config = config or PlannerConfig()
    problem = build_problem(state, config)
    sums = problem.phase_sums
    j0, n0 = _evaluate(problem, sums, config)
    if not state.sustained:
        reason = PlanReason.NOT_SUSTAINED
    elif problem.budget_left == 0:
        reason = PlanReason.BUDGET_SPENT
    elif not problem.eligible.any():
        reason = PlanReason.NO_ELIGIBLE
    else:
        chosen = _beam_search(problem, config)
        return _plan_from_moves(state, problem, config, chosen, j0, n0)
    return Plan((), reason, j0, j0, n0, n0)


def _evaluate(problem: Problem, sums: ComplexArray, config: PlannerConfig) -> tuple[float, float]:
    j, neutral = objective_terms(sums, problem.weights, problem.rating_a, config)
    return float(j), float(neutral)


def _beam_search(problem: Problem, config: PlannerConfig) -> list[tuple[int, int]]:
    """Return the (house, to-phase) moves minimising J + cost·moves, found by beam search.

    Each level extends every kept sequence by one move of a house it has not moved yet; the
    `beam_width` best distinct sets go on. This finds pairs whose first move alone would not
    pay (a large house out, a smaller one back) that plain greedy descent misses.
    """
    candidates = np.flatnonzero(problem.eligible)
    deltas = _move_deltas(problem, candidates)  # (m, 3, 3, K), indexed [house, to]
    not_own = problem.phase[candidates][:, None] != np.arange(3)[None, :]
    sums0 = problem.phase_sums
    j0, _ = _evaluate(problem, sums0, config)
    beam: list[tuple[float, ComplexArray, tuple[tuple[int, int], ...]]] = [(j0, sums0, ())]
    best_score = j0
    best_moves: tuple[tuple[int, int], ...] = ()
    for depth in range(1, problem.max_moves + 1):
        stacked = np.stack([entry[1] for entry in beam])  # (b, 3, K)
        new_sums = stacked[:, None, None] + deltas[None]  # (b, m, 3, 3, K)
        j_new, _ = objective_terms(new_sums, problem.weights, problem.rating_a, config)
        allowed = not_own[None] & ~_breaks_rating(
            new_sums, stacked[:, None, None], problem.rating_a
        )
        for b, entry in enumerate(beam):
            used = [m for m, _ in entry[2]]
            allowed[b, used] = False
        j_new = np.where(allowed, j_new, np.inf)
        order = np.argsort(j_new, axis=None)[: config.beam_width * len(beam)]
        next_beam: list[tuple[float, ComplexArray, tuple[tuple[int, int], ...]]] = []
        seen: set[frozenset[tuple[int, int]]] = set()
        for flat in order:
            b, m, to = (int(x) for x in np.unravel_index(int(flat), j_new.shape))
            score = float(j_new[b, m, to])
            if not np.isfinite(score):
                break
            moves = (*beam[b][2], (int(m), int(to)))
            key = frozenset(moves)
            if key in seen:
                continue
            seen.add(key)
            next_beam.append((score, new_sums[b, m, to], moves))
            cost = problem.switch_cost_a
            if score + cost * depth < best_score + cost * len(best_moves):
                best_score, best_moves = score, moves
            if len(next_beam) == config.beam_width:
                break
        if not next_beam:
            break
        beam = next_beam
    best = _exchange_moves(problem, config, deltas, not_own, list(best_moves))
    return [(int(candidates[m]), to) for m, to in best]


def _exchange_moves(
    problem: Problem,
    config: PlannerConfig,
    deltas: ComplexArray,
    not_own: npt.NDArray[np.bool_],
    moves: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Improve a set of moves by replacing one of them at a time with the best other move."""
    sums0 = problem.phase_sums

    def total(chosen: list[tuple[int, int]]) -> float:
        sums = sums0 + sum((deltas[m, to] for m, to in chosen), np.zeros_like(sums0))
        return _evaluate(problem, sums, config)[0] + problem.switch_cost_a * len(chosen)

    best = total(moves)
    improved = True
    while improved and moves:
        improved = False
        if len(moves) < problem.max_moves:
            base = sums0 + sum((deltas[m, to] for m, to in moves), np.zeros_like(sums0))
            new_sums = base[None, None] + deltas
            j_new, _ = objective_terms(new_sums, problem.weights, problem.rating_a, config)
            allowed = not_own & ~_breaks_rating(new_sums, base[None, None], problem.rating_a)
            allowed[[m for m, _ in moves]] = False
            j_new = np.where(allowed, j_new + problem.switch_cost_a * (len(moves) + 1), np.inf)
            m, to = (int(x) for x in np.unravel_index(int(np.argmin(j_new)), j_new.shape))
            if j_new[m, to] < best - 1e-9:
                moves, best, improved = [*moves, (int(m), int(to))], float(j_new[m, to]), True
                continue
        for slot in range(len(moves)):
            rest = moves[:slot] + moves[slot + 1 :]
            base = sums0 + sum((deltas[m, to] for m, to in rest), np.zeros_like(sums0))
            new_sums = base[None, None] + deltas
            j_new, _ = objective_terms(new_sums, problem.weights, problem.rating_a, config)
            allowed = not_own & ~_breaks_rating(new_sums, base[None, None], problem.rating_a)
            allowed[[m for m, _ in rest]] = False
            j_new = np.where(allowed, j_new + problem.switch_cost_a * len(moves), np.inf)
            m, to = (int(x) for x in np.unravel_index(int(np.argmin(j_new)), j_new.shape))
            dropped = total(rest)
            if dropped < best - 1e-9 and dropped <= j_new[m, to]:
                moves, best, improved = rest, dropped, True
                break
            if j_new[m, to] < best - 1e-9:
                moves = [*rest[:slot], (int(m), int(to)), *rest[slot:]]
                best, improved = float(j_new[m, to]), True
    return moves


def _plan_from_moves(
    state: FeederState,
    problem: Problem,
    config: PlannerConfig,
    chosen: list[tuple[int, int]],
    j0: float,
    n0: float,
) -> Plan:
    """Order the chosen moves best first and record the gain of each."""
    sums, j_now = problem.phase_sums, j0
    remaining = list(chosen)
    moves: list[Move] = []
    while remaining:
        trials = [sums + _move_deltas(problem, np.array([house]))[0, to] for house, to in remaining]
        scores = [_evaluate(problem, t, config)[0] for t in trials]
        pick = int(np.argmin(scores))
        house, to = remaining.pop(pick)
        sums = trials[pick]
        moves.append(
            Move(
                house_id=state.houses[house].house_id,
                from_phase=Phase.from_index(int(problem.phase[house])),
                to_phase=Phase.from_index(to),
                gain_a=j_now - scores[pick],
            )
        )
        j_now = scores[pick]
    j1, n1 = _evaluate(problem, sums, config)
    return Plan(tuple(moves), PlanReason.MOVES if moves else PlanReason.NO_GAIN, j0, j1, n0, n1)
