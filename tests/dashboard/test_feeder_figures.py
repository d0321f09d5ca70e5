"""Feeder charts: times on India Standard Time, an empty range said in words, the rating and
the runs and switches on the time axis, and before/after bars in the phase colours."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np

from components.feeder_charts import (
    FONT_PX,
    GLYPH_EM,
    LINE_EM,
    MESSAGE_FONT_PX,
    NBSP,
    TITLE_FONT_PX,
    ChartScreen,
    Figure,
    chart_screen,
    currents_figure,
    effect_figure,
    ist_ms,
    message_figure,
    power_figure,
    run_figure,
    wrap_words,
)
from components.strings import text
from grid.dryrun import PhaseLoads, predict_move
from grid.events import RunResult, RunTrigger, SwitchOrigin, SwitchResult
from grid.feeder_states import PHASE_COLORS
from grid.phasors import Phase
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
    assert figure["layout"]["xaxis"]["title"]["text"] == "Time (IST)"
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
        trigger=RunTrigger.AUTO,
        result=RunResult(result),
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
        from_phase=Phase.R, to_phase=Phase(to_phase), result=SwitchResult(result),
        origin=SwitchOrigin.AUTO, cmd_id=None,
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
    title = figure["layout"]["title"]["text"].replace(NBSP, " ")
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


# --- drawn for the screen: large type on a 4K wall, titles that fit a phone --------------------

HD = chart_screen({"width": 1840, "rem": 16})
"""A 1080p screen's feeder chart: the page's type at 100 %."""
WALL = chart_screen({"width": 3760, "rem": 32})
"""A 4K wall's feeder chart: the page's type at 200 % (assets/shell.css from 3400 px)."""
PHONE = chart_screen({"width": 330, "rem": 16})
"""A 390 px phone's feeder chart."""


def test_the_screen_is_read_from_the_browser_s_measure_or_left_at_its_default() -> None:
    assert ChartScreen(3760.0, 2.0) == WALL
    assert chart_screen({"width": 2500, "rem": 24}).scale == 1.5
    assert chart_screen(None) == ChartScreen(None, 1.0)
    assert chart_screen({"width": "wide", "rem": -3}) == ChartScreen(None, 1.0)
    assert chart_screen({"width": float("nan"), "rem": True}) == ChartScreen(None, 1.0)
    assert chart_screen({"width": 800, "rem": 1000}).scale == 4.0  # clamped


def sizes(figure: Figure) -> dict[str, float]:
    """Return every text size of a figure and its height."""
    layout = figure["layout"]
    found = {
        "font": layout["font"]["size"],
        "title": layout["title"]["font"]["size"],
        "legend": layout["legend"]["font"]["size"],
        "hover": layout["hoverlabel"]["font"]["size"],
        "height": layout["height"],
    }
    for k, note in enumerate(layout.get("annotations", ())):
        found[f"note{k}"] = note["font"]["size"]
    return found


def test_chart_text_doubles_with_the_page_on_a_4k_wall() -> None:
    runs, switches = [run(T0 + timedelta(minutes=20))], [switch(T0 + timedelta(minutes=21))]
    decided = T0 + timedelta(minutes=10)
    built: list[Callable[[ChartScreen], Figure]] = [
        lambda s: currents_figure(
            day_series(), rating_a=145.0, runs=runs, switches=switches, screen=s
        ),
        lambda s: power_figure(day_series(), screen=s),
        lambda s: run_figure(run(decided + timedelta(minutes=3), decided_at=decided), screen=s),
        lambda s: message_figure("No balancing run yet", screen=s),
    ]
    for build in built:
        hd, wall = sizes(build(HD)), sizes(build(WALL))
        assert hd["font"] == FONT_PX
        assert hd["title"] == TITLE_FONT_PX
        for key, size in hd.items():
            if key != "height":
                assert wall[key] == 2 * size, key
        assert wall["height"] >= 1.9 * hd["height"]  # the plot grows with its text
    hd_marks = [t for t in built[0](HD)["data"] if t.get("yaxis") == "y2"]
    wall_marks = [t for t in built[0](WALL)["data"] if t.get("yaxis") == "y2"]
    assert [t["marker"]["size"] * 2 for t in hd_marks] == [t["marker"]["size"] for t in wall_marks]


