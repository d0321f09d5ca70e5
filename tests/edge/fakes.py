"""Fake clock, links, meter and house nodes, and a scenario harness for the edge controller.

The fake houses follow the wire protocol as the firmware does: they verify each signed command
(house key, counter, expiry, from-phase), switch, answer with a signed ack carrying the phase
they measure, and publish telemetry. Faults are flags: a lost ack, a relay that lies.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from edge.config import HouseConfig
from edge.controller import EdgeController
from edge.links import Inbound
from edge.meter import MeterReading
from edge.settings import EdgeSettings
from grid.control import ControlConfig
from grid.messages import (
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
    decode,
    parse_topic,
    topic_for,
)
from grid.phasors import NOMINAL_PHASE_V, UNIT_PHASORS, Phase
from grid.signing import sign, split_seal, verify_house_command
from keys import StaticKeys
from sim.feeder_day import IST

NOON = datetime(2026, 3, 16, 12, 0, tzinfo=IST).timestamp()
"""A weekday noon in Kerala: the daily switch allowance is mostly available."""


class FakeClock:
    """A clock the test moves by hand [epoch s]."""

    def __init__(self, start_s: float = NOON) -> None:
        self.now = start_s

    def __call__(self) -> float:
        """Return the present time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the time forward."""
        self.now += seconds


class FakeLink:
    """A link that records what is published and delivers what the test puts in."""

    def __init__(self, connected: bool = True) -> None:
        self.published: list[tuple[str, bytes, int, bool]] = []
        self.inbox: deque[Inbound] = deque()
        self._connected = connected
        self._epoch = 1 if connected else 0

    @property
    def connected(self) -> bool:
        """Return whether the link is up."""
        return self._connected

    @property
    def epoch(self) -> int:
        """Return the number of connections so far."""
        return self._epoch

    def set_connected(self, up: bool) -> None:
        """Take the link down or bring it up (a new connection)."""
        if up and not self._connected:
            self._epoch += 1
        self._connected = up

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> bool:
        """Record the message; refuse it while down."""
        if not self._connected:
            return False
        self.published.append((topic, payload, qos, retain))
        return True

    def deliver(self, topic: str, payload: bytes) -> None:
        """Queue a message for the controller."""
        self.inbox.append(Inbound(topic, payload))

    def drain(self) -> list[Inbound]:
        """Return and forget the queued messages."""
        out = list(self.inbox)
        self.inbox.clear()
        return out

    def of_kind(self, kind: TopicKind) -> list[tuple[str, bytes]]:
        """Return the published (topic, payload) of one topic kind."""
        return [(t, p) for t, p, _, _ in self.published if t.endswith("/" + str(kind))]


@dataclass
class FakeMeter:
    """A transformer meter whose reading the harness sets."""

    reading: MeterReading | None = None

    def latest(self) -> MeterReading | None:
        """Return the reading."""
        return self.reading


@dataclass
class FakeHouse:
    """A house node following the protocol, with fault flags."""

    feeder: str
    house_id: str
    key: bytes
    phase: Phase
    p_w: float
    q_var: float = 0.0
    pv_w: float = 0.0
    v_v: float = NOMINAL_PHASE_V
    lose_acks: int = 0
    """How many of the next acks are lost."""
    lies: bool = False
    """The relay does not move but the node reports that it did."""
    physical: Phase | None = None
    """Where the load really is (differs from `phase` only for a lying node)."""
    p_after_switch_w: float | None = None
    """The house's net power from its next switch on (a load or PV change at that moment)."""
    silent: bool = False
    """The node has stopped reporting."""
    stuck: bool = False
    """The relay does not move: the feedback check fails and the node locks itself out."""
    refuse: str = ""
    """An interlock the node refuses the next command with (e.g. "interlock_min_dwell")."""
    locked: bool = False
    last_counter: int = 0
    seq: int = 0
    relay_operations: int = 0
    received: list[HouseCommand] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.physical = self.phase

    def telemetry(self, now_s: float) -> tuple[str, bytes]:
        """Return the house's telemetry message."""
        self.seq += 1
        current = abs(complex(self.p_w, self.q_var)) / self.v_v
        tele = Telemetry(
            ts_s=round(now_s, 3),
            seq=self.seq,
            v_v=self.v_v,
            i_a=round(current, 3),
            p_w=self.p_w,
            q_var=self.q_var,
            pv_w=self.pv_w,
            ph=self.phase,
            relay=RelayState.LOCKED if self.locked else RelayState.OK,
        )
        return topic_for(TopicKind.TELE, self.feeder, self.house_id), tele.to_json()

    def state(self, online: bool = True) -> tuple[str, bytes]:
        """Return the house's retained state message."""
        payload = HouseState(online=online, fw="1.0.0").to_json()
        return topic_for(TopicKind.STATE, self.feeder, self.house_id), payload

    def handle(self, payload: bytes, now_s: float) -> tuple[str, bytes] | None:
        """Verify and execute a command; return the ack message (None if it is lost)."""
        cmd = HouseCommand.from_json(payload)
        self.received.append(cmd)
        verdict = verify_house_command(
            cmd,
            key=self.key,
            device_id=self.house_id,
            last_counter=self.last_counter,
            now_s=now_s,
            current_phase=self.phase,
        )
        reason = "" if verdict.reason is None else str(verdict.reason)
        if verdict.accepted and self.refuse:
            self.last_counter = cmd.ctr
            reason, self.refuse = self.refuse, ""
        elif verdict.accepted and self.stuck:
            self.last_counter = cmd.ctr
            self.relay_operations += 1
            reason = "interlock_feedback" if not self.locked else "interlock_locked"
            self.locked = True
        elif verdict.accepted:
            self.last_counter = cmd.ctr
            self.relay_operations += 1
            self.phase = cmd.to_phase
            if self.p_after_switch_w is not None:
                self.p_w, self.p_after_switch_w = self.p_after_switch_w, None
            if not self.lies:
                self.physical = cmd.to_phase
        ack = sign(
            HouseAck(
                cmd_id=cmd.cmd_id,
                house=self.house_id,
                ctr=cmd.ctr,
                ok=not reason,
                ph=self.phase,
                reason=reason,
                ts_s=int(now_s),
            ),
            self.key,
        )
        if self.lose_acks > 0:
            self.lose_acks -= 1
            return None
        return topic_for(TopicKind.ACK, self.feeder, self.house_id), ack.to_json()


