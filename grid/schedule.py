"""Day-schedule balancing: learn each house's typical day, plan the coming day's phases.

Households repeat: the best phase for a house depends on the time of day (night load, noon PV
export, the evening peak), and a feeder's best assignment changes at a few moments of the day.
So the schedule strategy

1. learns, per house, the mean current of every slot of the day (`DailyProfiles`), one row per
   past day, and the last minutes as one more row for the coming hour or two;
2. plans the phase of every house for every slot of the coming 24 h (`DaySchedule`), minimising

       J = Σ_s Σ_r w_r,s·|Σ_h u_h,s·m_r,s,h|²  +  λ·(phase changes)

   where m_r,s,h is house h's mean current in slot s of row r (a past day, or the recent row),
   w_r,s the row's weight (recent days count more; the recent row only for the near slots)
   and u_h,s the unit phasor of the phase planned for house h in slot s. J is the expected mean
   squared neutral current over the day plus a cost per switch;
3. moves the houses whose planned phase for the present slot differs from their phase.

The plan improves by exact per-house steps: given every other house, the best phase sequence of
one house over the day is a shortest path over (slot, phase) (a Viterbi pass, vectorised over
all houses); the house that gains most takes its sequence, and so on. A bounded number of such
steps runs per control cycle, so a decision stays within its time budget while the plan keeps
improving from one cycle to the next.

A planned phase may never push a phase's current above its cap: the higher of the as-built
wiring's peak (less a margin) and the phase's own planned peak in that slot; a house with
little current is never moved. Every quantity here is a pure function of what was observed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from grid.phasors import UNIT_PHASORS, ComplexArray, FloatArray

IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    """Tuning of the day-schedule strategy."""

    slot_s: float = 1800.0
    """Length of a slot of the day [s]; the plan may change a house's phase once a slot."""
    history_days: int = 7
    """Past days kept per house."""
    day_half_life_days: float = 2.0
    """Recency of the past days: a day this much older counts half as much."""
    recent_tau_s: float = 1800.0
    """Time constant of the recent mean current of each house [s]."""
    recent_weight: float = 1.0
    """Weight of the recent row against all past days together, for the present slot."""
    recent_horizon_s: float = 3600.0
    """How fast the recent row's weight fades with the lead time of a slot [s]."""
    switch_cost: float = 0.1
    """Cost of a change that recurs daily in the plan, as a multiple of a typical house's own
    contribution to J over the day."""
    move_cost: float = 0.02
    """Cost of leaving the present phase (once), in the same unit: a lasting change pays for
    itself over the days that follow, so it costs less than a daily one."""
    steps_per_cycle: int = 4
    """Per-house improvement steps of the plan per control cycle."""
    peak_margin: float = 0.05
    """The plan keeps every phase at least this share below the as-built wiring's peak, unless
    the phase is already above it in that slot (it may then not rise further)."""
    min_move_a: float = 1.0
    """A house whose RMS current over the typical day is below this is never moved [A]: its
    move would not change the neutral measurably."""
    min_full_days: int = 1
    """Complete past days needed before the schedule is used."""