def test_the_default_screen_draws_as_a_1080p_one() -> None:
    assert sizes(power_figure(day_series())) == sizes(power_figure(day_series(), screen=HD))


def lines_of(text: str) -> list[str]:
    return text.split("<br>")


def fits(line: str, width_px: float, font_px: float) -> bool:
    return len(line) * GLYPH_EM * font_px <= width_px


def test_a_run_s_title_and_legend_fit_a_phone() -> None:
    decided = T0 + timedelta(minutes=10)
    figure = run_figure(run(decided + timedelta(minutes=3), decided_at=decided), screen=PHONE)
    layout = figure["layout"]
    assert PHONE.width_px is not None
    title = lines_of(layout["title"]["text"])
    assert len(title) == 2, title
    assert all(fits(line, PHONE.width_px - 16, TITLE_FONT_PX) for line in title), title
    assert title[0].replace(NBSP, " ") == "Balancing run of 21 Nov 06:13 IST,"
    assert title[1].replace(NBSP, " ") == "improved: neutral 35.0 → 5.0 A"  # never parted
    assert layout["margin"]["t"] >= len(title) * LINE_EM * TITLE_FONT_PX
    assert layout["title"]["yref"] == "container"
    names = [lines_of(t["name"]) for t in figure["data"]]
    assert all(len(n) >= 2 for n in names), names  # the long names are wrapped ...
    assert all(fits(line, PHONE.width_px - 60, FONT_PX) for n in names for line in n)
    legend_lines = sum(len(n) for n in names)  # ... one entry a row, under the bars
    assert layout["legend"]["yanchor"] == "bottom"
    assert layout["margin"]["b"] >= 35 + legend_lines * LINE_EM * FONT_PX
    # On a wide screen the same chart keeps one-line titles and names.
    wide = run_figure(run(decided + timedelta(minutes=3), decided_at=decided), screen=HD)
    assert "<br>" not in wide["layout"]["title"]["text"]
    assert all("<br>" not in t["name"] for t in wide["data"])


def test_the_currents_legend_goes_under_the_title_on_a_phone_and_beside_it_when_wide() -> None:
    runs, switches = [run(T0 + timedelta(minutes=20))], [switch(T0 + timedelta(minutes=21))]
    phone = currents_figure(day_series(), runs=runs, switches=switches, screen=PHONE)["layout"]
    wide = currents_figure(day_series(), runs=runs, switches=switches, screen=HD)["layout"]
    assert wide["legend"]["y"] == wide["title"]["y"]  # one line: title left, legend right
    assert phone["legend"]["y"] < phone["title"]["y"]  # under the title ...
    legend_top_px = (1 - phone["legend"]["y"]) * phone["height"]
    assert legend_top_px >= LINE_EM * TITLE_FONT_PX  # ... below its line
    assert phone["margin"]["t"] > wide["margin"]["t"]  # with room made above the plot


def test_words_wrap_at_spaces_and_bound_words_stay_together() -> None:
    assert wrap_words("a bb ccc dddd", 6) == ["a bb", "ccc", "dddd"]
    assert wrap_words(f"07{NBSP}Dec{NBSP}06:13 IST", 8) == [f"07{NBSP}Dec{NBSP}06:13", "IST"]
    assert wrap_words("averyveryverylongword x", 5) == ["averyveryverylongword", "x"]
    assert wrap_words("", 5) == [""]


def test_a_message_in_place_of_a_chart_fits_a_phone() -> None:
    message = message_figure("Choose a range: both times as YYYY-MM-DD HH:MM", screen=PHONE)
    note = message["layout"]["annotations"][0]["text"]
    assert PHONE.width_px is not None
    assert len(lines_of(note)) >= 2
    assert all(fits(line, PHONE.width_px, MESSAGE_FONT_PX) for line in lines_of(note)), note


