"""Feeder charts: times on India Standard Time, an empty range said in words."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import numpy as np

from components.feeder_view import currents_figure
from store.queries import FeederSeries, SeriesPoint

T0 = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)  # 06:00 IST


def point(ts: datetime, i_r: float) -> SeriesPoint:
    zeros = dict.fromkeys(("p_r", "p_y", "p_b", "q_r", "q_y", "q_b", "i_y", "i_b"), 0.0)
    return SeriesPoint(
        ts=ts, i_r=i_r, v_r=230.0, v_y=230.0, v_b=230.0, i_n=i_r, unbalance_pct=None,
        i_n_max=i_r, samples=1, **zeros,
    )  # fmt: skip


def decode(array: dict[str, str]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(array["bdata"]), dtype="<f8")


def test_times_are_shown_as_india_standard_time() -> None:
    points = (point(T0, 10.0), point(T0 + timedelta(minutes=1), 12.0))
    series = FeederSeries("KL-EKM-0001", "raw", T0, T0 + timedelta(minutes=1), points)
    figure = currents_figure(series)
    x = decode(figure["data"][0]["x"])
    ist_wall_clock = datetime(2026, 11, 21, 6, 0, tzinfo=UTC).timestamp() * 1000
    assert x[0] == ist_wall_clock
    assert x[1] - x[0] == 60_000
    assert list(decode(figure["data"][0]["y"])) == [10.0, 12.0]
    assert figure["layout"]["xaxis"]["title"]["text"] == "IST"
    assert figure["layout"]["xaxis"]["range"] == [x[0], x[1]]  # the chosen window, not the data


def test_an_empty_range_says_so() -> None:
    series = FeederSeries("KL-EKM-0001", "1m", T0, T0 + timedelta(hours=1), ())
    figure = currents_figure(series)
    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == "No readings in this range"
    assert figure["layout"]["xaxis"]["visible"] is False
