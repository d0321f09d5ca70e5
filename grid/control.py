"""The balancing control loop of one feeder: observe, decide, commit (pure, clock passed in).

Lifecycle, in the manner of a power-flow controller:

- `observe(ts, ...)` takes one sample of every house;
- `control_step(now, force=False)` returns the plan for this cycle (it changes nothing);
  `force` plans as if the unbalance were sustained (an operator's "balance now");
- `commit(move, ts)` records a move that has been executed and verified;
  `note_relay_operations(house, ts, count)` those that left the house where it was;
- `set_phase(house, phase)` records the phase a house reports (not a switch);
- `lock(house, until)` / `unlock(house)` / `release_expired_locks(now)` keep houses out of
  balancing after a failed switch, until a cool-down ends or an operator releases them;
- `reconfigure(config)` changes the tuning, thresholds included;
- `is_converged()` says whether the feeder is balanced enough to leave alone.

Hysteresis is in two visible layers: the smoothed neutral current must stay above `trigger_a`
for `sustain_s` before the planner may act (and is released below `release_a`), and every move
must be worth its switch cost, which rises when the day's budget is being spent ahead of time.

Two strategies: "target" (the replay's `auto`) keeps the expected second moments of the house
currents (grid.moments) and moves, a few houses a cycle, toward the assignment that minimises
the expected squared neutral current plus a switch cost, paced by the daily allowance; a move
may not create a new phase peak or go above a rating (grid.peaks.peak_safe) and a house
too small to matter is never moved (grid.interlocks.worth_moving). "local" (the edge's, for
now) plans with the forecast-point planner (grid.planner) behind the detector.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from grid.feeder_states import DEFAULT_DETECTOR
from grid.forecast import ForecastConfig, HouseForecaster
from grid.interlocks import HouseState, feeder_budget, switch_blocker, worth_moving
from grid.moments import CurrentMoments, MomentConfig
from grid.peaks import PEAK_MARGIN, MinuteHistory, peak_safe
from grid.phasors import NOMINAL_PHASE_V, FloatArray, Phase
from grid.planner import FeederState, Move, Plan, PlannerConfig, PlanReason, plan_moves
from grid.rephasing import moves_toward_target, quadratic_cost
from grid.timezones import IST_OFFSET_S


@dataclass(frozen=True, slots=True)
class ControlConfig:
    """Tuning of the control loop."""

    planner: PlannerConfig = field(default_factory=PlannerConfig)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    trigger_a: float = DEFAULT_DETECTOR.trigger_a
    """Smoothed neutral current above which unbalance counts as present [A]; by default the
    feeder states' unbalance limit at their reference rating (grid.feeder_states)."""
    release_a: float = DEFAULT_DETECTOR.release_a
    """Smoothed neutral current below which unbalance counts as gone [A]."""
    sustain_s: float = 300.0
    """How long unbalance must be present before the planner may act [s]."""
    neutral_tau_s: float = 300.0
    """Time constant of the neutral current smoothing [s]."""
    pacing_slope: float = 1.0
    """Exponent k of the pacing price: the switch cost is scaled by 1 / (1 − used/allowed)^k."""
    pacing_head_start: float = 0.3
    """Share of the daily budget allowed from midnight; the rest accrues pro rata by the hour."""
    utc_offset_s: float = IST_OFFSET_S
    """Offset of the feeder's local time from UTC; the daily counts reset at local midnight [s]."""
    phase_rating_a: tuple[float, float, float] = (math.inf, math.inf, math.inf)
    """Current rating of the R, Y, B phases [A]; no move may lift a phase above it."""
    strategy: str = "target"
    """"target" (the edge's and the replay's `auto`): move toward the assignment that minimises
    the expected squared neutral current of the coming hours (grid.moments), once
    `target_min_history_s` of readings are in (or at once when forced), never onto a new phase
    peak (grid.peaks); "local": the forecast-point planner (grid.planner) behind the unbalance
    detector, kept as a yardstick."""
    moments: MomentConfig = field(default_factory=MomentConfig)
    target_switch_cost: float = 0.3
    """Switch cost of the target strategy, as a multiple of the mean per-house second moment
    E|c_h|² (a typical house's own contribution to the mean squared neutral current)."""
    target_min_history_s: float = 600.0
    """History the moments need before the target strategy acts [s]."""
    peak_margin: float = PEAK_MARGIN
    """How far below the as-built wiring's highest minute the target strategy keeps every phase
    it moves a house onto (grid.peaks) [share]."""
    target_needs_sustained: bool = False
    """Whether the target strategy also waits for the unbalance detector; by default its
    hysteresis is the switch cost alone (a move must pay for itself in the expected mean
    squared neutral current), so it can correct a badly wired feeder within minutes."""


