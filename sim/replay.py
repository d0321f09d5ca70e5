"""Offline closed-loop replay of a feeder's readings under a balancing policy (DESIGN §6).

    python -m sim.replay --houses houses.csv --readings readings.csv --out result.json \\
        --policy none|static-survey|static|auto [--survey-until TS] [--eval-from TS] \\
        [--min-dwell-min 30] [--max-per-house-day 3] [--budget-day N] [--max-moves-per-cycle 3]

The readings may cover any number of days. Readings before `--survey-until` are the survey
period; the metrics cover the readings at and after `--eval-from`, as a whole and per local day.
TS is ISO-8601 with an offset, or a date (local midnight in the readings' time zone).

Policies: `none` keeps the as-built wiring; `static-survey` is the best one-time rephasing fitted
on the survey period and made at the start of the evaluation window (what a utility does today
after a field survey); `static` is the best one-time rephasing with hindsight of the evaluation
window itself (a yardstick, not causal); `auto` is the online controller: it runs from the first
reading, causal (a switch at ts takes effect from that step and its decision used only readings
before ts) and bound by every constraint.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from grid.control import BalancingLoop, ControlConfig
from grid.interlocks import SwitchLimits
from grid.metrics import current_unbalance_pct, i2r_loss_w
from grid.phasors import NOMINAL_PHASE_V, UNIT_PHASORS, ComplexArray, FloatArray, Phase
from grid.rephasing import best_static_assignment
from sim.feeder_day import FeederDay
from sim.replay_io import ReplayInputError, read_houses, read_readings

POLICIES = ("none", "static-survey", "static", "auto")
R_PHASE_OHM = 0.05
"""Phase conductor resistance used for the loss estimate, transformer to load centre [Ω]."""
R_NEUTRAL_OHM = 0.05
"""Neutral conductor resistance used for the loss estimate [Ω]."""


class ReplayPeriodError(ValueError):
    """A survey period or evaluation window that the readings do not allow."""


@dataclass(frozen=True, slots=True)
class Periods:
    """The survey period and the evaluation window of a replay, as epoch seconds."""

    survey_until_s: float | None
    """Readings before this time are the survey; None: no survey."""
    eval_from_s: float
    """Metrics cover the readings at and after this time."""

    @staticmethod
    def of(day: FeederDay, survey_until_s: float | None, eval_from_s: float | None) -> Periods:
        """Check the periods against the readings; raise ReplayPeriodError naming the problem."""
        first, last = float(day.ts_s[0]), float(day.ts_s[-1])
        span = f"the readings run from {_local(day, first)} to {_local(day, last)}"
        if survey_until_s is not None and not first < survey_until_s <= last:
            raise ReplayPeriodError(
                f"--survey-until {_local(day, survey_until_s)} leaves no survey or no day after "
                f"it: {span}"
            )
        if eval_from_s is None:
            eval_from_s = first
        elif not first <= eval_from_s <= last:
            raise ReplayPeriodError(f"--eval-from {_local(day, eval_from_s)} is outside: {span}")
        if survey_until_s is not None and eval_from_s < survey_until_s:
            raise ReplayPeriodError(
                f"--eval-from {_local(day, eval_from_s)} is before the end of the survey "
                f"({_local(day, survey_until_s)}): the evaluation must be on unseen readings"
            )
        return Periods(survey_until_s, float(eval_from_s))

    def eval_mask(self, day: FeederDay) -> npt.NDArray[np.bool_]:
        """Return which steps the metrics cover."""
        return np.asarray(day.ts_s >= self.eval_from_s)

    def survey_mask(self, day: FeederDay) -> npt.NDArray[np.bool_]:
        """Return which steps are the survey (none without a survey)."""
        if self.survey_until_s is None:
            return np.zeros(len(day.ts_s), dtype=bool)
        return np.asarray(day.ts_s < self.survey_until_s)


def _local(day: FeederDay, ts_s: float) -> str:
    return datetime.fromtimestamp(ts_s, UTC).astimezone(day.tz).isoformat()


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
    daily: tuple[dict[str, Any], ...]
    """The metrics of every local day of the evaluation window, each with its "date"."""
    switches: tuple[Switch, ...]
    """Every executed move, the survey period's included."""
    decision_ms: dict[str, float]
    phase_index: np.ndarray
    """Phase of every house at every step, shape (steps, houses)."""

    def to_json(self, day: FeederDay) -> dict[str, Any]:
        """Return the result document of the replay contract."""
        return {
            "policy": self.policy,
            "metrics": self.metrics,
            "daily": list(self.daily),
            "switches": [
                {
                    "ts": _local(day, s.ts_s),
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
    sums = np.stack([np.where(phase_index == p, currents, 0).sum(axis=1) for p in range(3)], 1)
    return np.asarray(sums * UNIT_PHASORS[None, :], dtype=np.complex128)


def auto_config() -> ControlConfig:
    """Return the controller configuration of the `auto` policy: the edge's own default."""
    return ControlConfig()


def replay(
    day: FeederDay,
    policy: str,
    config: ControlConfig | None = None,
    periods: Periods | None = None,
) -> ReplayResult:
    """Run one policy over a feeder's readings and score it over the evaluation window.

    `config` defaults to `auto_config()`; `periods` to no survey and every reading evaluated.
    """
    config = config or auto_config()
    periods = periods or Periods.of(day, None, None)
    currents = house_currents(day)
    wired = day.phase_index
    if policy == "none":
        phase_index = np.repeat(wired[None, :], len(day.ts_s), axis=0)
        return scored_result(day, policy, periods, currents, phase_index, (), [0.0])
    if policy in ("static", "static-survey"):
        return _replay_static(day, policy, periods, currents)
    if policy == "auto":
        return _replay_auto(day, currents, config, periods)
    raise ValueError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}")


def _replay_static(
    day: FeederDay, policy: str, periods: Periods, currents: ComplexArray
) -> ReplayResult:
    """Fit one assignment (on the survey, or on the window itself) and make it at the window."""
    if policy == "static-survey":
        if periods.survey_until_s is None:
            raise ReplayPeriodError("static-survey needs a survey period (--survey-until)")
        fitted_on = periods.survey_mask(day)
    else:
        fitted_on = periods.eval_mask(day)
    wired = day.phase_index
    started = time.perf_counter()
    switchable = np.array([h.switchable for h in day.houses])
    best = best_static_assignment(currents[fitted_on], wired, switchable)
    elapsed_ms = (time.perf_counter() - started) * 1e3
    start = int(np.argmax(periods.eval_mask(day)))
    switches = tuple(
        Switch(float(day.ts_s[start]), h.house_id, h.phase, Phase.from_index(int(best[i])))
        for i, h in enumerate(day.houses)
        if best[i] != wired[i]
    )
    phase_index = np.repeat(wired[None, :], len(day.ts_s), axis=0)
    phase_index[start:] = best
    return scored_result(day, policy, periods, currents, phase_index, switches, [elapsed_ms])


def _replay_auto(
    day: FeederDay, currents: ComplexArray, config: ControlConfig, periods: Periods
) -> ReplayResult:
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
    return scored_result(day, "auto", periods, currents, phase_index, tuple(switches), decision_ms)


def scored_result(
    day: FeederDay,
    policy: str,
    periods: Periods,
    currents: ComplexArray,
    phase_index: np.ndarray,
    switches: tuple[Switch, ...],
    decision_ms: list[float],
) -> ReplayResult:
    window = periods.eval_mask(day)
    dates = local_dates(day)
    daily = tuple(
        {"date": d} | score(day, currents, phase_index, switches, window & (dates == d))
        for d in sorted(set(dates[window].tolist()))
    )
    return ReplayResult(
        policy=policy,
        metrics=score(day, currents, phase_index, switches, window),
        daily=daily,
        switches=switches,
        decision_ms={
            "p50": round(float(np.percentile(decision_ms, 50)), 4),
            "p99": round(float(np.percentile(decision_ms, 99)), 4),
        },
        phase_index=phase_index,
    )


def local_day_numbers(day: FeederDay) -> npt.NDArray[np.int64]:
    """Return the local calendar day of every step, as days since 1970-01-01."""
    offset = day.tz.utcoffset(None)
    offset_s = 0.0 if offset is None else offset.total_seconds()
    return np.floor((day.ts_s + offset_s) / 86400.0).astype(np.int64)


def local_dates(day: FeederDay) -> npt.NDArray[np.str_]:
    """Return the local calendar date (YYYY-MM-DD) of every step."""
    return np.asarray(local_day_numbers(day).astype("datetime64[D]").astype(str))


def score(
    day: FeederDay,
    currents: ComplexArray,
    phase_index: np.ndarray,
    switches: tuple[Switch, ...],
    steps: npt.NDArray[np.bool_] | None = None,
) -> dict[str, float | int | None]:
    """Return the replay metrics of an assignment over the `steps` given (default: all).

    Switches count when they fall within the steps' span; per-house-day figures count local
    days.
    """
    if steps is None:
        steps = np.ones(len(day.ts_s), dtype=bool)
    phases = phase_currents_over_time(currents[steps], phase_index[steps])
    neutral = np.abs(phases.sum(axis=1))
    steps_per_15min = max(1, round(900.0 / day.step_s))
    whole = (len(neutral) // steps_per_15min) * steps_per_15min
    means_15min = neutral[:whole].reshape(-1, steps_per_15min).mean(axis=1)
    unbalance = current_unbalance_pct(phases[:, 0], phases[:, 1], phases[:, 2])
    defined = np.isfinite(unbalance)
    first, last = float(day.ts_s[steps][0]), float(day.ts_s[steps][-1])
    counted = [s for s in switches if first <= s.ts_s <= last]
    dates = local_dates(day)
    index = {h.house_id: i for i, h in enumerate(day.houses)}
    per_house: Counter[str] = Counter(s.house_id for s in counted)
    stamps = {float(t): i for i, t in enumerate(day.ts_s.tolist())}
    per_house_day: Counter[tuple[int, str]] = Counter(
        (index[s.house_id], str(dates[stamps.get(s.ts_s, 0)])) for s in counted
    )
    days = max(1.0, int(steps.sum()) * day.step_s / 86400.0)
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
        "switches": len(counted),
        "switches_per_house_day": _round(len(counted) / len(day.houses) / days),
        "switches_max_per_house": max(per_house.values(), default=0),
        "switches_max_per_house_day": max(per_house_day.values(), default=0),
        "houses": len(day.houses),
        "steps": int(steps.sum()),
        "days": _round(int(steps.sum()) * day.step_s / 86400.0),
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
    parser.add_argument(
        "--survey-until", metavar="TS", help="readings before TS are the survey period"
    )
    parser.add_argument(
        "--eval-from", metavar="TS", help="metrics cover the readings at and after TS"
    )
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


def _time_arg(text: str | None, day: FeederDay) -> float | None:
    """Return the epoch time of a TS argument: ISO-8601 with an offset, or a local date."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReplayPeriodError(f"{text!r} is not an ISO-8601 time or date") from None
    if when.tzinfo is None:
        if len(text.strip()) > 10:
            raise ReplayPeriodError(f"{text!r} has no UTC offset (e.g. +05:30)")
        when = when.replace(tzinfo=day.tz)
    return when.timestamp()


def main(argv: list[str] | None = None) -> int:
    """Run the replay command line; return the exit status (2 for bad input)."""
    args = parse_args(argv)
    try:
        houses = read_houses(args.houses)
        day = read_readings(args.readings, houses)
        periods = Periods.of(day, _time_arg(args.survey_until, day), _time_arg(args.eval_from, day))
        if args.policy == "static-survey" and periods.survey_until_s is None:
            raise ReplayPeriodError("static-survey needs a survey period: give --survey-until")
    except (ReplayInputError, ReplayPeriodError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = replay(day, args.policy, config_from_args(args), periods)
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
