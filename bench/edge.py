"""Edge controller benchmark: the control cycle, the closed loop's verdicts, detection → ack.

    python -m bench.edge [--quick]

Prints one JSON line:

- ``control_cycle_ms``: for 50, 100 and 200 houses, the controller's `step()` on the ticks
  where a balancing decision falls due (telemetry intake, sample, forecast, planner, signed
  commands, outbox) and on all ticks, p50/p95/p99 [ms]. The feeder runs from 06:00 to 12:00 IST
  on a fake clock with 10 s telemetry from the simulator's day profiles; its house nodes answer
  in memory with signed acks, and HQ confirms every uplink message.
- ``detect_to_ack_s``: the simulated fleet on the in-process MQTT broker, in real time: virtual
  house nodes (relay delay 0.2 s) and their controllers in one process; per balancing run, from
  the planner's decision to the first house's signed ack, p50/p95/max [s] (target p95 ≤ 1 s).
- ``closed_loop``: the demo's fleet (20 feeders of 40–80 houses, the demo's periods and
  judgement window) on a fake clock for 30 minutes from a few times of day, its nodes in memory
  with 10 s telemetry from the simulator's day profiles and two stuck relays among them. Of
  the planner's moves: how many were confirmed (target ≥ 90 %), rollbacks and failures by
  reason, lockouts; per feeder the true neutral current (from where the loads are) averaged
  over the start (the minutes before the controller may first act, the demo's
  `--history-s`), the first and the last 10 minutes, and the same last minutes' loads on the
  as-built phases; and on how many of the feeders that started unbalanced (start ≥ 8 A) it
  ended lower than at start (target: all), and lower than as built.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.config import HouseConfig
from edge.controller import EdgeController, house_subscriptions, hq_subscriptions
from edge.links import Inbound
from edge.mqtt import MqttConnection
from edge.runner import Runner
from edge.settings import EdgeSettings
from grid.control import ControlConfig
from grid.messages import (
    Committed,
    Event,
    EventKind,
    HouseCommand,
    TopicKind,
    parse_topic,
    topic_for,
)
from grid.metrics import rated_current_a
from grid.phasors import NOMINAL_PHASE_V, UNIT_PHASORS
from grid.signing import sign, split_seal
from grid.timezones import IST_OFFSET_S, ist_minute_of_day
from keys import StaticKeys
from sim.broker import BrokerThread
from sim.fleet import FeederPlan, plan_fleet
from sim.house_nodes import (
    DayProfile,
    Faults,
    FeederNodes,
    SimClock,
    VirtualHouse,
    day_profile,
    derive_key,
)
from sim.live_demo import (
    DEMO_CONTROL_PERIOD_S,
    DEMO_HELP_WINDOW_S,
    DEMO_HISTORY_S,
    DEMO_SUSTAIN_S,
)

SECRET = b"bench-edge"
TICK_S = 10.0
DAY0_S = 1_773_000_000.0 - (1_773_000_000.0 + IST_OFFSET_S) % 86400.0
"""A local (IST) midnight, as epoch seconds."""


def _keys(plans: list[FeederPlan]) -> StaticKeys:
    devices = [d for p in plans for d in (p.feeder_id, *(h.house_id for h in p.houses))]
    return StaticKeys({d: derive_key(SECRET, d) for d in devices})


def _houses(plan: FeederPlan) -> list[HouseConfig]:
    return [HouseConfig(h.house_id, h.phase, h.pv_kw, h.switchable) for h in plan.houses]


@dataclass
class MemoryLink:
    """A link in memory: what is put in `inbox` is drained by the controller."""

    inbox: deque[Inbound] = field(default_factory=deque, kw_only=True)
    connected: bool = field(default=True, kw_only=True)
    epoch: int = field(default=1, kw_only=True)

    def drain(self) -> list[Inbound]:
        """Return and forget the queued messages, oldest first."""
        out = list(self.inbox)
        self.inbox.clear()
        return out


@dataclass
class MemoryHouses(MemoryLink):
    """The house bus in memory: commands reach the virtual nodes, acks come back at once."""

    feeder_id: str
    nodes: dict[str, VirtualHouse]
    now: list[float]

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> bool:
        parsed = parse_topic(topic)
        if parsed.kind is TopicKind.CMD and parsed.house in self.nodes:
            cmd = HouseCommand.from_json(payload, feeder=self.feeder_id)
            ack = self.nodes[parsed.house].handle(cmd, self.now[0])
            ack_topic = topic_for(TopicKind.ACK, self.feeder_id, parsed.house)
            self.inbox.append(Inbound(ack_topic, ack.to_json()))
        return True


@dataclass
class MemoryHq(MemoryLink):
    """HQ in memory: every uplink message is committed at once, with a mark signed as the
    ingest worker signs it; switch results are kept."""

    feeder_id: str
    switches: list[dict[str, Any]] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)
    _counter: int = 0

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> bool:
        if topic.endswith("/status"):
            return True
        parts = split_seal(payload)
        assert parts is not None, "an uplink message without its seal"
        body = parts[0]
        if topic.endswith("/event"):
            event = Event.from_json(body, feeder=self.feeder_id)
            if event.kind is EventKind.SWITCH_RESULT and event.seq not in self._seen:
                self._seen.add(event.seq)
                self.switches.append(dict(event.data))
        head = json.loads(body)
        self._counter += 1
        mark = Committed(int(head["boot"]), int(head["seq"]), self.feeder_id, self._counter)
        signed = sign(mark, derive_key(SECRET, self.feeder_id)).to_json()
        self.inbox.append(Inbound(topic_for(TopicKind.COMMITTED, self.feeder_id), signed))
        return True


def _pcts(values: list[float], *, top: str = "p99") -> dict[str, float]:
    """Return p50, p95 and `top` (p99 or max) of `values`, and their number."""
    a = np.asarray(values)
    last = a.max() if top == "max" else np.percentile(a, 99)
    return {
        "p50": round(float(np.percentile(a, 50)), 3),
        "p95": round(float(np.percentile(a, 95)), 3),
        top: round(float(last), 3),
        "n": len(values),
    }


CLOSED_LOOP_TELE_S = 10.0
STUCK_RELAYS = 2
"""Nodes of the closed-loop fleet whose relay sticks (true failures the loop must catch)."""
UNBALANCED_A = 8.0
"""A feeder whose neutral averaged at least this before the controller could first act started
unbalanced [A]."""


@dataclass
class _LoopFeeder:
    """One feeder of the closed-loop fleet: its plan, nodes, profile, links and controller."""

    plan: FeederPlan
    nodes: dict[str, VirtualHouse]
    profile: DayProfile
    bus: MemoryHouses
    hq: MemoryHq
    controller: EdgeController
    neutral_a: list[float] = field(default_factory=list)
    """The true neutral current at each report, from where the loads are [A]."""
    as_built_a: list[float] = field(default_factory=list)
    """The same moments' neutral current with every house on its as-built phase [A]."""

    def report(self, now_s: float) -> None:
        """Send every house's telemetry and note the true neutral current (where loads are)."""
        minute = ist_minute_of_day(now_s)
        load, q, pv = self.profile.at(minute)
        phases = np.array([self.nodes[h.house_id].phase.ordinal for h in self.plan.houses])
        built = np.array([h.phase.ordinal for h in self.plan.houses])
        currents = (load - pv - 1j * q) / NOMINAL_PHASE_V
        self.neutral_a.append(float(abs((currents * UNIT_PHASORS[phases]).sum())))
        self.as_built_a.append(float(abs((currents * UNIT_PHASORS[built]).sum())))
        for k, h in enumerate(self.plan.houses):
            net_w, q_var, pv_w = float(load[k] - pv[k]), float(q[k]), float(pv[k])
            tele = self.nodes[h.house_id].telemetry(now_s, net_w, q_var, pv_w, NOMINAL_PHASE_V)
            topic = topic_for(TopicKind.TELE, self.plan.feeder_id, h.house_id)
            self.bus.inbox.append(Inbound(topic, tele.to_json()))