def slot_of(ts_s: float, utc_offset_s: float, slot_s: float) -> int:
    """Return the slot of the local day that `ts_s` falls in."""
    return int(((ts_s + utc_offset_s) % 86400.0) // slot_s)


def local_day_number(ts_s: float, utc_offset_s: float) -> int:
    """Return the local calendar day number of an epoch time."""
    return math.floor((ts_s + utc_offset_s) / 86400.0)


class DailyProfiles:
    """Per-house mean current of every slot of each past day, and of the last minutes."""

    def __init__(self, n_houses: int, config: ScheduleConfig, utc_offset_s: float) -> None:
        self.config = config
        self.utc_offset_s = utc_offset_s
        self.slots = round(86400.0 / config.slot_s)
        self._sum = np.zeros((self.slots, n_houses), dtype=np.complex128)
        self._count = np.zeros((self.slots, n_houses), dtype=np.int64)
        self._day: int | None = None
        self.days: list[ComplexArray] = []
        """Completed days, oldest first, each of shape (slots, houses) [A]."""
        self.recent = np.zeros(n_houses, dtype=np.complex128)
        self._recent_weight = 0.0
        self._last_ts_s: float | None = None

    def observe(self, ts_s: float, current_a: ComplexArray) -> None:
        """Take one sample of every house's net current [A] (NaN: the house did not report)."""
        day = local_day_number(ts_s, self.utc_offset_s)
        if self._day is not None and day != self._day:
            self._close_day()
        self._day = day
        seen = ~np.isnan(current_a)
        slot = slot_of(ts_s, self.utc_offset_s, self.config.slot_s)
        self._sum[slot, seen] += current_a[seen]
        self._count[slot, seen] += 1
        dt_s = 60.0 if self._last_ts_s is None else min(max(ts_s - self._last_ts_s, 1.0), 900.0)
        self._last_ts_s = ts_s
        decay = math.exp(-dt_s / self.config.recent_tau_s)
        self._recent_weight = self._recent_weight * decay + dt_s
        self.recent = np.where(
            seen, self.recent * decay + dt_s * np.nan_to_num(current_a), self.recent
        )

    def _close_day(self) -> None:
        """Keep the day just ended; a slot no sample reached takes the previous day's value."""
        with np.errstate(invalid="ignore", divide="ignore"):
            means = self._sum / self._count
        if self.days:
            means = np.where(self._count > 0, means, self.days[-1])
        means = np.nan_to_num(means)
        covered = float((self._count.sum(axis=1) > 0).mean())
        if covered >= 0.5:
            self.days.append(means)
            del self.days[: -self.config.history_days]
        self._sum[:] = 0.0
        self._count[:] = 0

    @property
    def full_days(self) -> int:
        """Return how many complete past days are kept."""
        return len(self.days)

    def recent_mean(self) -> ComplexArray:
        """Return the recent mean current of every house [A]."""
        if self._recent_weight <= 0.0:
            return np.zeros_like(self.recent)
        return np.asarray(self.recent / self._recent_weight, dtype=np.complex128)

    def rows(self, now_s: float) -> tuple[ComplexArray, FloatArray, IntArray]:
        """Return the rows m (rows, slots, houses) [A], weights w (rows, slots) and slot order.

        Slots are in the order of the coming 24 h from the present slot. The last row is the
        recent mean, weighted by how near its slot is; the weights of each slot sum to 1.
        """
        cfg = self.config
        order = (slot_of(now_s, self.utc_offset_s, cfg.slot_s) + np.arange(self.slots)) % self.slots
        past = np.stack(self.days)[:, order, :]  # (days, slots, houses)
        ages = np.arange(len(self.days) - 1, -1, -1, dtype=np.float64)
        day_w = 0.5 ** (ages / cfg.day_half_life_days)
        day_w = day_w / day_w.sum()
        into_slot = ((now_s + self.utc_offset_s) % 86400.0) % cfg.slot_s
        lead = np.maximum(np.arange(self.slots) * cfg.slot_s - into_slot, 0.0)
        recent_w = cfg.recent_weight * np.exp(-lead / cfg.recent_horizon_s)
        m = np.concatenate(
            [past, np.broadcast_to(self.recent_mean(), (1, self.slots, past.shape[2]))]
        )
        w = np.concatenate(
            [np.repeat(day_w[:, None], self.slots, axis=1), recent_w[None, :]], axis=0
        )
        w = w / w.sum(axis=0, keepdims=True)
        return np.asarray(m), w, order


@dataclass(frozen=True)
class Horizon:
    """The data one round of planning works on (slots in the order of the coming 24 h)."""

    m: ComplexArray
    """Rows of mean house currents, shape (rows, slots, houses) [A]."""
    w: FloatArray
    """Row weights, shape (rows, slots), each slot's summing to 1."""
    phase_now: IntArray
    """Present phase of every house."""
    free_from: IntArray
    """For every house, the first slot from which its phase may change (slots = never)."""
    switch_cost: float
    """Cost of a phase change that recurs every day in the plan [A²·slot]."""
    move_cost: float
    """Cost of leaving the present phase, paid once [A²·slot]."""
    cap_a: float
    """Phase current cap: a planned phase may not go above it unless already there [A]."""


def as_built_peak_a(m: ComplexArray, rows: int, phase: IntArray) -> float:
    """Return the highest slot-mean phase current of the `rows` first rows under `phase` [A]."""
    one_hot = np.eye(3)[phase]  # (houses, 3)
    sums = np.einsum("rsh,hp->rsp", m[:rows], one_hot)
    return float(np.abs(sums).max()) if sums.size else 0.0


def peak_safe(
    m: ComplexArray, phase: IntArray, moves: list[tuple[int, int]], cap_a: float
) -> list[bool]:
    """Return which moves, taken in order, keep every phase within its cap in every row and slot.

    `m` (rows, slots, houses) holds the house currents expected ahead [A]. A move may not lift
    its destination phase above the higher of `cap_a` and that phase's present peak in any
    slot: it must not create a new peak. The accepted moves are applied before the next check.
    """
    sums = np.einsum("rsh,hp->rsp", m, np.eye(3)[phase])  # (rows, slots, 3)
    safe = []
    for house, to in moves:
        after = np.abs(sums[:, :, to] + m[:, :, house])
        ok = bool((after <= np.maximum(cap_a, np.abs(sums[:, :, to])) + 1e-9).all())
        if ok:
            sums[:, :, to] += m[:, :, house]
            sums[:, :, phase[house]] -= m[:, :, house]
        safe.append(ok)
    return safe


def large_enough_to_move(m: ComplexArray, w: FloatArray, min_a: float = 1.0) -> BoolArray:
    """Return which houses carry enough current over the day's rows to be worth a move."""
    weighted = np.einsum("rs,rsh->h", w, np.abs(m) ** 2) / max(w.sum(), 1e-12)
    return np.asarray(np.sqrt(weighted) >= min_a)


class DaySchedule:
    """The planned phase of every house in every slot of the coming 24 h, improved in steps."""

    def __init__(self, horizon: Horizon, plan: IntArray | None = None) -> None:
        self.h = horizon
        n = len(horizon.phase_now)
        slots = horizon.m.shape[1]
        if plan is None:
            plan = np.repeat(horizon.phase_now[:, None], slots, axis=1)
        self.plan = self._respect_fixed(plan.copy())
        self._b = np.einsum("rs,rsh->hs", horizon.w, np.abs(horizon.m) ** 2)  # (houses, slots)
        self._z = self._neutral()
        self._sums = self._phase_sums()
        self.house_scale = float(self._b.sum(axis=1).mean()) if n else 0.0

    def _respect_fixed(self, plan: IntArray) -> IntArray:
        slots = plan.shape[1]
        fixed = np.arange(slots)[None, :] < self.h.free_from[:, None]
        return np.where(fixed, self.h.phase_now[:, None], plan)

    def _neutral(self) -> ComplexArray:
        """Return the predicted neutral of every row and slot, shape (rows, slots) [A]."""
        u = UNIT_PHASORS[self.plan]  # (houses, slots)
        return np.asarray(np.einsum("rsh,hs->rs", self.h.m, u))

    def _phase_sums(self) -> ComplexArray:
        """Return the per-phase current sums of every row and slot, shape (rows, slots, 3)."""
        one_hot = np.eye(3)[self.plan]  # (houses, slots, 3)
        return np.asarray(np.einsum("rsh,hsp->rsp", self.h.m, one_hot))

    def objective(self, plan: IntArray | None = None) -> float:
        """Return J of a plan (default: the present one) [A²·slot]."""
        z = self._z if plan is None else np.einsum("rsh,hs->rs", self.h.m, UNIT_PHASORS[plan])
        p = self.plan if plan is None else plan
        return float((self.h.w * np.abs(z) ** 2).sum() + self.switch_costs(p).sum())

    def neutral_rms_a(self, slot: int = 0) -> float:
        """Return the predicted RMS neutral current of a slot [A]."""
        return math.sqrt(float((self.h.w[:, slot] * np.abs(self._z[:, slot]) ** 2).sum()))

    def option_costs(self) -> FloatArray:
        """Return the cost of each house on each phase in each slot, given the others (h, s, p).

        It is the part of J that depends on the house's phase, 2·Re(u_p·Σ_r w·conj(a)·m) with
        a the neutral without the house, and infinite where the phase cap forbids the phase.
        """
        h = self.h
        u_now = UNIT_PHASORS[self.plan]  # (houses, slots)
        wz = h.w * np.conj(self._z)  # (rows, slots)
        a = (wz[:, :, None] * h.m).sum(axis=0).T - np.conj(u_now) * self._b
        cost = 2.0 * np.real(a[:, :, None] * UNIT_PHASORS[None, None, :])
        return np.where(self._barred_by_cap(), np.inf, cost)

    def _barred_by_cap(self) -> BoolArray:
        """Return where moving a house onto a phase would lift that phase above its cap."""
        sums = self._sums  # (rows, slots, 3)
        mags = np.abs(sums).max(axis=0)  # (slots, 3)
        own = np.eye(3, dtype=bool)[self.plan]  # (houses, slots, 3)
        after = np.abs(sums[:, None, :, :] + self.h.m.transpose(0, 2, 1)[:, :, :, None])
        peak_after = after.max(axis=0)  # (houses, slots, 3)
        limit = np.maximum(self.h.cap_a, mags)[None, :, :]
        return np.asarray((peak_after > limit + 1e-9) & ~own)

    def best_sequences(self, costs: FloatArray) -> tuple[IntArray, FloatArray]:
        """Return each house's best phase sequence given the others, and its cost (Viterbi).

        The day repeats, so a sequence is a cycle: every change around it, the one from the
        last slot back to the first included, costs `switch_cost` (it recurs daily), and
        leaving the present phase at the first slot costs `move_cost` once. Slots before a
        house's `free_from` keep its present phase.
        """
        n, slots, _ = costs.shape
        lam = self.h.switch_cost
        other = np.arange(3)[None, :] != self.h.phase_now[:, None]  # (houses, 3)
        pinned = np.arange(slots)[None, :] < self.h.free_from[:, None]  # (houses, slots)
        costs = np.where(pinned[:, :, None] & other[:, None, :], np.inf, costs)
        eye = np.eye(3, dtype=bool)
        # value[h, a, p]: best cost of house h starting on phase a, now on phase p.
        value = np.where(eye[None], costs[:, 0, None, :], np.inf)
        value = value + (self.h.move_cost * other)[:, :, None]
        took = np.zeros((slots, n, 3, 3), dtype=bool)
        came = np.zeros((slots, n, 3), dtype=np.intp)
        for s in range(1, slots):
            prev = value.argmin(axis=2)  # (h, a)
            switch = value.min(axis=2, keepdims=True) + lam
            take = switch < value
            took[s], came[s] = take, prev
            value = np.where(take, switch, value)
            value += costs[:, s, None, :]
        closing = value + lam * ~eye[None]
        end = closing.argmin(axis=2)  # (h, a)
        totals = closing.min(axis=2)
        start = totals.argmin(axis=1)
        rows = np.arange(n)
        seq = np.empty((n, slots), dtype=np.intp)
        seq[:, -1] = end[rows, start]
        for s in range(slots - 1, 0, -1):
            here = seq[:, s]
            seq[:, s - 1] = np.where(took[s, rows, start, here], came[s, rows, start], here)
        return seq, totals[rows, start]

    def sequence_cost(self, costs: FloatArray, plan: IntArray) -> FloatArray:
        """Return each house's cost of keeping its present planned sequence."""
        taken = np.take_along_axis(costs, plan[:, :, None], axis=2)[:, :, 0].sum(axis=1)
        return np.asarray(taken + self.switch_costs(plan))

    def switch_costs(self, plan: IntArray) -> FloatArray:
        """Return each house's switching cost of a plan: daily changes and the first move."""
        daily = (plan != np.roll(plan, 1, axis=1)).sum(axis=1)
        moved = plan[:, 0] != self.h.phase_now
        return np.asarray(self.h.switch_cost * daily + self.h.move_cost * moved)

    def improve(self, movable: BoolArray, steps: int) -> int:
        """Give up to `steps` houses their best sequence, best gain first; return how many."""
        done = 0
        for _ in range(steps):
            costs = self.option_costs()
            seq, best = self.best_sequences(costs)
            keep = self.sequence_cost(costs, self.plan)
            gain = np.where(movable & np.isfinite(best), keep - best, 0.0)
            house = int(np.argmax(gain))
            if gain[house] <= 1e-9 * max(1.0, self.house_scale):
                break
            self._set(house, seq[house])
            done += 1
        return done

    def _set(self, house: int, sequence: IntArray) -> None:
        old = self.plan[house].copy()
        self.plan[house] = sequence
        du = UNIT_PHASORS[sequence] - UNIT_PHASORS[old]  # (slots,)
        self._z += self.h.m[:, :, house] * du[None, :]
        onehot = np.eye(3)[sequence] - np.eye(3)[old]  # (slots, 3)
        self._sums += self.h.m[:, :, house, None] * onehot[None, :, :]

    def present_neutral_rms_a(self) -> float:
        """Return the predicted RMS neutral current of the present slot at the present phases."""
        z = self.h.m[:, 0, :] @ UNIT_PHASORS[self.h.phase_now]
        return math.sqrt(float((self.h.w[:, 0] * np.abs(z) ** 2).sum()))

    def slot_gain(self, house: int) -> float:
        """Return the reduction of the present slot's J if `house` takes its planned phase."""
        h = self.h
        now = UNIT_PHASORS[h.phase_now[house]]
        planned = UNIT_PHASORS[self.plan[house, 0]]
        m = h.m[:, 0, house]
        z_without = self._z[:, 0] - planned * m
        before = np.abs(z_without + now * m) ** 2
        after = np.abs(self._z[:, 0]) ** 2
        return float((h.w[:, 0] * (before - after)).sum())