def house_key(house_id: str) -> bytes:
    """Return a test key of a house (32 bytes)."""
    return (house_id.encode() * 4)[:32].ljust(32, b"k")


def feeder_key(feeder_id: str) -> bytes:
    """Return a test key of a feeder (32 bytes)."""
    return ("feeder:" + feeder_id).encode().ljust(32, b"f")[:32]


def fast_settings(**changes: Any) -> EdgeSettings:
    """Return settings with short periods for scenario tests."""
    base = EdgeSettings(
        control_period_s=10.0,
        summary_period_s=10.0,
        readings_period_s=10.0,
        stale_after_s=30.0,
        ack_timeout_s=5.0,
        verify_timeout_s=20.0,
        help_window_s=0.0,
        resend_after_s=30.0,
        hq_unreachable_after_s=60.0,
    )
    return base.with_overrides(**changes)


FAST_CONTROL = ControlConfig(sustain_s=0.0, trigger_a=5.0, release_a=3.0, target_min_history_s=0.0)
"""Act on the first unbalanced sample: scenarios need not wait five minutes."""


class Scenario:
    """A feeder of fake houses, its controller on fake links and clock, and a fake HQ."""

    def __init__(
        self,
        store_dir: Path,
        houses: Iterable[tuple[str, Phase, float, bool]],
        *,
        feeder: str = "KL-TST-0001",
        settings: EdgeSettings | None = None,
        control: ControlConfig = FAST_CONTROL,
        meter: bool = False,
        mode: Mode | None = None,
        tele_period_s: float = 5.0,
    ) -> None:
        self.feeder = feeder
        self.store_dir = store_dir
        self.clock = FakeClock()
        self.bus = FakeLink()
        self.hq = FakeLink()
        self.settings = settings or fast_settings()
        if mode is not None:
            self.settings = self.settings.with_overrides(default_mode=str(mode))
        self.control = control
        self.tele_period_s = tele_period_s
        specs = list(houses)
        self.configs = [
            HouseConfig(f"{feeder}-{name}", phase, 0.0, switchable)
            for name, phase, _, switchable in specs
        ]
        self.houses = {
            f"{feeder}-{name}": FakeHouse(
                feeder, f"{feeder}-{name}", house_key(f"{feeder}-{name}"), phase, p
            )
            for name, phase, p, _ in specs
        }
        keys = {h: house.key for h, house in self.houses.items()}
        keys[feeder] = feeder_key(feeder)
        self.keys = StaticKeys(keys)
        self.meter = FakeMeter() if meter else None
        self.ctl_counter = 0
        self.mark_counter = 0
        self._bus_seen = 0
        self._next_tele_s = self.clock.now
        self.controller = self.make_controller()
        for house in self.houses.values():
            self.bus.deliver(*house.state())

    def make_controller(self) -> EdgeController:
        """Build a controller on this scenario's links and store (again, for a restart)."""
        return EdgeController(
            self.feeder,
            self.configs,
            clock=self.clock,
            house_bus=self.bus,
            hq=self.hq,
            keys=self.keys,
            store_dir=self.store_dir,
            settings=self.settings,
            control=self.control,
            meter=self.meter,
        )

    def restart(self) -> None:
        """Stop the controller and start a new one on the same store."""
        self.controller.close()
        self.controller = self.make_controller()

    def house(self, name: str) -> FakeHouse:
        """Return a fake house by its short name (e.g. "H007")."""
        return self.houses[f"{self.feeder}-{name}"]

    def meter_reading(self) -> MeterReading:
        """Return what a transformer meter measures from where the loads really are."""
        p = [0.0, 0.0, 0.0]
        q = [0.0, 0.0, 0.0]
        for house in self.houses.values():
            assert house.physical is not None
            p[house.physical.ordinal] += house.p_w
            q[house.physical.ordinal] += house.q_var
        currents = [complex(p[k], -q[k]) / NOMINAL_PHASE_V for k in range(3)]
        phasors = [currents[k] * UNIT_PHASORS[k] for k in range(3)]
        return MeterReading(
            ts_s=self.clock.now,
            v_v=(NOMINAL_PHASE_V,) * 3,
            i_a=tuple(abs(c) for c in currents),  # type: ignore[arg-type]
            p_w=(p[0], p[1], p[2]),
            q_var=(q[0], q[1], q[2]),
            i_n_a=abs(sum(phasors)),
            f_hz=50.0,
        )

    def tick(self, dt: float = 1.0) -> None:
        """Advance the clock, let the houses talk, then step the controller."""
        self.clock.advance(dt)
        now = self.clock.now
        if now >= self._next_tele_s:
            self._next_tele_s = now + self.tele_period_s
            for house in self.houses.values():
                if not house.silent:
                    self.bus.deliver(*house.telemetry(now))
        if self.meter is not None:
            self.meter.reading = self.meter_reading()
        self.controller.step()
        self._serve_commands(now)

    def _serve_commands(self, now: float) -> None:
        """Hand new commands to their houses; queue their acks and fresh telemetry."""
        new = self.bus.published[self._bus_seen :]
        self._bus_seen = len(self.bus.published)
        for topic, payload, _, _ in new:
            parsed = parse_topic(topic)
            if parsed.kind is not TopicKind.CMD or parsed.house not in self.houses:
                continue
            house = self.houses[parsed.house]
            ack = house.handle(payload, now)
            if ack is not None:
                self.bus.deliver(*ack)
            self.bus.deliver(*house.telemetry(now))

    def run(self, seconds: float, dt: float = 1.0) -> None:
        """Tick for `seconds` of fake time."""
        for _ in range(round(seconds / dt)):
            self.tick(dt)

    # --- HQ side ----------------------------------------------------------------------------

    def ctl(self, action: ControlAction, *, ttl_s: int = 60, **fields: Any) -> bytes:
        """Return a control command signed with the feeder key and the next counter."""
        self.ctl_counter += 1
        cmd = ControlCommand(
            cmd_id=f"op{self.ctl_counter:04d}",
            feeder=self.feeder,
            ctr=self.ctl_counter,
            exp_s=int(self.clock.now) + ttl_s,
            action=action,
            **fields,
        )
        return sign(cmd, feeder_key(self.feeder)).to_json()

    def send_ctl(self, payload: bytes) -> None:
        """Deliver a control command to the controller."""
        self.hq.deliver(topic_for(TopicKind.CTL, self.feeder), payload)

    def uplink(self, kind: TopicKind | None = None, *, resends: bool = False) -> list[Any]:
        """Return the decoded edge→HQ messages published so far (of one kind), by first send."""
        out = []
        seen: set[tuple[int, int]] = set()
        for topic, payload, _, _ in self.hq.published:
            parsed = parse_topic(topic)
            if kind is not None and parsed.kind is not kind:
                continue
            message = decode(parsed, unsealed(payload))
            key = (getattr(message, "boot", 0), getattr(message, "seq", -1))
            if key[1] >= 0 and key in seen and not resends:
                continue
            seen.add(key)
            out.append(message)
        return out

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Return the data of published events (of one event kind), unique by seq."""
        seen: dict[tuple[int, int], dict[str, Any]] = {}
        for event in self.uplink(TopicKind.EVENT):
            if kind is None or str(event.kind) == kind:
                seen[(event.boot, event.seq)] = {"kind": str(event.kind), **dict(event.data)}
        return [seen[k] for k in sorted(seen)]

    def alerts(self) -> list[tuple[str, str, str | None]]:
        """Return (kind, state, house) of published alerts, unique by seq."""
        seen = {
            (a.boot, a.seq): (a.kind, str(a.state), a.house) for a in self.uplink(TopicKind.ALERT)
        }
        return [seen[k] for k in sorted(seen)]

    def mark(self, boot: int, seq: int) -> bytes:
        """Return HQ's `committed` mark signed with the feeder key and the next counter."""
        self.mark_counter += 1
        mark = Committed(boot=boot, seq=seq, feeder=self.feeder, ctr=self.mark_counter)
        return sign(mark, feeder_key(self.feeder)).to_json()

    def commit(self, boot: int, seq: int) -> None:
        """Deliver HQ's signed `committed` mark."""
        self.hq.deliver(topic_for(TopicKind.COMMITTED, self.feeder), self.mark(boot, seq))

    def relay_commands(self) -> int:
        """Return how many commands went to houses."""
        return len(self.bus.of_kind(TopicKind.CMD))


def unsealed(payload: bytes) -> bytes:
    """Return an edge→HQ payload without its seal (not checked: HQ's job)."""
    parts = split_seal(payload)
    assert parts is not None, f"unsealed uplink payload {payload[:80]!r}"
    return parts[0]


def replace_mac(payload: bytes, mac: str) -> bytes:
    """Return a command with its MAC replaced (forgery)."""
    obj = json.loads(payload)
    obj["mac"] = mac
    return json.dumps(obj, separators=(",", ":")).encode()
