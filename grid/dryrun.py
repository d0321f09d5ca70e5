"""The dry run of a manual move: may the house move now, and what would it do (pure; DESIGN §6).

A manual move is previewed on the feeder's latest summary: the house's complex power S = P + jQ
leaves its phase and joins the target phase, each phase current is conj(S_φ / V_φ) with the
measured voltage magnitude at the nominal angle, and the neutral current is |I_R + I_Y + I_B|.
Loads are treated as constant power, as the planner does for one step. The edge verifies a
switch it made with the same physics (`neutral_before_after_a`, through edge.totals): what the
neutral current was at one moment and what it would have been with the house on the other phase.

Whether it may move is the edge's own rule (`grid.interlocks.switch_blocker`) on the house as
HQ knows it; its dwell and today's count come from its switch outcomes as its node counts them
(`switch_record`, after `grid.interlocks.relay_operations`), and `blocked_until_s` says when a
block ends by itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from grid.control import local_day
from grid.events import SwitchResult
from grid.interlocks import Blocker, HouseState, SwitchLimits, relay_operations
from grid.metrics import current_unbalance_pct, neutral_current_a
from grid.phasors import NOMINAL_PHASE_V, UNIT_PHASORS, ComplexArray, Phase, house_current_a
from grid.timezones import IST_OFFSET_S

Triple = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class PhaseLoads:
    """A feeder's per-phase loads at one moment, in the order R, Y, B."""

    p_w: Triple
    """Net active power per phase [W], + import, − export."""
    q_var: Triple
    """Reactive power per phase [var]."""
    v_v: Triple = (NOMINAL_PHASE_V, NOMINAL_PHASE_V, NOMINAL_PHASE_V)
    """Phase-to-neutral voltage magnitudes [V]; a value ≤ 0 is taken as nominal."""


@dataclass(frozen=True, slots=True)
class PhaseFigures:
    """Phase current magnitudes [A], neutral current [A] and current unbalance [%]."""

    i_a: Triple
    i_n_a: float
    unbalance_pct: float | None
    """max|I_φ − I_avg| / I_avg [%]; None when I_avg is below 5 A."""


@dataclass(frozen=True, slots=True)
class MoveEffect:
    """The figures of a feeder before and after moving one house."""

    from_phase: Phase
    to_phase: Phase
    before: PhaseFigures
    after: PhaseFigures
    rating_a: float | None = None
    """Rated phase current [A], when known."""

    @property
    def neutral_change_a(self) -> float:
        """Return after − before of the neutral current [A]; negative is an improvement."""
        return self.after.i_n_a - self.before.i_n_a

    @property
    def overloads(self) -> tuple[Phase, ...]:
        """Return the phases above their rating after the move."""
        if self.rating_a is None:
            return ()
        return tuple(
            phase
            for phase, current in zip(Phase, self.after.i_a, strict=True)
            if current > self.rating_a
        )

    @property
    def improves(self) -> bool:
        """Return whether the move lowers the neutral current without overloading a phase."""
        return self.neutral_change_a < 0 and not self.overloads


def phase_currents_a(p_w: Triple, q_var: Triple, v_v: Triple) -> ComplexArray:
    """Return the current phasors of R, Y, B, I_φ = conj(S_φ / V_φ) [A].

    Parameters
    ----------
    p_w : net active power of R, Y, B [W].
    q_var : reactive power of R, Y, B [var].
    v_v : phase-to-neutral voltage magnitudes of R, Y, B [V], each at its nominal angle;
        ≤ 0 means nominal.
    """
    volts = np.array([v if v > 0 else NOMINAL_PHASE_V for v in v_v]) * UNIT_PHASORS
    p = np.array(p_w, dtype=np.float64)
    q = np.array(q_var, dtype=np.float64)
    return np.asarray(house_current_a(p, q, volts), dtype=np.complex128)


def neutral_a(loads: PhaseLoads) -> float:
    """Return the neutral current of per-phase loads, |I_R + I_Y + I_B| [A]."""
    currents = phase_currents_a(loads.p_w, loads.q_var, loads.v_v)
    return float(neutral_current_a(currents[0], currents[1], currents[2]))


def phase_figures(p_w: Triple, q_var: Triple, v_v: Triple) -> PhaseFigures:
    """Return the phase currents, neutral current and unbalance of per-phase loads.

    Parameters
    ----------
    p_w : net active power of R, Y, B [W].
    q_var : reactive power of R, Y, B [var].
    v_v : phase-to-neutral voltage magnitudes of R, Y, B [V]; ≤ 0 means nominal.
    """
    currents = phase_currents_a(p_w, q_var, v_v)
    magnitudes = np.abs(currents)
    unbalance = float(current_unbalance_pct(magnitudes[0], magnitudes[1], magnitudes[2]))
    return PhaseFigures(
        i_a=(float(magnitudes[0]), float(magnitudes[1]), float(magnitudes[2])),
        i_n_a=float(neutral_current_a(currents[0], currents[1], currents[2])),
        unbalance_pct=None if math.isnan(unbalance) else unbalance,
    )


