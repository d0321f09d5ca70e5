"""One phase switch at a time: signed command, signed ack, verification, rollback (DESIGN §6–7).

The lifecycle of a `SwitchJob`:

1. a signed `cmd` (house key, fresh counter, expiry, from-phase) goes to the house; wait for
   its ack until `ack_timeout_s`;
2. a good ack with ok=true starts verification: telemetry must show the house on the target
   phase with its relay ok, and the phase totals must agree with the house reports of the same
   moment as well as they did before the switch (what the totals hold beyond the reports may
   change by no more than `verify_tol_w`, or `verify_noise_k` times the measured noise of
   that change), so that what other houses switched on or off meanwhile cancels out; a
   planner move must also not raise the neutral current, judged over `help_window_s` of the
   house's reports (the neutral RMS with the house moved against the same moments with it
   unmoved): it did not help only when the rise exceeds `help_tol_a`, what the planner itself
   expected of it (a move that makes way for a later one of its run), and `help_noise_z`
   standard errors of the move's effect, measured on the minutes before it;
3. a move that did not happen, did not move the totals or did not help is rolled back with a
   second signed command, and the house is locked out; a lost ack is treated the same way, and
   so is a node whose relay feedback failed (a stuck relay: the node has locked itself out and
   the house stays, or is sent back, on its from-phase).

The switcher reports every step as a `SwitchUpdate`; the controller turns them into events,
alerts and commits. It never blocks: `poll` advances the timers.

The job is journaled in the state store before each of its commands goes out
(edge.state.InFlightSwitch), and the controller forgets the journal once the job's final state
is reported. A controller killed mid-switch finds the journal when it starts again and finishes
the job at once (`INTERRUPTED`): it sends the house back to its from-phase with a new signed
command, so that the house's signed ack says where it is, and the job ends rolled back (or
failed), its relay operations counted in the house's dwell and daily cap like any other; an
interruption alone does not lock the house out.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from edge.history import SampleHistory
from edge.houses import HouseTracker
from edge.ids import IdMaker
from edge.links import Link
from edge.settings import EdgeSettings
from edge.state import InFlightSwitch, StateStore
from edge.totals import PhaseTotals, Triple, neutral_with_house_on, unreported_w
from grid.events import CommandState, SwitchOrigin
from grid.messages import (
    HouseAck,
    HouseCommand,
    RelayState,
    Telemetry,
    TopicKind,
    WireError,
    topic_for,
)
from grid.phasors import Phase
from grid.signing import Rejection, sign, verify_ack
from keys import Keyring

log = logging.getLogger("edge.switching")


RELAY_FEEDBACK_FAILED = "interlock_feedback"
"""The reason of a node whose relay feedback did not confirm the switch (DESIGN §7)."""

INTERRUPTED = "interrupted"
"""The reason of a switch a previous run of the controller left in progress."""


class Step(StrEnum):
    """Where a job is waiting."""

    ACK = "await_ack"
    VERIFY = "await_verify"
    JUDGE = "await_judgement"
    ROLLBACK_ACK = "await_rollback_ack"


@dataclass(slots=True)
class SwitchJob:
    """A move of one house, from the planner or an operator, and its progress."""

    house: str
    from_phase: Phase
    to_phase: Phase
    origin: SwitchOrigin
    run_id: str | None = None
    ctl_id: str | None = None
    """The operator's control-command id, for a manual move."""
    gain_a: float = 0.0
    """The planner's predicted reduction of its objective [A]; 0 for an operator move."""
    step: Step = Step.ACK
    command: HouseCommand | None = None
    deadline_s: float = 0.0
    before: PhaseTotals | None = None
    """The phase totals when the command went out."""
    unreported_before: Triple | None = None
    """What those totals held beyond the house reports of the same moment [W]."""
    acked_s: float | None = None
    measured: Phase | None = None
    """The phase the house last said it is on."""
    acked_ph: Phase | None = None
    """The phase the house's last signed ack for this job measured (telemetry is unsigned)."""
    reason: str = ""
    confirmed: PhaseTotals | None = None
    """The totals that confirmed the move (reported with APPLIED)."""
    help: HelpSamples | None = None
    """The neutral with and without the move, sampled while a planner move is judged."""
    started_s: float = 0.0
    """When its first command went out [epoch s]."""
    journaled: bool = False
    """It is in the state store's journal, until its final state has been reported."""
    resume: bool = False
    """Left in progress by a previous run: to be finished as soon as the house bus is up."""