class UnbalanceDetector:
    """Two-threshold hysteresis on the smoothed neutral current, with a hold time.

    It also says when the measured neutral current has been quiet for the hold time: below the
    release since a sample under it, with no sample at or above the trigger since. The smoothed
    value lags a fall by minutes (`tau_s`); the unbalance alert clears on either (edge.watch).
    """

    def __init__(self, trigger_a: float, release_a: float, sustain_s: float, tau_s: float) -> None:
        self.trigger_a, self.release_a, self.sustain_s, self.tau_s = (
            trigger_a,
            release_a,
            sustain_s,
            tau_s,
        )
        self.neutral_a: float | None = None
        self._present_since_s: float | None = None
        self._quiet_since_s: float | None = None
        self._last_s: float | None = None

    def update(self, ts_s: float, neutral_a: float) -> None:
        """Take the measured neutral current at `ts_s` [A]."""
        if self.neutral_a is None or self._last_s is None:
            self.neutral_a = neutral_a
        else:
            alpha = 1.0 - math.exp(-max(ts_s - self._last_s, 0.0) / self.tau_s)
            self.neutral_a += alpha * (neutral_a - self.neutral_a)
        self._last_s = ts_s
        if self.neutral_a >= self.trigger_a:
            if self._present_since_s is None:
                self._present_since_s = ts_s
        elif self.neutral_a < self.release_a:
            self._present_since_s = None
        if neutral_a >= self.trigger_a:
            self._quiet_since_s = None
        elif neutral_a < self.release_a and self._quiet_since_s is None:
            self._quiet_since_s = ts_s

    def sustained(self, now_s: float) -> bool:
        """Return whether unbalance has been present for the hold time."""
        return self._present_since_s is not None and now_s - self._present_since_s >= self.sustain_s

    def quiet(self, now_s: float) -> bool:
        """Return whether the measured neutral current has been quiet for the hold time."""
        return self._quiet_since_s is not None and now_s - self._quiet_since_s >= self.sustain_s


def local_day(ts_s: float, utc_offset_s: float) -> int:
    """Return the local calendar day number of an epoch time."""
    return math.floor((ts_s + utc_offset_s) / 86400.0)


