"""One feeder's day of per-house readings: the data the replay runs on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timezone

import numpy as np

from grid.phasors import FloatArray, Phase
from grid.timezones import IST as IST  # noqa: PLC0414 (re-exported)


@dataclass(frozen=True, slots=True)
class HouseSpec:
    """A provisioned house: its id, the phase it is wired to, and what it has."""

    house_id: str
    phase: Phase
    switchable: bool
    pv_kw: float  # installed rooftop PV [kWp], 0 without PV


@dataclass(frozen=True)
class FeederDay:
    """Readings of every house at regular steps.

    Arrays have shape (steps, houses) in the order of `houses`; `ts_s` holds epoch seconds of
    each step and `tz` the local time zone used when the day is written out.
    """

    houses: tuple[HouseSpec, ...]
    ts_s: FloatArray  # epoch seconds of each step, shape (steps,)
    p_w: FloatArray  # net active power [W], + import, − export (load − PV)
    q_var: FloatArray  # reactive power [var]
    pv_w: FloatArray  # PV output [W], ≥ 0
    tz: timezone = IST

    def __post_init__(self) -> None:
        shape = (len(self.ts_s), len(self.houses))
        for name in ("p_w", "q_var", "pv_w"):
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, expected {shape}")

    @property
    def step_s(self) -> float:
        """Return the step between readings [s]."""
        return float(np.median(np.diff(self.ts_s))) if len(self.ts_s) > 1 else 60.0

    @property
    def phase_index(self) -> np.ndarray:
        """Return the wired phase of each house as 0, 1, 2 for R, Y, B."""
        return np.array([h.phase.ordinal for h in self.houses], dtype=np.intp)

    def local_time(self, step: int) -> datetime:
        """Return the local time of a step."""
        return datetime.fromtimestamp(float(self.ts_s[step]), UTC).astimezone(self.tz)
