"""Transformer meter readings as the controller takes them, whatever the meter hardware."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class MeterReading:
    """One reading of the transformer's LV side; tuples are R, Y, B."""

    ts_s: float
    """When it was read [epoch s]."""
    v_v: tuple[float, float, float]
    """Phase-to-neutral voltages [V]."""
    i_a: tuple[float, float, float]
    """Phase currents [A]."""
    p_w: tuple[float, float, float]
    """Active power per phase [W], + towards the houses."""
    q_var: tuple[float, float, float]
    """Reactive power per phase [var]."""
    i_n_a: float | None = None
    """Measured neutral current [A], if the meter has a neutral CT."""
    f_hz: float | None = None
    """Frequency [Hz]."""


class MeterSource(Protocol):
    """Where the controller finds the latest meter reading."""

    def latest(self) -> MeterReading | None:
        """Return the newest reading, or None if there is none."""


class LatestReading:
    """The newest reading, written by a polling thread and read by the controller."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reading: MeterReading | None = None

    def put(self, reading: MeterReading) -> None:
        """Replace the newest reading."""
        with self._lock:
            self._reading = reading

    def latest(self) -> MeterReading | None:
        """Return the newest reading, or None."""
        with self._lock:
            return self._reading
