"""Decoding benchmark: wire messages per second through the decoders alone, in one thread.

    python -m bench.decode [--seconds 1.0] [--repeat 3]

Prints one JSON line:

- ``uplink_per_s``: edge→HQ messages through `ingest.decode.decode_uplink`, as the ingest
  worker calls it per message (seal opened, topic parsed, payload validated, provisioned
  feeder and houses checked, ledger digest): a `readings` batch of 100 rows, a summary, each
  event kind the edge sends, a raised alert and a birth status; ``readings_rows_per_s`` is the
  readings rate × 100;
- ``wire_per_s``: every other message type through `grid.messages.decode` (topic and payload):
  telemetry, signed house command and ack, house state, signed control command and
  `committed` mark.

Each figure is the best of `--repeat` runs of at least `--seconds` each, over a pool of
distinct payloads built by sim.uplink_traffic and grid's own encoders, so that the decoders
see what an edge and a house node send.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

from grid.events import CommandState
from grid.messages import (
    AlertState,
    Committed,
    ControlAction,
    ControlCommand,
    HouseAck,
    HouseCommand,
    HouseState,
    Mode,
    RelayState,
    Telemetry,
    TopicKind,
    WireMessage,
    decode,
    topic_for,
)
from grid.phasors import PHASES, Phase
from grid.signing import sign
from ingest.decode import Fleet, decode_uplink
from sim.uplink_traffic import FeederTraffic, traffic_key

POOL = 200
"""Distinct payloads of each message type, decoded in turn."""
ROWS = 100
"""Rows of each `readings` batch."""
NOW_S = 1_796_000_000.0
"""HQ's clock while it decodes [epoch s] (after every synthetic message's time)."""
KEY = bytes(range(32))


def _rate(decode_one: Callable[[int], object], seconds: float, repeat: int) -> float:
    """Return the best messages/s of `repeat` runs of at least `seconds` each."""
    best = 0.0
    for _ in range(repeat):
        n = 0
        started = time.perf_counter()
        while True:
            for k in range(POOL):
                decode_one(k)
            n += POOL
            elapsed = time.perf_counter() - started
            if elapsed >= seconds:
                break
        best = max(best, n / elapsed)
    return best


def uplink_payloads() -> tuple[Fleet, dict[str, list[tuple[str, bytes]]]]:
    """Return the fleet and a pool of sealed (topic, payload) per uplink message kind."""
    traffic = FeederTraffic.make("KL-BEN-0001", 80, boot=1_000, seed=1)
    fleet = Fleet({traffic.feeder: frozenset(traffic.houses)})
    makers: dict[str, Callable[[int], WireMessage]] = {
        "readings": lambda k: traffic.readings(ROWS),
        "summary": lambda k: traffic.summary(),
        "event_balancing_run": lambda k: traffic.balancing_run(f"run-{k}"),
        "event_switch_result": lambda k: traffic.switch_result(f"c{k}", f"run-{k}"),
        "event_command_result": lambda k: traffic.command_result(f"c{k}", CommandState.APPLIED),
        "event_mode_change": lambda k: traffic.mode_change(Mode.MANUAL),
        "alert": lambda k: traffic.alert(f"a-{k}", AlertState.RAISED),
        "status": lambda k: traffic.status(),
    }
    pools = {}
    for name, make in makers.items():
        messages = [make(k) for k in range(POOL)]
        pools[name] = [(traffic.topic(m), traffic.payload(m)) for m in messages]
    return fleet, pools


def wire_payloads() -> dict[str, list[tuple[str, bytes]]]:
    """Return a pool of (topic, payload) per house-side and HQ→edge message kind."""
    feeder = "KL-BEN-0001"

    def house(k: int) -> str:
        return f"{feeder}-H{k % 80 + 1:03d}"

    def tele(k: int) -> WireMessage:
        return Telemetry(
            NOW_S + k, k, 230.0 + k % 9, 4.25, 950.5, 120.0, 0.0, PHASES[k % 3], RelayState.OK
        )

    def cmd(k: int) -> WireMessage:
        return sign(HouseCommand(f"c{k}", house(k), k + 1, 1_795_000_060, Phase.R, Phase.Y), KEY)

    def ack(k: int) -> WireMessage:
        ack = HouseAck(f"c{k}", house(k), k + 1, True, Phase.Y, "", 1_795_000_000 + k)
        return sign(ack, KEY)

    def ctl(k: int) -> WireMessage:
        command = ControlCommand(
            f"h{k}",
            feeder,
            k + 1,
            1_795_000_060,
            ControlAction.SWITCH,
            house=house(k),
            from_phase=Phase.R,
            to_phase=Phase.B,
        )
        return sign(command, traffic_key(feeder))

    makers: dict[str, tuple[Callable[[int], WireMessage], bool]] = {
        "tele": (tele, True),
        "cmd": (cmd, True),
        "ack": (ack, True),
        "state": (lambda k: HouseState(True, f"1.{k}.0"), True),
        "ctl": (ctl, False),
        "committed": (
            lambda k: sign(Committed(1_000, k + 1, feeder, k + 1), traffic_key(feeder)),
            False,
        ),
    }
    pools = {}
    for name, (make, per_house) in makers.items():
        pool = []
        for k in range(POOL):
            message = make(k)
            kind = TopicKind(message.KIND)
            topic = topic_for(kind, feeder, house(k) if per_house else None)
            pool.append((topic, message.to_json()))
        pools[name] = pool
    return pools


def run(seconds: float, repeat: int) -> dict[str, Any]:
    """Return the benchmark's figures."""
    fleet, uplinks = uplink_payloads()
    uplink_rates = {}
    for name, pool in uplinks.items():

        def one(k: int, pool: list[tuple[str, bytes]] = pool) -> object:
            topic, payload = pool[k]
            return decode_uplink(topic, payload, fleet, key_of=traffic_key, now_s=NOW_S)

        for topic, payload in pool:  # every payload is valid: a dead letter would skew the rate
            result = decode_uplink(topic, payload, fleet, key_of=traffic_key, now_s=NOW_S)
            assert not hasattr(result, "reason"), (name, getattr(result, "reason", ""))
        uplink_rates[name] = round(_rate(one, seconds, repeat))
    wire_rates = {}
    for name, pool in wire_payloads().items():

        def one_wire(k: int, pool: list[tuple[str, bytes]] = pool) -> object:
            topic, payload = pool[k]
            return decode(topic, payload)

        wire_rates[name] = round(_rate(one_wire, seconds, repeat))
    return {
        "bench": "decode",
        "python": platform.python_version(),
        "readings_rows": ROWS,
        "uplink_per_s": uplink_rates,
        "readings_rows_per_s": uplink_rates["readings"] * ROWS,
        "wire_per_s": wire_rates,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.decode")
    parser.add_argument("--seconds", type=float, default=1.0, help="least time per run [s]")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best kept)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.seconds, args.repeat), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