def _loop_feeder(
    k: int, plan: FeederPlan, keys: StaticKeys, now: list[float], store_dir: Path
) -> _LoopFeeder:
    nodes = {
        h.house_id: VirtualHouse(h.house_id, h.phase, derive_key(SECRET, h.house_id))
        for h in plan.houses
    }
    bus = MemoryHouses(plan.feeder_id, nodes, now)
    hq = MemoryHq(plan.feeder_id)
    settings = EdgeSettings(
        control_period_s=DEMO_CONTROL_PERIOD_S,
        help_window_s=DEMO_HELP_WINDOW_S,
        phase_rating_a=rated_current_a(plan.kva),
    )
    controller = EdgeController(
        plan.feeder_id,
        _houses(plan),
        clock=lambda: now[0],
        house_bus=bus,
        hq=hq,
        keys=keys,
        store_dir=store_dir / plan.feeder_id,
        settings=settings,
        control=ControlConfig(sustain_s=DEMO_SUSTAIN_S, target_min_history_s=DEMO_HISTORY_S),
    )
    return _LoopFeeder(plan, nodes, day_profile(plan, seed=1000 + k), bus, hq, controller)


def _stick_a_relay(feeder: _LoopFeeder) -> str:
    """Stick the relay of the feeder's switchable house with the most load; return its id."""
    mean_w = np.abs(feeder.profile.p_w - feeder.profile.pv_w).mean(axis=0)
    switchable = [k for k, h in enumerate(feeder.plan.houses) if h.switchable]
    house = feeder.plan.houses[max(switchable, key=lambda k: mean_w[k])].house_id
    feeder.nodes[house].faults = Faults(stuck_relay=True)
    return house


