"""Balancing benchmark: planner decision time and replay quality on the development cases.

    python -m bench.balance [--quick]

Prints one JSON line:

- ``planner_ms``: plan_moves for 50, 100 and 200 houses on states taken from a running control
  loop (forecast points plus six hours of history scenarios), unbalance forced to "sustained"
  so the search always runs; p50 and p99 over the sampled cycles. ``control_step`` is the
  decision of the replay's (and the edge's) `auto` policy from the second day on (the target
  strategy of grid.control: the assignment that minimises the expected squared neutral, the
  moves toward it that pay, each checked against the last days' phase peaks); the loop commits
  nothing here, so it keeps asking for its first moves, a worst case.
- ``cases``: for every single-day development case, none, static (hindsight), auto and the
  foresight yardstick, and the auto trade-off at a quarter and a half of the daily budget;
  ``held_out`` the same on synthetic seeds that no tuning has seen.
- ``weeks``: for every multi-day development case (sim.weeks: a survey day, then six days of
  evaluation), none, static-survey (the one-time fix a field survey gives), static (hindsight of
  the six days, a yardstick), auto and foresight, over the evaluation window; ``held_out_weeks``
  the same on weeks no tuning has seen. ``targets`` says, per target of DESIGN §8, whether it
  holds on every case.
- ``foresight`` in each case: the yardstick of sim.foresight, re-phasing with perfect knowledge
  of the coming hours under auto's limits and budget (not causal). Its margin over ``static``
  bounds what any forecast could buy a time-varying controller.
"""

from __future__ import annotations

import os

# One BLAS thread: the decisions are small matrix products, and a threaded BLAS on a busy
# 2-core machine turns them into scheduler waits (p99 of tens of ms). Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import platform
import sys
import time
from dataclasses import replace
from typing import Any

import numpy as np

from grid.control import BalancingLoop
from grid.phasors import UNIT_PHASORS
from grid.planner import FeederState, plan_moves
from sim.cases import build_case, list_cases
from sim.feeder_day import FeederDay
from sim.foresight import ForesightPlan, best_foresight, foresight_replay
from sim.replay import Periods, auto_config, house_currents, replay
from sim.weeks import HELD_OUT_WEEKS, build_week, list_weeks

HELD_OUT = ("synth-101", "synth-102", "synth-103", "synth-104")
BUDGET_SHARES = (0.25, 0.5, 1.0)
"""Shares of the daily budget auto is run at on the single-day cases."""


def _pooled_day(n_houses: int, days: int = 3) -> FeederDay:
    """Return `days` days of `n_houses` houses taken from the synthetic development weeks."""
    weeks = [build_week(f"week-{seed}").day for seed in (1, 2, 3, 4)]
    houses = [h for d in weeks for h in d.houses]
    if n_houses > len(houses):
        raise ValueError(f"only {len(houses)} houses available")
    steps = days * 1440

    def cols(name: str) -> np.ndarray:
        return np.concatenate([getattr(d, name)[:steps] for d in weeks], axis=1)[:, :n_houses]

    return FeederDay(
        houses=tuple(houses[:n_houses]),
        ts_s=weeks[0].ts_s[:steps],
        p_w=cols("p_w"),
        q_var=cols("q_var"),
        pv_w=cols("pv_w"),
    )


def time_planner(n_houses: int, samples: int) -> dict[str, dict[str, float]]:
    """Time plan_moves and control_step on states from a running loop [ms]."""
    day = _pooled_day(n_houses)
    loop = BalancingLoop(
        [h.house_id for h in day.houses],
        [h.phase for h in day.houses],
        [h.switchable for h in day.houses],
        [h.pv_kw for h in day.houses],
        auto_config(),
    )
    currents = house_currents(day)
    phase = day.phase_index
    plan_ms: list[float] = []
    step_ms: list[float] = []
    sample_at = set(np.linspace(1440 + 60, len(day.ts_s) - 1, samples).astype(int).tolist())
    for t, now_s in enumerate(day.ts_s.tolist()):
        if t in sample_at:
            forecast = loop.forecaster.forecast(now_s)
            state = FeederState(now_s=now_s, houses=loop.houses, forecast=forecast, sustained=True)
            started = time.perf_counter()
            plan_moves(state, loop.config.planner)
            plan_ms.append((time.perf_counter() - started) * 1e3)
            started = time.perf_counter()
            loop.control_step(now_s)
            step_ms.append((time.perf_counter() - started) * 1e3)
        neutral = abs(complex(np.sum(currents[t] * UNIT_PHASORS[phase])))
        loop.observe(now_s, day.p_w[t], day.q_var[t], day.pv_w[t], neutral_a=neutral)
    return {
        "plan_moves": _percentiles(plan_ms),
        "control_step": _percentiles(step_ms),
        "points": {"value": int(loop.forecaster.forecast(day.ts_s[-1]).weights.size)},
    }


