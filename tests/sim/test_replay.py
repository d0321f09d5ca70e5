"""The replay contract: CLI, policies, causality, constraints, and bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from grid.control import ControlConfig
from grid.interlocks import SwitchLimits
from sim.cases import build_case, write_case
from sim.feeder_day import FeederDay
from sim.replay import Periods, main, replay

METRICS = {
    "neutral_a_rms",
    "neutral_a_mean",
    "neutral_a_15min_p95",
    "unbalance_pct_mean",
    "phase_a_max",
    "switches",
    "switches_max_per_house",
}


@pytest.fixture(scope="module")
def day() -> FeederDay:
    return build_case("synth-2")


@pytest.fixture(scope="module")
def case_files(tmp_path_factory: pytest.TempPathFactory, day: FeederDay) -> tuple[Path, Path]:
    return write_case(day, tmp_path_factory.mktemp("case"))


@pytest.mark.parametrize("policy", ["none", "static", "auto"])
def test_cli_writes_the_contract(
    tmp_path: Path, case_files: tuple[Path, Path], policy: str
) -> None:
    houses, readings = case_files
    out = tmp_path / "result.json"
    args = ["--houses", str(houses), "--readings", str(readings), "--out", str(out)]
    assert main([*args, "--policy", policy]) == 0
    result = json.loads(out.read_text())
    assert result["policy"] == policy
    assert set(result["metrics"]) >= METRICS
    assert set(result["decision_ms"]) == {"p50", "p99"}
    for switch in result["switches"]:
        assert set(switch) == {"ts", "house_id", "from", "to"}
        assert switch["ts"].endswith("+05:30")
        assert switch["from"] != switch["to"]
    if policy == "none":
        assert result["switches"] == []


def test_auto_and_static_cut_the_neutral_current(day: FeederDay) -> None:
    none, static, auto = (replay(day, p).metrics for p in ("none", "static", "auto"))
    assert static["neutral_a_rms"] < 0.5 * none["neutral_a_rms"]
    assert auto["neutral_a_rms"] < 0.6 * none["neutral_a_rms"]
    assert auto["phase_a_max"] <= none["phase_a_max"]
    assert auto["switches"] <= len(day.houses)
    assert auto["switches_max_per_house"] <= 3


def test_auto_is_causal(day: FeederDay) -> None:
    """Changing readings from step t on cannot change any switch made at or before t."""
    t = 600
    changed = replace(
        day,
        p_w=np.concatenate([day.p_w[:t], day.p_w[t:][::-1] * 1.7], axis=0),
        q_var=np.concatenate([day.q_var[:t], day.q_var[t:] * 0.2], axis=0),
    )
    a, b = replay(day, "auto"), replay(changed, "auto")
    cut = day.ts_s[t]
    before_a = [s for s in a.switches if s.ts_s <= cut]
    before_b = [s for s in b.switches if s.ts_s <= cut]
    assert before_a
    assert before_a == before_b
    assert a.switches != b.switches  # the change did matter later on


def test_constraint_flags_are_obeyed(day: FeederDay) -> None:
    limits = SwitchLimits(min_dwell_s=120 * 60.0, max_per_house_day=1, budget_per_day=20)
    base = ControlConfig()
    config = replace(base, planner=replace(base.planner, limits=limits))
    result = replay(day, "auto", config)
    assert 0 < len(result.switches) <= 20
    houses = [s.house_id for s in result.switches]
    assert len(houses) == len(set(houses))
    switchable = {h.house_id for h in day.houses if h.switchable}
    assert set(houses) <= switchable


def test_dwell_between_switches_of_one_house(day: FeederDay) -> None:
    result = replay(day, "auto")
    last: dict[str, float] = {}
    for s in result.switches:
        if s.house_id in last:
            assert s.ts_s - last[s.house_id] >= 30 * 60.0
        last[s.house_id] = s.ts_s


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


HOUSES = "house_id,phase,switchable,pv_kw\nKL-TVM-0001-H001,R,1,0\nKL-TVM-0001-H002,Y,1,2.5\n"
GOOD_ROWS = (
    "2026-03-16T00:00:00+05:30,KL-TVM-0001-H001,500,100,0\n"
    "2026-03-16T00:00:00+05:30,KL-TVM-0001-H002,300,50,0\n"
)
READINGS_HEADER = "ts,house_id,p_w,q_var,pv_w\n"


@pytest.mark.parametrize(
    ("houses", "readings", "where"),
    [
        (HOUSES.replace(",Y,", ",G,"), GOOD_ROWS, ("houses.csv", "line 3", "field phase")),
        (HOUSES.replace("1,2.5", "yes,2.5"), GOOD_ROWS, ("houses.csv", "line 3", "switchable")),
        (HOUSES.replace("pv_kw", "pv"), GOOD_ROWS, ("houses.csv", "line 1", "field header")),
        (HOUSES, GOOD_ROWS.replace(",300,", ",abc,"), ("readings.csv", "line 3", "field p_w")),
        (HOUSES, GOOD_ROWS.replace(",50,", ",nan,"), ("readings.csv", "line 3", "field q_var")),
        (
            HOUSES,
            GOOD_ROWS.replace("H002,300,50,0", "H002,300,50,-4"),
            ("readings.csv", "line 3", "field pv_w"),
        ),
        (HOUSES, GOOD_ROWS.replace("H002", "H009"), ("readings.csv", "line 3", "field house_id")),
        (
            HOUSES,
            GOOD_ROWS.replace("00:00+05:30,KL-TVM-0001-H002", "00:00,KL-TVM-0001-H002"),
            ("readings.csv", "line 3", "field ts"),
        ),
        (
            HOUSES,
            GOOD_ROWS.replace(",0\n", ",0,7\n", 1),
            ("readings.csv", "line 2", "expected 5 fields"),
        ),
        (
            HOUSES,
            GOOD_ROWS.splitlines(keepends=True)[0]
            + "2026-03-16T00:01:00+05:30,KL-TVM-0001-H001,1,1,0\n",
            ("readings.csv", "line 2", "no reading of KL-TVM-0001-H002"),
        ),
    ],
)
def test_malformed_csv_exits_2_naming_file_line_and_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    houses: str,
    readings: str,
    where: tuple[str, ...],
) -> None:
    h = write(tmp_path / "houses.csv", houses)
    r = write(tmp_path / "readings.csv", READINGS_HEADER + readings)
    out = tmp_path / "result.json"
    status = main(["--houses", str(h), "--readings", str(r), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2
    for part in where:
        assert part in err
    assert not out.exists()


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--houses", str(tmp_path / "nope.csv"), "--readings", "x", "--out", "y"])
    assert status == 2
    assert "nope.csv" in capsys.readouterr().err


# --- several days: survey period, evaluation window, static-survey, daily figures -------------


@pytest.fixture(scope="module")
def three_days(day: FeederDay) -> FeederDay:
    """Three days of 20 houses: the first is the survey, the loads grow day by day after it."""
    keep = slice(0, 20)
    houses = day.houses[keep]
    scale = np.concatenate([np.full(len(day.ts_s), f) for f in (1.0, 1.3, 1.6)])[:, None]

    def days(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x[:, keep]] * 3) * scale

    return FeederDay(
        houses=houses,
        ts_s=np.concatenate([day.ts_s + 86400.0 * i for i in range(3)]),
        p_w=days(day.p_w),
        q_var=days(day.q_var),
        pv_w=days(day.pv_w),
    )


def test_static_survey_is_fitted_on_the_survey_and_made_at_the_window(
    three_days: FeederDay,
) -> None:
    survey_end = float(three_days.ts_s[0] + 86400.0)
    periods = Periods.of(three_days, survey_end, survey_end)
    result = replay(three_days, "static-survey", periods=periods)
    assert result.switches
    assert {s.ts_s for s in result.switches} == {survey_end}
    survey_steps = three_days.ts_s < survey_end
    assert (result.phase_index[survey_steps] == three_days.phase_index).all()
    # The survey day alone decides: changing the later days changes nothing about the fix.
    later = replace(three_days, p_w=three_days.p_w * np.where(survey_steps, 1.0, 0.5)[:, None])
    again = replay(later, "static-survey", periods=periods)
    assert again.switches == result.switches


def test_metrics_cover_the_window_and_every_local_day(three_days: FeederDay) -> None:
    survey_end = float(three_days.ts_s[0] + 86400.0)
    periods = Periods.of(three_days, survey_end, survey_end)
    whole = replay(three_days, "none").metrics
    window = replay(three_days, "none", periods=periods)
    assert window.metrics["steps"] == 2 * 1440
    assert window.metrics["neutral_a_rms"] > whole["neutral_a_rms"]  # later days carry more
    assert [d["date"] for d in window.daily] == ["2026-03-17", "2026-03-18"]
    assert window.daily[1]["neutral_a_rms"] == pytest.approx(
        1.6 / 1.3 * window.daily[0]["neutral_a_rms"], rel=1e-3
    )


def test_auto_switches_are_counted_per_house_and_day(three_days: FeederDay) -> None:
    survey_end = float(three_days.ts_s[0] + 86400.0)
    result = replay(three_days, "auto", periods=Periods.of(three_days, survey_end, survey_end))
    counted = [s for s in result.switches if s.ts_s >= survey_end]
    m = result.metrics
    assert m["switches"] == len(counted)
    assert m["switches_per_house_day"] == pytest.approx(len(counted) / 20 / 2, abs=1e-3)
    assert m["switches_max_per_house_day"] <= 3
    assert sum(d["switches"] for d in result.daily) == len(counted)


@pytest.mark.parametrize(
    ("survey", "evaluate", "message"),
    [
        ("2026-03-16", None, "leaves no survey"),
        ("2026-03-25", None, "leaves no survey"),
        (None, "2026-03-25", "is outside"),
        ("2026-03-17", "2026-03-16T12:00:00+05:30", "before the end of the survey"),
        ("2026-03-17T00:00", None, "no UTC offset"),
        ("yesterday", None, "not an ISO-8601"),
    ],
)
def test_periods_outside_the_readings_are_refused(
    tmp_path: Path,
    three_days: FeederDay,
    capsys: pytest.CaptureFixture[str],
    survey: str | None,
    evaluate: str | None,
    message: str,
) -> None:
    houses, readings = write_case(three_days, tmp_path / "case")
    out = tmp_path / "result.json"
    args = ["--houses", str(houses), "--readings", str(readings), "--out", str(out)]
    if survey:
        args += ["--survey-until", survey]
    if evaluate:
        args += ["--eval-from", evaluate]
    assert main([*args, "--policy", "static-survey"]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_static_survey_without_a_survey_is_refused(
    tmp_path: Path, three_days: FeederDay, capsys: pytest.CaptureFixture[str]
) -> None:
    houses, readings = write_case(three_days, tmp_path / "case")
    out = tmp_path / "result.json"
    args = ["--houses", str(houses), "--readings", str(readings), "--out", str(out)]
    assert main([*args, "--policy", "static-survey"]) == 2
    assert "--survey-until" in capsys.readouterr().err


def test_cli_on_several_days_writes_the_window_and_daily_list(
    tmp_path: Path, three_days: FeederDay
) -> None:
    houses, readings = write_case(three_days, tmp_path / "case")
    out = tmp_path / "result.json"
    args = ["--houses", str(houses), "--readings", str(readings), "--out", str(out)]
    window = ["--survey-until", "2026-03-17", "--eval-from", "2026-03-17T00:00:00+05:30"]
    assert main([*args, *window, "--policy", "static-survey"]) == 0
    result = json.loads(out.read_text())
    assert [d["date"] for d in result["daily"]] == ["2026-03-17", "2026-03-18"]
    assert {s["ts"] for s in result["switches"]} == {"2026-03-17T00:00:00+05:30"}
    assert result["metrics"]["days"] == 2.0
