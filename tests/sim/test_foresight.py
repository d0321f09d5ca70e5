"""The foresight yardstick: it uses the coming hours, and it keeps the limits of `auto`."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from itertools import pairwise

import numpy as np
import pytest

from grid.interlocks import SwitchLimits
from grid.phasors import Phase
from sim.cases import build_case
from sim.feeder_day import IST, FeederDay, HouseSpec
from sim.foresight import ForesightPlan, best_foresight, foresight_replay
from sim.replay import replay

A_TO_W = 230.0


def two_halves_day() -> FeederDay:
    """Four houses whose best assignment changes at midday.

    Morning: houses 0, 1, 2 draw 10 A each, so they belong on three phases. Afternoon: 0 and 1
    draw 10 A, 2 and 3 draw 20 A, so 0 and 1 belong together on one phase. No fixed assignment
    balances both halves; one move at midday does.
    """
    wired = (Phase.R, Phase.Y, Phase.B, Phase.Y)
    houses = tuple(HouseSpec(f"H{i}", p, True, 0.0) for i, p in enumerate(wired))
    steps = 240
    start = datetime(2026, 3, 16, 8, 0, tzinfo=IST).timestamp()
    amps = np.zeros((steps, 4))
    amps[:120, :3] = 10.0
    amps[120:] = (10.0, 10.0, 20.0, 20.0)
    zeros = np.zeros_like(amps)
    ts_s = np.asarray(start + 60.0 * np.arange(steps), dtype=np.float64)
    return FeederDay(houses, ts_s, amps * A_TO_W, zeros, zeros)


def test_foresight_balances_both_halves_where_no_fixed_assignment_can() -> None:
    day = two_halves_day()
    result = foresight_replay(day, ForesightPlan(horizon_min=10, switch_cost=0.1))
    static = replay(day, "static").metrics["neutral_a_rms"]

    assert result.metrics["neutral_a_rms"] == pytest.approx(0.0, abs=1e-6)
    assert static is not None
    assert static > 10.0
    midday = day.ts_s[120]
    assert [(s.ts_s, s.house_id, s.from_phase, s.to_phase) for s in result.switches] == [
        (midday, "H1", Phase.Y, Phase.R)
    ]
    afternoon = result.phase_index[-1]
    assert afternoon[0] == afternoon[1]  # the two 10 A houses share a phase
    assert len({int(afternoon[0]), int(afternoon[2]), int(afternoon[3])}) == 3


def test_foresight_keeps_dwell_daily_caps_and_budget() -> None:
    day = build_case("synth-1")
    limits = SwitchLimits(min_dwell_s=3600.0, max_per_house_day=2, budget_per_day=20)
    result = foresight_replay(day, ForesightPlan(horizon_min=60, switch_cost=0.05), limits)

    assert 0 < len(result.switches) <= 20
    times: dict[str, list[float]] = defaultdict(list)
    for switch in result.switches:
        times[switch.house_id].append(switch.ts_s)
    for ts in times.values():
        assert len(ts) <= 2
        assert all(b - a >= 3600.0 for a, b in pairwise(ts))
    fixed = {h.house_id for h in day.houses if not h.switchable}
    assert fixed.isdisjoint(times)


def test_best_foresight_returns_the_least_neutral_of_its_grid() -> None:
    day = two_halves_day()
    plan, best = best_foresight(day, horizons_min=(10, 60), switch_costs=(0.1, 100.0))
    stuck = foresight_replay(day, ForesightPlan(horizon_min=10, switch_cost=100.0))

    assert (plan.horizon_min, plan.switch_cost) == (10, 0.1)
    assert best.metrics["neutral_a_rms"] is not None
    assert stuck.metrics["neutral_a_rms"] is not None
    assert best.metrics["neutral_a_rms"] < stuck.metrics["neutral_a_rms"]
