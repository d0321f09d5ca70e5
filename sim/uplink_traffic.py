"""Synthetic edge→HQ traffic of one feeder: every uplink message type with its boot and seq.

Used by the ingest tests and bench/ingest.py to stream realistic messages without running the
edge controller. `payload` seals a message with the feeder's key as the edge does; the keys
derive from the feeder id (`traffic_key`), and `TrafficKeys` gives them to an ingest worker.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection

from grid.events import (
    BalancingRunData,
    CommandResultData,
    CommandState,
    ModeChangeData,
    PhaseSnapshot,
    RunMove,
    RunResult,
    RunTrigger,
    SwitchOrigin,
    SwitchResult,
    SwitchResultData,
)
from grid.messages import (
    Alert,
    AlertState,
    Event,
    EventKind,
    JsonValue,
    Mode,
    ReadingRow,
    Readings,
    Severity,
    Status,
    Summary,
    WireMessage,
    topic_for,
)
from grid.phasors import PHASES, Phase
from grid.signing import seal_uplink
from store.provision import FeederRow, HouseRow, upsert_feeders, upsert_houses


def traffic_key(feeder: str) -> bytes:
    """Return the signing key of a synthetic feeder (32 bytes derived from its id)."""
    return hashlib.sha256(b"sp-traffic-key:" + feeder.encode()).digest()


class TrafficKeys:
    """The keys of every synthetic feeder, for an ingest worker in tests and benchmarks."""

    def key(self, device_id: str) -> bytes | None:
        """Return the key of a feeder."""
        return traffic_key(device_id)


@dataclass(slots=True)
class FeederTraffic:
    """Messages of one feeder's controller during one boot, numbered as the edge numbers them."""

    feeder: str
    houses: tuple[str, ...]
    boot: int
    seq: int = 0
    ts_s: float = 1_795_000_000.0
    """Time of the latest message [epoch s]."""
    t0_s: float = 1_795_000_000.0
    """Time of the first reading [epoch s]."""
    cursor: int = 0
    """How many readings have been made."""
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    @classmethod
    def make(cls, feeder: str, n_houses: int, boot: int = 1, seed: int = 7) -> FeederTraffic:
        """Return the traffic of a feeder with houses `{feeder}-H001`..."""
        houses = tuple(f"{feeder}-H{k:03d}" for k in range(1, n_houses + 1))
        return cls(feeder, houses, boot, rng=random.Random(seed))

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def phase_of(self, house: str) -> Phase:
        """Return the phase a house is wired to (by its position)."""
        return PHASES[self.houses.index(house) % 3]

    def readings(self, rows: int, step_s: float = 1.0) -> Readings:
        """Return a readings batch of `rows` rows: each house in turn, one reading per step."""
        out = []
        n = len(self.houses)
        for _ in range(rows):
            house = self.houses[self.cursor % n]
            ts_s = self.t0_s + (self.cursor // n) * step_s
            self.cursor += 1
            p = self.rng.uniform(-3000.0, 4000.0)
            q = self.rng.uniform(-300.0, 600.0)
            v = self.rng.uniform(215.0, 245.0)
            pv = self.rng.uniform(0.0, 3000.0) if self.cursor % 3 == 0 else 0.0
            out.append(
                ReadingRow(
                    ts_s,
                    house,
                    self.phase_of(house),
                    round(v, 1),
                    round(math.hypot(p, q) / v, 2),
                    round(p, 1),
                    round(q, 1),
                    round(pv, 1),
                )
            )
        self.ts_s = max(self.ts_s, out[-1].ts_s if out else self.ts_s)
        return Readings(boot=self.boot, seq=self._next(), rows=tuple(out))

    def summary(self) -> Summary:
        """Return a feeder summary."""
        self.ts_s += 10.0
        p = tuple(self.rng.uniform(5e3, 40e3) for _ in range(3))
        i = tuple(x / 230.0 for x in p)
        return Summary(
            boot=self.boot,
            seq=self._next(),
            ts_s=self.ts_s,
            p_w=(p[0], p[1], p[2]),
            q_var=(500.0, 400.0, 300.0),
            i_a=(i[0], i[1], i[2]),
            v_v=(231.0, 229.5, 232.1),
            i_n_a=abs(i[0] - i[1]) + 1.0,
            unbalance_pct=12.5,
            mode=Mode.AUTO,
            houses_online=len(self.houses),
            houses_total=len(self.houses),
        )

    def balancing_run(self, run_id: str) -> Event:
        """Return a balancing-run event moving the first house from R to Y."""
        house = self.houses[0]
        data = BalancingRunData(
            run_id=run_id,
            trigger=RunTrigger.AUTO,
            result=RunResult.IMPROVED,
            before=PhaseSnapshot((80.0, 40.0, 45.0), 38.0, 41.2),
            after=PhaseSnapshot((62.0, 58.0, 45.0), 15.5, 16.1),
            moves=(RunMove(house, Phase.R, Phase.Y, SwitchResult.APPLIED),),
        )
        return self._event(EventKind.BALANCING_RUN, data.to_data())

    def switch_result(self, cmd_id: str | None = None, run_id: str | None = None) -> Event:
        """Return an applied switch of the first house from R to Y."""
        data = SwitchResultData(
            house=self.houses[0],
            from_phase=Phase.R,
            to_phase=Phase.Y,
            result=SwitchResult.APPLIED,
            origin=SwitchOrigin.MANUAL if cmd_id else SwitchOrigin.AUTO,
            cmd_id=cmd_id,
            run_id=run_id,
        )
        return self._event(EventKind.SWITCH_RESULT, data.to_data())

    def command_result(self, cmd_id: str, state: CommandState) -> Event:
        """Return a step of a command's lifecycle."""
        return self._event(EventKind.COMMAND_RESULT, CommandResultData(cmd_id, state).to_data())

    def mode_change(self, mode: Mode) -> Event:
        """Return a mode change."""
        return self._event(EventKind.MODE_CHANGE, ModeChangeData(mode, by="op1").to_data())

    def alert(self, alert_id: str, state: AlertState = AlertState.RAISED) -> Alert:
        """Return a phase-overload alert raised or cleared."""
        return Alert(
            boot=self.boot,
            seq=self._next(),
            ts_s=self.ts_s,
            alert_id=alert_id,
            kind="phase_overload",
            severity=Severity.WARNING,
            state=state,
            message="Phase R above its rating",
        )

    def status(self, online: bool = True) -> Status:
        """Return the controller's birth (or death) message."""
        return Status(online=online, boot=self.boot if online else None, version="1.0.0")

    def _event(self, kind: EventKind, data: Mapping[str, JsonValue]) -> Event:
        return Event(boot=self.boot, seq=self._next(), ts_s=self.ts_s, kind=kind, data=data)

    def topic(self, message: WireMessage) -> str:
        """Return the topic a message of this feeder is published on."""
        return topic_for(message.KIND, self.feeder)

    def payload(self, message: WireMessage) -> bytes:
        """Return a message of this feeder as its edge sends it: sealed with the feeder key."""
        return seal_uplink(message.KIND, self.feeder, message.to_json(), traffic_key(self.feeder))

    def stream(self, rows_per_batch: int = 100, summary_every: int = 10) -> Iterator[WireMessage]:
        """Yield readings batches with a summary every `summary_every` batches, forever."""
        k = 0
        while True:
            k += 1
            yield self.readings(rows_per_batch)
            if k % summary_every == 0:
                yield self.summary()


def provision(
    conn: Connection,
    traffic: FeederTraffic,
    *,
    district: str = "Ernakulam",
    lat: float = 9.98,
    lon: float = 76.28,
    kva: float = 250.0,
) -> None:
    """Provision the traffic's feeder and houses through the store, inside `conn`'s transaction."""
    feeder = FeederRow(0, traffic.feeder, f"Feeder {traffic.feeder}", district, lat, lon, kva)
    upsert_feeders(conn, [feeder])
    upsert_houses(
        conn,
        [
            HouseRow(k, h, traffic.feeder, traffic.phase_of(h), 3.0, True)
            for k, h in enumerate(traffic.houses)
        ],
    )