def closed_loop(n_feeders: int, minutes: float, start_h: float, store_dir: Path) -> dict[str, Any]:
    """Run the demo's fleet on a fake clock from `start_h` (IST); return the loop's verdicts."""
    plans = plan_fleet(n_feeders, (40, 80), seed=1)
    keys = _keys(plans)
    now = [DAY0_S + start_h * 3600.0]
    fleet = [_loop_feeder(k, plan, keys, now, store_dir) for k, plan in enumerate(plans)]
    stuck = [_stick_a_relay(feeder) for feeder in fleet[:STUCK_RELAYS]]
    ticks = int(minutes * 60)
    for tick in range(ticks):
        now[0] += 1.0
        for feeder in fleet:
            if tick % int(CLOSED_LOOP_TELE_S) == 0:
                feeder.report(now[0])
            feeder.controller.step()
    result = _verdicts(fleet, stuck)
    for feeder in fleet:
        feeder.controller.close()
    return {"start_ist": f"{int(start_h):02d}:{int(start_h % 1 * 60):02d}", **result}


def _verdicts(fleet: list[_LoopFeeder], stuck: list[str]) -> dict[str, Any]:
    """Return what the planner's moves came to, the lockouts, and the neutral early vs late."""
    moves = [s for f in fleet for s in f.hq.switches if s["origin"] == "auto"]
    ended = [s for s in moves if s["result"] in ("applied", "rolled_back", "failed")]
    confirmed = sum(s["result"] == "applied" for s in ended)
    by_reason: dict[str, dict[str, int]] = {"rolled_back": {}, "failed": {}, "rejected": {}}
    for s in moves:
        if s["result"] in by_reason:
            counts = by_reason[s["result"]]
            counts[s["reason"]] = counts.get(s["reason"], 0) + 1
    window = int(600.0 / CLOSED_LOOP_TELE_S)
    start = int(DEMO_HISTORY_S / CLOSED_LOOP_TELE_S)
    neutral = {
        f.plan.feeder_id: [
            round(float(np.mean(f.neutral_a[:start])), 1),
            round(float(np.mean(f.neutral_a[:window])), 1),
            round(float(np.mean(f.neutral_a[-window:])), 1),
            round(float(np.mean(f.as_built_a[-window:])), 1),
        ]
        for f in fleet
    }
    unbalanced = [row for row in neutral.values() if row[0] >= UNBALANCED_A]
    locked = [h.house_id for f in fleet for h in f.controller.loop.houses if h.locked]
    return {
        "planner_moves": len(ended),
        "confirmed": confirmed,
        "confirmed_share": round(confirmed / max(len(ended), 1), 3),
        **by_reason,
        "lockouts": len(ended) - confirmed,
        "locked_at_end": len(locked),
        "stuck_relays_locked": sum(h in locked for h in stuck),
        "feeders_unbalanced_at_start": len(unbalanced),
        "of_them_lower_at_end": sum(late < early for early, _, late, _ in unbalanced),
        "of_them_lower_than_as_built_at_end": sum(late < built for _, _, late, built in unbalanced),
        "neutral_a_start_first_10_last_10_as_built": neutral,
    }


def time_control_cycle(n_houses: int, hours: float, store_dir: Path) -> dict[str, Any]:
    """Run one feeder on a fake clock and time its steps [ms]."""
    (plan,) = plan_fleet(1, (n_houses, n_houses), seed=n_houses)
    keys = _keys([plan])
    now = [DAY0_S + 6 * 3600.0]
    nodes = {
        h.house_id: VirtualHouse(h.house_id, h.phase, derive_key(SECRET, h.house_id))
        for h in plan.houses
    }
    bus = MemoryHouses(plan.feeder_id, nodes, now)
    hq = MemoryHq(plan.feeder_id)
    controller = EdgeController(
        plan.feeder_id,
        _houses(plan),
        clock=lambda: now[0],
        house_bus=bus,
        hq=hq,
        keys=keys,
        store_dir=store_dir / plan.feeder_id,
        settings=EdgeSettings(stale_after_s=45.0),
    )
    profile = day_profile(plan, seed=n_houses)
    order = [h.house_id for h in plan.houses]
    control_ms: list[float] = []
    all_ms: list[float] = []
    for _ in range(int(hours * 3600 / TICK_S)):
        now[0] += TICK_S
        minute = ist_minute_of_day(now[0])
        load, q, pv = profile.at(minute)
        for k, house in enumerate(order):
            net_w, q_var, pv_w = float(load[k] - pv[k]), float(q[k]), float(pv[k])
            tele = nodes[house].telemetry(now[0], net_w, q_var, pv_w, 230.0)
            topic = topic_for(TopicKind.TELE, plan.feeder_id, house)
            bus.inbox.append(Inbound(topic, tele.to_json()))
        due = now[0] >= controller.next_control_s
        started = time.perf_counter()
        controller.step()
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        all_ms.append(elapsed_ms)
        if due:
            control_ms.append(elapsed_ms)
    runs, switches = controller.stats.runs, dict(controller.stats.switches)
    controller.close()
    return {
        "control": _pcts(control_ms),
        "every_tick": _pcts(all_ms),
        "runs": runs,
        "switches": switches,
    }


