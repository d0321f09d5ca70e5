"""The phase selector: three latching relays with feedback contacts, and the interlocks of §7.

Hardware: each phase R, Y, B has a dual-coil latching relay (a "set" coil closes it, a "reset"
coil opens it, a short pulse each) and an auxiliary contact read back on an input. Latching
relays keep their contacts without power, so a reboot or a lost link leaves the house on its
phase: nothing here pulses a coil at start-up, and the phase is read back from the feedback.

Interlocks, checked or enforced on every switch (`Switcher.switch`):
- interlock_locked: a failed feedback check locked the node out; a person clears it.
- interlock_feedback: the feedback does not show exactly one closed phase, or after a switch
  does not show the target phase (which also locks the node out).
- interlock_min_dwell: less than `min_dwell_s` since the last switch.
- interlock_daily_cap: `max_per_day` switches already on this local day (reset at midnight,
  local time = UTC + `tz_offset_s`).
- undo: a move back to the phase the house was on before its last switch, within
  `undo_window_s` of that switch and once, is exempt from the dwell and the daily cap (it is
  still counted): the controller's rollback of a move that did not help must not be refused.
- interlock_zero_cross: no clean rising zero crossing of the voltage (no supply, noise).
- break-before-make: the old phase is opened at one of its zero crossings, the feedback must
  show every phase open after `dead_time_ms`, and only then is the target closed, timed at a
  rising zero crossing of the target phase: R → Y → B is the positive sequence, so the target
  crosses ((k_to − k_from) mod 3)/3 of a cycle after the old phase, whose crossings were timed
  from the voltage samples before the break. `lead_us` is the relays' operate time.
"""

import math

PHASES = ("R", "Y", "B")
DAY_S = 86400
PERIOD_MIN_US = 15000  # 66.7 Hz
PERIOD_MAX_US = 25000  # 40 Hz


class PhaseRelays:
    """Coil outputs and feedback inputs of the three relays; pins are in R, Y, B order.

    A pin is anything with `value()`/`value(x)` (machine.Pin on the ESP32).
    """

    def __init__(self, clock, set_pins, reset_pins, feedback_pins, pulse_ms=40, active_low=True):
        self.clock = clock
        self.set_pins = set_pins
        self.reset_pins = reset_pins
        self.feedback_pins = feedback_pins
        self.pulse_ms = pulse_ms
        self.active_low = active_low
        self.pulses = 0  # coil pulses since start: every relay operation
        for pin in set_pins + reset_pins:
            pin.value(0)

    def closed(self):
        """Return the phases whose feedback contact shows closed, in R, Y, B order."""
        on = 0 if self.active_low else 1
        pins = self.feedback_pins
        return [PHASES[k] for k in range(3) if pins[k].value() == on]

    def measured(self):
        """Return the one phase the feedback shows closed, or None if none or several are."""
        closed = self.closed()
        return closed[0] if len(closed) == 1 else None

    def _pulse(self, pin):
        self.pulses += 1
        pin.value(1)
        self.clock.sleep_ms(self.pulse_ms)
        pin.value(0)

    def close(self, phase):
        """Pulse the set coil of `phase`."""
        self._pulse(self.set_pins[PHASES.index(phase)])

    def open(self, phase):
        """Pulse the reset coil of `phase`."""
        self._pulse(self.reset_pins[PHASES.index(phase)])


class Limits:
    """Interlock settings (DESIGN §6/§7 defaults)."""

    def __init__(
        self,
        min_dwell_s=1800,
        max_per_day=3,
        tz_offset_s=19800,
        dead_time_ms=100,
        settle_ms=60,
        zc_timeout_ms=100,
        lead_us=0,
        undo_window_s=600,
    ):
        self.min_dwell_s = min_dwell_s  # [s]
        self.max_per_day = max_per_day
        self.tz_offset_s = tz_offset_s  # local time − UTC [s]; IST is +19800
        self.dead_time_ms = dead_time_ms  # break → make [ms]
        self.settle_ms = settle_ms  # make → feedback read [ms]
        self.zc_timeout_ms = zc_timeout_ms  # per zero crossing [ms]
        self.lead_us = lead_us  # relay operate time, pulses start this early [µs]
        self.undo_window_s = undo_window_s  # a switch may be undone this long after it [s]


