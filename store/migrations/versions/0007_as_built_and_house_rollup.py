"""Reports' counterfactual: each house's as-built phase, and hourly rollups of house readings

Revision ID: 0007
Revises: 0006

`houses` gains `built_phase`, the phase a house was provisioned on before SmartPhase moved
anything. Houses already in the store get the from-phase of their first recorded switch, or
their present phase when they never switched. `house_readings_1h` holds hourly means of each
house's readings per phase, on the hours of IST (half past the UTC hours): a continuous
aggregate on TimescaleDB, elsewhere a table that `store.rollups.refresh` fills (its first
refresh rolls up the readings already stored).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.db import Backend, detect_backend
from store.rollups import HOUSE_ROLLUP_OFFSET_S
from store.schema import HOUSE_ROLLUP_WIDTH_S, house_rollup

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE houses SET built_phase = COALESCE(
    (SELECT s.from_phase FROM switch_events s WHERE s.house_id = houses.house_id
     ORDER BY s.ts, s.event_id LIMIT 1),
    phase
)
"""

REFRESH = ("3 days", "1 hour", "15 minutes")
"""The continuous aggregate's policy: start offset, end offset, schedule."""


def upgrade() -> None:
    """Add the as-built phase and the house rollup."""
    with op.batch_alter_table("houses") as batch_op:
        batch_op.add_column(sa.Column("built_phase", sa.String(length=1), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table("houses") as batch_op:
        batch_op.alter_column("built_phase", existing_type=sa.String(length=1), nullable=False)
    bind = op.get_bind()
    if detect_backend(bind, announce=False) is Backend.TIMESCALE:
        _timescale_upgrade()
    else:
        house_rollup.create(bind)


def _timescale_upgrade() -> None:
    name = house_rollup.name
    op.execute(
        f"CREATE MATERIALIZED VIEW {name} WITH (timescaledb.continuous) AS"
        " SELECT house_id,"
        f" time_bucket(INTERVAL '{HOUSE_ROLLUP_WIDTH_S} seconds', ts,"
        f" INTERVAL '{HOUSE_ROLLUP_OFFSET_S} seconds') AS bucket, phase,"
        " feeder_id, avg(v) AS v, avg(i) AS i, avg(p) AS p, avg(q) AS q, avg(pv) AS pv,"
        " count(*)::integer AS samples"
        " FROM house_readings GROUP BY house_id, bucket, phase, feeder_id WITH NO DATA"
    )
    op.execute(f"CREATE INDEX {name}_feeder_bucket ON {name} (feeder_id, bucket)")
    start, end, every = REFRESH
    op.execute(
        f"SELECT add_continuous_aggregate_policy('{name}', start_offset => INTERVAL '{start}',"
        f" end_offset => INTERVAL '{end}', schedule_interval => INTERVAL '{every}')"
    )


def downgrade() -> None:
    """Drop them again."""
    bind = op.get_bind()
    if detect_backend(bind, announce=False) is Backend.TIMESCALE:
        op.execute(f"DROP MATERIALIZED VIEW IF EXISTS {house_rollup.name}")
    else:
        house_rollup.drop(bind)
    with op.batch_alter_table("houses") as batch_op:
        batch_op.drop_column("built_phase")
