"""Reports' counterfactual: each house's as-built phase, and hourly rollups of house readings

Revision ID: 0007
Revises: 0006

`houses` gains `built_phase`, the phase a house was provisioned on before SmartPhase moved
anything. Houses already in the store get the from-phase of their first recorded switch, or
their present phase when they never switched. `house_readings_1h` holds each house's hours, on
the hours of IST (half past the UTC hours): its readings' count, mean V, I and PV, and P and Q
by the phase each reading was taken on (store.schema.HOUSE_PHASE_MEASURES); a continuous
aggregate on TimescaleDB, elsewhere a table that `store.rollups.refresh` fills (its first
refresh rolls up the readings already stored). `feeder_house_loads_1h` sums those hours per
feeder and as-built phase, `house_days` per house and IST day: on every backend tables that the
same refresh fills.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.db import Backend, detect_backend
from store.rollups import HOUSE_CAGG_END_OFFSET_S, HOUSE_CAGG_EVERY_S, HOUSE_ROLLUP_OFFSET_S
from store.schema import (
    HOUSE_PHASE_MEASURES,
    HOUSE_ROLLUP_WIDTH_S,
    UtcDateTime,
    feeder_house_loads,
    house_days,
    house_rollup,
)

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

START_OFFSET = "3 days"
"""How far back the continuous aggregate's policy refreshes."""


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
    op.create_table(
        feeder_house_loads.name,
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("bucket", UtcDateTime(), nullable=False),
        sa.Column("built_phase", sa.String(length=1), nullable=False),
        sa.Column("houses", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in HOUSE_PHASE_MEASURES),
        sa.PrimaryKeyConstraint("feeder_id", "bucket", "built_phase"),
    )
    op.create_table(
        house_days.name,
        sa.Column("house_id", sa.String(length=40), nullable=False),
        sa.Column("day", UtcDateTime(), nullable=False),
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("house_id", "day"),
    )
    with op.batch_alter_table(house_days.name) as batch_op:
        batch_op.create_index("house_days_feeder_day", ["feeder_id", "day"], unique=False)


def _timescale_upgrade() -> None:
    name = house_rollup.name
    by_phase = ", ".join(
        f"coalesce(sum({x}) FILTER (WHERE phase = '{phase}'), 0) / count(*) AS {x}_{phase.lower()}"
        for x in ("p", "q")
        for phase in "RYB"
    )
    op.execute(
        f"CREATE MATERIALIZED VIEW {name} WITH (timescaledb.continuous) AS"
        " SELECT house_id,"
        f" time_bucket(INTERVAL '{HOUSE_ROLLUP_WIDTH_S} seconds', ts,"
        f" INTERVAL '{HOUSE_ROLLUP_OFFSET_S} seconds') AS bucket, feeder_id,"
        " count(*)::integer AS samples, avg(v) AS v, avg(i) AS i, avg(pv) AS pv,"
        f" {by_phase}"
        " FROM house_readings GROUP BY house_id, bucket, feeder_id WITH NO DATA"
    )
    op.execute(f"CREATE INDEX {name}_feeder_bucket ON {name} (feeder_id, bucket)")
    op.execute(
        f"SELECT add_continuous_aggregate_policy('{name}',"
        f" start_offset => INTERVAL '{START_OFFSET}',"
        f" end_offset => INTERVAL '{HOUSE_CAGG_END_OFFSET_S} seconds',"
        f" schedule_interval => INTERVAL '{HOUSE_CAGG_EVERY_S} seconds')"
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table(house_days.name)
    op.drop_table(feeder_house_loads.name)
    bind = op.get_bind()
    if detect_backend(bind, announce=False) is Backend.TIMESCALE:
        op.execute(f"DROP MATERIALIZED VIEW IF EXISTS {house_rollup.name}")
    else:
        house_rollup.drop(bind)
    with op.batch_alter_table("houses") as batch_op:
        batch_op.drop_column("built_phase")