def local_day(now_s, tz_offset_s):
    """Return the local day number of `now_s` [days since 1970-01-01 local]."""
    return int((now_s + tz_offset_s) // DAY_S)


class Switcher:
    """Move the house between phases under the interlocks; the state persists in a Journal."""

    def __init__(self, clock, relays, zero_cross, journal, state, limits):
        self.clock = clock
        self.relays = relays
        self.zero_cross = zero_cross
        self.journal = journal
        self.state = state
        self.limits = limits
        seen = relays.measured()
        if seen is not None and seen != state.phase:
            state.phase = seen
            journal.save(state)

    def phase(self):
        """Return the phase the feedback shows, else the last one it showed ("R" if never)."""
        return self.relays.measured() or self.state.phase or "R"

    def status(self):
        """Return the relay state of the wire contract: ok, locked or fault."""
        if self.state.locked:
            return "locked"
        if self.relays.measured() is None:
            return "fault"
        return "ok"

    def switches_today(self, now_s):
        """Return the switches made on the local day of `now_s`."""
        day = local_day(now_s, self.limits.tz_offset_s)
        return self.state.switches_today if self.state.day == day else 0

    def is_undo(self, to, now_s):
        """Return whether moving to `to` now undoes the last switch (see the module notes)."""
        state = self.state
        return bool(
            state.prev_phase
            and to == state.prev_phase
            and state.last_switch_s
            and 0 <= now_s - state.last_switch_s <= self.limits.undo_window_s
        )

    def blocker(self, now_s, to=None):
        """Return the interlock that forbids a switch (to `to`) now, or None."""
        state = self.state
        if state.locked:
            return "interlock_locked"
        if self.relays.measured() is None:
            return "interlock_feedback"
        if self.is_undo(to, now_s):
            return None
        if state.last_switch_s and now_s - state.last_switch_s < self.limits.min_dwell_s:
            return "interlock_min_dwell"
        if self.switches_today(now_s) >= self.limits.max_per_day:
            return "interlock_daily_cap"
        return None

    def clear_lockout(self):
        """Clear the lockout after a person has checked the relays."""
        self.state.locked = False
        self.journal.save(self.state)

    def _next_zero(self, t0, shift_us, period_us):
        """Return the first tick ≥ now of t0 + shift + k·period − lead (k integer)."""
        clock = self.clock
        lead = self.limits.lead_us
        since = clock.ticks_diff(clock.ticks_us(), t0)
        k = math.ceil((since - shift_us + lead) / period_us)
        return clock.ticks_add(t0, int(shift_us + k * period_us - lead))

    def _lock_out(self):
        state = self.state
        state.locked = True
        state.phase = self.relays.measured() or state.phase
        self.journal.save(state)
        return "interlock_feedback"

    def switch(self, to, now_s):
        """Move the house to phase `to`; return None on success or the interlock that stopped it."""
        reason = self.blocker(now_s, to)
        if reason is not None:
            return reason
        undo = self.is_undo(to, now_s)
        relays, clock, limits, state = self.relays, self.clock, self.limits, self.state
        old = relays.measured()
        if to not in PHASES or to == old:
            raise ValueError("the target must be another phase")
        found = self.zero_cross.cycle(limits.zc_timeout_ms * 1000)
        if found is None or not PERIOD_MIN_US <= found[1] <= PERIOD_MAX_US:
            return "interlock_zero_cross"
        t0, period = found

        day = local_day(now_s, limits.tz_offset_s)
        state.switches_today = self.switches_today(now_s) + 1
        state.day = day
        state.last_switch_s = now_s
        self.journal.save(state)  # counted before a coil moves: a reboot halfway still counts

        clock.wait_until_us(self._next_zero(t0, 0, period))
        relays.open(old)
        clock.sleep_ms(limits.dead_time_ms)
        if relays.closed():
            return self._lock_out()  # the break failed: never make onto a second phase

        shift = (PHASES.index(to) - PHASES.index(old)) % 3 * period / 3
        clock.wait_until_us(self._next_zero(t0, shift, period))
        relays.close(to)
        clock.sleep_ms(limits.settle_ms)
        closed = relays.closed()
        if closed == [to]:
            state.phase = to
            state.prev_phase = "" if undo else old
            self.journal.save(state)
            return None
        if not closed:  # the target did not close: give the house its old phase back
            clock.wait_until_us(self._next_zero(t0, 0, period))
            relays.close(old)
            clock.sleep_ms(limits.settle_ms)
        return self._lock_out()
