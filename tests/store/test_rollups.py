"""Rollup refresh on SQLite and plain PostgreSQL: bucket figures, idempotence, late readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from store import schema as db
from store.rollups import DEEP_EVERY_S, DEFAULT_LOOKBACK_S, bucket_expr, floor_time, refresh
from store.schema import ROLLUP_MEASURES, ROLLUP_RESOLUTIONS
from tests.store.seed import (
    T0,
    add_feeder,
    add_feeder_readings,
    bucket_means,
    skip_on_timescale,
    summary,
    varied_summaries,
)


@pytest.fixture
def rollup_tables(engine: Engine) -> None:
    """Skip where the rollups are not tables that `refresh` fills."""
    with engine.connect() as conn:
        skip_on_timescale(conn)


def _table(engine: Engine, suffix: str) -> dict[tuple[str, datetime], dict[str, Any]]:
    t = db.feeder_rollups[suffix]
    with engine.connect() as conn:
        rows = conn.execute(select(t)).mappings().all()
    return {(r["feeder_id"], r["bucket"]): dict(r) for r in rows}


def _assert_matches(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    for name in (*ROLLUP_MEASURES, "i_n_max"):
        if expected[name] is None:
            assert actual[name] is None, name
        else:
            assert actual[name] == pytest.approx(expected[name], abs=1e-9), name
    assert actual["samples"] == expected["samples"]


@pytest.mark.usefixtures("rollup_tables")
def test_refresh_writes_bucket_means_maxima_and_counts(engine: Engine) -> None:
    rows = varied_summaries(
        "F1", T0 - timedelta(minutes=7), 900, 1.0
    )  # 2.5 h, not aligned to 15 min
    rows += varied_summaries("F2", T0 + timedelta(seconds=5), 400, 2.5)
    with engine.begin() as conn:
        add_feeder(conn, "F1")
        add_feeder(conn, "F2")
        add_feeder_readings(conn, rows)
    now = T0 + timedelta(hours=3)
    written = refresh(engine, now=now)
    expected_total = 0
    for suffix, width_s in ROLLUP_RESOLUTIONS.items():
        expected = bucket_means(rows, width_s)
        actual = _table(engine, suffix)
        assert actual.keys() == expected.keys(), suffix
        for key, figures in expected.items():
            _assert_matches(actual[key], figures)
        expected_total += len(expected)
    assert written == expected_total


@pytest.mark.usefixtures("rollup_tables")
def test_refresh_puts_readings_on_bucket_boundaries_in_the_bucket_they_start(
    engine: Engine,
) -> None:
    rows = [summary(T0 + timedelta(seconds=s), "F1", i_n=float(s)) for s in (0, 59, 60, 899, 900)]
    with engine.begin() as conn:
        add_feeder(conn, "F1")
        add_feeder_readings(conn, rows)
    refresh(engine, now=T0 + timedelta(hours=1))
    one_minute = _table(engine, "1m")
    assert sorted((b - T0).total_seconds() for _, b in one_minute) == [0, 60, 840, 900]
    assert one_minute["F1", T0]["samples"] == 2
    assert one_minute["F1", T0]["i_n_max"] == 59.0
    fifteen = _table(engine, "15m")
    assert fifteen["F1", T0]["samples"] == 4
    assert fifteen["F1", T0 + timedelta(minutes=15)]["samples"] == 1


@pytest.mark.usefixtures("rollup_tables")
def test_refresh_is_idempotent(engine: Engine) -> None:
    rows = varied_summaries("F1", T0, 720, 1.0)
    with engine.begin() as conn:
        add_feeder(conn, "F1")
        add_feeder_readings(conn, rows)
    now = T0 + timedelta(hours=2)
    refresh(engine, now=now)
    first = {s: _table(engine, s) for s in ROLLUP_RESOLUTIONS}
    assert refresh(engine, now=now) == 0
    assert refresh(engine, now=now + timedelta(minutes=1)) == 0
    assert refresh(engine, now=now + timedelta(seconds=DEEP_EVERY_S)) == 0
    assert {s: _table(engine, s) for s in ROLLUP_RESOLUTIONS} == first
    with engine.connect() as conn:
        counts = {
            s: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for s, t in db.feeder_rollups.items()
        }
    assert counts == {"1m": 120, "15m": 8, "1h": 2}


@pytest.mark.usefixtures("rollup_tables")
def test_refresh_picks_up_a_recent_late_reading_at_once(engine: Engine) -> None:
    now = T0 + timedelta(hours=1)
    bucket = now - timedelta(minutes=5)
    with engine.begin() as conn:
        add_feeder(conn, "F1")
        add_feeder_readings(conn, [summary(bucket, "F1", i_n=2.0)])
    refresh(engine, now=now)
    with engine.begin() as conn:
        add_feeder_readings(conn, [summary(bucket + timedelta(seconds=30), "F1", i_n=4.0)])
    assert refresh(engine, now=now + timedelta(minutes=1)) == 3
    for suffix, width_s in ROLLUP_RESOLUTIONS.items():
        figures = _table(engine, suffix)["F1", floor_time(bucket, width_s)]
        assert (figures["samples"], figures["i_n"], figures["i_n_max"]) == (2, 3.0, 4.0), suffix


@pytest.mark.usefixtures("rollup_tables")
def test_refresh_picks_up_a_late_reading_within_the_look_back(engine: Engine) -> None:
    rows = [summary(T0 + timedelta(seconds=10 * k), "F1", i_n=2.0) for k in range(6)]
    with engine.begin() as conn:
        add_feeder(conn, "F1")
        add_feeder_readings(conn, rows)
    now = T0 + timedelta(hours=1)
    refresh(engine, now=now)
    assert _table(engine, "1m")["F1", T0]["samples"] == 6
    late = summary(T0 + timedelta(seconds=55), "F1", i_n=14.0)
    with engine.begin() as conn:
        add_feeder_readings(conn, [late])
    # An hour late: only the hour bucket, which holds the recent window, is recomputed at once.
    assert refresh(engine, now=now + timedelta(minutes=1)) == 1
    assert _table(engine, "1m")["F1", T0]["samples"] == 6
    assert _table(engine, "15m")["F1", T0]["samples"] == 6
    assert _table(engine, "1h")["F1", T0]["samples"] == 7
    assert refresh(engine, now=now + timedelta(seconds=DEEP_EVERY_S)) == 2  # the deep pass
    for suffix in ROLLUP_RESOLUTIONS:
        figures = _table(engine, suffix)["F1", T0]
        assert figures["samples"] == 7, suffix
        assert figures["i_n"] == pytest.approx((6 * 2.0 + 14.0) / 7), suffix
        assert figures["i_n_max"] == 14.0, suffix


@pytest.mark.usefixtures("rollup_tables")
def test_refresh_leaves_readings_older_than_the_look_back(engine: Engine) -> None:
    with engine.begin() as conn:
        add_feeder(conn, "F1")
        add_feeder_readings(conn, [summary(T0, "F1", i_n=2.0)])
    now = T0 + timedelta(hours=1)
    refresh(engine, now=now)
    far_back = now - timedelta(seconds=DEFAULT_LOOKBACK_S + 3600)
    with engine.begin() as conn:
        add_feeder_readings(conn, [summary(far_back, "F1", i_n=9.0)])
    refresh(engine, now=now + timedelta(seconds=DEEP_EVERY_S))
    assert ("F1", floor_time(far_back, 60)) not in _table(engine, "1m")


@pytest.mark.usefixtures("rollup_tables")
def test_refresh_waits_for_readings_after_now(engine: Engine) -> None:
    with engine.begin() as conn:
        add_feeder(conn, "F1")
        add_feeder_readings(
            conn, [summary(T0, "F1"), summary(T0 + timedelta(minutes=5), "F1", i_n=5.0)]
        )
    refresh(engine, now=T0 + timedelta(minutes=1))
    assert list(_table(engine, "1m")) == [("F1", T0)]
    refresh(engine, now=T0 + timedelta(minutes=6))
    assert _table(engine, "1m")["F1", T0 + timedelta(minutes=5)]["i_n"] == 5.0


@pytest.mark.usefixtures("rollup_tables")
def test_refresh_of_an_empty_store_writes_nothing(engine: Engine) -> None:
    assert refresh(engine, now=T0) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.rollup_marks)).scalar_one() == 0


@pytest.mark.usefixtures("rollup_tables")
def test_refresh_marks_only_move_forward(engine: Engine) -> None:
    with engine.begin() as conn:
        add_feeder(conn, "F1")
        add_feeder_readings(conn, [summary(T0, "F1")])
    refresh(engine, now=T0 + timedelta(hours=2))
    refresh(engine, now=T0 + timedelta(hours=1))
    with engine.connect() as conn:
        marks = {row.name: row.done_to for row in conn.execute(select(db.rollup_marks))}
    assert set(marks) == {
        f"{t.name}{suffix}" for t in db.feeder_rollups.values() for suffix in ("", ":deep")
    }
    assert set(marks.values()) == {T0 + timedelta(hours=2)}


@pytest.mark.parametrize("width_s", sorted(ROLLUP_RESOLUTIONS.values()))
def test_bucket_expr_floors_to_the_bucket_start(engine: Engine, width_s: int) -> None:
    offsets = (0.0, 0.5, width_s - 0.5, width_s, 7 * width_s + 1)
    with engine.begin() as conn:
        add_feeder(conn, "F1")
        add_feeder_readings(conn, [summary(T0 + timedelta(seconds=s), "F1") for s in offsets])
    r = db.feeder_readings.c
    with engine.connect() as conn:
        stmt = select(bucket_expr(conn.dialect.name, r.ts, width_s)).order_by(r.ts)
        buckets = conn.execute(stmt).scalars().all()
    expected = [floor_time(T0 + timedelta(seconds=s), width_s) for s in offsets]
    assert buckets == expected
    assert all(b.tzinfo is not None and b.utcoffset() == timedelta(0) for b in buckets)


def test_floor_time() -> None:
    t = datetime(2024, 6, 1, 10, 17, 42, 500_000, tzinfo=UTC)
    assert floor_time(t, 60) == datetime(2024, 6, 1, 10, 17, tzinfo=UTC)
    assert floor_time(t, 900) == datetime(2024, 6, 1, 10, 15, tzinfo=UTC)
    assert floor_time(t, 3600) == datetime(2024, 6, 1, 10, tzinfo=UTC)
