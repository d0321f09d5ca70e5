"""Virtual house nodes that behave like the firmware: same topics, signatures and interlocks.

`VirtualHouse` is the node's state machine, pure and clock-free: it verifies a signed command
(device, MAC, counter, expiry, from-phase), applies the firmware's interlocks (minimum dwell,
daily cap, lockout after failed feedback) and answers with a signed ack carrying the measured
phase. `FeederNodes` runs the houses of one feeder on one MQTT connection to the feeder's
broker, with its credentials and TLS (transport/): telemetry on `.../h/{house}/tele`, retained
`.../state`, commands on `.../cmd`, acks on `.../ack`, with a simulated clock, a relay delay
and injectable faults (stuck relay, lost ack, node offline).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode

from grid.messages import (
    HouseAck,
    HouseCommand,
    HouseState,
    RelayState,
    Telemetry,
    TopicKind,
    WireError,
    parse_topic,
    topic_for,
)
from grid.phasors import Phase
from grid.signing import sign_ack, verify_house_command
from grid.timezones import IST_OFFSET_S, ist_minute_of_day
from grid.topics import topic_filter
from sim import profiles as pr
from sim.fleet import FeederPlan
from transport import Broker, ClientOptions, as_broker, make_client, stop_client

log = logging.getLogger("sim.houses")

MIN_DWELL_S = 1800.0
MAX_SWITCHES_PER_DAY = 3
UNDO_WINDOW_S = 600.0
"""A move back to the phase before the last switch, this soon after it, is exempt from the
dwell and the daily cap (once), as in the firmware: a controller's rollback is never refused."""
FIRMWARE_VERSION = "sim-1.0"


def derive_key(secret: bytes, device_id: str) -> bytes:
    """Return a device's 32-byte key derived from a fleet secret (simulation and tests)."""
    return hmac.new(secret, b"device|" + device_id.encode(), hashlib.sha256).digest()


@dataclass(slots=True)
class Faults:
    """Faults injected into a node."""

    stuck_relay: bool = False
    """The relay does not move; feedback shows the old phase, so the node locks itself out."""
    lose_acks: bool = False
    """Commands are carried out but their acks never leave the node."""
    offline: bool = False
    """The node sends nothing and hears nothing."""


@dataclass(slots=True)
class VirtualHouse:
    """The firmware's state of one house node."""

    house_id: str
    phase: Phase
    key: bytes
    last_counter: int = 0
    last_switch_s: float = -math.inf
    switches_today: int = 0
    day: int = -1
    locked: bool = False
    prev_phase: Phase | None = None
    """The phase before the last switch, while that switch may still be undone."""
    seq: int = 0
    faults: Faults = field(default_factory=Faults)
    relay_operations: int = 0
    rejections: dict[str, int] = field(default_factory=dict)

    def _roll_day(self, now_s: float) -> None:
        day = math.floor((now_s + IST_OFFSET_S) / 86400.0)
        if day != self.day:
            self.day, self.switches_today = day, 0

    def handle(self, cmd: HouseCommand, now_s: float) -> HouseAck:
        """Verify and carry out a command; return the signed ack (ok or with the reason)."""
        self._roll_day(now_s)
        verdict = verify_house_command(
            cmd,
            key=self.key,
            device_id=self.house_id,
            last_counter=self.last_counter,
            now_s=now_s,
            current_phase=self.phase,
        )
        reason = "" if verdict.accepted else str(verdict.reason)
        if not reason:
            self.last_counter = cmd.ctr  # a verified counter is spent even if an interlock says no
            reason = self._interlock(now_s, cmd.to_phase)
        if not reason:
            reason = self._switch(cmd.to_phase, now_s)
        if reason:
            self.rejections[reason] = self.rejections.get(reason, 0) + 1
        ack = HouseAck(
            cmd_id=cmd.cmd_id,
            house=self.house_id,
            ctr=cmd.ctr,
            ok=not reason,
            ph=self.phase,
            reason=reason,
            ts_s=int(now_s),
        )
        return sign_ack(ack, self.key)

    def _is_undo(self, to_phase: Phase, now_s: float) -> bool:
        return to_phase is self.prev_phase and 0 <= now_s - self.last_switch_s <= UNDO_WINDOW_S

    def _interlock(self, now_s: float, to_phase: Phase) -> str:
        if self.locked:
            return "interlock_locked"
        if self._is_undo(to_phase, now_s):
            return ""
        if now_s - self.last_switch_s < MIN_DWELL_S:
            return "interlock_min_dwell"
        if self.switches_today >= MAX_SWITCHES_PER_DAY:
            return "interlock_daily_cap"
        return ""

    def _switch(self, to_phase: Phase, now_s: float) -> str:
        undo = self._is_undo(to_phase, now_s)
        self.relay_operations += 1  # break, dead time, make near the zero crossing
        self.last_switch_s = now_s
        self.switches_today += 1
        if self.faults.stuck_relay:
            self.locked = True
            return "interlock_feedback"
        self.prev_phase = None if undo else self.phase
        self.phase = to_phase
        return ""

    def telemetry(
        self, now_s: float, p_w: float, q_var: float, pv_w: float, v_v: float
    ) -> Telemetry:
        """Return the next telemetry message."""
        self.seq += 1
        s = math.hypot(p_w, q_var)
        relay = RelayState.LOCKED if self.locked else RelayState.OK
        return Telemetry(
            ts_s=round(now_s, 3),
            seq=self.seq,
            v_v=round(v_v, 1),
            i_a=round(min(s / v_v, 200.0), 2),
            p_w=round(p_w, 1),
            q_var=round(q_var, 1),
            pv_w=round(pv_w, 1),
            ph=self.phase,
            relay=relay,
        )


