"""The transformer controller of one feeder: observe, decide, switch, verify, report.

`EdgeController.step()` does everything that is due at the clock's present time and returns:
it drains the house bus and the HQ link, advances the switch in progress, samples the feeder
every summary period (planner input, summary, alerts), batches readings, plans a balancing run
every control period in auto mode, starts the next queued switch and sends due outbox entries.
It never blocks, so many controllers can share one thread; the clock, the links and the meter
are passed in, and tests drive `step()` on a fake clock.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from edge.alerts import AlertBook
from edge.config import HouseConfig
from edge.history import FeederSample, SampleHistory
from edge.houses import HouseTracker
from edge.ids import IdMaker
from edge.links import Inbound, Link
from edge.lockout import cooldown_s, until_text
from edge.meter import MeterSource
from edge.outbox import Outbox
from edge.runs import BalancingRun
from edge.settings import EdgeSettings
from edge.state import Lockout, StateStore
from edge.switching import Switcher, SwitchJob, SwitchUpdate
from edge.totals import PhaseTotals, from_meter
from edge.tuning import TuningError, apply_config, without_retired
from edge.uplink import UplinkSender
from edge.watch import UplinkWatch, watch_feeder, watch_houses
from grid.alert_kinds import AlertKind
from grid.control import BalancingLoop, ControlConfig
from grid.events import (
    CommandResultData,
    CommandState,
    LockoutData,
    ModeChangeData,
    RunMove,
    RunTrigger,
    SecurityRejectionData,
    SwitchOrigin,
    SwitchResult,
    SwitchResultData,
)
from grid.interlocks import relay_operations
from grid.messages import (
    ControlAction,
    ControlCommand,
    EventKind,
    HouseState,
    Mode,
    ReadingRow,
    RelayState,
    Severity,
    Telemetry,
    TopicKind,
    WireError,
    parse_topic,
)
from grid.phasors import NOMINAL_PHASE_V, Phase
from grid.planner import Move
from grid.signing import Rejection, verify_control_command
from grid.topics import topic_filter
from keys import Keyring

log = logging.getLogger("edge")

_FINAL = {
    CommandState.APPLIED: SwitchResult.APPLIED,
    CommandState.REJECTED: SwitchResult.REJECTED,
    CommandState.FAILED: SwitchResult.FAILED,
    CommandState.ROLLED_BACK: SwitchResult.ROLLED_BACK,
}
_AUTHENTIC = (None, Rejection.EXPIRED, Rejection.WRONG_FROM_PHASE)
"""Verdicts of a command whose MAC and counter were good: its counter is used up."""


def house_subscriptions(feeder_id: str) -> list[tuple[str, int]]:
    """Return the topic filters (and QoS) the controller reads on the house bus."""
    kinds = (TopicKind.TELE, TopicKind.ACK, TopicKind.STATE)
    return [topic_filter(kind, feeder_id) for kind in kinds]


def hq_subscriptions(feeder_id: str) -> list[tuple[str, int]]:
    """Return the topic filters (and QoS) the controller reads on the HQ link."""
    return [topic_filter(TopicKind.CTL, feeder_id), topic_filter(TopicKind.COMMITTED, feeder_id)]


@dataclass(slots=True)
class EdgeStats:
    """Counters of what the controller did and refused."""

    security_rejections: Counter[str] = field(default_factory=Counter)
    switches: Counter[str] = field(default_factory=Counter)
    runs: int = 0
    malformed: int = 0
    detect_to_ack_s: deque[float] = field(default_factory=lambda: deque(maxlen=1000))
    """Per run: from the planner's decision to the first house's signed ack [s], newest last."""


class EdgeController:
    """Everything one transformer's controller does, driven by `step()`."""

    def __init__(
        self,
        feeder_id: str,
        houses: Sequence[HouseConfig],
        *,
        clock: Callable[[], float],
        house_bus: Link,
        hq: Link,
        keys: Keyring,
        store_dir: str | Path,
        settings: EdgeSettings | None = None,
        control: ControlConfig | None = None,
        meter: MeterSource | None = None,
    ) -> None:
        self.feeder_id = feeder_id
        self.clock = clock
        self.house_bus = house_bus
        self.hq = hq
        self.keys = keys
        self.meter = meter
        self.stats = EdgeStats()
        settings = settings or EdgeSettings()
        control = control or ControlConfig()
        if settings.phase_rating_a > 0:
            control = replace(control, phase_rating_a=settings.phase_rating)
        now = clock()
        store = Path(store_dir)
        self.state = StateStore(store / "state.db")
        self.outbox = Outbox(
            store / "outbox.db",
            clock=clock,
            max_bytes=settings.outbox_max_bytes,
            resend_after_s=settings.resend_after_s,
        )
        try:
            settings, control = apply_config(
                settings, control, without_retired(self.state.config())
            )
        except TuningError as exc:
            log.error("%s: stored config not applied (%s)", feeder_id, exc)
        self.settings = settings
        self.ids = IdMaker(feeder_id, self.outbox.boot)
        self.houses = HouseTracker(houses, settings.stale_after_s)
        self._index = {h.house_id: k for k, h in enumerate(houses)}
        records = [self.state.house(h.house_id) for h in houses]
        self.loop = BalancingLoop(
            [h.house_id for h in houses],
            [r.phase or h.phase for h, r in zip(houses, records, strict=True)],
            [h.switchable for h in houses],
            [h.pv_kw for h in houses],
            control,
        )
        self.mode = self.state.mode(Mode(settings.default_mode))
        self.uplink = UplinkSender(feeder_id, self.outbox, hq, now, keys)
        for h, r in zip(houses, records, strict=True):
            if r.lockout is not None:
                self._restore_lock(h.house_id, r.lockout, r.lockouts, now)
        self.alerts = AlertBook(
            self.state, self.ids, lambda change: self.uplink.alert(self.clock(), change)
        )
        self.history = SampleHistory(self.houses.ids, settings.help_lookback_s)
        self.switcher = Switcher(
            feeder_id,
            house_bus,
            keys,
            self.state,
            self.ids,
            settings,
            self._ack_rejected,
            self.history,
        )
        interrupted = self.switcher.job
        if interrupted is not None and interrupted.house not in self.houses:
            self.switcher.abandon()
            log.error("%s: dropped the interrupted switch of %s, no longer on the feeder",
                      feeder_id, interrupted.house)  # fmt: skip
        self.jobs: deque[SwitchJob] = deque()
        self.runs: dict[str, BalancingRun] = {}
        self._rows: list[ReadingRow] = []
        self._started_s = now
        self._next_sample_s = now
        self._next_readings_s = now + settings.readings_period_s
        self._next_control_s = now + settings.control_period_s
        self.uplink_watch = UplinkWatch(settings.hq_unreachable_after_s)

    # --- the step ---------------------------------------------------------------------------

    def step(self) -> None:
        """Do everything that is due now; never blocks."""
        now = self.clock()
        for message in self.house_bus.drain():
            self._on_house_message(message, now)
        for message in self.hq.drain():
            self._on_hq_message(message, now)
        self._apply(self.switcher.poll(now, self.houses, lambda: self.totals(now)), now)
        if now >= self._next_sample_s:
            self._next_sample_s = max(self._next_sample_s + self.settings.summary_period_s, now)
            self._sample(now)
        if now >= self._next_readings_s:
            self._next_readings_s = max(
                self._next_readings_s + self.settings.readings_period_s, now
            )
            self._flush_readings()
        if self.mode is Mode.AUTO and now >= self._next_control_s:
            self._next_control_s = now + self.settings.control_period_s
            if not self.switcher.busy and not self.jobs:
                self._plan(now, RunTrigger.AUTO)
        self._start_next(now)
        self.uplink_watch.check(self.alerts, self.uplink.unreachable_s(now), self.outbox)
        self.uplink.pump(now)

    def close(self) -> None:
        """Send what is due, publish the offline status and close the databases."""
        self._flush_readings()
        self.uplink.pump(self.clock())
        self.uplink.goodbye()
        self.outbox.close()
        self.state.close()

    # --- measurements -----------------------------------------------------------------------

    @property
    def next_control_s(self) -> float:
        """Return when the next balancing decision falls due in auto mode [epoch s]."""
        return self._next_control_s

    def totals(self, now_s: float) -> PhaseTotals:
        """Return the phase totals: the meter's when fresh, else summed from the houses."""
        reading = None if self.meter is None else self.meter.latest()
        if reading is not None and now_s - reading.ts_s <= self.settings.meter_stale_s:
            return from_meter(reading)
        return self.houses.totals(now_s)

    def phase_of(self, house_id: str) -> Phase | None:
        """Return the phase the controller believes a house is on, or None if unknown."""
        k = self._index.get(house_id)
        return None if k is None else self.loop.houses[k].phase

    def _on_house_message(self, message: Inbound, now: float) -> None:
        try:
            topic = parse_topic(message.topic)
        except WireError:
            self.stats.malformed += 1
            return
        house = topic.house
        if topic.feeder != self.feeder_id or house is None or house not in self.houses:
            return
        if topic.kind is TopicKind.ACK:
            self._apply(self.switcher.on_ack(house, message.payload, now), now)
            return
        try:
            if topic.kind is TopicKind.TELE:
                tele = Telemetry.from_json(message.payload, feeder=self.feeder_id)
                self._rows.append(self.houses.on_tele(house, tele, now))
                self._reconcile(house, tele.ph)
            elif topic.kind is TopicKind.STATE:
                self.houses.on_state(house, HouseState.from_json(message.payload))
        except WireError as exc:
            self.stats.malformed += 1
            log.warning("%s: malformed %s from %s: %s", self.feeder_id, topic.kind, house, exc)

    def _reconcile(self, house: str, reported: Phase) -> None:
        """Hold the phase a house's signed acks and relay feedback put it on: telemetry is not
        signed and never moves it (DESIGN §7); telemetry that disagrees raises an alert, which
        clears when it agrees again. A house being switched is the switcher's to judge."""
        job = self.switcher.job
        if job is not None and job.house == house:
            return
        held = self.phase_of(house)
        self.alerts.set(
            f"phase:{house}",
            reported != held,
            AlertKind.HOUSE_PHASE_MISMATCH,
            Severity.WARNING,
            f"House {house} reports phase {reported}, but its last signed ack and relay "
            f"feedback put it on {held}; the controller holds {held}.",
            house,
            cleared=f"House {house} reports phase {held} again.",
        )

    def _sample(self, now: float) -> None:
        """Feed the planner, send the summary and re-evaluate the feeder's alerts."""
        totals = self.totals(now)
        p, q, pv = self.houses.samples(now)
        online = self.houses.online_mask(now)
        warming_up = now - self._started_s < self.settings.stale_after_s
        reported = self.houses.totals(now)
        self.history.add(FeederSample(totals, reported, self.houses.phases(now), p, q))
        if not (warming_up and self.houses.unheard()):
            self.loop.observe(
                now,
                p,
                q,
                pv,
                neutral_a=totals.i_n_a,
                online=self.houses.movable_mask(now),
                verify_tol_a=self._verify_tol_a(totals),
            )
        self._release_locks(now)
        if not (warming_up and not any(online) and totals.source == "houses"):
            # right after a start, before any house has reported, the totals are not a
            # measurement: a summary of zeros would draw a false dip on HQ's charts
            self.uplink.summary(now, totals, self.mode, sum(online), len(online))
        watch_feeder(self.alerts, now, totals, self.loop.detector, self.settings.phase_rating)
        if not warming_up:
            watch_houses(self.alerts, self.houses.ids, online, self.settings.stale_after_s)

    def _verify_tol_a(self, totals: PhaseTotals) -> float:
        """Return the totals check's tolerance as a current [A]; 0 when the totals are summed
        from the house reports, against which a move is always consistent."""
        if totals.source != "meter":
            return 0.0
        return self.switcher.verify_tol_w() / NOMINAL_PHASE_V

    def _flush_readings(self) -> None:
        if self._rows:
            self.uplink.readings(self._rows)
            self._rows = []

    # --- HQ ---------------------------------------------------------------------------------

    def _on_hq_message(self, message: Inbound, now: float) -> None:
        try:
            topic = parse_topic(message.topic)
        except WireError:
            self.stats.malformed += 1
            return
        if topic.feeder != self.feeder_id:
            return
        if topic.kind is TopicKind.COMMITTED:
            refused = self.uplink.on_committed(message.payload, now)
            if refused is not None:
                self._security(now, refused, None, None)
        elif topic.kind is TopicKind.CTL:
            self._on_ctl(message.payload, now)

    def _on_ctl(self, payload: bytes, now: float) -> None:
        try:
            ctl = ControlCommand.from_json(payload)
        except WireError as exc:
            self._security(now, "malformed", None, None)
            log.warning("%s: malformed ctl: %s", self.feeder_id, exc)
            return
        key = self.keys.key(self.feeder_id)
        if key is None:
            self._security(now, "no_feeder_key", None, ctl.cmd_id)
            return
        verdict = verify_control_command(
            ctl,
            key=key,
            feeder_id=self.feeder_id,
            last_counter=self.state.ctl_counter,
            now_s=now,
            current_phase_of=self.phase_of,
        )
        if verdict.reason in _AUTHENTIC:
            self.state.set_ctl_counter(ctl.ctr)
        if verdict.reason is not None:
            self._security(now, str(verdict.reason), ctl.house, ctl.cmd_id)
            if verdict.reason in _AUTHENTIC:
                self._command_result(now, ctl.cmd_id, CommandState.REJECTED, str(verdict.reason))
            return
        handlers = {
            ControlAction.SET_MODE: self._ctl_set_mode,
            ControlAction.SWITCH: self._ctl_switch,
            ControlAction.BALANCE_NOW: self._ctl_balance_now,
            ControlAction.CONFIG: self._ctl_config,
            ControlAction.UNLOCK: self._ctl_unlock,
        }
        handlers[ctl.action](ctl, now)

    def _ctl_set_mode(self, ctl: ControlCommand, now: float) -> None:
        assert ctl.mode is not None
        self._command_result(now, ctl.cmd_id, CommandState.ACKNOWLEDGED)
        if ctl.mode is not self.mode:
            self.mode = ctl.mode
            self.state.set_mode(ctl.mode)
            if ctl.mode is Mode.MANUAL:
                self._drop_queued(self._from_auto_run, "mode_manual", now)
            self._next_control_s = now + self.settings.control_period_s
            self.uplink.event(
                now, EventKind.MODE_CHANGE, ModeChangeData(ctl.mode, "hq", ctl.cmd_id)
            )
        self._command_result(now, ctl.cmd_id, CommandState.APPLIED)

    def _ctl_switch(self, ctl: ControlCommand, now: float) -> None:
        assert ctl.house is not None
        assert ctl.from_phase is not None
        assert ctl.to_phase is not None
        k = self._index.get(ctl.house)
        reason = ""
        if k is None:
            reason = "unknown_house"
        elif not self.loop.houses[k].switchable:
            reason = "not_switchable"
        elif not self.houses.online(ctl.house, now):
            reason = "house_offline"
        if reason:
            self._command_result(now, ctl.cmd_id, CommandState.REJECTED, reason)
            return
        self.jobs.append(
            SwitchJob(
                ctl.house, ctl.from_phase, ctl.to_phase, SwitchOrigin.MANUAL, ctl_id=ctl.cmd_id
            )
        )

    def _ctl_balance_now(self, ctl: ControlCommand, now: float) -> None:
        if self.switcher.busy or self.jobs:
            self._command_result(now, ctl.cmd_id, CommandState.REJECTED, "busy")
            return
        self._command_result(now, ctl.cmd_id, CommandState.ACKNOWLEDGED)
        self._plan(now, RunTrigger.BALANCE_NOW, ctl.cmd_id)

    def _ctl_config(self, ctl: ControlCommand, now: float) -> None:
        assert ctl.config is not None
        merged = {**without_retired(self.state.config()), **ctl.config}
        try:
            settings, control = apply_config(self.settings, self.loop.config, merged)
        except TuningError as exc:
            self._command_result(now, ctl.cmd_id, CommandState.REJECTED, exc.reason)
            return
        self.state.set_config(merged)
        self.settings = settings
        self.switcher.settings = settings
        self.history.lookback_s = settings.help_lookback_s
        self.loop.reconfigure(control)
        self._command_result(now, ctl.cmd_id, CommandState.APPLIED)

    def _ctl_unlock(self, ctl: ControlCommand, now: float) -> None:
        assert ctl.house is not None
        k = self._index.get(ctl.house)
        if k is None:
            self._command_result(now, ctl.cmd_id, CommandState.REJECTED, "unknown_house")
            return
        if not self.loop.houses[k].locked:
            self._command_result(now, ctl.cmd_id, CommandState.REJECTED, "not_locked")
            return
        self._unlock(ctl.house, f"House {ctl.house} unlocked by an operator ({ctl.cmd_id}).")
        self._command_result(now, ctl.cmd_id, CommandState.APPLIED)

    def _command_result(
        self, now: float, cmd_id: str, state: CommandState, reason: str = ""
    ) -> None:
        self.uplink.event(now, EventKind.COMMAND_RESULT, CommandResultData(cmd_id, state, reason))

    def _security(self, now: float, reason: str, house: str | None, cmd_id: str | None) -> None:
        self.stats.security_rejections[reason] += 1
        log.warning("%s: refused a command (%s)", self.feeder_id, reason)
        self.uplink.event(
            now, EventKind.SECURITY_REJECTION, SecurityRejectionData(reason, house, cmd_id)
        )

    def _ack_rejected(self, reason: Rejection, house: str | None, cmd_id: str | None) -> None:
        self._security(self.clock(), f"ack_{reason}", house, cmd_id)

    # --- balancing runs and switches --------------------------------------------------------

    def _plan(self, now: float, trigger: RunTrigger, ctl_id: str | None = None) -> None:
        """Plan a balancing run and queue its moves."""
        plan = self.loop.control_step(now, force=trigger is not RunTrigger.AUTO)
        if not plan.moves and trigger is RunTrigger.AUTO:
            return
        run = BalancingRun(
            self.ids.next("r"), trigger, self.totals(now).snapshot(), ctl_id, planned_s=now
        )
        self.runs[run.run_id] = run
        self.stats.runs += 1
        for move in plan.moves:
            self.jobs.append(
                SwitchJob(
                    move.house_id,
                    move.from_phase,
                    move.to_phase,
                    SwitchOrigin.AUTO,
                    run_id=run.run_id,
                    ctl_id=None,
                    gain_a=move.gain_a,
                )
            )
        if not plan.moves:
            self._finish_run(run, now)

    def _start_next(self, now: float) -> None:
        """Start the next queued switch when none is in progress."""
        while not self.switcher.busy and self.jobs:
            job = self.jobs.popleft()
            reason = self._blocker(job, now)
            if reason:
                self._apply([SwitchUpdate(job, CommandState.REJECTED, reason)], now)
                continue
            totals, reported = self.totals(now), self.houses.totals(now)
            self._apply(self.switcher.start(job, now, totals, reported), now)

    def _blocker(self, job: SwitchJob, now: float) -> str:
        """Return why a queued switch may not start now, or ""."""
        if not self.houses.online(job.house, now):
            return "house_offline"
        if self.phase_of(job.house) != job.from_phase:  # held from signed acks, not telemetry
            return "wrong_from_phase"
        if self._from_auto_run(job) and self.mode is not Mode.AUTO:
            return "mode_manual"
        if job.origin is SwitchOrigin.AUTO and self.loop.houses[self._index[job.house]].locked:
            return "locked"
        return ""

    def _from_auto_run(self, job: SwitchJob) -> bool:
        """Return whether a job belongs to a run the planner started by itself."""
        run = self.runs.get(job.run_id or "")
        return run is not None and run.trigger is RunTrigger.AUTO

    def _drop_queued(self, which: Callable[[SwitchJob], bool], reason: str, now: float) -> None:
        dropped = [job for job in self.jobs if which(job)]
        self.jobs = deque(job for job in self.jobs if not which(job))
        self._apply([SwitchUpdate(job, CommandState.REJECTED, reason) for job in dropped], now)

    def _apply(self, updates: Sequence[SwitchUpdate], now: float) -> None:
        """Turn switch updates into commits, lockouts, events and alerts."""
        for u in updates:
            job = u.job
            if job.ctl_id is not None:
                self._command_result(now, job.ctl_id, u.state, u.reason)
            if u.state is CommandState.ACKNOWLEDGED:
                self._first_ack(job, now)
            result = _FINAL.get(u.state)
            if result is None:
                continue
            self.stats.switches[str(result)] += 1
            if result is SwitchResult.APPLIED:
                self._applied(job, now)
            else:
                self._count_relay_operations(job.house, result, u.reason, now)
            if result is not SwitchResult.APPLIED and job.acked_ph is not None:
                self._hold_phase(job.house, job.acked_ph)  # where its signed ack says it is
            if u.lockout:
                self._lock_out(job, result, u.reason, now)
            self.uplink.event(
                now,
                EventKind.SWITCH_RESULT,
                SwitchResultData(
                    job.house,
                    job.from_phase,
                    job.to_phase,
                    result,
                    job.origin,
                    cmd_id=job.ctl_id,
                    run_id=job.run_id,
                    reason=u.reason,
                ),
            )
            self._record_in_run(job, result, now)
            self.switcher.forget(job)  # reported: a restart need not finish it again

    def _hold_phase(self, house: str, phase: Phase) -> None:
        """Hold that a house is on `phase`, as a signed ack of its node says."""
        if self.phase_of(house) != phase:
            self.loop.set_phase(house, phase)
            self.state.set_phase(house, phase)

    def _first_ack(self, job: SwitchJob, now: float) -> None:
        """Record how long the run of an acknowledged move took from decision to first ack."""
        run = self.runs.get(job.run_id or "")
        if run is not None and run.first_ack_s is None:
            run.first_ack_s = now
            self.stats.detect_to_ack_s.append(now - run.planned_s)

    def _applied(self, job: SwitchJob, now: float) -> None:
        self.loop.commit(Move(job.house, job.from_phase, job.to_phase, job.gain_a), now)
        self.state.set_phase(job.house, job.to_phase)
        self.state.forget_lockouts(job.house)
        if self.loop.houses[self._index[job.house]].locked and job.origin is SwitchOrigin.MANUAL:
            self._unlock(job.house, f"House {job.house} switched by an operator.")

    def _count_relay_operations(
        self, house: str, result: SwitchResult, reason: str, now: float
    ) -> None:
        """Keep the planner's dwell and daily count of a house in step with its node's.

        The node counts the move and its undo, and starts its dwell again, so a house rolled
        back is not offered to the planner before the node would take it; a node that refuses
        for its dwell or its daily cap is believed (grid.interlocks.relay_operations).
        """
        count = relay_operations(result, reason, self.loop.config.planner.limits)
        if count is not None:
            self.loop.note_relay_operations(house, now, count)

    # --- lockouts ---------------------------------------------------------------------------

    def _lock_out(self, job: SwitchJob, result: SwitchResult, reason: str, now: float) -> None:
        """Keep a house whose switch failed or was rolled back out of balancing for its
        cool-down (longer each time in a row), and raise the alert."""
        lockouts = self.state.house(job.house).lockouts + 1
        cooldown = cooldown_s(self.settings, lockouts)
        until = None if cooldown is None else now + cooldown
        self._lock(job.house, Lockout(reason, now, until), lockouts)
        rolled_back = result is SwitchResult.ROLLED_BACK
        self.alerts.raise_(
            f"switch:{job.house}",
            "switch_rolled_back" if rolled_back else "switch_failed",
            Severity.WARNING if rolled_back else Severity.CRITICAL,
            f"Switch of {job.house} {job.from_phase}→{job.to_phase} "
            f"{'rolled back' if rolled_back else 'failed'} ({reason}); the house is locked out "
            f"{until_text(until)} (lockout {lockouts} in a row).",
            job.house,
        )

    def _lock(self, house: str, lockout: Lockout, lockouts: int) -> None:
        self.loop.lock(house, lockout.until_s)
        self.state.lock(house, lockout, lockouts)
        self._report_lock(house, lockout)

    def _unlock(self, house: str, message: str) -> None:
        self.loop.unlock(house)
        self.state.unlock(house)
        self.uplink.event(self.clock(), EventKind.LOCKOUT, LockoutData(house, locked=False))
        self.alerts.clear(f"switch:{house}", message)

    def _report_lock(self, house: str, lockout: Lockout) -> None:
        """Tell HQ that a house is locked out: why, since and until when."""
        data = LockoutData(house, True, lockout.reason, lockout.since_s, lockout.until_s)
        self.uplink.event(self.clock(), EventKind.LOCKOUT, data)

    def _restore_lock(self, house: str, lockout: Lockout, lockouts: int, now: float) -> None:
        """Lock a house again at start-up as the state file remembers it; a lockout stored
        before lockouts had an end gets a cool-down from now; HQ is told again."""
        if lockout.since_s is None:
            cooldown = cooldown_s(self.settings, max(lockouts, 1))
            lockout = Lockout(lockout.reason, now, None if cooldown is None else now + cooldown)
            self.state.lock(house, lockout, max(lockouts, 1))
        self.loop.lock(house, lockout.until_s)
        self._report_lock(house, lockout)

    def _release_locks(self, now: float) -> None:
        """Bring back the houses whose cool-down has ended, unless the node itself is still
        locked (a failed relay feedback: a person must clear it), which starts another."""
        for house in self.loop.release_expired_locks(now):
            record = self.state.house(house)
            tele = self.houses.fresh(house, now)
            if tele is not None and tele.relay is not RelayState.OK:
                cooldown = cooldown_s(self.settings, max(record.lockouts, 1))
                until = None if cooldown is None else now + cooldown
                self._lock(house, Lockout(f"relay_{tele.relay}", now, until), record.lockouts)
                continue
            self._unlock(house, f"House {house} is back in balancing after its cool-down.")

    def _record_in_run(self, job: SwitchJob, result: SwitchResult, now: float) -> None:
        run = self.runs.get(job.run_id or "")
        if run is None:
            return
        run.moves.append(RunMove(job.house, job.from_phase, job.to_phase, result))
        if result is not SwitchResult.APPLIED:
            self.jobs = deque(j for j in self.jobs if j.run_id != run.run_id)
        active = self.switcher.job
        if any(j.run_id == run.run_id for j in self.jobs) or (
            active is not None and active.run_id == run.run_id
        ):
            return
        self._finish_run(run, now)

    def _finish_run(self, run: BalancingRun, now: float) -> None:
        self.runs.pop(run.run_id, None)
        after = self.totals(now).snapshot() if run.moves else None
        self.uplink.event(now, EventKind.BALANCING_RUN, run.data(after))
        if run.ctl_id is not None:
            self._command_result(now, run.ctl_id, CommandState.APPLIED, str(run.result))
