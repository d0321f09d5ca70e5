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
from grid.interlocks import (
    HouseState,
    SwitchLimits,
    feeder_budget,
    switch_blocker,
    worth_moving,
)
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
    beam_width: int = 6
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
    verify_tol_a: float = 0.0
    """Tolerance of the edge's check that a move shifted the phase totals, as a current [A]:
    a house drawing less could not be verified (see grid.interlocks.worth_moving)."""


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
    currents = np.asarray((forecast.p_w - 1j * forecast.q_var) / NOMINAL_PHASE_V, np.complex128)
    limits = config.limits
    budget_left = max(0, feeder_budget(limits, len(houses)) - state.switches_today)
    phase_index = np.array([h.phase.ordinal for h in houses], dtype=np.intp)
    weights = np.asarray(forecast.weights, dtype=np.float64)
    mean_phase_a = float(np.abs(_EYE3[phase_index].T @ currents).mean(axis=0) @ weights)
    return Problem(
        currents=currents,
        phase=phase_index,
        eligible=_eligible(state, limits, currents, weights),
        weights=weights,
        rating_a=np.asarray(state.phase_rating_a, dtype=np.float64),
        max_moves=min(limits.max_moves_per_cycle, budget_left),
        budget_left=budget_left,
        switch_cost_a=config.cost_scale
        * max(config.switch_cost_a, config.switch_cost_frac * mean_phase_a),
    )


def _eligible(
    state: FeederState, limits: SwitchLimits, currents: ComplexArray, weights: FloatArray
) -> npt.NDArray[np.bool_]:
    """Return which houses the interlocks let move now and that draw enough to be worth it."""
    allowed = np.array(
        [switch_blocker(h, state.now_s, limits) is None for h in state.houses], dtype=np.bool_
    )
    expected_a = np.sqrt(np.abs(currents) ** 2 @ weights / max(float(weights.sum()), 1e-12))
    big = worth_moving(expected_a, limits.min_move_current_a, state.verify_tol_a)
    return np.asarray(allowed & big, dtype=np.bool_)


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


