"""initial schema

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import JsonDocument, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("feeder_id", sa.String(length=32), nullable=True),
        sa.Column("house_id", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=14), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.Column("acked_by", sa.String(length=64), nullable=True),
        sa.Column("acked_at", UtcDateTime(), nullable=True),
        sa.Column("cleared_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("alerts_feeder_raised", ["feeder_id", "raised_at"], unique=False)
        batch_op.create_index("alerts_state_raised", ["state", "raised_at"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=128), server_default="", nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("detail", JsonDocument, nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("audit_log_ts", ["ts"], unique=False)

    op.create_table(
        "balancing_runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("before_i_r", sa.Float(), nullable=True),
        sa.Column("before_i_y", sa.Float(), nullable=True),
        sa.Column("before_i_b", sa.Float(), nullable=True),
        sa.Column("before_i_n", sa.Float(), nullable=True),
        sa.Column("before_unbalance_pct", sa.Float(), nullable=True),
        sa.Column("after_i_r", sa.Float(), nullable=True),
        sa.Column("after_i_y", sa.Float(), nullable=True),
        sa.Column("after_i_b", sa.Float(), nullable=True),
        sa.Column("after_i_n", sa.Float(), nullable=True),
        sa.Column("after_unbalance_pct", sa.Float(), nullable=True),
        sa.Column("moves", JsonDocument, nullable=False),
        sa.Column("boot", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_id"),
    )
    with op.batch_alter_table("balancing_runs", schema=None) as batch_op:
        batch_op.create_index("balancing_runs_feeder_ts", ["feeder_id", "ts"], unique=False)

    op.create_table(
        "commands",
        sa.Column("cmd_id", sa.String(length=64), nullable=False),
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("house_id", sa.String(length=40), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("params", JsonDocument, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("ctr", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("cmd_id"),
    )
    with op.batch_alter_table("commands", schema=None) as batch_op:
        batch_op.create_index(
            "commands_feeder_requested", ["feeder_id", "requested_at"], unique=False
        )

    op.create_table(
        "dead_letters",
        sa.Column(
            "letter_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("letter_id"),
    )
    op.create_table(
        "events",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data", JsonDocument, nullable=False),
        sa.Column("boot", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("events_feeder_ts", ["feeder_id", "ts"], unique=False)

    op.create_table(
        "feeder_readings",
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("p_r", sa.Float(), nullable=False),
        sa.Column("p_y", sa.Float(), nullable=False),
        sa.Column("p_b", sa.Float(), nullable=False),
        sa.Column("q_r", sa.Float(), nullable=False),
        sa.Column("q_y", sa.Float(), nullable=False),
        sa.Column("q_b", sa.Float(), nullable=False),
        sa.Column("i_r", sa.Float(), nullable=False),
        sa.Column("i_y", sa.Float(), nullable=False),
        sa.Column("i_b", sa.Float(), nullable=False),
        sa.Column("v_r", sa.Float(), nullable=False),
        sa.Column("v_y", sa.Float(), nullable=False),
        sa.Column("v_b", sa.Float(), nullable=False),
        sa.Column("i_n", sa.Float(), nullable=False),
        sa.Column("unbalance_pct", sa.Float(), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("houses_online", sa.Integer(), nullable=False),
        sa.Column("houses_total", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("feeder_readings", schema=None) as batch_op:
        batch_op.create_index("feeder_readings_feeder_ts", ["feeder_id", "ts"], unique=False)

    op.create_table(
        "feeders",
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("district", sa.String(length=60), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("kva", sa.Float(), nullable=False),
        sa.Column("mode", sa.String(length=8), server_default="auto", nullable=False),
        sa.Column("online", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("boot", sa.BigInteger(), nullable=True),
        sa.Column("last_seen", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("mode IN ('auto','manual')", name="feeders_mode"),
        sa.PrimaryKeyConstraint("feeder_id"),
    )
    op.create_table(
        "house_readings",
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("house_id", sa.String(length=40), nullable=False),
        sa.Column("phase", sa.String(length=1), nullable=False),
        sa.Column("v", sa.Float(), nullable=False),
        sa.Column("i", sa.Float(), nullable=False),
        sa.Column("p", sa.Float(), nullable=False),
        sa.Column("q", sa.Float(), nullable=False),
        sa.Column("pv", sa.Float(), nullable=False),
    )
    with op.batch_alter_table("house_readings", schema=None) as batch_op:
        batch_op.create_index("house_readings_house_ts", ["house_id", "ts"], unique=False)

    op.create_table(
        "rollup_marks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("done_to", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "switch_events",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("house_id", sa.String(length=40), nullable=False),
        sa.Column("from_phase", sa.String(length=1), nullable=False),
        sa.Column("to_phase", sa.String(length=1), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("cmd_id", sa.String(length=64), nullable=True),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("boot", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("switch_events", schema=None) as batch_op:
        batch_op.create_index("switch_events_feeder_ts", ["feeder_id", "ts"], unique=False)

    op.create_table(
        "uplink_batches",
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("boot", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("committed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("feeder_id", "boot", "seq", name="uplink_batches_pkey"),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('viewer','operator','admin')", name="users_role"),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "feeder_state",
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("p_r", sa.Float(), nullable=False),
        sa.Column("p_y", sa.Float(), nullable=False),
        sa.Column("p_b", sa.Float(), nullable=False),
        sa.Column("q_r", sa.Float(), nullable=False),
        sa.Column("q_y", sa.Float(), nullable=False),
        sa.Column("q_b", sa.Float(), nullable=False),
        sa.Column("i_r", sa.Float(), nullable=False),
        sa.Column("i_y", sa.Float(), nullable=False),
        sa.Column("i_b", sa.Float(), nullable=False),
        sa.Column("v_r", sa.Float(), nullable=False),
        sa.Column("v_y", sa.Float(), nullable=False),
        sa.Column("v_b", sa.Float(), nullable=False),
        sa.Column("i_n", sa.Float(), nullable=False),
        sa.Column("unbalance_pct", sa.Float(), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("houses_online", sa.Integer(), nullable=False),
        sa.Column("houses_total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feeder_id"],
            ["feeders.feeder_id"],
        ),
        sa.PrimaryKeyConstraint("feeder_id"),
    )
    op.create_table(
        "houses",
        sa.Column("house_id", sa.String(length=40), nullable=False),
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("phase", sa.String(length=1), nullable=False),
        sa.Column("pv_kw", sa.Float(), server_default="0", nullable=False),
        sa.Column("switchable", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("locked", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("online", sa.Boolean(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feeder_id"],
            ["feeders.feeder_id"],
        ),
        sa.PrimaryKeyConstraint("house_id"),
    )
    with op.batch_alter_table("houses", schema=None) as batch_op:
        batch_op.create_index("houses_feeder", ["feeder_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("houses", schema=None) as batch_op:
        batch_op.drop_index("houses_feeder")

    op.drop_table("houses")
    op.drop_table("feeder_state")
    op.drop_table("users")
    op.drop_table("uplink_batches")
    with op.batch_alter_table("switch_events", schema=None) as batch_op:
        batch_op.drop_index("switch_events_feeder_ts")

    op.drop_table("switch_events")
    op.drop_table("rollup_marks")
    with op.batch_alter_table("house_readings", schema=None) as batch_op:
        batch_op.drop_index("house_readings_house_ts")

    op.drop_table("house_readings")
    op.drop_table("feeders")
    with op.batch_alter_table("feeder_readings", schema=None) as batch_op:
        batch_op.drop_index("feeder_readings_feeder_ts")

    op.drop_table("feeder_readings")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("events_feeder_ts")

    op.drop_table("events")
    op.drop_table("dead_letters")
    with op.batch_alter_table("commands", schema=None) as batch_op:
        batch_op.drop_index("commands_feeder_requested")

    op.drop_table("commands")
    with op.batch_alter_table("balancing_runs", schema=None) as batch_op:
        batch_op.drop_index("balancing_runs_feeder_ts")

    op.drop_table("balancing_runs")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("audit_log_ts")

    op.drop_table("audit_log")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("alerts_state_raised")
        batch_op.drop_index("alerts_feeder_raised")

    op.drop_table("alerts")