def moved_loads(
    loads: PhaseLoads, house_p_w: float, house_q_var: float, from_phase: Phase, to_phase: Phase
) -> PhaseLoads:
    """Return `loads` with one house's complex power moved from `from_phase` to `to_phase`
    (the voltages as they were: constant-power loads, one step)."""
    p = list(loads.p_w)
    q = list(loads.q_var)
    p[from_phase.ordinal] -= house_p_w
    q[from_phase.ordinal] -= house_q_var
    p[to_phase.ordinal] += house_p_w
    q[to_phase.ordinal] += house_q_var
    return PhaseLoads((p[0], p[1], p[2]), (q[0], q[1], q[2]), loads.v_v)


def neutral_before_after_a(
    loads: PhaseLoads, house_p_w: float, house_q_var: float, from_phase: Phase, to_phase: Phase
) -> tuple[float, float]:
    """Return the neutral current [A] of `loads` as they are, and with one house drawing
    `house_p_w` [W] and `house_q_var` [var] moved from `from_phase` to `to_phase`.

    Both come from the same moment's loads, so a move is judged against that moment: what
    everyone else switched on or off meanwhile cancels out. The same phase twice gives the
    same current twice.
    """
    after = moved_loads(loads, house_p_w, house_q_var, from_phase, to_phase)
    return neutral_a(loads), neutral_a(after)


def predict_move(
    loads: PhaseLoads,
    house_p_w: float,
    house_q_var: float,
    from_phase: Phase,
    to_phase: Phase,
    rating_a: float | None = None,
) -> MoveEffect:
    """Return the predicted effect of moving a house from one phase to another.

    Parameters
    ----------
    loads : the feeder's per-phase loads now, including the house on `from_phase`.
    house_p_w : the house's net active power [W], + import, − export (PV export moves too).
    house_q_var : the house's reactive power [var].
    from_phase, to_phase : the phase the house is on and the phase it would go to.
    rating_a : rated phase current [A], to flag a phase the move would overload.
    """
    if from_phase == to_phase:
        raise ValueError(f"the house is already on {to_phase}")
    after = moved_loads(loads, house_p_w, house_q_var, from_phase, to_phase)
    return MoveEffect(
        from_phase=from_phase,
        to_phase=to_phase,
        before=phase_figures(loads.p_w, loads.q_var, loads.v_v),
        after=phase_figures(after.p_w, after.q_var, after.v_v),
        rating_a=rating_a,
    )


@dataclass(frozen=True, slots=True)
class HouseMove:
    """One house moved from one phase to another, with its load at the time."""

    p_w: float
    """Net active power [W], + import, − export."""
    q_var: float
    """Reactive power [var]."""
    from_phase: Phase
    to_phase: Phase


def predict_moves(
    loads: PhaseLoads, moves: Sequence[HouseMove], rating_a: float | None = None
) -> list[MoveEffect]:
    """Return the predicted effect of each move made after the ones before it, in order.

    Each effect's `before` is the feeder with the house still on its phase and the earlier
    moves made; its `after` the feeder with this move made too.
    """
    effects = []
    for move in moves:
        effect = predict_move(loads, move.p_w, move.q_var, move.from_phase, move.to_phase, rating_a)
        effects.append(effect)
        loads = moved_loads(loads, move.p_w, move.q_var, move.from_phase, move.to_phase)
    return effects


def switch_record(
    outcomes: Iterable[tuple[float, SwitchResult, str]],
    now_s: float,
    limits: SwitchLimits,
    utc_offset_s: float = IST_OFFSET_S,
) -> tuple[float | None, int]:
    """Return when a house's relay last operated [epoch s] and how many switches count today.

    Parameters
    ----------
    outcomes : (time [epoch s], result, reason) of the house's switches, in any order; those
        before the local day and the last dwell may be left out.
    now_s : the present [epoch s]; "today" is its local day.
    limits : the feeder's switching limits (a node's daily-cap refusal counts the whole cap).
    utc_offset_s : the local time's offset from UTC [s].
    """
    today = local_day(now_s, utc_offset_s)
    last: float | None = None
    count = 0
    for ts_s, result, reason in outcomes:
        counted = relay_operations(result, reason, limits)
        if counted is None or ts_s > now_s:
            continue
        last = ts_s if last is None else max(last, ts_s)
        if local_day(ts_s, utc_offset_s) == today:
            count += counted
    return last, count


def blocked_until_s(
    house: HouseState,
    blocker: Blocker,
    now_s: float,
    limits: SwitchLimits,
    utc_offset_s: float = IST_OFFSET_S,
) -> float | None:
    """Return when `blocker` stops holding the house back by itself [epoch s], or None when it
    does not end by itself (no relay, offline, locked until an operator unlocks it)."""
    if blocker is Blocker.MIN_DWELL and house.last_switch_s is not None:
        return house.last_switch_s + limits.min_dwell_s
    if blocker is Blocker.DAILY_CAP:
        return (local_day(now_s, utc_offset_s) + 1) * 86400.0 - utc_offset_s
    if blocker is Blocker.LOCKED:
        return house.locked_until_s
    return None
