"""One phase switch at a time: signed command, signed ack, verification, rollback (DESIGN §6–7).

The lifecycle of a `SwitchJob`:

1. a signed `cmd` (house key, fresh counter, expiry, from-phase) goes to the house; wait for
   its ack until `ack_timeout_s`;
2. a good ack with ok=true starts verification: telemetry must show the house on the target
   phase with its relay ok, and the phase totals must move as predicted (the moved house's
   power leaves the from-phase and arrives on the to-phase, within a tolerance); a planner
   move must also not raise the neutral current;
3. a move that did not happen, did not move the totals or did not help is rolled back with a
   second signed command, and the house is locked out; a lost ack is treated the same way, and
   so is a node whose relay feedback failed (a stuck relay: the node has locked itself out and
   the house stays, or is sent back, on its from-phase).

The switcher reports every step as a `SwitchUpdate`; the controller turns them into events,
alerts and commits. It never blocks: `poll` advances the timers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from edge.config import Keyring
from edge.houses import HouseTracker
from edge.ids import IdMaker
from edge.links import Link
from edge.settings import EdgeSettings
from edge.state import StateStore
from edge.totals import PhaseTotals, neutral_with_house_on
from grid.events import CommandState, SwitchOrigin
from grid.messages import HouseAck, HouseCommand, RelayState, TopicKind, WireError, topic_for
from grid.phasors import Phase
from grid.signing import Rejection, sign, verify_ack

log = logging.getLogger("edge.switching")


RELAY_FEEDBACK_FAILED = "interlock_feedback"
"""The reason of a node whose relay feedback did not confirm the switch (DESIGN §7)."""


class Step(StrEnum):
    """Where a job is waiting."""

    ACK = "await_ack"
    VERIFY = "await_verify"
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
    house_p_w: float = 0.0
    """The house's net power when the command went out [W]."""
    acked_s: float | None = None
    measured: Phase | None = None
    """The phase the house last said it is on."""
    reason: str = ""


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
    ) -> None:
        self.feeder_id = feeder_id
        self.bus = bus
        self.keys = keys
        self.store = store
        self.ids = ids
        self.settings = settings
        self.on_rejection = on_rejection
        self.job: SwitchJob | None = None
        self.relay_commands = 0
        """Signed commands published to houses (each may operate a relay)."""

    @property
    def busy(self) -> bool:
        """Return whether a job is in progress."""
        return self.job is not None

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
        self, job: SwitchJob, now_s: float, before: PhaseTotals, house_p_w: float
    ) -> list[SwitchUpdate]:
        """Send the job's command; return its first update."""
        if self.job is not None:
            raise RuntimeError("a switch is already in progress")
        job.before, job.house_p_w, job.step = before, house_p_w, Step.ACK
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
        job.measured = ack.ph
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
        return [SwitchUpdate(job, CommandState.ACKNOWLEDGED)]

    def _on_rollback_ack(self, job: SwitchJob, ack: HouseAck) -> list[SwitchUpdate]:
        self.job = None
        if ack.ph == job.from_phase:
            return [SwitchUpdate(job, CommandState.ROLLED_BACK, job.reason, lockout=True)]
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
        if job.step is Step.VERIFY:
            return self._verify(job, now_s, houses, totals)
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
        tele = houses.tele_since(job.house, job.acked_s)
        if tele is not None:
            job.measured = tele.ph
            if tele.relay in (RelayState.FAULT, RelayState.LOCKED):
                return self._rollback(job, now_s, f"relay_{tele.relay}")
            after = totals()
            if (
                tele.ph == job.to_phase
                and tele.relay is RelayState.OK
                and after.ts_s >= job.acked_s
            ):
                problem = self._judge(job, job.before, after, tele.p_w, tele.q_var)
                if problem:
                    return self._rollback(job, now_s, problem)
                self.job = None
                return [SwitchUpdate(job, CommandState.APPLIED, after=after)]
        if now_s >= job.deadline_s:
            return self._rollback(job, now_s, "not_confirmed")
        return []

    def _judge(
        self,
        job: SwitchJob,
        before: PhaseTotals,
        after: PhaseTotals,
        house_p_w: float,
        house_q_var: float,
    ) -> str:
        """Return why the measured change does not confirm the move, or "" if it does.

        The totals must have moved by the house's power (it left one phase, arrived on the
        other). A planner move "did not help" when, at this moment, the neutral current is
        higher than it would be with the house still on its from-phase: judged against the
        same moment's loads, not against the neutral before the move, which every other
        house's appliances also changed meanwhile.
        """
        s = self.settings
        tolerance = max(s.verify_tol_w, s.verify_tol_frac * abs(job.house_p_w))
        moved_from = after.p_w[job.from_phase.ordinal] - before.p_w[job.from_phase.ordinal]
        moved_to = after.p_w[job.to_phase.ordinal] - before.p_w[job.to_phase.ordinal]
        if abs(moved_from + job.house_p_w) > tolerance or abs(moved_to - job.house_p_w) > tolerance:
            return "totals_not_as_predicted"
        if job.origin is SwitchOrigin.AUTO:
            now_a, unmoved_a = neutral_with_house_on(
                after, house_p_w, house_q_var, on=job.from_phase, instead_of=job.to_phase
            )
            if now_a > unmoved_a + s.help_tol_a:
                return "did_not_help"
        return ""

    def _rollback(self, job: SwitchJob, now_s: float, reason: str) -> list[SwitchUpdate]:
        """Send the house back to its from-phase, unless it never left it."""
        job.reason = reason
        where = job.measured or job.to_phase
        if job.step is Step.ACK:
            where = job.to_phase  # the ack is lost: the house may have switched
        if where == job.from_phase:
            self.job = None
            return [SwitchUpdate(job, CommandState.FAILED, reason, lockout=True)]
        job.step = Step.ROLLBACK_ACK
        if not self._send(job, where, job.from_phase, now_s):
            self.job = None
            return [SwitchUpdate(job, CommandState.FAILED, f"{reason}_{job.reason}", lockout=True)]
        job.reason = reason
        return []