class _MoveScorer:
    """Scores every single move of the eligible houses from a batch of base assignments.

    Only the neutral and negative-sequence sums change with a move, and only the two phases
    involved change their magnitude, so the scores are built from per-move deltas rather than
    from whole new phase sums.
    """

    def __init__(self, problem: Problem, config: PlannerConfig) -> None:
        self.problem, self.config = problem, config
        self.houses = np.flatnonzero(problem.eligible)
        self.own = problem.phase[self.houses]
        self.c = problem.currents[self.houses]  # (m, K)
        du = UNIT_PHASORS[None, :] - UNIT_PHASORS[self.own][:, None]  # (m, 3)
        dv = NEG_SEQ_PHASORS[None, :] - NEG_SEQ_PHASORS[self.own][:, None]
        self.d_neutral = du[:, :, None] * self.c[:, None, :]  # (m, 3, K)
        self.d_neg_seq = dv[:, :, None] * self.c[:, None, :]
        self.not_own = self.own[:, None] != np.arange(3)[None, :]  # (m, 3)
        self.rated = bool(np.isfinite(problem.rating_a).any())

    def scores(self, base: ComplexArray) -> FloatArray:
        """Return J after each move (b, m, to) from base phase sums (b, 3, K); inf if barred."""
        problem, config = self.problem, self.config
        neutral0 = np.einsum("p,bpk->bk", UNIT_PHASORS, base)[:, None, None, :]
        neg_seq0 = np.einsum("p,bpk->bk", NEG_SEQ_PHASORS, base)[:, None, None, :]
        total = np.abs(neutral0 + self.d_neutral[None]) + config.neg_seq_weight * np.abs(
            neg_seq0 + self.d_neg_seq[None]
        )
        allowed = np.broadcast_to(self.not_own[None], total.shape[:3]).copy()
        if self.rated:
            total = total + config.overload_weight * self._excess(base, allowed)
        j = total @ problem.weights
        return np.asarray(np.where(allowed, j, np.inf), dtype=np.float64)

    def _excess(self, base: ComplexArray, allowed: npt.NDArray[np.bool_]) -> FloatArray:
        """Return the summed current above ratings after each move; bar moves that break one."""
        rating = self.problem.rating_a
        mag = np.abs(base)  # (b, 3, K)
        over = np.clip(mag - rating[None, :, None], 0.0, None)
        to_mag = np.abs(base[:, None, :, :] + self.c[None, :, None, :])  # (b, m, to, K)
        from_sums = base[:, self.own, :]  # (b, m, K)
        from_mag = np.abs(from_sums - self.c[None])
        from_before = np.abs(from_sums)
        to_over = np.clip(to_mag - rating[None, None, :, None], 0.0, None)
        from_over = np.clip(from_mag - rating[self.own][None, :, None], 0.0, None)
        excess = (
            over.sum(axis=1)[:, None, None, :]
            - over[:, None, :, :]
            - over[:, self.own, :][:, :, None, :]
            + to_over
            + from_over[:, :, None, :]
        )
        breaks_to = (to_mag > rating[None, None, :, None]) & (to_mag > mag[:, None, :, :] + 1e-9)
        breaks_from = (from_mag > rating[self.own][None, :, None]) & (from_mag > from_before + 1e-9)
        allowed &= ~np.asarray(breaks_to.any(axis=-1))
        allowed &= ~np.asarray(breaks_from.any(axis=-1))[:, :, None]
        return np.asarray(excess, dtype=np.float64)

    def apply(self, base: ComplexArray, m: int, to: int) -> ComplexArray:
        """Return the phase sums (3, K) after moving candidate `m` to phase `to`."""
        new = base.copy()
        new[to] += self.c[m]
        new[self.own[m]] -= self.c[m]
        return new


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
    pay (a large house out, a smaller one back) that plain greedy descent misses. An exchange
    pass then tries to swap, add or drop single moves.
    """
    scorer = _MoveScorer(problem, config)
    cost = problem.switch_cost_a
    sums0 = problem.phase_sums
    j0, _ = _evaluate(problem, sums0, config)
    beam: list[tuple[ComplexArray, tuple[tuple[int, int], ...]]] = [(sums0, ())]
    best_total = j0
    best_moves: tuple[tuple[int, int], ...] = ()
    for depth in range(1, problem.max_moves + 1):
        j_new = scorer.scores(np.stack([sums for sums, _ in beam]))  # (b, m, 3)
        for b, (_, moves) in enumerate(beam):
            j_new[b, [m for m, _ in moves]] = np.inf
        flat_order = np.argsort(j_new, axis=None)[: config.beam_width * len(beam)]
        next_beam: list[tuple[ComplexArray, tuple[tuple[int, int], ...]]] = []
        seen: set[frozenset[tuple[int, int]]] = set()
        for flat in flat_order.tolist():
            b, m, to = (int(x) for x in np.unravel_index(flat, j_new.shape))
            score = float(j_new[b, m, to])
            if not np.isfinite(score):
                break
            moves = (*beam[b][1], (m, to))
            if frozenset(moves) in seen:
                continue
            seen.add(frozenset(moves))
            next_beam.append((scorer.apply(beam[b][0], m, to), moves))
            if score + cost * depth < best_total + cost * len(best_moves):
                best_total, best_moves = score, moves
            if len(next_beam) == config.beam_width:
                break
        if not next_beam:
            break
        beam = next_beam
    best = _exchange_moves(scorer, list(best_moves))
    return [(int(scorer.houses[m]), to) for m, to in best]


def _exchange_moves(scorer: _MoveScorer, moves: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Improve a set of moves by adding, dropping or replacing one move at a time."""
    problem, config = scorer.problem, scorer.config
    cost = problem.switch_cost_a

    def sums_of(chosen: list[tuple[int, int]]) -> ComplexArray:
        sums = problem.phase_sums
        for m, to in chosen:
            sums = scorer.apply(sums, m, to)
        return sums

    def best_addition(chosen: list[tuple[int, int]]) -> tuple[float, int, int]:
        j_new = scorer.scores(sums_of(chosen)[None])[0]
        j_new[[m for m, _ in chosen]] = np.inf
        m, to = (int(x) for x in np.unravel_index(int(np.argmin(j_new)), j_new.shape))
        return float(j_new[m, to]) + cost * (len(chosen) + 1), m, to

    best = _evaluate(problem, sums_of(moves), config)[0] + cost * len(moves)
    improved = bool(moves)
    while improved:
        improved = False
        options: list[tuple[float, list[tuple[int, int]]]] = []
        if len(moves) < problem.max_moves:
            score, m, to = best_addition(moves)
            options.append((score, [*moves, (m, to)]))
        for slot in range(len(moves)):
            rest = moves[:slot] + moves[slot + 1 :]
            options.append((_evaluate(problem, sums_of(rest), config)[0] + cost * len(rest), rest))
            score, m, to = best_addition(rest)
            options.append((score, [*rest, (m, to)]))
        for score, candidate in sorted(options, key=lambda option: option[0])[:1]:
            if score < best - 1e-9:
                moves, best, improved = candidate, score, True
    return moves


def _moved(problem: Problem, sums: ComplexArray, house: int, to: int) -> ComplexArray:
    """Return the phase sums after moving `house` (an index into the houses) to phase `to`."""
    new = sums.copy()
    new[to] += problem.currents[house]
    new[problem.phase[house]] -= problem.currents[house]
    return new


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
        trials = [_moved(problem, sums, house, to) for house, to in remaining]
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
