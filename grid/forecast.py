"""Short-horizon forecast of each house's net load, so the planner does not chase spikes.

Load is forecast by persistence of a robust level: the median of the last minutes (which
ignores a kettle or a pump starting) smoothed by an exponential average. PV is forecast from
time of day: the present clear-sky index of the feeder (clouds are shared by neighbours)
carried along the clear-sky curve of the coming minutes.

Besides the forecast points, the forecast carries the feeder's recent history as scenarios:
the mean net load of each house over each of the last few blocks (30 minutes by default),
weighted by recency. A move must then help both the coming hour and the hours just seen, so
it is not spent on a pattern that will not last (a water heater on for twenty minutes), and the
houses that keep moving together are kept apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grid.phasors import FloatArray
from grid.solar import KOCHI_LAT_DEG, KOCHI_LON_DEG, clear_sky_pv_fraction

_MIN_CLEAR_SKY = 0.05
"""Below this clear-sky fraction the clear-sky index is not estimated (dawn, dusk, night)."""


@dataclass(frozen=True, slots=True)
class ForecastConfig:
    """Parameters of the house load forecaster."""

    horizon_s: tuple[float, ...] = (300.0, 900.0, 1800.0, 3600.0)
    """Lead times of the forecast points [s]."""
    weights: tuple[float, ...] = (0.4, 0.3, 0.2, 0.1)
    """Weight of each forecast point in the planner's objective (normalised by the planner)."""
    median_window: int = 9
    """Number of recent samples whose median is the spike-free load level."""
    level_tau_s: float = 600.0
    """Time constant of the exponential smoothing of the load level [s]."""
    clear_sky_tau_s: float = 600.0
    """Time constant of the feeder clear-sky index smoothing [s]."""
    default_clear_sky_index: float = 0.7
    """Clear-sky index assumed before the sun is up far enough to measure it."""
    history_block_s: float = 1800.0
    """Length of a history block [s]."""
    history_blocks: int = 8
    """Number of completed history blocks kept as scenarios."""
    history_weight: float = 0.5
    """Share of the objective given to the history scenarios once they are all there."""
    history_decay: float = 0.85
    """Weight of each history block relative to the next more recent one."""
    lat_deg: float = KOCHI_LAT_DEG
    lon_deg: float = KOCHI_LON_DEG


@dataclass(frozen=True, slots=True)
class Forecast:
    """Net active and reactive power per house at the forecast lead times.

    Arrays have shape (houses, points); `weights` has shape (points,) and sums to 1.
    """

    p_w: FloatArray
    q_var: FloatArray
    weights: FloatArray

    @staticmethod
    def persistence(p_w: FloatArray, q_var: FloatArray) -> Forecast:
        """Return a one-point forecast equal to the present powers."""
        return Forecast(
            np.asarray(p_w, dtype=np.float64)[:, None],
            np.asarray(q_var, dtype=np.float64)[:, None],
            np.ones(1),
        )


