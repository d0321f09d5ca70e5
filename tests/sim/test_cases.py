"""Tests of the development feeder days and their CSV files."""

from __future__ import annotations

import csv
import os
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from grid.phasors import Phase
from sim import cases
from sim import profiles as pr
from sim.feeder_day import IST, FeederDay

ID_RE = re.compile(r"^[A-Z]{2}-[A-Z]{3}-\d{4}-H\d{3}$")


@pytest.fixture(scope="module")
def data_dir() -> Path:
    folder = cases.shared_data_dir()
    if not (folder / cases.AU_LOADS).is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared data not found at {folder}")
        pytest.skip(f"shared data not found at {folder} (set {cases.DATA_ENV})")
    return folder


@pytest.fixture(scope="module")
def built(data_dir: Path) -> dict[str, FeederDay]:
    return {name: cases.build_case(name, data_dir) for name in cases.list_cases()}


def _load_w(day: FeederDay) -> np.ndarray:
    return day.p_w + day.pv_w


def _pv_mask(day: FeederDay) -> np.ndarray:
    return np.array([h.pv_kw > 0 for h in day.houses])


def test_list_cases() -> None:
    assert cases.list_cases() == [
        "au-n",
        "simbench-summer",
        "simbench-spring",
        "synth-1",
        "synth-2",
        "synth-3",
        "synth-4",
    ]


@pytest.mark.parametrize("name", ["au-n", "simbench-spring", "synth-3"])
def test_build_case_is_deterministic(
    name: str, data_dir: Path, built: dict[str, FeederDay]
) -> None:
    again = cases.build_case(name, data_dir)
    first = built[name]
    assert again.houses == first.houses
    for field in ("ts_s", "p_w", "q_var", "pv_w"):
        np.testing.assert_array_equal(getattr(again, field), getattr(first, field))


def test_every_case_has_sane_shapes_and_ranges(built: dict[str, FeederDay]) -> None:
    for name, day in built.items():
        n = len(day.houses)
        assert day.p_w.shape == (pr.MINUTES_PER_DAY, n), name
        for values in (day.p_w, day.q_var, day.pv_w):
            assert np.isfinite(values).all(), name
        assert day.pv_w.min() >= 0.0, name
        assert _load_w(day).min() >= 0.0, name  # p = load − pv with load ≥ 0
        assert (day.pv_w[:, ~_pv_mask(day)] == 0.0).all(), name
        pv_kw = np.array([h.pv_kw for h in day.houses])
        assert (day.pv_w.max(axis=0) <= pv_kw * 1000.0 + 1e-9).all(), name
        assert day.step_s == 60.0
        start = day.local_time(0)
        assert (start.hour, start.minute, start.utcoffset()) == (0, 0, IST.utcoffset(None))
        assert len({h.house_id for h in day.houses}) == n
        assert all(ID_RE.match(h.house_id) for h in day.houses), name
        assert 0.85 <= np.mean([h.switchable for h in day.houses]) <= 0.95, name
        assert 0.24 <= _pv_mask(day).mean() <= 0.36, name


def test_au_n_has_the_real_feeder_phases(built: dict[str, FeederDay]) -> None:
    day = built["au-n"]
    assert len(day.houses) == 63
    phases = [h.phase for h in day.houses]
    assert (phases.count(Phase.R), phases.count(Phase.Y), phases.count(Phase.B)) == (25, 17, 21)
    assert day.houses[0].house_id == "AU-NET-0001-H001"
    assert day.houses[0].phase is Phase.R  # LoadP1 bus1=7331.1.4


def test_au_n_keeps_every_30_minute_mean(data_dir: Path, built: dict[str, FeederDay]) -> None:
    source_w = cases.read_au_feeder(data_dir).shapes_kw * 1000.0
    means = pr.block_means(_load_w(built["au-n"]), 30)
    np.testing.assert_allclose(means, source_w, rtol=1e-6)


