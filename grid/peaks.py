"""The rule of no new phase peak: a move is replayed on the minutes the feeder has just lived.

Balancing the neutral must not overload a phase (the product brief: "ensure no new phase
becomes overloaded"). A move's effect on a phase's peak cannot be read from averages: peaks
are minutes when several houses draw at once. So `MinuteHistory` keeps each house's mean current
of every minute of the last days, and `peak_safe` replays a candidate move on them: had the
house been on its new phase, its destination phase's highest minute must stay below the higher
of the as-built wiring's highest minute (less a margin) and that phase's own highest minute,
and below the phase's rating. Households repeat, so a move that would have made a new peak on
the last days is likely to make one on the next.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from grid.phasors import ComplexArray, FloatArray

IntArray = npt.NDArray[np.intp]

PEAK_MARGIN = 0.01
"""A move keeps every phase at least this share below the as-built wiring's highest minute,
unless the phase is already above it (it may then not rise further)."""
HISTORY_MINUTES = 3 * 1440
"""Minutes of house currents kept for the check (three days)."""


class MinuteHistory:
    """The mean current of every house in each of the last `size` minutes [A], and the phase
    sums of those minutes under the as-built wiring and under the present assignment (kept up
    to date as houses move)."""

    def __init__(self, as_built: IntArray, size: int = HISTORY_MINUTES) -> None:
        n_houses = len(as_built)
        self.as_built = np.asarray(as_built, dtype=np.intp).copy()
        self.phase = self.as_built.copy()
        self._ring = np.zeros((size, n_houses), dtype=np.complex128)
        self._sums = np.zeros((size, 3), dtype=np.complex128)
        self._as_built_sums = np.zeros((size, 3), dtype=np.complex128)
        self._filled = 0
        self._next = 0
        self._minute: int | None = None
        self._sum = np.zeros(n_houses, dtype=np.complex128)
        self._count = np.zeros(n_houses, dtype=np.int64)
        self._last = np.zeros(n_houses, dtype=np.complex128)

    def observe(self, ts_s: float, current_a: ComplexArray) -> None:
        """Take one sample of every house's current [A] (NaN: the house did not report)."""
        minute = math.floor(ts_s / 60.0)
        if self._minute is not None and minute != self._minute:
            self._close_minute()
        self._minute = minute
        seen = ~np.isnan(current_a)
        self._sum[seen] += current_a[seen]
        self._count[seen] += 1

    def _close_minute(self) -> None:
        """Keep the minute just ended; a house that did not report keeps its last value."""
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(self._count > 0, self._sum / np.maximum(self._count, 1), self._last)
        self._last = mean
        self._ring[self._next] = mean
        self._sums[self._next] = _phase_sums(mean, self.phase)
        self._as_built_sums[self._next] = _phase_sums(mean, self.as_built)
        self._next = (self._next + 1) % len(self._ring)
        self._filled = min(self._filled + 1, len(self._ring))
        self._sum[:] = 0.0
        self._count[:] = 0

    def minutes(self) -> ComplexArray:
        """Return the kept minutes (minutes, houses), in no particular order [A]."""
        return self._ring[: self._filled]

    def phase_sums(self) -> ComplexArray:
        """Return the phase sums of the kept minutes (minutes, 3) under `phase` [A]."""
        return self._sums[: self._filled]

    def as_built_peak_a(self) -> float:
        """Return the highest phase current of the kept minutes under the as-built wiring [A]."""
        return float(np.abs(self._as_built_sums[: self._filled]).max()) if self._filled else 0.0

    def move(self, house: int, to: int) -> None:
        """Record that `house` is now on phase `to`: its current moves in every kept minute."""
        old = int(self.phase[house])
        if old == to:
            return
        self._sums[:, old] -= self._ring[:, house]
        self._sums[:, to] += self._ring[:, house]
        self.phase[house] = to


def _phase_sums(current_a: ComplexArray, phase: IntArray) -> ComplexArray:
    """Return the sum of the house currents on each phase, shape (3,) [A]."""
    real = np.bincount(phase, current_a.real, 3)
    return np.asarray(real + 1j * np.bincount(phase, current_a.imag, 3), dtype=np.complex128)


def peak_safe(
    minutes: ComplexArray,
    phase: IntArray,
    moves: list[tuple[int, int]],
    cap_a: float,
    rating_a: FloatArray | None = None,
    sums: ComplexArray | None = None,
) -> list[bool]:
    """Return which moves, taken in order, would have created no new phase peak.

    `minutes` (minutes, houses) holds the house currents of the minutes kept [A]. Replayed on
    them, a move may not lift its destination phase's highest current above the higher of
    `cap_a` and that phase's present highest, nor above the phase's rating (`rating_a`, R, Y,
    B) unless it is already there. The accepted moves are applied before the next check.
    `sums` (minutes, 3), the phase sums of the minutes under `phase`, saves computing them.
    """
    sums = (minutes @ np.eye(3)[phase] if sums is None else sums).copy()  # (minutes, 3)
    rating = np.full(3, np.inf) if rating_a is None else np.asarray(rating_a, dtype=np.float64)
    safe = []
    for house, to in moves:
        now = float(np.abs(sums[:, to]).max()) if sums.size else 0.0
        after = float(np.abs(sums[:, to] + minutes[:, house]).max()) if sums.size else 0.0
        ok = after <= min(max(cap_a, now), max(float(rating[to]), now)) + 1e-9
        if ok:
            sums[:, to] += minutes[:, house]
            sums[:, phase[house]] -= minutes[:, house]
        safe.append(ok)
    return safe
