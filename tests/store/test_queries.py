"""The dashboard's read queries on SQLite and PostgreSQL, against hand-made data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from grid.events import CommandState, RunResult, RunTrigger, SwitchOrigin, SwitchResult
from grid.feeder_states import FeederStatus
from grid.messages import ControlAction
from grid.metrics import rated_current_a
from grid.phasors import Phase
from store import queries as q
from store.rollups import refresh
from store.schema import ROLLUP_MEASURES, ROLLUP_RESOLUTIONS
from tests.store.seed import (
    T0,
    add_alert,
    add_audit,
    add_command,
    add_feeder,
    add_feeder_readings,
    add_feeder_state,
    add_house,
    add_house_readings,
    add_rollup,
    add_run,
    add_switch,
    bucket_means,
    house_reading,
    skip_on_timescale,
    summary,
    varied_summaries,
)

NOW = T0 + timedelta(hours=19)
"""2024-06-01 19:00 UTC, which is 00:30 IST on 2 June."""

IST_MIDNIGHT = T0 + timedelta(hours=18, minutes=30)
"""00:00 IST on 2 June, in UTC."""

RATED_100KVA = 100_000 / (3 * 230)


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """Return a connection in a transaction that the test may write to and read back."""
    with engine.begin() as connection:
        yield connection


def _ids(rows: list[Any], attr: str) -> list[Any]:
    return [getattr(r, attr) for r in rows]


# ---------------------------------------------------------------------------------------------
# Pure helpers


def test_rated_current_of_a_100_kva_transformer() -> None:
    assert rated_current_a(100.0) == pytest.approx(144.93, abs=0.01)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (IST_MIDNIGHT - timedelta(seconds=1), IST_MIDNIGHT - timedelta(days=1)),
        (IST_MIDNIGHT, IST_MIDNIGHT),
        (NOW, IST_MIDNIGHT),
        (IST_MIDNIGHT + timedelta(hours=23, minutes=59), IST_MIDNIGHT),
        (IST_MIDNIGHT + timedelta(days=1), IST_MIDNIGHT + timedelta(days=1)),
    ],
)
def test_ist_day_start(now: datetime, expected: datetime) -> None:
    start = q.ist_day_start(now)
    assert start == expected
    assert start.utcoffset() == timedelta(0)


def _status(**overrides: Any) -> FeederStatus:
    args: dict[str, Any] = {
        "online": True,
        "last_seen": NOW - timedelta(seconds=5),
        "mode": "auto",
        "kva": 100.0,
        "currents_a": (40.0, 40.0, 40.0),
        "i_n": 1.0,
        "now": NOW,
    }
    args.update(overrides)
    return q.feeder_status(**args)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "balanced"),
        ({"online": False}, "offline"),
        ({"last_seen": None}, "offline"),
        ({"last_seen": NOW - timedelta(seconds=61)}, "offline"),
        ({"last_seen": NOW - timedelta(seconds=60)}, "balanced"),
        ({"last_seen": NOW - timedelta(seconds=61), "stale_s": 120.0}, "balanced"),
        ({"online": False, "mode": "manual", "currents_a": (500.0, 0, 0)}, "offline"),
        ({"mode": "manual", "currents_a": (500.0, 0.0, 0.0)}, "manual"),
        ({"currents_a": (40.0, RATED_100KVA + 0.1, 40.0), "i_n": 90.0}, "overloaded"),
        ({"currents_a": (40.0, RATED_100KVA, 40.0)}, "balanced"),
        # 58 % unbalance at 22 % loading puts 27.8 A in the neutral: under 20 % of 145 A.
        ({"currents_a": (50.0, 25.0, 20.0), "i_n": 27.8}, "balanced"),
        ({"currents_a": (100.0, 60.0, 60.0), "i_n": 40.0}, "unbalanced"),
        ({"i_n": 0.2 * RATED_100KVA}, "unbalanced"),
        ({"i_n": 0.2 * RATED_100KVA - 0.01}, "balanced"),
        ({"currents_a": (None, None, None), "i_n": None}, "balanced"),
    ],
)
def test_feeder_status(overrides: dict[str, Any], expected: str) -> None:
    assert _status(**overrides) == expected


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (timedelta(minutes=1), "raw"),
        (timedelta(hours=8), "raw"),
        (timedelta(hours=8, seconds=1), "1m"),
        (timedelta(days=2), "1m"),
        (timedelta(days=2, seconds=1), "15m"),
        (timedelta(days=7), "15m"),
        (timedelta(days=30), "15m"),
        (timedelta(days=31), "15m"),
        (timedelta(days=31, seconds=1), "1h"),
        (timedelta(days=365), "1h"),
    ],
)
def test_choose_resolution_boundaries(span: timedelta, expected: str) -> None:
    assert q.choose_resolution(T0, T0 + span) == expected


def test_choose_resolution_keeps_charts_near_3000_points_and_months_off_raw() -> None:
    widths = {"raw": 10, **ROLLUP_RESOLUTIONS}
    for minutes in range(1, 31 * 24 * 60 + 1, 7):
        span = timedelta(minutes=minutes)
        resolution = q.choose_resolution(T0, T0 + span)
        assert span.total_seconds() / widths[resolution] <= 3000
        if span > timedelta(hours=8):
            assert resolution != "raw"
    assert q.choose_resolution(T0, T0 + timedelta(days=30)) != "raw"


def test_choose_resolution_refuses_empty_and_naive_ranges() -> None:
    with pytest.raises(ValueError, match="empty range"):
        q.choose_resolution(T0, T0)
    with pytest.raises(ValueError, match="naive"):
        q.choose_resolution(T0.replace(tzinfo=None), T0 + timedelta(hours=1))


# ---------------------------------------------------------------------------------------------
# Map


def _seed_map(conn: Connection) -> None:
    fresh = NOW - timedelta(seconds=5)
    ernakulam: dict[str, Any] = {"district": "Ernakulam", "lat": 9.98, "lon": 76.28}
    add_feeder(conn, "F-NEVER", online=False)
    add_feeder(conn, "F-OFF", online=False, last_seen=fresh, **ernakulam)
    add_feeder_state(conn, "F-OFF", fresh, unbalance_pct=90.0)
    add_feeder(conn, "F-STALE", last_seen=NOW - timedelta(seconds=61))
    add_feeder_state(conn, "F-STALE", NOW - timedelta(seconds=61))
    add_feeder(conn, "F-MAN", mode="manual", last_seen=fresh)
    add_feeder_state(conn, "F-MAN", fresh, i_r=300.0, unbalance_pct=60.0)
    add_feeder(conn, "F-OVER", last_seen=fresh)
    add_feeder_state(conn, "F-OVER", fresh, i_r=150.0, unbalance_pct=30.0)
    add_feeder(conn, "F-UNB", last_seen=fresh, **ernakulam)
    add_feeder_state(conn, "F-UNB", fresh, i_n=40.0, unbalance_pct=20.0)
    add_feeder(conn, "F-NEU", last_seen=fresh)
    add_feeder_state(conn, "F-NEU", fresh, i_n=29.0, unbalance_pct=5.0)
    add_feeder(conn, "F-OK", last_seen=fresh, **ernakulam)
    add_feeder_state(conn, "F-OK", fresh, i_n=28.9, unbalance_pct=10.0, p_r=1000.0)
    add_feeder(conn, "F-NOSUM", last_seen=fresh)

    add_alert(conn, "A1", "F-OK", T0, state="open")
    add_alert(conn, "A2", "F-OK", T0, state="acknowledged")
    add_alert(conn, "A3", "F-OK", T0, state="cleared")
    add_alert(conn, "A4", "F-UNB", T0, state="open")
    add_alert(conn, "A5", None, T0, state="open", kind="dead_letters")

    add_switch(conn, IST_MIDNIGHT - timedelta(seconds=1), "F-OK", "F-OK-H1")  # yesterday (IST)
    add_switch(conn, IST_MIDNIGHT, "F-OK", "F-OK-H1")
    add_switch(conn, IST_MIDNIGHT + timedelta(minutes=15), "F-OK", "F-OK-H2")
    add_switch(conn, IST_MIDNIGHT + timedelta(minutes=20), "F-OK", "F-OK-H2", result="rejected")
    add_switch(conn, IST_MIDNIGHT + timedelta(days=1), "F-OK", "F-OK-H1")  # tomorrow (IST)
    add_switch(conn, IST_MIDNIGHT + timedelta(minutes=1), "F-UNB", "F-UNB-H1")


def test_feeder_map_classifies_every_state(conn: Connection) -> None:
    _seed_map(conn)
    rows = q.feeder_map(conn, NOW)
    assert {r.feeder_id: r.state for r in rows} == {
        "F-MAN": "manual",
        "F-NEU": "unbalanced",
        "F-NEVER": "offline",
        "F-NOSUM": "balanced",
        "F-OFF": "offline",
        "F-OK": "balanced",
        "F-OVER": "overloaded",
        "F-STALE": "offline",
        "F-UNB": "unbalanced",
    }
    assert _ids(rows, "feeder_id") == sorted(_ids(rows, "feeder_id"))


def test_feeder_map_counts_active_alerts_and_switches_since_ist_midnight(
    conn: Connection,
) -> None:
    _seed_map(conn)
    rows = {r.feeder_id: r for r in q.feeder_map(conn, NOW)}
    assert {f: (r.active_alerts, r.switches_today) for f, r in rows.items()} == {
        "F-MAN": (0, 0),
        "F-NEU": (0, 0),
        "F-NEVER": (0, 0),
        "F-NOSUM": (0, 0),
        "F-OFF": (0, 0),
        "F-OK": (2, 2),
        "F-OVER": (0, 0),
        "F-STALE": (0, 0),
        "F-UNB": (1, 1),
    }
    before_midnight = q.feeder_map(conn, IST_MIDNIGHT - timedelta(minutes=1))
    assert {r.feeder_id: r.switches_today for r in before_midnight}["F-OK"] == 1


def test_feeder_map_rows_carry_the_latest_summary(conn: Connection) -> None:
    _seed_map(conn)
    rows = {r.feeder_id: r for r in q.feeder_map(conn, NOW)}
    ok = rows["F-OK"]
    assert ok.ts == NOW - timedelta(seconds=5)
    assert ok.last_seen == NOW - timedelta(seconds=5)
    assert (ok.i_r, ok.i_y, ok.i_b, ok.i_n) == (44.0, 44.0, 44.0, 28.9)
    assert ok.unbalance_pct == 10.0
    assert (ok.houses_online, ok.houses_total) == (10, 10)
    assert ok.p_total == 21_000.0
    assert ok.rated_a == pytest.approx(RATED_100KVA)
    assert (ok.district, ok.lat, ok.lon, ok.kva, ok.mode, ok.online) == (
        "Ernakulam", 9.98, 76.28, 100.0, "auto", True,
    )  # fmt: skip
    nosum = rows["F-NOSUM"]
    assert (nosum.ts, nosum.i_r, nosum.unbalance_pct, nosum.houses_total) == (None,) * 4
    assert nosum.p_total is None
    assert rows["F-NEVER"].last_seen is None


def test_feeder_map_arguments(conn: Connection) -> None:
    _seed_map(conn)
    relaxed = q.feeder_map(conn, NOW, stale_s=120.0)
    states = {r.feeder_id: r.state for r in relaxed}
    assert states["F-STALE"] == "balanced"
    assert _ids(q.feeder_map(conn, NOW, district="Ernakulam"), "feeder_id") == [
        "F-OFF", "F-OK", "F-UNB",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="naive"):
        q.feeder_map(conn, NOW.replace(tzinfo=None))


def test_feeder_map_of_an_empty_store(conn: Connection) -> None:
    assert q.feeder_map(conn, NOW) == []
    assert q.summarize_districts(q.feeder_map(conn, NOW)) == []
    assert q.districts(conn) == []


def test_feeder_returns_one_map_row(conn: Connection) -> None:
    _seed_map(conn)
    row = q.feeder(conn, "F-OK", NOW)
    assert row is not None
    assert row == {r.feeder_id: r for r in q.feeder_map(conn, NOW)}["F-OK"]
    assert q.feeder(conn, "F-MISSING", NOW) is None


def test_district_summary(conn: Connection) -> None:
    _seed_map(conn)
    summaries = q.summarize_districts(q.feeder_map(conn, NOW))
    assert _ids(summaries, "district") == ["Ernakulam", "Thiruvananthapuram"]
    ekm, tvm = summaries
    assert (ekm.feeders, ekm.online, ekm.active_alerts, ekm.switches_today) == (3, 2, 3, 3)
    assert ekm.avg_unbalance_pct == pytest.approx(15.0)  # F-OFF's stale 90 % left out
    assert ekm.by_state == {
        "offline": 1, "manual": 0, "overloaded": 0, "unbalanced": 1, "balanced": 1,
    }  # fmt: skip
    assert (tvm.feeders, tvm.online, tvm.active_alerts, tvm.switches_today) == (6, 4, 0, 0)
    assert tvm.avg_unbalance_pct == pytest.approx((60.0 + 30.0 + 5.0) / 3)
    assert tvm.by_state == {
        "offline": 2, "manual": 1, "overloaded": 1, "unbalanced": 1, "balanced": 1,
    }  # fmt: skip
    assert q.districts(conn) == ["Ernakulam", "Thiruvananthapuram"]


def test_latest_feeder_state(conn: Connection) -> None:
    add_feeder(conn, "F1")
    assert q.latest_feeder_state(conn, "F1") is None
    add_feeder_state(conn, "F1", T0, i_n=3.5, unbalance_pct=None, mode="manual")
    state = q.latest_feeder_state(conn, "F1")
    assert state is not None
    assert (state.feeder_id, state.ts, state.i_n, state.unbalance_pct, state.mode) == (
        "F1", T0, 3.5, None, "manual",
    )  # fmt: skip
    assert (state.p_r, state.v_b, state.houses_total) == (10_000.0, 230.0, 10)


# ---------------------------------------------------------------------------------------------
# Series


def _assert_points(series: q.FeederSeries, expected: dict[datetime, dict[str, Any]]) -> None:
    assert series.timestamps == sorted(expected)
    for point in series.points:
        figures = expected[point.ts]
        for name in (*ROLLUP_MEASURES, "i_n_max"):
            if figures[name] is None:
                assert getattr(point, name) is None, name
            else:
                assert getattr(point, name) == pytest.approx(figures[name], abs=1e-9), name
        assert point.samples == figures["samples"]


def test_feeder_series_raw(conn: Connection) -> None:
    add_feeder(conn, "F1")
    add_feeder(conn, "F2")
    rows = varied_summaries("F1", T0, 100)
    add_feeder_readings(conn, rows)
    add_feeder_readings(conn, varied_summaries("F2", T0, 100, 3.0))
    series = q.feeder_series(conn, "F1", T0 + timedelta(seconds=100), T0 + timedelta(seconds=200))
    assert series.resolution == "raw"
    assert not series.truncated
    assert series.timestamps == [T0 + timedelta(seconds=10 * k) for k in range(10, 20)]
    for point, row in zip(series.points, rows[10:20], strict=True):
        assert point.i_n == row["i_n"]
        assert point.i_n_max == row["i_n"]
        assert point.p_b == row["p_b"]
        assert point.unbalance_pct == row["unbalance_pct"]
        assert point.samples == 1
    assert series.column("i_n") == [r["i_n"] for r in rows[10:20]]
    with pytest.raises(KeyError):
        series.column("mode")


def test_feeder_series_raw_limit_keeps_the_newest(conn: Connection) -> None:
    add_feeder(conn, "F1")
    add_feeder_readings(conn, varied_summaries("F1", T0, 100))
    series = q.feeder_series(conn, "F1", T0, T0 + timedelta(hours=1), limit=3)
    assert series.truncated
    assert series.timestamps == [T0 + timedelta(seconds=10 * k) for k in (97, 98, 99)]
    with pytest.raises(ValueError, match="limit"):
        q.feeder_series(conn, "F1", T0, T0 + timedelta(hours=1), limit=0)


@pytest.mark.parametrize("resolution", ["1m", "15m", "1h"])
def test_feeder_series_reads_refreshed_rollups_equal_to_bucket_means(
    engine: Engine, resolution: q.Resolution
) -> None:
    rows = varied_summaries("F1", T0 - timedelta(hours=1), 1440)  # 4 h of 10 s summaries
    with engine.begin() as conn:
        skip_on_timescale(conn)
        add_feeder(conn, "F1")
        add_feeder(conn, "F2")
        add_feeder_readings(conn, rows)
        add_feeder_readings(conn, varied_summaries("F2", T0, 360, 5.0))
    refresh(engine, now=T0 + timedelta(hours=4))
    start, end = T0 - timedelta(hours=1), T0 + timedelta(hours=3)
    with engine.connect() as conn:
        series = q.feeder_series(conn, "F1", start, end, resolution)
    assert series.resolution == resolution
    width = ROLLUP_RESOLUTIONS[resolution]
    expected = {b: f for (_, b), f in bucket_means(rows, width).items()}
    assert len(expected) == 4 * 3600 // width
    _assert_points(series, expected)


def test_feeder_series_over_30_days_reads_the_15_minute_rollup(conn: Connection) -> None:
    skip_on_timescale(conn)
    add_feeder(conn, "F1")
    start = T0
    end = T0 + timedelta(days=30)
    for k in range(10):
        add_rollup(conn, "15m", "F1", T0 + timedelta(minutes=15 * k), float(k), 90)
    add_rollup(conn, "1h", "F1", T0, 99.0, 360)  # another resolution: not read
    add_feeder_readings(conn, [summary(T0 + timedelta(days=5), "F1", i_n=50.0)])  # no rollup yet
    series = q.feeder_series(conn, "F1", start, end)
    assert series.resolution == "15m"
    assert series.timestamps == [T0 + timedelta(minutes=15 * k) for k in range(10)]
    assert series.column("i_n") == [float(k) for k in range(10)]
    assert [p.samples for p in series.points] == [90] * 10


def test_feeder_series_completes_recent_buckets_from_raw_readings(conn: Connection) -> None:
    skip_on_timescale(conn)
    add_feeder(conn, "F1")
    for k in range(4):
        add_rollup(conn, "1m", "F1", T0 + timedelta(minutes=k), 7.0, 6)
    # The newest rolled-up bucket is behind: two of its readings came after the refresh.
    late = [summary(T0 + timedelta(minutes=3, seconds=s), "F1", i_n=float(s)) for s in (0, 50)]
    # Two buckets the rollup does not hold yet.
    new = [
        summary(T0 + timedelta(minutes=m, seconds=s), "F1", i_n=float(m + s))
        for m in (4, 6)
        for s in (0, 10, 20)
    ]
    add_feeder_readings(conn, late + new)
    series = q.feeder_series(conn, "F1", T0, T0 + timedelta(minutes=10), "1m")
    assert series.timestamps == [T0 + timedelta(minutes=m) for m in (0, 1, 2, 3, 4, 6)]
    assert series.column("i_n") == [7.0, 7.0, 7.0, 25.0, 14.0, 16.0]
    assert series.column("i_n_max") == [7.0, 7.0, 7.0, 50.0, 24.0, 26.0]
    assert [p.samples for p in series.points] == [6, 6, 6, 2, 3, 3]


def test_feeder_series_keeps_rolled_buckets_without_raw_readings(conn: Connection) -> None:
    skip_on_timescale(conn)
    add_feeder(conn, "F1")
    add_rollup(conn, "15m", "F1", T0, 3.0, 90)
    series = q.feeder_series(conn, "F1", T0, T0 + timedelta(hours=1), "15m")
    assert series.column("i_n") == [3.0]


def test_feeder_series_without_a_rollup_reads_only_a_recent_raw_window(
    conn: Connection,
) -> None:
    skip_on_timescale(conn)
    add_feeder(conn, "F1")
    end = T0 + timedelta(days=30)
    old = summary(T0 + timedelta(days=1), "F1", i_n=1.0)
    recent = summary(end - timedelta(hours=2), "F1", i_n=2.0)
    add_feeder_readings(conn, [old, recent])
    series = q.feeder_series(conn, "F1", T0, end)
    assert series.resolution == "15m"
    assert series.timestamps == [end - timedelta(hours=2)]
    assert series.column("i_n") == [2.0]


def test_feeder_series_buckets_start_within_the_range(conn: Connection) -> None:
    add_feeder(conn, "F1")
    add_feeder_readings(
        conn, [summary(T0 + timedelta(seconds=s), "F1", i_n=float(s)) for s in range(0, 240, 10)]
    )
    series = q.feeder_series(
        conn, "F1", T0 + timedelta(seconds=30), T0 + timedelta(seconds=150), "1m"
    )
    assert series.timestamps == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    assert series.column("i_n") == [85.0, 145.0]  # whole buckets, 60..110 s and 120..170 s
    empty = q.feeder_series(
        conn, "F1", T0 + timedelta(seconds=10), T0 + timedelta(seconds=50), "1m"
    )
    assert empty.points == ()
    with pytest.raises(ValueError, match="empty range"):
        q.feeder_series(conn, "F1", T0, T0)


def test_feeder_houses(conn: Connection) -> None:
    add_feeder(conn, "F1")
    add_feeder(conn, "F2")
    add_house(conn, "F1-H1", "F1", "R", pv_kw=3.0)
    add_house(conn, "F1-H2", "F1", "Y", locked=True, switchable=False, online=False)
    add_house(conn, "F1-H3", "F1", "B", online=None)
    add_house(conn, "F2-H1", "F2", "R")
    add_house_readings(
        conn,
        [
            house_reading(NOW - timedelta(minutes=5), "F1-H1", "F1", p=900.0, pv=0.0),
            house_reading(NOW - timedelta(seconds=30), "F1-H1", "F1", p=-500.0, pv=2500.0),
            house_reading(NOW + timedelta(minutes=5), "F1-H1", "F1", p=1.0, pv=1.0),  # future
            house_reading(NOW - timedelta(days=2), "F1-H2", "F1", p=700.0, pv=0.0),
            house_reading(NOW - timedelta(seconds=10), "F2-H1", "F2", p=1.0),
        ],
    )
    add_switch(conn, IST_MIDNIGHT - timedelta(minutes=1), "F1", "F1-H1")
    add_switch(conn, IST_MIDNIGHT + timedelta(minutes=1), "F1", "F1-H1")
    add_switch(conn, IST_MIDNIGHT + timedelta(minutes=2), "F1", "F1-H1", from_phase="Y")
    add_switch(conn, IST_MIDNIGHT + timedelta(minutes=3), "F1", "F1-H1", result="failed")
    add_switch(conn, IST_MIDNIGHT + timedelta(minutes=4), "F2", "F2-H1")
    houses = q.feeder_houses(conn, "F1", NOW)
    assert houses == [
        q.FeederHouse(
            "F1-H1", "F1", "R", 3.0, True, False, True, NOW - timedelta(seconds=30),
            -500.0, 2500.0, 2,
        ),
        q.FeederHouse("F1-H2", "F1", "Y", 0.0, False, True, False, None, None, None, 0),
        q.FeederHouse("F1-H3", "F1", "B", 0.0, True, False, None, None, None, None, 0),
    ]  # fmt: skip
    wider = q.feeder_houses(conn, "F1", NOW, recent_s=3 * 86_400)
    assert (wider[1].p, wider[1].last_reading) == (700.0, NOW - timedelta(days=2))
    assert q.feeder_houses(conn, "F-MISSING", NOW) == []
    assert [type(h.phase) for h in houses] == [Phase, Phase, Phase]


# ---------------------------------------------------------------------------------------------
# Logs


def test_balancing_runs(conn: Connection) -> None:
    moves = [{"house": "F1-H1", "from": "R", "to": "B", "gain_a": 12.5}]
    add_run(conn, "R1", "F1", T0 + timedelta(hours=1), moves=moves)
    add_run(conn, "R2", "F1", T0 + timedelta(hours=2), result="no_gain", before=None, after=None)
    add_run(conn, "R3", "F2", T0 + timedelta(hours=3), trigger="balance_now")
    assert _ids(q.balancing_runs(conn), "run_id") == ["R3", "R2", "R1"]
    assert _ids(q.balancing_runs(conn, "F1"), "run_id") == ["R2", "R1"]
    assert _ids(q.balancing_runs(conn, start=T0 + timedelta(minutes=90)), "run_id") == [
        "R3", "R2",
    ]  # fmt: skip
    assert _ids(q.balancing_runs(conn, end=T0 + timedelta(hours=2)), "run_id") == ["R1"]
    assert _ids(q.balancing_runs(conn, result="no_gain"), "run_id") == ["R2"]
    assert _ids(q.balancing_runs(conn, result=["no_gain", "improved"]), "run_id") == [
        "R3", "R2", "R1",
    ]  # fmt: skip
    assert _ids(q.balancing_runs(conn, limit=2), "run_id") == ["R3", "R2"]
    r1 = q.balancing_run(conn, "R1")
    assert r1 is not None
    assert r1.moves == tuple(moves)
    assert (r1.trigger, r1.result, r1.ts) == ("auto", "improved", T0 + timedelta(hours=1))
    assert (r1.trigger, r1.result) == (RunTrigger.AUTO, RunResult.IMPROVED)
    assert type(r1.trigger) is RunTrigger
    assert type(r1.result) is RunResult
    assert (r1.before_i_r, r1.before_i_n, r1.after_i_b, r1.after_unbalance_pct) == (
        60.0, 34.6, 40.0, 0.0,
    )  # fmt: skip
    assert r1.neutral_reduction_pct == pytest.approx(100 * (34.6 - 1.0) / 34.6)
    r2 = q.balancing_run(conn, "R2")
    assert r2 is not None
    assert (r2.before_i_n, r2.moves, r2.neutral_reduction_pct) == (None, (), None)
    assert q.balancing_run(conn, "R-MISSING") is None


def test_switch_events(conn: Connection) -> None:
    add_switch(conn, T0 + timedelta(minutes=1), "F1", "F1-H1", run_id="R1")
    add_switch(conn, T0 + timedelta(minutes=2), "F1", "F1-H2", result="rejected", reason="dwell")
    add_switch(conn, T0 + timedelta(minutes=2), "F1", "F1-H1", origin="manual", cmd_id="C1")
    add_switch(conn, T0 + timedelta(minutes=3), "F2", "F2-H1", run_id="R9")
    events = q.switch_events(conn)
    assert [(e.house_id, e.ts) for e in events] == [
        ("F2-H1", T0 + timedelta(minutes=3)),
        ("F1-H1", T0 + timedelta(minutes=2)),  # same time as the one before it: newest id first
        ("F1-H2", T0 + timedelta(minutes=2)),
        ("F1-H1", T0 + timedelta(minutes=1)),
    ]
    assert _ids(q.switch_events(conn, "F1"), "house_id") == ["F1-H1", "F1-H2", "F1-H1"]
    assert len(q.switch_events(conn, house_id="F1-H1")) == 2
    assert _ids(q.switch_events(conn, result="rejected"), "reason") == ["dwell"]
    assert _ids(q.switch_events(conn, run_id="R1"), "house_id") == ["F1-H1"]
    ranged = q.switch_events(conn, start=T0 + timedelta(minutes=2), end=T0 + timedelta(minutes=3))
    assert _ids(ranged, "house_id") == ["F1-H1", "F1-H2"]
    assert _ids(q.switch_events(conn, limit=1), "house_id") == ["F2-H1"]
    operator = q.switch_events(conn, house_id="F1-H1")[0]
    assert (operator.origin, operator.cmd_id, operator.run_id) == ("manual", "C1", None)
    assert (operator.from_phase, operator.to_phase, operator.result) == ("R", "Y", "applied")
    assert (operator.origin, operator.from_phase, operator.to_phase, operator.result) == (
        SwitchOrigin.MANUAL, Phase.R, Phase.Y, SwitchResult.APPLIED,
    )  # fmt: skip
    assert [type(v) for v in (operator.origin, operator.from_phase, operator.result)] == [
        SwitchOrigin, Phase, SwitchResult,
    ]  # fmt: skip


def test_commands(conn: Connection) -> None:
    add_command(conn, "C1", "F1", T0 + timedelta(minutes=1), action="set_mode")
    add_command(
        conn, "C2", "F1", T0 + timedelta(minutes=2), house_id="H1", state="applied",
        params={"from": "R", "to": "Y"},
    )  # fmt: skip
    add_command(conn, "C3", "F2", T0 + timedelta(minutes=3), state="failed")
    assert _ids(q.commands(conn), "cmd_id") == ["C3", "C2", "C1"]
    assert _ids(q.commands(conn, "F1"), "cmd_id") == ["C2", "C1"]
    assert _ids(q.commands(conn, state="applied"), "cmd_id") == ["C2"]
    assert _ids(q.commands(conn, state=["failed", "requested"]), "cmd_id") == ["C3", "C1"]
    assert _ids(q.commands(conn, house_id="H1"), "cmd_id") == ["C2"]
    assert _ids(q.commands(conn, start=T0 + timedelta(minutes=2)), "cmd_id") == ["C3", "C2"]
    assert _ids(q.commands(conn, limit=1), "cmd_id") == ["C3"]
    c2 = q.command(conn, "C2")
    assert c2 is not None
    assert (c2.params, c2.state, c2.house_id, c2.requested_by) == (
        {"from": "R", "to": "Y"}, "applied", "H1", "op1",
    )  # fmt: skip
    assert c2.requested_at == T0 + timedelta(minutes=2)
    assert (type(c2.action), type(c2.state)) == (ControlAction, CommandState)
    assert q.command(conn, "C-MISSING") is None


def test_alerts(conn: Connection) -> None:
    add_alert(conn, "A1", "F1", T0 + timedelta(minutes=1))
    add_alert(
        conn, "A2", "F1", T0 + timedelta(minutes=2), severity="critical", state="acknowledged"
    )
    add_alert(conn, "A3", "F2", T0 + timedelta(minutes=3), state="cleared")
    add_alert(conn, "A4", None, T0 + timedelta(minutes=4), severity="info", kind="dead_letters")
    assert _ids(q.alerts(conn), "alert_id") == ["A2", "A3", "A1", "A4"]  # by severity, then newest
    assert _ids(q.alerts(conn, "open"), "alert_id") == ["A1", "A4"]
    assert _ids(q.alerts(conn, ["open", "acknowledged"]), "alert_id") == ["A2", "A1", "A4"]
    assert _ids(q.alerts(conn, "active"), "alert_id") == ["A2", "A1", "A4"]
    assert _ids(q.alerts(conn, feeder_id="F1"), "alert_id") == ["A2", "A1"]
    assert _ids(q.alerts(conn, severity="critical"), "alert_id") == ["A2"]
    assert _ids(q.alerts(conn, "active", severity=["info", "warning"]), "alert_id") == [
        "A1", "A4",
    ]  # fmt: skip
    assert _ids(q.alerts(conn, end=T0 + timedelta(minutes=2)), "alert_id") == ["A1"]
    assert _ids(q.alerts(conn, limit=1), "alert_id") == ["A2"]
    a2 = q.alerts(conn, feeder_id="F1")[0]
    assert (a2.acked_by, a2.acked_at, a2.cleared_at) == ("op1", T0 + timedelta(minutes=2), None)
    assert q.active_alert_count(conn) == 3
    assert q.active_alert_count(conn, feeder_id="F1") == 2
    assert q.active_alert_count(conn, severity="warning") == 1


def test_audit_entries(conn: Connection) -> None:
    add_audit(conn, T0 + timedelta(minutes=1), "user.add", username="admin", target="op1")
    add_audit(conn, T0 + timedelta(minutes=2), "login", username=None, outcome="denied")
    add_audit(conn, T0 + timedelta(minutes=3), "feeder_set", detail={"mode": "manual"})
    add_audit(conn, T0 + timedelta(minutes=4), "feederXset", username="op2", outcome="failed")
    add_audit(conn, T0 + timedelta(minutes=5), "100%_sure")
    entries = q.audit_entries(conn)
    assert _ids(entries, "action") == ["100%_sure", "feederXset", "feeder_set", "login", "user.add"]
    assert _ids(q.audit_entries(conn, "op1"), "action") == ["100%_sure", "feeder_set"]
    assert _ids(q.audit_entries(conn, action_prefix="feeder_"), "action") == ["feeder_set"]
    assert _ids(q.audit_entries(conn, action_prefix="100%"), "action") == ["100%_sure"]
    assert q.audit_entries(conn, action_prefix="%") == []
    assert _ids(q.audit_entries(conn, outcome="denied"), "action") == ["login"]
    assert _ids(q.audit_entries(conn, outcome=["denied", "failed"]), "action") == [
        "feederXset", "login",
    ]  # fmt: skip
    assert _ids(q.audit_entries(conn, target="op1"), "action") == ["user.add"]
    ranged = q.audit_entries(conn, start=T0 + timedelta(minutes=2), end=T0 + timedelta(minutes=4))
    assert _ids(ranged, "action") == ["feeder_set", "login"]
    assert _ids(q.audit_entries(conn, limit=2), "action") == ["100%_sure", "feederXset"]
    feeder_set = q.audit_entries(conn, action_prefix="feeder_")[0]
    assert (feeder_set.detail, feeder_set.address) == ({"mode": "manual"}, "127.0.0.1")
    login = q.audit_entries(conn, action_prefix="login")[0]
    assert login.username is None


def test_log_queries_refuse_bad_limits(conn: Connection) -> None:
    for query in (q.balancing_runs, q.switch_events, q.commands, q.alerts, q.audit_entries):
        with pytest.raises(ValueError, match="limit"):
            query(conn, limit=0)
    with pytest.raises(ValueError, match="limit"):
        q.commands(conn, limit=-1)


def test_naive_times_are_refused(conn: Connection) -> None:
    naive = datetime(2024, 6, 1)
    with pytest.raises(ValueError, match="naive"):
        q.switch_events(conn, start=naive)
    with pytest.raises(ValueError, match="naive"):
        q.feeder_houses(conn, "F1", naive)
    assert q.ist_day_start(datetime(2024, 6, 1, tzinfo=UTC)) == datetime(
        2024, 5, 31, 18, 30, tzinfo=UTC
    )
