"""Plans from the grid control loop, and the small state changes the edge makes to it."""

from __future__ import annotations

from dataclasses import replace

from grid.control import BalancingLoop, ControlConfig
from grid.phasors import Phase
from grid.planner import FeederState, Plan, plan_moves


def forced_plan(loop: BalancingLoop, now_s: float) -> Plan:
    """Return the plan `control_step` would give if the unbalance were sustained (balance_now)."""
    cfg = loop.config
    limits = replace(cfg.planner.limits, budget_per_day=int(loop.allowance(now_s)))
    planner = replace(cfg.planner, cost_scale=loop.cost_scale(now_s), limits=limits)
    state = FeederState(
        now_s=now_s,
        houses=loop.houses,
        forecast=loop.forecaster.forecast(now_s),
        phase_rating_a=cfg.phase_rating_a,
        switches_today=loop.switches_today,
        sustained=True,
    )
    return plan_moves(state, planner)


def set_phase(loop: BalancingLoop, index: int, phase: Phase) -> None:
    """Record the phase a house reports being on (not a switch: no count, no dwell)."""
    loop.houses[index] = replace(loop.houses[index], phase=phase)


def reconfigure(loop: BalancingLoop, config: ControlConfig) -> None:
    """Give the loop a new configuration, thresholds included."""
    loop.config = config
    loop.detector.trigger_a = config.trigger_a
    loop.detector.release_a = config.release_a
    loop.detector.sustain_s = config.sustain_s