class HouseForecaster:
    """Keeps a robust load level per house and the feeder's clear-sky index.

    Call `observe` with each new sample (NaN where a house did not report) and `forecast`
    when the planner needs the next horizon.
    """

    def __init__(self, pv_kw: FloatArray, config: ForecastConfig | None = None) -> None:
        self.config = config or ForecastConfig()
        n = len(pv_kw)
        self._pv_peak_w = np.asarray(pv_kw, dtype=np.float64) * 1000.0
        self._window = np.full((self.config.median_window, n), np.nan)
        self._cursor = 0
        self._level_w = np.full(n, np.nan)
        self._last_load_w = np.zeros(n)
        self._q_var = np.zeros(n)
        self._pv_w = np.zeros(n)
        self._clear_sky_index = self.config.default_clear_sky_index
        self._history = _BlockHistory(n, self.config)
        self._last_ts_s: float | None = None

    def observe(self, ts_s: float, load_w: FloatArray, pv_w: FloatArray, q_var: FloatArray) -> None:
        """Take one sample per house: gross load [W], PV output [W], reactive power [var].

        NaN marks a house that did not report; its last known values are carried forward.
        """
        cfg = self.config
        first = self._last_ts_s is None
        dt_s = 60.0 if self._last_ts_s is None else max(ts_s - self._last_ts_s, 1.0)
        self._last_ts_s = ts_s
        load = np.where(np.isnan(load_w), self._last_load_w, load_w)
        self._last_load_w = load
        if first:
            self._window[:] = load
        self._window[self._cursor] = load
        self._cursor = (self._cursor + 1) % cfg.median_window
        median_w = np.median(self._window, axis=0)
        alpha = 1.0 - np.exp(-dt_s / cfg.level_tau_s)
        self._level_w = np.where(
            np.isnan(self._level_w), median_w, self._level_w + alpha * (median_w - self._level_w)
        )
        q = np.where(np.isnan(q_var), self._q_var, q_var)
        self._q_var = self._q_var + min(1.0, 2 * alpha) * (q - self._q_var)
        self._pv_w = np.where(np.isnan(pv_w), self._pv_w, pv_w)
        self._history.add(ts_s, load - self._pv_w, self._q_var)
        self._update_clear_sky_index(ts_s, 1.0 - np.exp(-dt_s / cfg.clear_sky_tau_s))

    def _update_clear_sky_index(self, ts_s: float, alpha: float) -> None:
        cs = float(clear_sky_pv_fraction(ts_s, self.config.lat_deg, self.config.lon_deg))
        has_pv = self._pv_peak_w > 0
        if cs < _MIN_CLEAR_SKY or not has_pv.any():
            return
        ratio = self._pv_w[has_pv].sum() / (self._pv_peak_w[has_pv].sum() * cs)
        self._clear_sky_index += alpha * (min(ratio, 1.3) - self._clear_sky_index)

    @property
    def clear_sky_index(self) -> float:
        """Return the feeder's smoothed clear-sky index (PV output / clear-sky output) [−]."""
        return self._clear_sky_index

    @property
    def load_level_w(self) -> FloatArray:
        """Return the spike-free load level of each house [W] (NaN if never seen)."""
        return self._level_w.copy()

    def forecast(self, now_s: float) -> Forecast:
        """Return the forecast net P and Q of every house, then the history scenarios."""
        cfg = self.config
        lead = np.asarray(cfg.horizon_s, dtype=np.float64)
        cs_future = clear_sky_pv_fraction(now_s + lead, cfg.lat_deg, cfg.lon_deg)
        pv_w = self._pv_peak_w[:, None] * (self._clear_sky_index * cs_future)[None, :]
        load_w = np.nan_to_num(self._level_w, nan=0.0)[:, None]
        weights = np.asarray(cfg.weights, dtype=np.float64)
        weights = weights / weights.sum()
        p_w = load_w - pv_w
        q_var = np.repeat(self._q_var[:, None], len(lead), axis=1)
        hist_p, hist_q, hist_w = self._history.scenarios()
        if hist_w.size:
            share = cfg.history_weight * hist_w.size / cfg.history_blocks
            weights = np.concatenate([weights * (1.0 - share), hist_w / hist_w.sum() * share])
            p_w = np.concatenate([p_w, hist_p], axis=1)
            q_var = np.concatenate([q_var, hist_q], axis=1)
        return Forecast(p_w=p_w, q_var=q_var, weights=weights)


class _BlockHistory:
    """Block means of each house's net P and Q over the last few blocks."""

    def __init__(self, n_houses: int, config: ForecastConfig) -> None:
        self.config = config
        self._p_sum = np.zeros(n_houses)
        self._q_sum = np.zeros(n_houses)
        self._count = 0
        self._block: int | None = None
        self._p_blocks: list[FloatArray] = []
        self._q_blocks: list[FloatArray] = []

    def add(self, ts_s: float, p_w: FloatArray, q_var: FloatArray) -> None:
        """Add one sample; close the running block when `ts_s` is in a new one."""
        block = int(ts_s // self.config.history_block_s)
        if self._block is not None and block != self._block and self._count:
            self._p_blocks.append(self._p_sum / self._count)
            self._q_blocks.append(self._q_sum / self._count)
            del self._p_blocks[: -self.config.history_blocks]
            del self._q_blocks[: -self.config.history_blocks]
            self._p_sum = np.zeros_like(self._p_sum)
            self._q_sum = np.zeros_like(self._q_sum)
            self._count = 0
        self._block = block
        self._p_sum += p_w
        self._q_sum += q_var
        self._count += 1

    def scenarios(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Return block means (houses, blocks), oldest first, and their recency weights."""
        k = len(self._p_blocks)
        if k == 0:
            return np.empty((len(self._p_sum), 0)), np.empty((len(self._p_sum), 0)), np.empty(0)
        weights = self.config.history_decay ** np.arange(k - 1, -1, -1, dtype=np.float64)
        return np.stack(self._p_blocks, axis=1), np.stack(self._q_blocks, axis=1), weights
