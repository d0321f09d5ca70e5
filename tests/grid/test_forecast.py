"""The house load forecaster: spikes ignored, sustained changes followed, PV by time of day."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from grid.forecast import ForecastConfig, HouseForecaster
from grid.solar import clear_sky_pv_fraction
from sim.feeder_day import IST


def at(hour: float) -> float:
    return datetime(2026, 3, 16, int(hour), round(hour % 1 * 60), tzinfo=IST).timestamp()


def feed(
    fc: HouseForecaster, start: float, minutes: int, load: list[float], pv: float = 0.0
) -> float:
    ts = start
    for _ in range(minutes):
        fc.observe(ts, np.array(load), np.array([pv]), np.array([100.0]))
        ts += 60.0
    return ts


def test_kettle_spike_does_not_move_the_forecast() -> None:
    fc = HouseForecaster(np.zeros(1))
    ts = feed(fc, at(20), 30, [500.0])
    ts = feed(fc, ts, 3, [2500.0])  # a 3-minute kettle
    level = fc.forecast(ts).p_w[0, 0]
    assert level == pytest.approx(500.0, abs=25.0)


def test_sustained_load_is_followed() -> None:
    fc = HouseForecaster(np.zeros(1))
    ts = feed(fc, at(20), 30, [500.0])
    ts = feed(fc, ts, 40, [1700.0])  # an air conditioner comes on and stays on
    assert fc.forecast(ts).p_w[0, 0] == pytest.approx(1700.0, rel=0.1)


def test_pv_forecast_follows_the_sun_down() -> None:
    fc = HouseForecaster(np.array([3.0]))
    clear = 3000.0 * float(clear_sky_pv_fraction(at(16.0)))
    ts = feed(fc, at(15.5), 31, [400.0], pv=clear * 0.9)
    forecast = fc.forecast(ts)
    pv_now = 400.0 - forecast.p_w[0, 0]
    pv_in_an_hour = 400.0 - forecast.p_w[0, 3]
    assert pv_now > 0.0
    assert pv_in_an_hour < pv_now * 0.8  # the sun is lower at 17:00 than at 16:00


def test_missing_samples_carry_the_last_values() -> None:
    fc = HouseForecaster(np.zeros(2))
    ts = feed(fc, at(10), 20, [800.0, 300.0])
    fc.observe(ts, np.array([np.nan, 300.0]), np.array([np.nan, 0.0]), np.array([np.nan, 0.0]))
    forecast = fc.forecast(ts)
    assert np.all(np.isfinite(forecast.p_w))
    assert forecast.p_w[0, 0] == pytest.approx(800.0, rel=0.01)


def test_history_scenarios_appear_as_blocks_complete() -> None:
    config = ForecastConfig(history_block_s=1800.0, history_blocks=4)
    fc = HouseForecaster(np.zeros(1), config)
    assert fc.forecast(at(0)).weights.size == len(config.horizon_s)
    ts = feed(fc, at(0), 95, [600.0])
    forecast = fc.forecast(ts)
    assert forecast.weights.size == len(config.horizon_s) + 3  # three blocks closed
    assert forecast.weights.sum() == pytest.approx(1.0)
    assert np.allclose(forecast.p_w[0, len(config.horizon_s) :], 600.0)
    ts = feed(fc, ts, 200, [600.0])
    assert fc.forecast(ts).weights.size == len(config.horizon_s) + 4  # capped