def test_au_n_has_minute_level_variety(built: dict[str, FeederDay]) -> None:
    load = _load_w(built["au-n"])
    within = load.reshape(48, 30, -1).std(axis=1)
    assert np.median(within) > 20.0  # W of spread inside a half hour, not flat steps


def test_simbench_keeps_every_15_minute_mean(data_dir: Path) -> None:
    day = cases.SIMBENCH_DAYS["summer"]
    case = cases.build_simbench(data_dir, day)
    src = cases.read_simbench_day(data_dir, day)
    back = -case.shift_min
    load = pr.delay_columns(_load_w(case.day), back)
    q = pr.delay_columns(case.day.q_var, back)
    p_target = np.column_stack([src.p_pu[t] for t in case.profile]) * case.scale_w
    q_target = np.column_stack([src.q_pu[t] for t in case.profile]) * case.scale_w
    np.testing.assert_allclose(pr.block_means(load, 15), p_target, rtol=1e-6)
    np.testing.assert_allclose(pr.block_means(q, 15), q_target, rtol=1e-6, atol=1e-6)
    assert np.abs(case.shift_min).max() <= 30
    assert set(case.profile) <= set(cases.SIMBENCH_H0_TYPES)
    kwh = _load_w(case.day).sum(axis=0) / 60_000.0
    assert kwh.min() >= 3.0 - 1e-9
    assert kwh.max() <= 12.0 + 1e-9


def test_simbench_phases_are_uneven(built: dict[str, FeederDay]) -> None:
    for name in ("simbench-summer", "simbench-spring"):
        day = built[name]
        assert len(day.houses) == 60
        counts = sorted(np.bincount(day.phase_index, minlength=3))
        assert counts[2] - counts[0] >= 5, (name, counts)


def test_simbench_other_dates(data_dir: Path) -> None:
    day = cases.build_case("simbench-2016-07-15", data_dir)
    assert day.local_time(0).date() == date(2016, 7, 15)
    with pytest.raises(ValueError, match="quarter-hours"):
        cases.build_case("simbench-2016-03-27", data_dir)  # clocks change that day
    with pytest.raises(ValueError, match="2016"):
        cases.build_case("simbench-2017-01-01", data_dir)


def test_pv_houses_export_around_noon(built: dict[str, FeederDay]) -> None:
    for name, day in built.items():
        noon = day.p_w[11 * 60 + 30 : 12 * 60 + 30, _pv_mask(day)].mean(axis=0)
        assert (noon < 0).mean() >= 0.8, name


def test_synth_evening_peak_beats_midday(built: dict[str, FeederDay]) -> None:
    for seed in range(1, 5):
        day = built[f"synth-{seed}"]
        gross = _load_w(day).sum(axis=1)
        net = day.p_w.sum(axis=1)
        evening = slice(18 * 60, 22 * 60 + 30)
        assert gross[evening].max() > 2.0 * gross[10 * 60 : 15 * 60].mean()
        assert net[evening].max() > net[10 * 60 : 15 * 60].mean()


def test_synth_dev_set_covers_the_kinds_of_feeder() -> None:
    scenarios = [cases.build_synth(seed).scenario for seed in range(1, 5)]
    assert {s.weather for s in scenarios} == {"clear", "scattered", "afternoon-clouds"}
    assert any(s.strongly_unbalanced for s in scenarios)
    assert any(s.pv_phase is not None for s in scenarios)


def test_synth_concentrated_pv_sits_on_one_phase() -> None:
    case = cases.build_synth(3)
    assert case.scenario.pv_phase is not None
    on = [h.phase == case.scenario.pv_phase for h in case.day.houses if h.pv_kw > 0]
    assert np.mean(on) >= 0.6


@pytest.mark.parametrize("seed", [0, 5, 99, 123_456_789])
def test_any_synth_seed_builds(seed: int) -> None:
    day = cases.build_case(f"synth-{seed}")
    assert 40 <= len(day.houses) <= 80
    assert day.houses[0].house_id.startswith("KL-")
    assert np.isfinite(day.p_w).all()