@dataclass(slots=True)
class HelpSamples:
    """The neutral current with the house moved and unmoved at the same moments, and the
    noise of the move's effect measured on the minutes before it."""

    noise_a: float = 0.0
    """Standard deviation of the move's effect on the neutral over the recent samples [A]."""
    expected_rise_a: float = 0.0
    """How much the planner expected the move to raise its objective on its own [A]: a move
    that makes way for a later one of its run (negative predicted gain), else 0."""
    moved_sq: float = 0.0
    """Sum of the squared neutral current with the house moved [A²]."""
    unmoved_sq: float = 0.0
    """Sum of the squared neutral current had it stayed [A²]."""
    count: int = 0
    last_ts_s: float = float("-inf")

    def add(self, ts_s: float, moved_a: float, unmoved_a: float) -> None:
        """Add the sample of the house's report stamped `ts_s`, once."""
        if ts_s <= self.last_ts_s:
            return
        self.moved_sq += moved_a * moved_a
        self.unmoved_sq += unmoved_a * unmoved_a
        self.count += 1
        self.last_ts_s = ts_s

    def rms(self) -> tuple[float, float]:
        """Return the neutral RMS with the house moved and unmoved [A]."""
        n = max(self.count, 1)
        return (self.moved_sq / n) ** 0.5, (self.unmoved_sq / n) ** 0.5

    def tolerance_a(self, floor_a: float, z: float) -> float:
        """Return how far the RMS may rise before the move counts as harmful [A]: the floor,
        what the planner expected of it, and `z` standard errors of its effect."""
        noise_a = z * self.noise_a / math.sqrt(max(self.count, 1))
        return floor_a + self.expected_rise_a + noise_a

    def hurt(self, floor_a: float, z: float) -> bool:
        """Return whether the move raised the neutral RMS by more than the tolerance."""
        moved_a, unmoved_a = self.rms()
        return moved_a - unmoved_a > self.tolerance_a(floor_a, z)


@dataclass(frozen=True, slots=True)
class SwitchUpdate:
    """A step of a job: SENT, ACKNOWLEDGED, or a final state with its reason."""

    job: SwitchJob
    state: CommandState
    reason: str = ""
    lockout: bool = False
    """The house must be locked out of balancing (the switch failed or was rolled back)."""
    after: PhaseTotals | None = None
    """The totals that verified an applied switch."""


RejectionSink = Callable[[Rejection, str | None, str | None], None]
"""Called with (reason, house, cmd id) for an ack that fails its signature or device check."""


