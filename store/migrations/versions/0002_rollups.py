"""Rollups of feeder readings: continuous aggregates on TimescaleDB, tables elsewhere

Revision ID: 0002
Revises: 0001

On TimescaleDB, `house_readings` and `feeder_readings` become hypertables compressed after
7 days with raw readings kept for a year, and `feeder_readings_{1m,15m,1h}` are continuous
aggregates with refresh policies. On plain PostgreSQL and SQLite they are tables with the same
columns that `store.rollups.refresh` fills.
"""

from __future__ import annotations

from alembic import op

from store.db import Backend, detect_backend
from store.schema import ROLLUP_MEASURES, ROLLUP_RESOLUTIONS, feeder_rollups

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CHUNK = {"house_readings": "1 day", "feeder_readings": "7 days"}
REFRESH = {"1m": ("2 hours", "1 minute", "1 minute"), "15m": ("1 day", "15 minutes", "5 minutes"),
           "1h": ("3 days", "1 hour", "15 minutes")}  # fmt: skip
"""Continuous aggregate policy per resolution: start offset, end offset, schedule."""


def upgrade() -> None:
    """Build the rollups the backend supports."""
    bind = op.get_bind()
    if detect_backend(bind, announce=False) is Backend.TIMESCALE:
        _timescale_upgrade()
    else:
        for table in feeder_rollups.values():
            table.create(bind)


def _timescale_upgrade() -> None:
    for table, chunk in CHUNK.items():
        op.execute(
            f"SELECT create_hypertable('{table}', by_range('ts', INTERVAL '{chunk}'),"
            " migrate_data => true)"
        )
        segment = "house_id" if table == "house_readings" else "feeder_id"
        op.execute(
            f"ALTER TABLE {table} SET (timescaledb.compress,"
            f" timescaledb.compress_segmentby = '{segment}', timescaledb.compress_orderby = 'ts')"
        )
        op.execute(f"SELECT add_compression_policy('{table}', INTERVAL '7 days')")
        op.execute(f"SELECT add_retention_policy('{table}', INTERVAL '365 days')")
    means = ", ".join(f"avg({m}) AS {m}" for m in ROLLUP_MEASURES)
    for suffix, width_s in ROLLUP_RESOLUTIONS.items():
        name = f"feeder_readings_{suffix}"
        op.execute(
            f"CREATE MATERIALIZED VIEW {name} WITH (timescaledb.continuous) AS"
            f" SELECT feeder_id, time_bucket(INTERVAL '{width_s} seconds', ts) AS bucket,"
            f" {means}, max(i_n) AS i_n_max, count(*)::integer AS samples"
            " FROM feeder_readings GROUP BY feeder_id, bucket WITH NO DATA"
        )
        start, end, every = REFRESH[suffix]
        op.execute(
            f"SELECT add_continuous_aggregate_policy('{name}', start_offset => INTERVAL '{start}',"
            f" end_offset => INTERVAL '{end}', schedule_interval => INTERVAL '{every}')"
        )


def downgrade() -> None:
    """Drop the rollups."""
    bind = op.get_bind()
    if detect_backend(bind, announce=False) is Backend.TIMESCALE:
        for suffix in ROLLUP_RESOLUTIONS:
            op.execute(f"DROP MATERIALIZED VIEW IF EXISTS feeder_readings_{suffix}")
    else:
        for table in feeder_rollups.values():
            table.drop(bind)