def test_unknown_case_names_are_rejected() -> None:
    for name in ("synth-x", "synth--1", "nope"):
        with pytest.raises(ValueError, match="unknown case"):
            cases.build_case(name)
    with pytest.raises(ValueError, match="simbench day"):
        cases.build_case("simbench-winter")


def test_missing_data_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(cases.MissingDataError, match=r"new_load_data\.txt"):
        cases.build_case("au-n", tmp_path)


def test_data_dir_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cases.DATA_ENV, "/somewhere/else")
    assert cases.shared_data_dir() == Path("/somewhere/else")
    assert cases.shared_data_dir({}).parts[-2:] == ("shared", "data")


def test_parse_au_feeder_reads_phases_from_bus_names() -> None:
    loads = (
        "New Load.LoadP1 bus1=7331.1.4 kV=0.24 kW=1 daily=LoadProfileP1\n"
        "New Load.LoadP2 bus1=7512.3.4 kV=0.24 kW=1 daily=LoadProfileP2\n"
    )
    shapes = (
        "New Loadshape.LoadProfileP1 npts=2 interval=0.5 mult=[1.0 2.0]\n"
        "New Loadshape.LoadProfileP2 npts=2 interval=0.5 mult=[0.5 0.25]\n"
    )
    feeder = cases.parse_au_feeder(loads, shapes)
    assert feeder.phases == (Phase.R, Phase.B)
    np.testing.assert_array_equal(feeder.shapes_kw, [[1.0, 0.5], [2.0, 0.25]])


def test_phase_counts_follow_the_shares() -> None:
    assert cases.phase_counts(60, [0.40, 0.33, 0.27]) == (24, 20, 16)
    assert sum(cases.phase_counts(61, [0.5, 0.3, 0.2])) == 61


def test_write_case_csv_format(tmp_path: Path) -> None:
    day = cases.build_case("synth-2")
    houses_path, readings_path = cases.write_case(day, tmp_path / "synth-2")
    with houses_path.open(newline="") as f:
        houses = list(csv.reader(f))
    assert houses[0] == ["house_id", "phase", "switchable", "pv_kw"]
    assert len(houses) == len(day.houses) + 1
    assert {row[1] for row in houses[1:]} <= {"R", "Y", "B"}
    assert {row[2] for row in houses[1:]} == {"0", "1"}

    lines = readings_path.read_text().splitlines()
    assert lines[0] == "ts,house_id,p_w,q_var,pv_w"
    n = len(day.houses)
    assert len(lines) == 1 + pr.MINUTES_PER_DAY * n
    first = lines[1].split(",")
    assert first[0] == "2026-03-16T00:00:00+05:30"
    assert first[1] == day.houses[0].house_id
    assert lines[n].split(",")[1] == day.houses[-1].house_id
    assert lines[n + 1].startswith("2026-03-16T00:01:00+05:30,")
    assert lines[-1].startswith("2026-03-16T23:59:00+05:30,")
    assert all(line.split(",")[0].endswith("+05:30") for line in lines[1::997])
    row = lines[1 + 720 * n + 3].split(",")
    assert float(row[2]) == pytest.approx(day.p_w[720, 3], abs=0.051)
    assert float(row[4]) == pytest.approx(day.pv_w[720, 3], abs=0.051)
    assert not any(",-0.0" in line for line in lines[1:2000])


def test_cli_list_and_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cases.main(["list"]) == 0
    assert capsys.readouterr().out.split() == cases.list_cases()
    assert cases.main(["build", "synth-1", "synth-7", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "synth-1" / "houses.csv").is_file()
    assert (tmp_path / "synth-7" / "readings.csv").is_file()
    assert cases.main(["build", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown case" in capsys.readouterr().err
