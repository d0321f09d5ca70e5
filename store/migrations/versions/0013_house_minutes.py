"""House rollup: the minutes of each house hour with at least one reading

Revision ID: 0013
Revises: 0012

`house_readings_1h` gains `minutes`, the minutes of the hour in which the house sent at least
one reading, and its sums gain theirs: `feeder_house_loads_1h` the house-minutes per feeder,
hour and as-built phase, `house_days` the minutes per house and IST day. Reports count data
completeness in minutes from them. Rows already there get their minutes from the raw readings
still stored. On TimescaleDB the continuous aggregate is made again with the new column (its
policy materialises the last days again; the sums keep every hour they had).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.db import Backend, detect_backend
from store.rollups import HOUSE_CAGG_END_OFFSET_S, HOUSE_CAGG_EVERY_S, HOUSE_ROLLUP_OFFSET_S
from store.schema import HOUSE_ROLLUP_WIDTH_S, feeder_house_loads, house_days, house_rollup

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

START_OFFSET = "3 days"
"""How far back the continuous aggregate's policy refreshes (as revision 0007 set it)."""

MINUTE = {
    "sqlite": "CAST(r.ts / 60 AS INTEGER)",
    "postgresql": "floor(date_part('epoch', r.ts) / 60)",
}
"""The minute since the epoch of a reading's time, as store.rollups.minute_index writes it."""

LATER = {
    "sqlite": "{t} + {s}",
    "postgresql": "{t} + make_interval(secs => {s})",
}
"""A time plus some seconds."""


def upgrade() -> None:
    """Add the minutes and fill them in from the raw readings."""
    bind = op.get_bind()
    timescale = detect_backend(bind, announce=False) is Backend.TIMESCALE
    tables = (feeder_house_loads, house_days) if timescale else (
        house_rollup, feeder_house_loads, house_days
    )  # fmt: skip
    for table in tables:
        # revision 0007 creates the house rollup table from store.schema, which has it already
        if "minutes" in {c["name"] for c in sa.inspect(bind).get_columns(table.name)}:
            continue
        with op.batch_alter_table(table.name) as batch_op:
            batch_op.add_column(
                sa.Column("minutes", sa.Integer(), server_default="0", nullable=False)
            )
    dialect = "sqlite" if bind.dialect.name == "sqlite" else "postgresql"
    minute, later = MINUTE[dialect], LATER[dialect]
    if timescale:
        _timescale_upgrade()
        house_minute = f"r.house_id || ':' || {minute}"
        op.execute(
            f"UPDATE {feeder_house_loads.name} AS f SET minutes = COALESCE(("
            f"SELECT count(DISTINCT {house_minute}) FROM house_readings r"
            " JOIN houses h ON h.house_id = r.house_id"
            " WHERE r.feeder_id = f.feeder_id AND h.built_phase = f.built_phase"
            f" AND r.ts >= f.bucket AND r.ts < {later.format(t='f.bucket', s=HOUSE_ROLLUP_WIDTH_S)}"
            "), 0)"
        )
        op.execute(
            f"UPDATE {house_days.name} AS d SET minutes = COALESCE(("
            f"SELECT count(DISTINCT {minute}) FROM house_readings r"
            " WHERE r.house_id = d.house_id"
            f" AND r.ts >= d.day AND r.ts < {later.format(t='d.day', s=86_400)}"
            "), 0)"
        )
        return
    rollup = house_rollup.name
    op.execute(
        f"UPDATE {rollup} SET minutes = COALESCE(("
        f"SELECT count(DISTINCT {minute}) FROM house_readings r"
        f" WHERE r.house_id = {rollup}.house_id AND r.ts >= {rollup}.bucket"
        f" AND r.ts < {later.format(t=f'{rollup}.bucket', s=HOUSE_ROLLUP_WIDTH_S)}"
        "), 0)"
    )
    loads = feeder_house_loads.name
    op.execute(
        f"UPDATE {loads} SET minutes = COALESCE(("
        f"SELECT sum(r.minutes) FROM {rollup} r JOIN houses h ON h.house_id = r.house_id"
        f" WHERE r.feeder_id = {loads}.feeder_id AND r.bucket = {loads}.bucket"
        f" AND h.built_phase = {loads}.built_phase"
        "), 0)"
    )
    days = house_days.name
    op.execute(
        f"UPDATE {days} SET minutes = COALESCE(("
        f"SELECT sum(r.minutes) FROM {rollup} r WHERE r.house_id = {days}.house_id"
        f" AND r.bucket >= {days}.day AND r.bucket < {later.format(t=f'{days}.day', s=86_400)}"
        "), 0)"
    )


def _timescale_upgrade() -> None:
    """Make the continuous aggregate again, as revision 0007 did, with the minutes."""
    name = house_rollup.name
    op.execute(f"DROP MATERIALIZED VIEW IF EXISTS {name}")
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
        f" {by_phase},"
        " count(DISTINCT time_bucket(INTERVAL '60 seconds', ts))::integer AS minutes"
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
    """Drop the minutes again (on TimescaleDB the aggregate keeps its column)."""
    bind = op.get_bind()
    timescale = detect_backend(bind, announce=False) is Backend.TIMESCALE
    tables = (house_days, feeder_house_loads) if timescale else (
        house_days, feeder_house_loads, house_rollup
    )  # fmt: skip
    for table in tables:
        with op.batch_alter_table(table.name) as batch_op:
            batch_op.drop_column("minutes")
