"""TimescaleDB path: hypertables, policies and continuous aggregates (only where installed)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from store.db import Backend, make_engine, timescale_available
from store.migrate import upgrade

pytestmark = [pytest.mark.pg, pytest.mark.timescale]


@pytest.fixture
def timescale_engine(pg_url: str) -> Engine:
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        if not timescale_available(conn):
            pytest.skip("the TimescaleDB extension is not installed in this PostgreSQL")
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
        assert views == {"feeder_readings_1m", "feeder_readings_15m", "feeder_readings_1h"}
    assert upgrade(timescale_engine) is Backend.TIMESCALE  # idempotent