# --- in the interface language ----------------------------------------------------------------

MALAYALAM = "[\u0d00-\u0d7f]"


def test_the_charts_speak_the_language_they_are_given() -> None:
    runs, switches = [run(T0 + timedelta(minutes=20))], [switch(T0 + timedelta(minutes=21))]
    for lang in ("en", "ml"):
        figure = currents_figure(day_series(), rating_a=150.0, runs=runs, switches=switches,
                                 lang=lang)  # fmt: skip
        layout = figure["layout"]
        assert layout["title"]["text"] == text("chart_currents_title", lang)
        assert layout["xaxis"]["title"]["text"] == text("chart_time_axis", lang)
        assert layout["annotations"][0]["text"] == text("chart_rating", lang, rating="150")
        names = [t.get("name") for t in figure["data"]]
        for key in ("chart_neutral", "chart_runs", "chart_switches"):
            assert text(key, lang) in names, (lang, key, names)
        marks = {t.get("name"): t for t in figure["data"]}
        assert text("run_result_improved", lang) in marks[text("chart_runs", lang)]["text"][0]
        hover = marks[text("chart_switches", lang)]["text"][0]
        assert text("move_result_applied", lang) in hover
        assert text("feeder_trigger_controller", lang) in hover
        power = power_figure(day_series(), lang=lang)
        assert power["layout"]["title"]["text"] == text("chart_power_title", lang)
        empty = currents_figure(FeederSeries("KL-EKM-0001", "1m", T0, T0, ()), lang=lang)
        assert empty["layout"]["annotations"][0]["text"] == text("chart_no_readings", lang)
    ml = currents_figure(day_series(), runs=runs, lang="ml")
    assert re.search(MALAYALAM, ml["layout"]["title"]["text"])
    assert "Neutral" not in json.dumps(ml, ensure_ascii=False)


def test_a_run_s_chart_in_malayalam_names_its_bars_and_result() -> None:
    decided = T0 + timedelta(minutes=10)
    figure = run_figure(run(T0, "rolled_back", decided_at=decided), lang="ml")
    title = figure["layout"]["title"]["text"].replace(NBSP, " ")
    assert text("run_result_rolled_back", "ml") in title
    nov = text("month_11", "ml")
    assert f"21 {nov} 06:00 IST" in title
    before, after = figure["data"]
    assert before["x"] == ["R", "Y", "B", text("chart_neutral", "ml")]
    measured = text("chart_measured_decided", "ml", at=f"21 {nov} 06:10:00")
    assert before["name"].replace("<br>", " ") == text("chart_before", "ml", measured=measured)
    assert after["name"].startswith("ശേഷം")
    assert not re.search("[A-Za-z]{4,}", title.replace("IST", ""))


def test_the_predicted_effect_is_drawn_for_the_screen_in_the_language() -> None:
    loads = PhaseLoads((20e3, 5e3, 5e3), (0.0, 0.0, 0.0), (230.0, 230.0, 230.0))
    effect = predict_move(loads, 3e3, 0.0, Phase.R, Phase.Y, rating_a=200.0)
    small, large = effect_figure(effect, screen=HD), effect_figure(effect, screen=WALL, lang="ml")
    assert small["layout"]["title"]["text"] == "Predicted effect"
    assert [t["name"] for t in small["data"]] == ["Now", "Predicted after the move"]
    assert large["layout"]["title"]["text"] == text("chart_effect_title", "ml")
    assert [t["name"] for t in large["data"]] == [
        text("chart_effect_now", "ml"),
        text("chart_effect_after", "ml"),
    ]
    assert large["layout"]["font"]["size"] == 2 * small["layout"]["font"]["size"]
    assert large["layout"]["height"] > small["layout"]["height"]