def _percentiles(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(float(np.percentile(values, 50)), 3),
        "p99": round(float(np.percentile(values, 99)), 3),
        "max": round(float(np.max(values)), 3),
    }


def score_case(name: str, budget_shares: tuple[float, ...]) -> dict[str, Any]:
    """Run none, static and auto (at several daily budgets) on one case."""
    day = build_case(name)
    none = replay(day, "none").metrics
    static = replay(day, "static").metrics
    base = auto_config()
    out: dict[str, Any] = {"houses": len(day.houses), "none": _brief(none, none)}
    out["static"] = _brief(static, none)
    for share in budget_shares:
        budget = max(1, round(share * len(day.houses)))
        limits = replace(base.planner.limits, budget_per_day=budget)
        config = replace(base, planner=replace(base.planner, limits=limits))
        result = replay(day, "auto", config)
        key = "auto" if share == 1.0 else f"auto_budget_{share:g}"
        out[key] = _brief(result.metrics, none) | {"decision_ms_p99": result.decision_ms["p99"]}
    plan, foresight = best_foresight(day, base.planner.limits)
    out["foresight"] = _brief(foresight.metrics, none) | {
        "horizon_min": plan.horizon_min,
        "switch_cost": plan.switch_cost,
    }
    return out


def score_week(name: str) -> dict[str, Any]:
    """Run every policy on one multi-day case over its evaluation window."""
    week = build_week(name)
    day = week.day
    periods = Periods.of(day, week.survey_until_s, week.eval_from_s)
    as_built = replay(day, "none", periods=periods)
    none = as_built.metrics
    out: dict[str, Any] = {
        "houses": len(day.houses),
        "days": none["days"],
        "none": _brief(none, none),
    }
    for policy in ("static-survey", "static"):
        out[policy] = _brief(replay(day, policy, periods=periods).metrics, none)
    result = replay(day, "auto", periods=periods)
    out["auto"] = _brief(result.metrics, none) | {
        "decision_ms_p99": result.decision_ms["p99"],
        "daily_reduction_pct": [
            round(100 * (1 - d["neutral_a_rms"] / n["neutral_a_rms"]), 1)
            for d, n in zip(result.daily, as_built.daily, strict=True)
        ],
    }
    foresight = foresight_replay(day, ForesightPlan(), auto_config().planner.limits, periods)
    out["foresight"] = _brief(foresight.metrics, none)
    return out


def week_targets(weeks: dict[str, dict[str, Any]]) -> dict[str, bool]:
    """Return whether each multi-day target of DESIGN §8 holds on every case."""

    def cut(case: dict[str, Any], policy: str) -> float:
        return float(case[policy]["neutral_reduction_pct"])

    return {
        "auto_ge_static_survey_plus_10": all(
            cut(c, "auto") >= cut(c, "static-survey") + 10 for c in weeks.values()
        ),
        "auto_ge_static_minus_2": all(
            cut(c, "auto") >= cut(c, "static") - 2 for c in weeks.values()
        ),
        "switches_per_house_day_le_1": all(
            c["auto"]["switches_per_house_day"] <= 1.0 for c in weeks.values()
        ),
        "switches_max_per_house_day_le_3": all(
            c["auto"]["switches_max_per_house_day"] <= 3 for c in weeks.values()
        ),
        "no_phase_peak_above_none": all(
            c["auto"]["phase_peak_vs_none"] <= 1.0 for c in weeks.values()
        ),
    }


def day_targets(cases: dict[str, dict[str, Any]]) -> dict[str, bool]:
    """Return whether each single-day target of DESIGN §8 holds on every case."""
    return {
        "auto_cut_ge_35": all(c["auto"]["neutral_reduction_pct"] >= 35 for c in cases.values()),
        "switches_per_house_le_1": all(
            c["auto"]["switches_per_house_day"] <= 1.0 for c in cases.values()
        ),
        "no_phase_peak_above_none": all(
            c["auto"]["phase_peak_vs_none"] <= 1.0 for c in cases.values()
        ),
    }