class BalancingLoop:
    """Everything the controller of one transformer remembers between cycles."""

    def __init__(
        self,
        house_ids: Sequence[str],
        phases: Sequence[Phase],
        switchable: Sequence[bool],
        pv_kw: Sequence[float],
        config: ControlConfig | None = None,
    ) -> None:
        self.config = config or ControlConfig()
        self._index = {house_id: i for i, house_id in enumerate(house_ids)}
        self.houses = [
            HouseState(house_id=h, phase=ph, switchable=sw)
            for h, ph, sw in zip(house_ids, phases, switchable, strict=True)
        ]
        self.forecaster = HouseForecaster(np.asarray(pv_kw, dtype=np.float64), self.config.forecast)
        self.moments = CurrentMoments(np.asarray(pv_kw, dtype=np.float64), self.config.moments)
        as_built = np.array([h.phase.ordinal for h in self.houses], dtype=np.intp)
        self.history = MinuteHistory(as_built)
        """The last days' minutes, with their phase sums as built and at the present phases."""
        cfg = self.config
        self.detector = UnbalanceDetector(
            cfg.trigger_a, cfg.release_a, cfg.sustain_s, cfg.neutral_tau_s
        )
        self.switches_today = 0
        self.verify_tol_a = 0.0
        """Tolerance of the edge's check of a move, as a current [A] (see `observe`)."""
        self._day: int | None = None
        self._last_plan: Plan | None = None

    @property
    def phases(self) -> list[Phase]:
        """Return the present phase of every house."""
        return [h.phase for h in self.houses]

    def observe(
        self,
        ts_s: float,
        p_w: FloatArray,
        q_var: FloatArray,
        pv_w: FloatArray,
        *,
        neutral_a: float,
        online: Sequence[bool] | None = None,
        verify_tol_a: float | None = None,
    ) -> None:
        """Take one sample: net P [W], Q [var], PV [W] per house (NaN if missing), neutral [A],
        and the present tolerance of the edge's check of a move as a current [A]."""
        self._roll_day(ts_s)
        if verify_tol_a is not None:
            self.verify_tol_a = verify_tol_a
        self.forecaster.observe(ts_s, p_w + np.nan_to_num(pv_w), pv_w, q_var)
        self.moments.observe(ts_s, p_w + np.nan_to_num(pv_w), q_var)
        current = np.asarray((p_w - 1j * q_var) / NOMINAL_PHASE_V, dtype=np.complex128)
        self.history.observe(ts_s, current)
        self.detector.update(ts_s, neutral_a)
        if online is not None:
            self.houses = [
                h if h.online == up else replace(h, online=up)
                for h, up in zip(self.houses, online, strict=True)
            ]

    def _roll_day(self, ts_s: float) -> None:
        day = local_day(ts_s, self.config.utc_offset_s)
        if day != self._day:
            self._day = day
            self.switches_today = 0
            self.houses = [replace(h, switches_today=0) for h in self.houses]

    def allowance(self, now_s: float) -> float:
        """Return how many switches the pro-rata schedule allows by `now_s` today."""
        cfg = self.config
        budget = feeder_budget(cfg.planner.limits, len(self.houses))
        day_fraction = ((now_s + cfg.utc_offset_s) % 86400.0) / 86400.0
        head = cfg.pacing_head_start
        return budget * min(1.0, head + (1.0 - head) * day_fraction)

    def cost_scale(self, now_s: float) -> float:
        """Return the multiplier of the switch cost: it rises as the allowance is used up."""
        used = self.switches_today / max(self.allowance(now_s), 1.0)
        return float(1.0 / max(0.05, 1.0 - used) ** self.config.pacing_slope)

    def control_step(self, now_s: float, force: bool = False) -> Plan:
        """Return the plan of this cycle; nothing changes until `commit`.

        `force` plans as if the unbalance had been sustained (an operator's "balance now").
        """
        self._roll_day(now_s)
        cfg = self.config
        if cfg.strategy == "target":
            self._last_plan = self._target_plan(now_s, force)
            return self._last_plan
        limits = replace(cfg.planner.limits, budget_per_day=int(self.allowance(now_s)))
        planner = replace(cfg.planner, cost_scale=self.cost_scale(now_s), limits=limits)
        forecast = self.forecaster.forecast(now_s)
        state = FeederState(
            now_s=now_s,
            houses=self.houses,
            forecast=forecast,
            phase_rating_a=cfg.phase_rating_a,
            switches_today=self.switches_today,
            sustained=force or self.detector.sustained(now_s),
            verify_tol_a=self.verify_tol_a,
        )
        self._last_plan = plan_moves(state, planner)
        return self._last_plan

    def _target_plan(self, now_s: float, force: bool = False) -> Plan:
        """Return the moves toward the assignment best for the expected moments ahead."""
        cfg = self.config
        limits = cfg.planner.limits
        phase = np.array([h.phase.ordinal for h in self.houses], dtype=np.intp)
        _, gram = self.moments.expected(now_s, self.forecaster.clear_sky_index)
        before = quadratic_cost(gram, phase)
        budget_left = max(0, int(self.allowance(now_s)) - self.switches_today)
        eligible = np.array([switch_blocker(h, now_s, limits) is None for h in self.houses])
        expected_a = np.sqrt(np.maximum(np.real(np.diag(gram)), 0.0))
        eligible &= worth_moving(expected_a, limits.min_move_current_a, self.verify_tol_a)
        if cfg.target_needs_sustained and not (force or self.detector.sustained(now_s)):
            reason = PlanReason.NOT_SUSTAINED
        elif budget_left == 0:
            reason = PlanReason.BUDGET_SPENT
        elif not eligible.any():
            reason = PlanReason.NO_ELIGIBLE
        elif not force and self.moments.history_s(now_s) < cfg.target_min_history_s:
            reason = PlanReason.NO_GAIN
        else:
            cost = cfg.target_switch_cost * self.cost_scale(now_s)
            cost *= float(np.real(np.diag(gram)).mean())
            found = moves_toward_target(
                gram, phase, eligible, cost, min(limits.max_moves_per_cycle, budget_left)
            )
            found = self._without_new_peaks(phase, found)
            moves = []
            for house, to, gain in found:
                moves.append(
                    Move(
                        house_id=self.houses[house].house_id,
                        from_phase=self.houses[house].phase,
                        to_phase=Phase.from_index(to),
                        gain_a=gain,
                    )
                )
                phase[house] = to
            after = quadratic_cost(gram, phase)
            reason = PlanReason.MOVES if moves else PlanReason.NO_GAIN
            return Plan(
                tuple(moves), reason, *(math.sqrt(max(v, 0.0)) for v in (before, after) * 2)
            )
        rms = math.sqrt(max(before, 0.0))
        return Plan((), reason, rms, rms, rms, rms)

    def _without_new_peaks(
        self, phase: npt.NDArray[np.intp], found: list[tuple[int, int, float]]
    ) -> list[tuple[int, int, float]]:
        """Return the moves that, replayed on the minutes kept, create no new phase peak."""
        if not found:
            return found
        for house, to in enumerate(phase.tolist()):
            self.history.move(house, to)
        cap = (1.0 - self.config.peak_margin) * self.history.as_built_peak_a()
        rating = np.asarray(self.config.phase_rating_a, dtype=np.float64)
        moves = [(h, to) for h, to, _ in found]
        minutes, present = self.history.minutes(), self.history.phase_sums()
        safe = peak_safe(minutes, phase, moves, cap, rating, present)
        return [move for move, ok in zip(found, safe, strict=True) if ok]

    def commit(self, move: Move, ts_s: float) -> None:
        """Record that `move` was executed and verified at `ts_s`."""
        self._roll_day(ts_s)  # it counts on its own day, even before the first sample
        i = self._index[move.house_id]
        house = self.houses[i]
        self.houses[i] = replace(
            house,
            phase=move.to_phase,
            last_switch_s=ts_s,
            switches_today=house.switches_today + 1,
        )
        self.switches_today += 1

    def note_relay_operations(self, house_id: str, ts_s: float, count: int) -> None:
        """Record relay operations at `ts_s` that left the house where it was (a move and its
        rollback: `count` 2), or a node's refusal for its dwell (`count` 0): as the node, the
        house's dwell starts again and its day's count rises by `count`."""
        self._roll_day(ts_s)
        i = self._index[house_id]
        house = self.houses[i]
        self.houses[i] = replace(
            house, last_switch_s=ts_s, switches_today=house.switches_today + count
        )

    def set_phase(self, house_id: str, phase: Phase) -> None:
        """Record the phase a house reports being on (not a switch: no count, no dwell)."""
        i = self._index[house_id]
        if self.houses[i].phase != phase:
            self.houses[i] = replace(self.houses[i], phase=phase)

    def lock(self, house_id: str, until_s: float | None = None) -> None:
        """Lock a house out of balancing until `until_s` [epoch s] (None: until unlocked)."""
        i = self._index[house_id]
        self.houses[i] = replace(self.houses[i], locked=True, locked_until_s=until_s)

    def unlock(self, house_id: str) -> None:
        """Let a locked-out house be balanced again."""
        i = self._index[house_id]
        self.houses[i] = replace(self.houses[i], locked=False, locked_until_s=None)

    def release_expired_locks(self, now_s: float) -> list[str]:
        """Unlock the houses whose lockout has ended by `now_s`; return their ids."""
        expired = [
            h.house_id
            for h in self.houses
            if h.locked and h.locked_until_s is not None and h.locked_until_s <= now_s
        ]
        for house_id in expired:
            self.unlock(house_id)
        return expired

    def reconfigure(self, config: ControlConfig) -> None:
        """Take a new configuration; the detector's thresholds change with it."""
        self.config = config
        self.detector.trigger_a = config.trigger_a
        self.detector.release_a = config.release_a
        self.detector.sustain_s = config.sustain_s

    def is_converged(self) -> bool:
        """Return whether the last cycle found nothing worth doing."""
        return self._last_plan is not None and not self._last_plan.moves
