"""TimescaleDB path: hypertables, policies and continuous aggregates (only where installed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from store.db import Backend, make_engine, timescale_available
from store.migrate import upgrade
from store.queries import feeder_series
from tests.store.seed import add_feeder, add_feeder_readings, bucket_means, varied_summaries

pytestmark = [pytest.mark.pg, pytest.mark.timescale]


@pytest.fixture
def timescale_engine(pg_url: str) -> Engine:
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        if not timescale_available(conn):
            pytest.skip("TimescaleDB is not installed and preloaded in this PostgreSQL")
    return engine


def test_upgrade_builds_hypertables_policies_and_aggregates(timescale_engine: Engine) -> None:
    assert upgrade(timescale_engine) is Backend.TIMESCALE
    with timescale_engine.connect() as conn:
        hypertables = set(
            conn.execute(
                text("SELECT hypertable_name FROM timescaledb_information.hypertables")
            ).scalars()
        )
        assert {"house_readings", "feeder_readings"} <= hypertables
        jobs = conn.execute(
            text(
                "SELECT proc_name, hypertable_name FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL"
            )
        ).all()
        kinds = {(p, h) for p, h in jobs}
        for table in ("house_readings", "feeder_readings"):
            assert ("policy_compression", table) in kinds
            assert ("policy_retention", table) in kinds
        views = set(
            conn.execute(
                text("SELECT view_name FROM timescaledb_information.continuous_aggregates")
            ).scalars()
        )
        aggregates = {"feeder_readings_1m", "feeder_readings_15m", "feeder_readings_1h"}
        aggregates.add("house_readings_1h")  # migration 0007
        assert views == aggregates
        for view in aggregates:
            assert ("policy_refresh_continuous_aggregate", view) in kinds
    assert upgrade(timescale_engine) is Backend.TIMESCALE  # idempotent


def test_feeder_series_reads_the_continuous_aggregates(timescale_engine: Engine) -> None:
    upgrade(timescale_engine)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    rows = varied_summaries("KL-TSR-0001", start, 3 * 24 * 360)  # three days of 10 s summaries
    with timescale_engine.begin() as conn:
        add_feeder(conn, "KL-TSR-0001")
        add_feeder_readings(conn, rows)
    with timescale_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for suffix in ("1m", "15m", "1h"):
            conn.execute(
                text(f"CALL refresh_continuous_aggregate('feeder_readings_{suffix}', NULL, NULL)")
            )
    expected = bucket_means(rows, 900)
    with timescale_engine.connect() as conn:
        series = feeder_series(conn, "KL-TSR-0001", start, start + timedelta(days=3))
    assert series.resolution == "15m"
    assert len(series.points) == 3 * 96
    for point in series.points[:5] + series.points[-5:]:
        figures = expected[("KL-TSR-0001", point.ts)]
        assert point.i_n == pytest.approx(figures["i_n"])
        assert point.p_r == pytest.approx(figures["p_r"])