def _brief(metrics: dict[str, Any], none: dict[str, Any]) -> dict[str, Any]:
    return {
        "neutral_a_rms": metrics["neutral_a_rms"],
        "neutral_reduction_pct": round(
            100 * (1 - metrics["neutral_a_rms"] / none["neutral_a_rms"]), 1
        ),
        "neutral_a_15min_p95": metrics["neutral_a_15min_p95"],
        "unbalance_pct_mean": metrics["unbalance_pct_mean"],
        "phase_a_max": metrics["phase_a_max"],
        "phase_peak_vs_none": round(metrics["phase_a_max"] / none["phase_a_max"], 3),
        "switches": metrics["switches"],
        "switches_per_house_day": metrics["switches_per_house_day"],
        "switches_max_per_house": metrics["switches_max_per_house"],
        "switches_max_per_house_day": metrics["switches_max_per_house_day"],
    }


def summarise(cases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return the figures the targets are judged on, over a set of cases."""
    auto = [c["auto"] for c in cases.values()]
    static = [c["static"] for c in cases.values()]
    foresight = [c["foresight"] for c in cases.values()]

    def mean_margin(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> float:
        margins = [
            x["neutral_reduction_pct"] - y["neutral_reduction_pct"]
            for x, y in zip(a, b, strict=True)
        ]
        return round(float(np.mean(margins)), 1)

    return {
        "auto_reduction_pct_mean": round(
            float(np.mean([a["neutral_reduction_pct"] for a in auto])), 1
        ),
        "auto_reduction_pct_min": min(a["neutral_reduction_pct"] for a in auto),
        "static_reduction_pct_mean": round(
            float(np.mean([s["neutral_reduction_pct"] for s in static])), 1
        ),
        "auto_minus_static_pts_mean": mean_margin(auto, static),
        "foresight_reduction_pct_mean": round(
            float(np.mean([f["neutral_reduction_pct"] for f in foresight])), 1
        ),
        "foresight_minus_static_pts_mean": mean_margin(foresight, static),
        "foresight_minus_static_pts_max": round(
            max(
                f["neutral_reduction_pct"] - s["neutral_reduction_pct"]
                for f, s in zip(foresight, static, strict=True)
            ),
            1,
        ),
        "auto_beats_static_cases": sum(
            a["neutral_a_rms"] < s["neutral_a_rms"] for a, s in zip(auto, static, strict=True)
        ),
        "auto_switches_per_house_day_mean": round(
            float(np.mean([a["switches_per_house_day"] for a in auto])), 3
        ),
        "auto_switches_max_per_house": max(a["switches_max_per_house"] for a in auto),
        "auto_phase_peak_above_none_cases": sum(a["phase_peak_vs_none"] > 1.0 for a in auto),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.balance")
    parser.add_argument("--quick", action="store_true", help="fewer samples and cases")
    args = parser.parse_args(argv)
    samples = 100 if args.quick else 400
    started = time.perf_counter()
    time_planner(50, 50)  # warm-up: first calls pay for lazy imports and first-touch memory
    planner = {str(n): time_planner(n, samples) for n in (50, 100, 200)}
    names = list_cases()[:2] if args.quick else list_cases()
    cases = {name: score_case(name, BUDGET_SHARES) for name in names}
    held_out = {} if args.quick else {name: score_case(name, (1.0,)) for name in HELD_OUT}
    week_names = list_weeks()[:2] if args.quick else list_weeks()
    weeks = {name: score_week(name) for name in week_names}
    held_out_weeks = {} if args.quick else {name: score_week(name) for name in HELD_OUT_WEEKS}
    figures = {
        "bench": "balance",
        "machine": {
            "cpus": _cpus(),
            "python": sys.version.split()[0],
            "platform": platform.machine(),
        },
        "planner_ms": planner,
        "summary": summarise(cases),
        "summary_held_out": summarise(held_out) if held_out else None,
        "targets": {
            "days": day_targets(cases | held_out),
            "weeks": week_targets(weeks),
            "held_out_weeks": week_targets(held_out_weeks) if held_out_weeks else None,
        },
        "cases": cases,
        "held_out": held_out,
        "weeks": weeks,
        "held_out_weeks": held_out_weeks,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(figures, separators=(",", ":")))
    return 0


def _cpus() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    raise SystemExit(main())
