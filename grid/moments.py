"""Second moments of the house currents, and the expected squared neutral current ahead.

The replay is scored on the RMS of the neutral current, and the neutral current of an
assignment u (u_h = the unit phasor of house h's phase) at a step is N = Σ_h u_h·c_h, with c_h
= conj(S_h)/V the house current [A]. Its mean square over any period is the quadratic form

    E|N|² = uᵀ·M·conj(u),    M[g, h] = E[c_g · conj(c_h)]    [A²]

so a good assignment for the coming hours is the one that minimises that form with M the
expected second moments over those hours. `CurrentMoments` estimates M causally: the gross load
currents (load without PV) are averaged over two exponential windows, a recent one and a long
one (what the day has shown so far), and the PV currents of the coming hours are added from
the clear-sky curve, each house's PV peak and the feeder's present clear-sky index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from grid.phasors import NOMINAL_PHASE_V, ComplexArray, FloatArray
from grid.solar import KOCHI_LAT_DEG, KOCHI_LON_DEG, clear_sky_pv_fraction


@dataclass(frozen=True, slots=True)
class MomentConfig:
    """Windows of the moment estimates and the look-ahead of the PV part."""

    recent_tau_s: float = 3600.0
    """Time constant of the recent window of load moments [s]."""
    long_tau_s: float = 43200.0
    """Time constant of the long window of load moments [s]."""
    long_share: float = 0.3
    """Weight of the long window against the recent one in the expected moments [0…1]."""
    horizon_s: float = 86400.0
    """How far ahead the PV part of the expected moments looks [s]; a day spreads the PV houses
    over the phases before the noon export rather than during it."""
    horizon_points: int = 9
    """Points of the clear-sky curve averaged over the horizon."""
    lat_deg: float = KOCHI_LAT_DEG
    lon_deg: float = KOCHI_LON_DEG


class _Window:
    """Exponentially weighted first and second moments of a vector of complex currents."""

    def __init__(self, n: int, tau_s: float) -> None:
        self.tau_s = tau_s
        self.weight = 0.0
        self.mean = np.zeros(n, dtype=np.complex128)
        self.gram = np.zeros((n, n), dtype=np.complex128)

    def add(self, current_a: ComplexArray, dt_s: float) -> None:
        """Add one sample that stands for `dt_s` seconds."""
        decay = math.exp(-dt_s / self.tau_s)
        self.weight = self.weight * decay + dt_s
        self.mean *= decay
        self.mean += dt_s * current_a
        self.gram *= decay
        self.gram += dt_s * np.outer(current_a, np.conj(current_a))


class CurrentMoments:
    """Running moments of every house's gross load current, and the expected moments ahead."""

    def __init__(self, pv_kw: FloatArray, config: MomentConfig | None = None) -> None:
        self.config = config or MomentConfig()
        n = len(pv_kw)
        self._pv_peak_a = np.asarray(pv_kw, dtype=np.float64) * 1000.0 / NOMINAL_PHASE_V
        self._recent = _Window(n, self.config.recent_tau_s)
        self._long = _Window(n, self.config.long_tau_s)
        self._last_ts_s: float | None = None
        self._first_ts_s: float | None = None
        self._last_current = np.zeros(n, dtype=np.complex128)

    def observe(self, ts_s: float, load_w: FloatArray, q_var: FloatArray) -> None:
        """Take one sample per house: gross load [W] and reactive power [var].

        NaN marks a house that did not report; its last known current is carried forward.
        """
        dt_s = 60.0 if self._last_ts_s is None else min(max(ts_s - self._last_ts_s, 1.0), 900.0)
        if self._first_ts_s is None:
            self._first_ts_s = ts_s
        self._last_ts_s = ts_s
        current = np.asarray(
            (np.asarray(load_w) - 1j * np.asarray(q_var)) / NOMINAL_PHASE_V, dtype=np.complex128
        )
        current = np.where(np.isnan(current), self._last_current, current)
        self._last_current = current
        self._recent.add(current, dt_s)
        self._long.add(current, dt_s)

    def history_s(self, now_s: float) -> float:
        """Return how long the moments have been gathered for [s]."""
        return 0.0 if self._first_ts_s is None else now_s - self._first_ts_s

    def expected(self, now_s: float, clear_sky_index: float) -> tuple[ComplexArray, ComplexArray]:
        """Return the expected mean [A] and second moments M [A²] of the net house currents.

        Loads are taken as the blend of the two windows; PV as each house's peak current times
        the clear-sky index times the clear-sky curve, averaged over the coming horizon.
        """
        cfg = self.config
        n = len(self._pv_peak_a)
        if self._recent.weight <= 0.0:
            return np.zeros(n, dtype=np.complex128), np.zeros((n, n), dtype=np.complex128)
        share = cfg.long_share
        mean = (1 - share) * self._recent.mean / self._recent.weight + (
            share * self._long.mean / self._long.weight
        )
        gram = (1 - share) * self._recent.gram / self._recent.weight + (
            share * self._long.gram / self._long.weight
        )
        lead = np.linspace(0.0, cfg.horizon_s, cfg.horizon_points)
        shape = clear_sky_pv_fraction(now_s + lead, cfg.lat_deg, cfg.lon_deg) * clear_sky_index
        if self._pv_peak_a.any() and shape.any():
            pv_mean = self._pv_peak_a * float(shape.mean())
            cross = np.outer(mean, pv_mean)
            gram = gram - cross - np.conj(cross.T)
            gram = gram + float(np.mean(shape**2)) * np.outer(self._pv_peak_a, self._pv_peak_a)
            mean = mean - pv_mean
        return np.asarray(mean, dtype=np.complex128), np.asarray(gram, dtype=np.complex128)
