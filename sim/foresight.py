"""A yardstick for the balancing replay: re-phasing with perfect knowledge of the coming hours.

No causal controller can know the next hours of every house; this policy reads them from the
day itself. Every `step_min` it moves houses toward the assignment that minimises the mean
squared neutral current of the next `horizon_min` minutes plus a cost per switch, under the same
limits as `auto` (dwell, switches per house per day, the feeder's daily budget).
`best_foresight` sweeps the switch cost and the horizon and keeps the best result within those
limits.

It bounds what any forecast could buy a time-varying controller at that switching budget. When
it is close to `static` (hindsight of the whole day, one re-phasing), the gap between `auto` and
`static` is information about the future, not control.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from grid.interlocks import SwitchLimits
from grid.phasors import Phase
from grid.rephasing import moves_toward_target
from sim.feeder_day import FeederDay
from sim.replay import (
    Periods,
    ReplayResult,
    Switch,
    house_currents,
    local_day_numbers,
    scored_result,
)

HORIZONS_MIN = (60, 120, 240)
"""Look-ahead windows tried by `best_foresight` [min]."""
SWITCH_COSTS = (0.1, 0.2, 0.4, 0.8, 1.6)
"""Switch costs tried by `best_foresight`, as multiples of the mean per-house E|c_h|²."""


@dataclass(frozen=True)
class ForesightPlan:
    """Settings of one foresight run."""

    horizon_min: int = 120
    """How far ahead the policy sees [min]."""
    switch_cost: float = 0.4
    """What one switch must save in the horizon's mean squared neutral current, as a multiple
    of the mean per-house second moment E|c_h|² over that horizon."""
    step_min: int = 10
    """How often it re-plans [min]."""


def foresight_replay(
    day: FeederDay,
    plan: ForesightPlan,
    limits: SwitchLimits | None = None,
    periods: Periods | None = None,
) -> ReplayResult:
    """Replay the readings under the foresight policy of `plan`; score the evaluation window."""
    limits = limits or SwitchLimits()
    currents = house_currents(day)
    steps, n = currents.shape
    per_step = max(1, round(plan.step_min * 60.0 / day.step_s))
    ahead = max(1, round(plan.horizon_min * 60.0 / day.step_s))
    dwell_steps = limits.min_dwell_s / day.step_s
    budget = limits.budget_per_day if limits.budget_per_day is not None else n
    switchable = np.array([h.switchable for h in day.houses])

    phase = day.phase_index.copy()
    phase_index = np.empty((steps, n), dtype=np.intp)
    count = np.zeros(n, dtype=int)
    last = np.full(n, -np.inf)
    switches: list[Switch] = []
    day_of = local_day_numbers(day)
    today, budget_left = -1, budget
    for start in range(0, steps, per_step):
        if day_of[start] != today:  # the daily counts restart at local midnight
            today, budget_left = int(day_of[start]), budget
            count[:] = 0
        window = currents[start : start + ahead]
        gram = window.T @ np.conj(window) / len(window)
        mean_self = float(np.real(np.trace(gram))) / n
        eligible = switchable & (count < limits.max_per_house_day) & (start - last >= dwell_steps)
        moves = moves_toward_target(
            gram, phase, eligible, plan.switch_cost * mean_self, min(budget_left, n)
        )
        for house, to, _gain in moves:
            h = day.houses[house]
            switches.append(
                Switch(
                    float(day.ts_s[start]),
                    h.house_id,
                    Phase.from_index(int(phase[house])),
                    Phase.from_index(to),
                )
            )
            phase[house] = to
            count[house] += 1
            last[house] = start
            budget_left -= 1
        phase_index[start : start + per_step] = phase
    periods = periods or Periods.of(day, None, None)
    return scored_result(day, "foresight", periods, currents, phase_index, tuple(switches), [0.0])


def best_foresight(
    day: FeederDay,
    limits: SwitchLimits | None = None,
    horizons_min: Iterable[int] = HORIZONS_MIN,
    switch_costs: Iterable[float] = SWITCH_COSTS,
    periods: Periods | None = None,
) -> tuple[ForesightPlan, ReplayResult]:
    """Return the foresight run with the least neutral RMS over a grid of settings."""
    costs = tuple(switch_costs)
    runs = [
        (plan, foresight_replay(day, plan, limits, periods))
        for plan in (ForesightPlan(h, c) for h in horizons_min for c in costs)
    ]
    return min(runs, key=lambda run: float(run[1].metrics["neutral_a_rms"] or 0.0))
