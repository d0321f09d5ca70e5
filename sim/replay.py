"""Offline closed-loop replay of a feeder day under a balancing policy (DESIGN §6 contract).

    python -m sim.replay --houses houses.csv --readings readings.csv --out result.json \\
        --policy auto|none|static [--min-dwell-min 30] [--max-per-house-day 3] [--budget-day N]

Policies: `none` keeps the wiring; `static` is the best one-time rephasing found with hindsight
of the whole day (what a utility crew does by hand; not causal, by design); `auto` is the online
controller: causal (a switch at ts takes effect from that step and its decision used only
readings before ts) and bound by every constraint.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from grid.control import BalancingLoop, ControlConfig
from grid.interlocks import SwitchLimits
from grid.metrics import current_unbalance_pct, i2r_loss_w
from grid.phasors import NOMINAL_PHASE_V, UNIT_PHASORS, ComplexArray, FloatArray, Phase
from grid.rephasing import best_static_assignment
from sim.feeder_day import FeederDay
from sim.replay_io import ReplayInputError, read_houses, read_readings

POLICIES = ("none", "static", "auto")
R_PHASE_OHM = 0.05
"""Phase conductor resistance used for the loss estimate, transformer to load centre [Ω]."""
R_NEUTRAL_OHM = 0.05
"""Neutral conductor resistance used for the loss estimate [Ω]."""


@dataclass(frozen=True)
class Switch:
    """One executed move."""

    ts_s: float
    house_id: str
    from_phase: Phase
    to_phase: Phase


@dataclass(frozen=True)
class ReplayResult:
    """What a replay produced."""

    policy: str
    metrics: dict[str, float | int | None]
    switches: tuple[Switch, ...]
    decision_ms: dict[str, float]
    phase_index: np.ndarray
    """Phase of every house at every step, shape (steps, houses)."""

    def to_json(self, day: FeederDay) -> dict[str, Any]:
        """Return the result document of the replay contract."""
        return {
            "policy": self.policy,
            "metrics": self.metrics,
            "switches": [
                {
                    "ts": datetime.fromtimestamp(s.ts_s, UTC).astimezone(day.tz).isoformat(),
                    "house_id": s.house_id,
                    "from": s.from_phase.value,
                    "to": s.to_phase.value,
                }
                for s in self.switches
            ],
            "decision_ms": self.decision_ms,
        }


def house_currents(day: FeederDay) -> ComplexArray:
    """Return conj(S)/V of every house at every step, before rotation to its phase [A]."""
    return np.asarray((day.p_w - 1j * day.q_var) / NOMINAL_PHASE_V, dtype=np.complex128)


def phase_currents_over_time(currents: ComplexArray, phase_index: np.ndarray) -> ComplexArray:
    """Return the phase current phasors, shape (steps, 3), for a per-step assignment [A]."""
    one_hot = np.eye(3)[phase_index]  # (steps, houses, 3)
    sums = np.einsum("th,thp->tp", currents, one_hot)
    return np.asarray(sums * UNIT_PHASORS[None, :], dtype=np.complex128)


def auto_config() -> ControlConfig:
    """Return the controller configuration of the `auto` policy: the target strategy."""
    return ControlConfig(strategy="target")


def replay(day: FeederDay, policy: str, config: ControlConfig | None = None) -> ReplayResult:
    """Run one policy over a feeder day and score it (`config` defaults to `auto_config()`)."""
    config = config or auto_config()
    currents = house_currents(day)
    wired = day.phase_index
    if policy == "none":
        phase_index = np.repeat(wired[None, :], len(day.ts_s), axis=0)
        return _result(day, policy, currents, phase_index, (), [0.0])
    if policy == "static":
        started = time.perf_counter()
        switchable = np.array([h.switchable for h in day.houses])
        best = best_static_assignment(currents, wired, switchable)
        elapsed_ms = (time.perf_counter() - started) * 1e3
        switches = tuple(
            Switch(float(day.ts_s[0]), h.house_id, h.phase, Phase.from_index(int(best[i])))
            for i, h in enumerate(day.houses)
            if best[i] != wired[i]
        )
        phase_index = np.repeat(best[None, :], len(day.ts_s), axis=0)
        return _result(day, policy, currents, phase_index, switches, [elapsed_ms])
    if policy == "auto":
        return _replay_auto(day, currents, config)
    raise ValueError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}")


def _replay_auto(day: FeederDay, currents: ComplexArray, config: ControlConfig) -> ReplayResult:
    loop = BalancingLoop(
        [h.house_id for h in day.houses],
        [h.phase for h in day.houses],
        [h.switchable for h in day.houses],
        [h.pv_kw for h in day.houses],
        config,
    )
    index = {h.house_id: i for i, h in enumerate(day.houses)}
    phase = day.phase_index.copy()
    phase_index = np.empty((len(day.ts_s), len(day.houses)), dtype=np.intp)
    switches: list[Switch] = []
    decision_ms: list[float] = []
    for t, now_s in enumerate(day.ts_s.tolist()):
        if t > 0:
            started = time.perf_counter()
            plan = loop.control_step(now_s)
            decision_ms.append((time.perf_counter() - started) * 1e3)
            for move in plan.moves:
                loop.commit(move, now_s)
                phase[index[move.house_id]] = move.to_phase.ordinal
                switches.append(Switch(now_s, move.house_id, move.from_phase, move.to_phase))
        phase_index[t] = phase
        neutral_a = abs(complex(np.sum(currents[t] * UNIT_PHASORS[phase])))
        loop.observe(now_s, day.p_w[t], day.q_var[t], day.pv_w[t], neutral_a=neutral_a)
    return _result(day, "auto", currents, phase_index, tuple(switches), decision_ms)


def _result(
    day: FeederDay,
    policy: str,
    currents: ComplexArray,
    phase_index: np.ndarray,
    switches: tuple[Switch, ...],
    decision_ms: list[float],
) -> ReplayResult:
    return ReplayResult(
        policy=policy,
        metrics=score(day, currents, phase_index, switches),
        switches=switches,
        decision_ms={
            "p50": round(float(np.percentile(decision_ms, 50)), 4),
            "p99": round(float(np.percentile(decision_ms, 99)), 4),
        },
        phase_index=phase_index,
    )


def score(
    day: FeederDay,
    currents: ComplexArray,
    phase_index: np.ndarray,
    switches: tuple[Switch, ...],
) -> dict[str, float | int | None]:
    """Return the replay metrics of an assignment over the day."""
    phases = phase_currents_over_time(currents, phase_index)
    neutral = np.abs(phases.sum(axis=1))
    steps_per_15min = max(1, round(900.0 / day.step_s))
    whole = (len(neutral) // steps_per_15min) * steps_per_15min
    means_15min = neutral[:whole].reshape(-1, steps_per_15min).mean(axis=1)
    unbalance = current_unbalance_pct(phases[:, 0], phases[:, 1], phases[:, 2])
    defined = np.isfinite(unbalance)
    per_house = np.zeros(len(day.houses), dtype=int)
    index = {h.house_id: i for i, h in enumerate(day.houses)}
    for s in switches:
        per_house[index[s.house_id]] += 1
    days = max(1.0, len(day.ts_s) * day.step_s / 86400.0)
    loss_kwh = i2r_loss_w(phases, R_PHASE_OHM, R_NEUTRAL_OHM).sum() * day.step_s / 3.6e6
    return {
        "neutral_a_rms": _round(np.sqrt(np.mean(neutral**2))),
        "neutral_a_mean": _round(neutral.mean()),
        "neutral_a_max": _round(neutral.max()),
        "neutral_a_15min_p95": _round(np.percentile(means_15min, 95)) if whole else None,
        "unbalance_pct_mean": _round(unbalance[defined].mean()) if defined.any() else None,
        "phase_a_max": _round(np.abs(phases).max()),
        "phase_a_max_r": _round(np.abs(phases[:, 0]).max()),
        "phase_a_max_y": _round(np.abs(phases[:, 1]).max()),
        "phase_a_max_b": _round(np.abs(phases[:, 2]).max()),
        "loss_kwh": _round(loss_kwh),
        "switches": len(switches),
        "switches_per_house_day": _round(len(switches) / len(day.houses) / days),
        "switches_max_per_house": int(per_house.max()),
        "houses": len(day.houses),
        "steps": len(day.ts_s),
    }


def _round(value: float | FloatArray | np.floating[Any]) -> float:
    return round(float(value), 3)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the replay command line."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.replay", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--houses", type=Path, required=True, help="houses.csv")
    parser.add_argument("--readings", type=Path, required=True, help="readings.csv")
    parser.add_argument("--out", type=Path, required=True, help="result.json")
    parser.add_argument("--policy", choices=POLICIES, default="auto")
    parser.add_argument("--min-dwell-min", type=float, default=30.0, help="minutes on a phase")
    parser.add_argument("--max-per-house-day", type=int, default=3, help="switches per house/day")
    parser.add_argument("--budget-day", type=int, default=None, help="switches per feeder/day")
    parser.add_argument("--max-moves-per-cycle", type=int, default=3)
    args = parser.parse_args(argv)
    for name in ("min_dwell_min", "max_per_house_day", "budget_day", "max_moves_per_cycle"):
        value = getattr(args, name)
        if value is not None and value < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    return args


def config_from_args(args: argparse.Namespace) -> ControlConfig:
    """Return the controller configuration with the constraint flags applied."""
    base = auto_config()
    limits = SwitchLimits(
        min_dwell_s=args.min_dwell_min * 60.0,
        max_per_house_day=args.max_per_house_day,
        max_moves_per_cycle=args.max_moves_per_cycle,
        budget_per_day=args.budget_day,
    )
    return replace(base, planner=replace(base.planner, limits=limits))


def main(argv: list[str] | None = None) -> int:
    """Run the replay command line; return the exit status (2 for bad input)."""
    args = parse_args(argv)
    try:
        houses = read_houses(args.houses)
        day = read_readings(args.readings, houses)
    except ReplayInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = replay(day, args.policy, config_from_args(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result.to_json(day), indent=1) + "\n", encoding="utf-8")
    m = result.metrics
    print(
        f"{args.policy}: neutral RMS {m['neutral_a_rms']} A, switches {m['switches']}, "
        f"decision p99 {result.decision_ms['p99']} ms -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
