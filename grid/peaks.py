"""Each house's mean current per slot of the day, day by day, and the rule of no new phase peak.

Households repeat: the current a house draws at 19:00 today says much about 19:00 tomorrow.
`DailyProfiles` keeps, per house, the mean current of every slot of each past day (and of the
last minutes), causally; `rows` gives them in the order of the coming 24 h with weights that
favour recent days. The balancing loop reads them to check that a move creates no new peak:
`peak_safe` refuses a move that would lift its destination phase, in any slot of the coming day
that the past days show, above the higher of the as-built wiring's peak (less a margin) and
that phase's own present peak, or above its rating.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from grid.phasors import ComplexArray, FloatArray

IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class ProfileConfig:
    """How the past days are kept and weighed, and the margin of the peak rule."""

    slot_s: float = 1800.0
    """Length of a slot of the day [s]."""
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
    peak_margin: float = 0.05
    """A move keeps every phase at least this share below the as-built wiring's peak, unless
    the phase is already above it in that slot (it may then not rise further)."""


def slot_of(ts_s: float, utc_offset_s: float, slot_s: float) -> int:
    """Return the slot of the local day that `ts_s` falls in."""
    return int(((ts_s + utc_offset_s) % 86400.0) // slot_s)


def local_day_number(ts_s: float, utc_offset_s: float) -> int:
    """Return the local calendar day number of an epoch time."""
    return math.floor((ts_s + utc_offset_s) / 86400.0)


class DailyProfiles:
    """Per-house mean current of every slot of each past day, and of the last minutes."""

    def __init__(self, n_houses: int, config: ProfileConfig, utc_offset_s: float) -> None:
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


def as_built_peak_a(m: ComplexArray, rows: int, phase: IntArray) -> float:
    """Return the highest slot-mean phase current of the `rows` first rows under `phase` [A]."""
    one_hot = np.eye(3)[phase]  # (houses, 3)
    sums = np.einsum("rsh,hp->rsp", m[:rows], one_hot)
    return float(np.abs(sums).max()) if sums.size else 0.0


def peak_safe(
    m: ComplexArray,
    phase: IntArray,
    moves: list[tuple[int, int]],
    cap_a: float,
    rating_a: FloatArray | None = None,
) -> list[bool]:
    """Return which moves, taken in order, keep every phase within its limits.

    `m` (rows, slots, houses) holds the house currents expected ahead [A]. In no row and slot
    may a move lift its destination phase above the higher of `cap_a` and that phase's present
    current (no new peak), nor above the phase's rating (`rating_a`, R, Y, B) unless it is
    already there. The accepted moves are applied before the next check.
    """
    sums = np.einsum("rsh,hp->rsp", m, np.eye(3)[phase])  # (rows, slots, 3)
    rating = np.full(3, np.inf) if rating_a is None else np.asarray(rating_a, dtype=np.float64)
    safe = []
    for house, to in moves:
        now = np.abs(sums[:, :, to])
        after = np.abs(sums[:, :, to] + m[:, :, house])
        limit = np.minimum(np.maximum(cap_a, now), np.maximum(rating[to], now))
        ok = bool((after <= limit + 1e-9).all())
        if ok:
            sums[:, :, to] += m[:, :, house]
            sums[:, :, phase[house]] -= m[:, :, house]
        safe.append(ok)
    return safe
