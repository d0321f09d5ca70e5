"""The demo: the whole closed loop on one machine, or a replay of one feeder day.

    python -m sim.demo [--feeders 20] [--houses 40-80] [--speed 1] [--until-ready]
    python -m sim.demo --replay [--case synth-2]

The live demo provisions a simulated Kerala fleet into the store at SP_DATABASE_URL (default a
SQLite file), starts the in-process MQTT broker unless SP_MQTT_URL is set, then runs the ingest
worker, the fleet's edge controllers (`python -m edge --simulate`) and the virtual house nodes
(`python -m sim`) as child processes, and reports what reaches the store until Ctrl-C (or
SIGTERM) stops it. The first of the `--feeders` is the story feeder (sim/story.py): R overloaded
in its morning from the start, then balanced by its controller within the first minutes; the
demo prints the story's milestones as they reach the store.
`--replay` instead replays a feeder day under each policy and prints the before/after table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from sim.cases import build_case, list_cases
from sim.fleet import house_range_arg
from sim.replay import POLICIES, ReplayResult, replay

ROWS = (
    ("neutral current RMS", "neutral_a_rms", "A"),
    ("neutral current mean", "neutral_a_mean", "A"),
    ("neutral 15-min p95", "neutral_a_15min_p95", "A"),
    ("current unbalance, mean", "unbalance_pct_mean", "%"),
    ("highest phase current", "phase_a_max", "A"),
    ("line losses (estimate)", "loss_kwh", "kWh"),
    ("switches", "switches", ""),
    ("switches per house", "switches_per_house_day", ""),
    ("most switches, one house", "switches_max_per_house", ""),
)


def format_table(case: str, results: dict[str, ReplayResult]) -> str:
    """Return the before/after table of one case."""
    none = results["none"].metrics
    header = f"{'':28s}" + "".join(f"{p:>14s}" for p in POLICIES)
    lines = [header, "-" * len(header)]
    for label, key, unit in ROWS:
        cells = [f"{_cell(results[policy].metrics[key]):>14}" for policy in POLICIES]
        lines.append(f"{label + (f' [{unit}]' if unit else ''):28s}" + "".join(cells))
    base = none["neutral_a_rms"]
    assert isinstance(base, float)
    cut = "".join(
        f"{100 * (1 - float(results[p].metrics['neutral_a_rms'] or 0) / base):13.1f}%"
        for p in POLICIES
    )
    lines.append(f"{'neutral RMS cut vs none':28s}" + cut)
    p99 = results["auto"].decision_ms["p99"]
    lines.append(f"\nauto: causal, every constraint; decision p99 {p99:.2f} ms per cycle")
    lines.append("static: best one-time rephasing with hindsight of the whole day")
    return f"Feeder day {case}\n\n" + "\n".join(lines)


def _cell(value: float | int | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def run_replay(case: str) -> int:
    """Replay one feeder day under every policy and print the before/after table."""
    started = time.perf_counter()
    try:
        day = build_case(case)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"SmartPhase replay: {len(day.houses)} houses, {len(day.ts_s)} one-minute steps, "
        f"{sum(h.pv_kw > 0 for h in day.houses)} with rooftop PV\n"
    )
    results = {policy: replay(day, policy) for policy in POLICIES}
    print(format_table(case, results))
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo."""
    parser = argparse.ArgumentParser(prog="python -m sim.demo", description=__doc__)
    parser.add_argument("--replay", action="store_true", help="replay one feeder day instead")
    parser.add_argument("--case", default="synth-2", help=f"one of {', '.join(list_cases())}")
    parser.add_argument(
        "--feeders", type=int, default=20, help="feeders, the story feeder among them"
    )
    parser.add_argument("--houses", type=house_range_arg, default=(40, 80))
    parser.add_argument("--speed", type=float, default=1.0, help="simulated-time acceleration")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--until-ready",
        action="store_true",
        help="stop once summaries, readings, balancing runs and switches are stored",
    )
    parser.add_argument("--timeout", type=float, default=180.0, help="with --until-ready [s]")
    args = parser.parse_args(argv)
    if args.replay:
        return run_replay(args.case)
    from sim.live_demo import LiveDemo, LiveDemoError  # noqa: PLC0415 - the replay needs none

    try:
        demo = LiveDemo.from_env(args.feeders, args.houses, args.speed, args.seed)
    except LiveDemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return demo.run(until_ready=args.until_ready, timeout_s=args.timeout)


if __name__ == "__main__":
    raise SystemExit(main())