def detect_to_ack(n_feeders: int, seconds: float, store_dir: Path) -> dict[str, Any]:
    """Run the fleet on the in-process broker in real time; return detection → ack [s]."""
    broker = BrokerThread(port=0)
    url = broker.start()
    plans = plan_fleet(n_feeders, (40, 80), seed=7)
    keys = _keys(plans)
    clock = SimClock(1.0)
    fleet = [
        FeederNodes(plan, url, keys.key, clock, seed=k, tele_period_s=2.0)  # type: ignore[arg-type]
        for k, plan in enumerate(plans)
    ]
    wake = threading.Event()
    local = MqttConnection(url, wake=wake)
    uplinks: list[MqttConnection] = []
    controllers = []
    settings = EdgeSettings(
        control_period_s=2.0,
        summary_period_s=2.0,
        readings_period_s=10.0,
        stale_after_s=10.0,
        help_window_s=10.0,  # frees each feeder's switcher for its next run sooner
    )
    control = ControlConfig(
        sustain_s=0.0,
        trigger_a=4.0,
        release_a=2.0,
        pacing_head_start=1.0,
        target_min_history_s=10.0,  # the first runs fall within the measured seconds
    )
    for plan in plans:
        hq = MqttConnection(url, client_id=f"sp-edge-{plan.feeder_id}", wake=wake)
        uplinks.append(hq)
        controllers.append(
            EdgeController(
                plan.feeder_id,
                _houses(plan),
                clock=clock.now,
                house_bus=local.port(plan.feeder_id, house_subscriptions(plan.feeder_id)),
                hq=hq.port(plan.feeder_id, hq_subscriptions(plan.feeder_id)),
                keys=keys,
                store_dir=store_dir / "fleet" / plan.feeder_id,
                settings=settings,
                control=control,
            )
        )
    stop = threading.Event()
    runner = Runner(controllers, wake, tick_s=0.25)
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    for connection in (local, *uplinks):
        connection.start()
    for nodes in fleet:
        nodes.start()
    thread.start()
    try:
        time.sleep(seconds)
    finally:
        stop.set()
        thread.join(10)
        for nodes in fleet:
            nodes.stop()
        for c in controllers:
            c.close()
        for part in (*uplinks, local):
            part.stop()
        broker.stop()
    samples = [s for c in controllers for s in c.stats.detect_to_ack_s]
    if not samples:
        return {"n": 0, "error": "no balancing run was acknowledged"}
    return {
        **_pcts(samples, top="max"),
        "feeders": n_feeders,
        "houses": sum(len(p.houses) for p in plans),
        "runner_failures": runner.failures,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.edge", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    hours = 1.0 if args.quick else 6.0
    with tempfile.TemporaryDirectory(prefix="sp-bench-edge-") as tmp:
        cycles = {
            str(n): time_control_cycle(n, hours, Path(tmp) / f"cycle-{n}") for n in (50, 100, 200)
        }
        latency = detect_to_ack(10 if args.quick else 20, 30.0 if args.quick else 90.0, Path(tmp))
        starts = (8.0,) if args.quick else (8.0, 13.0, 19.5)
        loops = [
            closed_loop(10 if args.quick else 20, 30.0, h, Path(tmp) / f"loop-{h}") for h in starts
        ]
    print(
        json.dumps(
            {
                "bench": "edge",
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "control_cycle_ms": cycles,
                "detect_to_ack_s": latency,
                "closed_loop": loops,
                "targets": {"detect_to_ack_p95_s": 1.0, "confirmed_share": 0.9},
                "met": {
                    "detect_to_ack_p95": latency.get("p95", 99.0) <= 1.0,
                    "confirmed_share": all(r["confirmed_share"] >= 0.9 for r in loops),
                    "neutral_lower_at_end": all(
                        r["of_them_lower_at_end"] == r["feeders_unbalanced_at_start"] for r in loops
                    ),
                },
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
