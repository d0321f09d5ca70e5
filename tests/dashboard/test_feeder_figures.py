"""Feeder charts: times on India Standard Time, an empty range said in words, the rating and
the runs and switches on the time axis, and before/after bars in the phase colours."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import numpy as np

from components.feeder_charts import PHASE_COLORS, currents_figure, ist_ms, run_figure
from store.queries import BalancingRun, FeederSeries, SeriesPoint, SwitchEvent

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


# --- the rating, and runs and switches on the time axis ----------------------------------------


def run(
    ts: datetime,
    result: str = "improved",
    *,
    decided_at: datetime | None = None,
    before: tuple[float, float, float, float] = (60.0, 30.0, 20.0, 35.0),
    after: tuple[float, float, float, float] | None = (40.0, 35.0, 35.0, 5.0),
    moves: tuple[dict[str, str], ...] = (),
) -> BalancingRun:
    a = after or (None, None, None, None)
    return BalancingRun(
        run_id="KL-EKM-0001-b3-r17",
        feeder_id="KL-EKM-0001",
        ts=ts,
        trigger="auto",
        result=result,
        before_i_r=before[0], before_i_y=before[1], before_i_b=before[2], before_i_n=before[3],
        before_unbalance_pct=50.0,
        after_i_r=a[0], after_i_y=a[1], after_i_b=a[2], after_i_n=a[3],
        after_unbalance_pct=None if after is None else 5.0,
        moves=moves,
        decided_at=decided_at,
    )  # fmt: skip


def switch(ts: datetime, result: str = "applied", to_phase: str = "B") -> SwitchEvent:
    return SwitchEvent(
        event_id=1, ts=ts, feeder_id="KL-EKM-0001", house_id="KL-EKM-0001-H017",
        from_phase="R", to_phase=to_phase, result=result, origin="auto", cmd_id=None,
        run_id="r1", reason="did_not_help" if result == "rolled_back" else "",
    )  # fmt: skip


def day_series() -> FeederSeries:
    points = tuple(point(T0 + timedelta(minutes=k), 10.0 + k) for k in range(60))
    return FeederSeries("KL-EKM-0001", "raw", T0, T0 + timedelta(hours=1), points)


def test_the_phase_rating_is_a_line_that_stays_in_view() -> None:
    figure = currents_figure(day_series(), rating_a=145.0)
    (line,) = [s for s in figure["layout"]["shapes"] if s["yref"] == "y"]
    assert (line["y0"], line["y1"], line["xref"]) == (145.0, 145.0, "paper")
    assert "145 A" in figure["layout"]["annotations"][0]["text"]
    assert max(max(t["y"]) for t in figure["data"] if isinstance(t["y"], list)) > 145.0


def test_runs_and_switches_of_the_range_are_marked_on_the_time_axis() -> None:
    inside = T0 + timedelta(minutes=20)
    runs = [run(inside, "rolled_back"), run(T0 - timedelta(hours=2))]  # the second is outside
    switches = [switch(inside + timedelta(minutes=1)), switch(inside, "rolled_back")]
    figure = currents_figure(day_series(), runs=runs, switches=switches)
    marks = {t["name"]: t for t in figure["data"] if t.get("yaxis") == "y2"}
    assert marks["Balancing runs"]["x"] == [ist_ms(inside)]
    assert "rolled back" in marks["Balancing runs"]["text"][0]
    assert "IST" in marks["Balancing runs"]["text"][0]
    assert "KL-EKM-0001-b3-r17" not in marks["Balancing runs"]["text"][0]
    assert marks["Switches"]["x"] == [ist_ms(inside + timedelta(minutes=1)), ist_ms(inside)]
    assert marks["Switches"]["marker"]["color"][0] == PHASE_COLORS["B"]
    assert marks["Switches"]["marker"]["symbol"] == ["triangle-up", "x-thin-open"]
    assert figure["layout"]["yaxis2"]["range"] == [0, 1]
    lines = [s for s in figure["layout"]["shapes"] if s.get("xref") == "x"]
    assert [s["x0"] for s in lines] == [ist_ms(inside)]


def test_no_marks_no_second_axis() -> None:
    figure = currents_figure(day_series())
    assert "yaxis2" not in figure["layout"]
    assert [t["name"] for t in figure["data"]] == ["R", "Y", "B", "Neutral"]


# --- before and after --------------------------------------------------------------------------


def test_before_and_after_bars_wear_the_phase_colours_and_say_when_they_were_measured() -> None:
    decided = T0 + timedelta(minutes=10)
    figure = run_figure(run(decided + timedelta(minutes=3), decided_at=decided))
    before, after = figure["data"]
    colours = [PHASE_COLORS[k] for k in "RYBN"]
    assert before["marker"]["color"] == colours
    assert after["marker"]["color"] == colours
    assert before["marker"]["pattern"]["shape"] == "/"  # before is hatched, after solid
    assert "pattern" not in after["marker"]
    assert before["x"] == ["R", "Y", "B", "Neutral"]
    assert "06:10:00" in before["name"]  # 00:40 UTC is 06:10 IST
    assert "06:13:00" in after["name"]
    title = figure["layout"]["title"]["text"]
    assert "improved" in title
    assert "35.0 → 5.0 A" in title


def test_a_rolled_back_run_shows_no_green_and_says_so() -> None:
    figure = run_figure(run(T0, "rolled_back", after=(60.0, 30.0, 20.0, 35.0)))
    colours = [c for bar in figure["data"] for c in bar["marker"]["color"]]
    assert all(c in PHASE_COLORS.values() for c in colours)
    assert not any(c.lower() in ("#2e7d32", "green") for c in colours)
    assert "rolled back" in figure["data"][1]["name"]
    assert "rolled back" in figure["layout"]["title"]["text"]


def test_run_titles_carry_no_internal_ids() -> None:
    figure = run_figure(run(T0))
    text = json.dumps(figure)
    assert "b3-r17" not in text
    assert "run_id" not in text


def test_a_run_without_an_after_draws_only_before() -> None:
    figure = run_figure(run(T0, "no_gain", after=None))
    assert len(figure["data"]) == 1
    assert "nothing worth moving" in figure["layout"]["title"]["text"]
