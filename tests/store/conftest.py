"""Fixtures of the store tests."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from store.db import Backend, detect_backend

HOLD_RETENTION = text(
    "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs"
    " WHERE proc_name = 'policy_retention'"
)


@pytest.fixture
def engine(engine: Engine) -> Engine:
    """Return the test's migrated store; on TimescaleDB with its retention policies held.

    The store tests write readings of fixed dates more than a year ago (tests.store.seed.T0),
    which the one-year retention policy drops whenever its first run, due as soon as the
    schema is built, comes after the test's inserts.
    """
    with engine.begin() as conn:
        if detect_backend(conn, announce=False) is Backend.TIMESCALE:
            conn.execute(HOLD_RETENTION)
    return engine