class Switcher:
    """Executes switch jobs one at a time over the house bus."""

    def __init__(
        self,
        feeder_id: str,
        bus: Link,
        keys: Keyring,
        store: StateStore,
        ids: IdMaker,
        settings: EdgeSettings,
        on_rejection: RejectionSink,
        history: SampleHistory,
    ) -> None:
        self.feeder_id = feeder_id
        self.bus = bus
        self.keys = keys
        self.store = store
        self.ids = ids
        self.settings = settings
        self.on_rejection = on_rejection
        self.history = history
        self.job: SwitchJob | None = self._interrupted()
        self.relay_commands = 0
        """Signed commands published to houses (each may operate a relay)."""

    # --- the journal ------------------------------------------------------------------------

    def _interrupted(self) -> SwitchJob | None:
        """Return the job a previous run left in progress, to be finished (`resume`)."""
        record = self.store.in_flight_switch()
        if record is None:
            return None
        log.warning("%s: finishing the interrupted switch of %s", self.feeder_id, record.house)
        return SwitchJob(
            record.house,
            record.from_phase,
            record.to_phase,
            SwitchOrigin(record.origin),
            run_id=record.run_id,
            ctl_id=record.ctl_id,
            step=Step(record.step),
            measured=record.measured,
            reason=record.reason,
            started_s=record.started_s,
            journaled=True,
            resume=True,
        )

    def _journal(self, job: SwitchJob) -> None:
        """Store where the job stands, before its next command goes out."""
        self.store.journal_switch(
            InFlightSwitch(
                job.house,
                job.from_phase,
                job.to_phase,
                str(job.origin),
                str(job.step),
                run_id=job.run_id,
                ctl_id=job.ctl_id,
                measured=job.measured,
                reason=job.reason,
                started_s=job.started_s,
            )
        )
        job.journaled = True

    def forget(self, job: SwitchJob) -> None:
        """Clear the journal of a job whose final state has been reported."""
        if job.journaled:
            self.store.clear_switch_journal()
            job.journaled = False

    def abandon(self) -> SwitchJob | None:
        """Drop an interrupted job that cannot be finished here (its house is no longer on
        the feeder); return it."""
        job = self.job
        if job is not None:
            self.job = None
            self.forget(job)
        return job

    @property
    def busy(self) -> bool:
        """Return whether a job is in progress."""
        return self.job is not None

    def verify_tol_w(self) -> float:
        """Return the tolerance of the totals check now: the floor, or the measured noise [W]."""
        s = self.settings
        return max(s.verify_tol_w, s.verify_noise_k * self.history.unreported_noise_w())

    # --- commands ---------------------------------------------------------------------------

    def _send(self, job: SwitchJob, from_phase: Phase, to_phase: Phase, now_s: float) -> bool:
        key = self.keys.key(job.house)
        if key is None:
            job.reason = "no_house_key"
            return False
        command = sign(
            HouseCommand(
                cmd_id=self.ids.next("c"),
                house=job.house,
                ctr=self.store.next_counter(job.house, now_s),
                exp_s=int(now_s) + self.settings.command_ttl_s,
                from_phase=from_phase,
                to_phase=to_phase,
            ),
            key,
        )
        topic = topic_for(TopicKind.CMD, self.feeder_id, job.house)
        if not self.bus.publish(topic, command.to_json(), qos=1):
            job.reason = "house_bus_down"
            return False
        self.relay_commands += 1
        job.command = command
        job.deadline_s = now_s + self.settings.ack_timeout_s
        return True

    def start(
        self, job: SwitchJob, now_s: float, before: PhaseTotals, reported: PhaseTotals
    ) -> list[SwitchUpdate]:
        """Send the job's command; return its first update.

        `before` are the phase totals now and `reported` the totals summed from the house
        reports of the same moment.
        """
        if self.job is not None:
            raise RuntimeError("a switch is already in progress")
        job.before, job.step, job.started_s = before, Step.ACK, now_s
        job.unreported_before = unreported_w(before, reported)
        self._journal(job)
        if not self._send(job, job.from_phase, job.to_phase, now_s):
            return [SwitchUpdate(job, CommandState.FAILED, job.reason)]
        self.job = job
        return [SwitchUpdate(job, CommandState.SENT)]

    # --- acks -------------------------------------------------------------------------------

    def on_ack(self, house_id: str, payload: bytes, now_s: float) -> list[SwitchUpdate]:
        """Take an ack from the house bus; return the updates it causes."""
        try:
            ack = HouseAck.from_json(payload, feeder=self.feeder_id)
        except WireError as exc:
            log.warning("malformed ack on %s: %s", house_id, exc)
            return []
        key = self.keys.key(house_id)
        job = self.job
        if key is None:
            return []
        pending = job.command if job is not None and job.house == house_id else None
        verdict = verify_ack(ack, key=key, house_id=house_id, command=pending)
        if verdict.reason in (Rejection.BAD_MAC, Rejection.WRONG_DEVICE):
            self.on_rejection(verdict.reason, house_id, ack.cmd_id)
            return []
        if job is None or pending is None or not verdict.accepted:
            return []  # a late ack of a command already given up, or another command's
        job.measured = job.acked_ph = ack.ph
        if job.step is Step.ACK:
            return self._on_command_ack(job, ack, now_s)
        if job.step is Step.ROLLBACK_ACK:
            return self._on_rollback_ack(job, ack)
        return []

    def _on_command_ack(self, job: SwitchJob, ack: HouseAck, now_s: float) -> list[SwitchUpdate]:
        if not ack.ok and ack.reason == RELAY_FEEDBACK_FAILED:
            if ack.ph == job.from_phase:  # the relay did not move: nothing to send back
                self.job = None
                return [SwitchUpdate(job, CommandState.FAILED, "relay_feedback", lockout=True)]
            job.step = Step.VERIFY  # the ack is here: roll back from where it says the house is
            return self._rollback(job, now_s, "relay_feedback")
        if not ack.ok:
            self.job = None
            return [SwitchUpdate(job, CommandState.REJECTED, ack.reason or "refused")]
        if ack.ph != job.to_phase:
            return self._rollback(job, now_s, "ack_wrong_phase")
        job.step, job.acked_s = Step.VERIFY, now_s
        job.deadline_s = now_s + self.settings.verify_timeout_s
        self._journal(job)
        return [SwitchUpdate(job, CommandState.ACKNOWLEDGED)]

    def _on_rollback_ack(self, job: SwitchJob, ack: HouseAck) -> list[SwitchUpdate]:
        self.job = None
        if ack.ph == job.from_phase:
            lockout = job.reason != INTERRUPTED
            return [SwitchUpdate(job, CommandState.ROLLED_BACK, job.reason, lockout=lockout)]
        return [
            SwitchUpdate(job, CommandState.FAILED, f"{job.reason}_rollback_refused", lockout=True)
        ]

    # --- timers and verification ------------------------------------------------------------

    def poll(
        self, now_s: float, houses: HouseTracker, totals: Callable[[], PhaseTotals]
    ) -> list[SwitchUpdate]:
        """Advance the job in progress: verification from telemetry, and timeouts."""
        job = self.job
        if job is None:
            return []
        if job.resume:
            if not self.bus.connected:
                return []
            job.resume = False
            return self._rollback(job, now_s, INTERRUPTED)
        if job.step is Step.VERIFY:
            return self._verify(job, now_s, houses, totals)
        if job.step is Step.JUDGE:
            return self._judge_help(job, now_s, houses, totals)
        if now_s < job.deadline_s:
            return []
        if job.step is Step.ACK:
            return self._rollback(job, now_s, "ack_timeout")
        self.job = None
        return [
            SwitchUpdate(
                job, CommandState.FAILED, f"{job.reason}_rollback_unconfirmed", lockout=True
            )
        ]

    def _verify(
        self,
        job: SwitchJob,
        now_s: float,
        houses: HouseTracker,
        totals: Callable[[], PhaseTotals],
    ) -> list[SwitchUpdate]:
        assert job.acked_s is not None
        assert job.before is not None
        tele, fault = self._telemetry(job, houses)
        if fault:
            return self._rollback(job, now_s, fault)
        if tele is not None:
            after = totals()
            if (
                tele.ph == job.to_phase
                and tele.relay is RelayState.OK
                and after.ts_s >= job.acked_s
            ):
                if not self._totals_agree(job, after, houses.totals(now_s)):
                    return self._rollback(job, now_s, "totals_not_as_predicted")
                job.confirmed = after
                if job.origin is not SwitchOrigin.AUTO:
                    self.job = None
                    return [SwitchUpdate(job, CommandState.APPLIED, after=after)]
                noise_a = self.history.effect_noise_a(job.house, job.from_phase, job.to_phase)
                job.step, job.help = Step.JUDGE, HelpSamples(noise_a, max(0.0, -job.gain_a))
                job.deadline_s = now_s + self.settings.help_window_s
                return self._judge_help(job, now_s, houses, totals)
        if now_s >= job.deadline_s:
            return self._rollback(job, now_s, "not_confirmed")
        return []

    def _telemetry(self, job: SwitchJob, houses: HouseTracker) -> tuple[Telemetry | None, str]:
        """Return the house's telemetry since the ack (noting its phase), and the relay fault
        that forces a rollback, or ""."""
        assert job.acked_s is not None
        tele = houses.tele_since(job.house, job.acked_s)
        if tele is None:
            return None, ""
        job.measured = tele.ph
        if tele.relay in (RelayState.FAULT, RelayState.LOCKED):
            return tele, f"relay_{tele.relay}"
        return tele, ""

    def _totals_agree(self, job: SwitchJob, after: PhaseTotals, reported: PhaseTotals) -> bool:
        """Return whether the totals followed the house to its new phase.

        The house reports say where every load is; the totals, set against the reports of the
        same moment, must hold as much beyond them on the from- and to-phase as they did
        before the switch, within the tolerance. A house that reports the new phase while its
        load stayed on the old one leaves its power behind in the from-phase total, beyond
        the reports, and missing from the to-phase total; what the other houses switched on or
        off meanwhile is in both the totals and the reports, and cancels out.
        """
        assert job.unreported_before is not None
        now = unreported_w(after, reported)
        tolerance = self.verify_tol_w()
        return all(
            abs(now[k] - job.unreported_before[k]) <= tolerance
            for k in (job.from_phase.ordinal, job.to_phase.ordinal)
        )

    def _judge_help(
        self,
        job: SwitchJob,
        now_s: float,
        houses: HouseTracker,
        totals: Callable[[], PhaseTotals],
    ) -> list[SwitchUpdate]:
        """Sample, and at the end of the window judge, whether a planner move helped.

        Each report of the house gives a sample: the neutral current as measured against what
        it would be, at the same moment, had the house stayed on its from-phase, so what every
        other house switched on or off meanwhile cancels out. The move "did not help" when the
        RMS over the window is higher with it than without it by more than `help_tol_a` plus
        `help_noise_z` standard errors of its effect (see `HelpSamples.tolerance_a`).
        """
        assert job.acked_s is not None
        assert job.help is not None
        tele, fault = self._telemetry(job, houses)
        if fault:
            return self._rollback(job, now_s, fault)
        if tele is not None:
            if tele.ph != job.to_phase:
                return self._rollback(job, now_s, "left_target_phase")
            after = totals()
            if after.ts_s >= job.acked_s:
                job.help.add(
                    tele.ts_s,
                    *neutral_with_house_on(
                        after, tele.p_w, tele.q_var, on=job.from_phase, instead_of=job.to_phase
                    ),
                )
        if now_s < job.deadline_s or job.help.count == 0:
            if now_s >= job.deadline_s + self.settings.verify_timeout_s:
                return self._rollback(job, now_s, "not_confirmed")
            return []
        if job.help.hurt(self.settings.help_tol_a, self.settings.help_noise_z):
            return self._rollback(job, now_s, "did_not_help")
        self.job = None
        return [SwitchUpdate(job, CommandState.APPLIED, after=job.confirmed)]

    def _rollback(self, job: SwitchJob, now_s: float, reason: str) -> list[SwitchUpdate]:
        """Send the house back to its from-phase, unless it never left it."""
        job.reason = reason
        where = job.measured or job.to_phase
        if job.step is Step.ACK:
            where = job.to_phase  # the ack is lost: the house may have switched
        if where == job.from_phase:
            self.job = None
            return [SwitchUpdate(job, CommandState.FAILED, reason, lockout=reason != INTERRUPTED)]
        job.step = Step.ROLLBACK_ACK
        self._journal(job)
        if not self._send(job, where, job.from_phase, now_s):
            self.job = None
            return [SwitchUpdate(job, CommandState.FAILED, f"{reason}_{job.reason}", lockout=True)]
        job.reason = reason
        return []