@dataclass(frozen=True, slots=True)
class DayProfile:
    """Per-minute load and PV of a feeder's houses over one day, shape (1440, houses)."""

    p_w: np.ndarray
    q_var: np.ndarray
    pv_w: np.ndarray

    def at(self, minute_of_day: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return load P, Q and PV of every house at a minute of the day."""
        m = int(minute_of_day) % pr.MINUTES_PER_DAY
        return self.p_w[m], self.q_var[m], self.pv_w[m]


def day_profile(plan: FeederPlan, seed: int, day_of_year: int = 80) -> DayProfile:
    """Return a day of Kerala household loads and rooftop PV for a planned feeder."""
    rng = np.random.default_rng(seed)
    n = len(plan.houses)
    load = pr.kerala_household_load(rng, n, ac_share=0.35)
    kwp = np.array([h.pv_kw for h in plan.houses])
    cos_z = pr.cos_zenith(day_of_year, plan.lat, plan.lon, 5.5)
    sky = pr.markov_clear_sky_index(rng, 0.15, 0.4)
    per_kwp = pr.pv_per_kwp(cos_z, sky, performance_ratio=0.78)
    pv = np.zeros((pr.MINUTES_PER_DAY, n))
    with_pv = np.flatnonzero(kwp > 0)
    if with_pv.size:
        pv[:, with_pv] = pr.houses_pv_w(rng, per_kwp, kwp[with_pv])
    return DayProfile(load.p_w, load.q_var, pv)


def ist_minute(now_s: float) -> float:
    """Return the minute of the IST day at epoch time `now_s` [min]."""
    return ist_minute_of_day(now_s)


class SimClock:
    """Simulated wall time, running `speed` times faster than real time since `epoch_s`.

    At the real instant `epoch_s` [epoch s] simulated and real time agree, so processes
    given the same epoch and speed (the nodes, their controllers) share one clock.
    """

    def __init__(self, speed: float = 1.0, epoch_s: float | None = None) -> None:
        if not speed > 0:
            raise ValueError(f"speed {speed!r} must be positive")
        self.epoch_s = time.time() if epoch_s is None else epoch_s
        self.speed = speed

    def now(self) -> float:
        """Return the simulated epoch time [s]."""
        return self.epoch_s + (time.time() - self.epoch_s) * self.speed


def sim_epoch(text: str | None = None) -> float | None:
    """Return the epoch of simulated time from `text` or SP_SIM_EPOCH (None: start now)."""
    value = text if text is not None else os.environ.get("SP_SIM_EPOCH")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"epoch {value!r} is not a number of seconds") from None


class FeederNodes:
    """The house nodes of one feeder, on one MQTT connection to the feeder's broker."""

    def __init__(
        self,
        plan: FeederPlan,
        broker: Broker | str,
        keys: Callable[[str], bytes],
        clock: SimClock,
        *,
        seed: int = 0,
        tele_period_s: float = 10.0,
        relay_delay_s: float = 0.2,
        profile: DayProfile | None = None,
        minute_of_day: Callable[[float], float] = ist_minute,
    ) -> None:
        """`broker` with its TLS files and credentials (transport.broker_from_settings), or a
        URL. `profile` is the houses' day (default `day_profile(plan, seed)`), played at the
        minute `minute_of_day` gives for the simulated time (default the IST minute)."""
        self.plan = plan
        self.clock = clock
        self.minute_of_day = minute_of_day
        self.tele_period_s = tele_period_s
        self.relay_delay_s = relay_delay_s
        self.houses = {
            h.house_id: VirtualHouse(h.house_id, h.phase, keys(h.house_id)) for h in plan.houses
        }
        self.order = [h.house_id for h in plan.houses]
        self.profile = day_profile(plan, seed) if profile is None else profile
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"nodes-{plan.feeder_id}", daemon=True
        )
        self.broker = as_broker(broker)
        self.client = make_client(self.broker, ClientOptions(f"sim-nodes-{plan.feeder_id}"))
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def start(self) -> None:
        """Connect (retrying in the background) and start sending telemetry."""
        self.client.loop_start()
        self._thread.start()

    def stop(self) -> None:
        """Announce every node offline and disconnect."""
        self._stop.set()
        self._thread.join(5)
        for house in self.order:
            self._publish_state(house, online=False)
        stop_client(self.client)

    def set_faults(self, house_id: str, **faults: bool) -> None:
        """Inject faults into one node (stuck_relay, lose_acks, offline)."""
        with self._lock:
            node = self.houses[house_id]
            node.faults = replace(node.faults, **faults)
        if "offline" in faults:
            self._publish_state(house_id, online=not faults["offline"])

    def _on_connect(
        self, client: mqtt.Client, _u: object, _f: object, reason: ReasonCode, _p: object
    ) -> None:
        if reason.is_failure:
            log.warning(
                "broker %s refused the nodes of %s: %s", self.broker, self.plan.feeder_id, reason
            )
            return
        client.subscribe(*topic_filter(TopicKind.CMD, self.plan.feeder_id))
        for house in self.order:
            self._publish_state(house, online=not self.houses[house].faults.offline)

    def _publish_state(self, house_id: str, *, online: bool) -> None:
        topic = topic_for(TopicKind.STATE, self.plan.feeder_id, house_id)
        payload = HouseState(online=online, fw=FIRMWARE_VERSION).to_json()
        self.client.publish(topic, payload, qos=1, retain=True)

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        try:
            topic = parse_topic(msg.topic)
            cmd = HouseCommand.from_json(bytes(msg.payload), feeder=topic.feeder)
        except WireError as exc:
            log.warning("node ignored a malformed command on %s: %s", msg.topic, exc)
            return
        node = self.houses.get(topic.house or "")
        if node is None or node.faults.offline:
            return
        timer = threading.Timer(self.relay_delay_s, self._answer, args=(node, cmd))
        timer.daemon = True
        timer.start()

    def _answer(self, node: VirtualHouse, cmd: HouseCommand) -> None:
        with self._lock:
            ack = node.handle(cmd, self.clock.now())
            lose = node.faults.lose_acks
        if not lose:
            topic = topic_for(TopicKind.ACK, self.plan.feeder_id, node.house_id)
            self.client.publish(topic, ack.to_json(), qos=1)

    def publish_telemetry(self) -> int:
        """Send one telemetry message per online node; return how many were sent."""
        now = self.clock.now()
        load, q, pv = self.profile.at(self.minute_of_day(now))
        sent = 0
        for k, house in enumerate(self.order):
            with self._lock:
                node = self.houses[house]
                if node.faults.offline:
                    continue
                v = 230.0 + 4.0 * math.sin(now / 300.0 + k)
                tele = node.telemetry(now, float(load[k] - pv[k]), float(q[k]), float(pv[k]), v)
            self.client.publish(
                topic_for(TopicKind.TELE, self.plan.feeder_id, house), tele.to_json(), qos=0
            )
            sent += 1
        return sent

    def _run(self) -> None:
        period_real = self.tele_period_s / max(self.clock.speed, 1e-9)
        while not self._stop.wait(period_real):
            if self.client.is_connected():
                self.publish_telemetry()
