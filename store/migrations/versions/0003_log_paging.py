"""The log pages on the server: time and actor indexes, and the feeder of every audit row

Revision ID: 0003
Revises: 0002

The log page filters and sorts a million rows in SQL (store.activity): each of its sources gets
an index on its time, the commands and audit rows one on their actor, the feeders one on their
district (the log sorted by district walks the feeders in that order), and `audit_log` a
`feeder_id` column (the feeder its target belongs to: a feeder, one of its houses or alerts),
indexed with the time, so that the log filters and sorts audit rows by feeder and district like
the rest. Existing audit rows get their feeder from the targets they name.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE audit_log SET feeder_id = COALESCE(
    (SELECT f.feeder_id FROM feeders f WHERE f.feeder_id = audit_log.target),
    (SELECT h.feeder_id FROM houses h WHERE h.house_id = audit_log.target),
    (SELECT a.feeder_id FROM alerts a WHERE a.alert_id = audit_log.target)
)
WHERE target <> ''
"""


def upgrade() -> None:
    """Add the indexes and the audit rows' feeder."""
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feeder_id", sa.String(length=32), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("audit_log_feeder_ts", ["feeder_id", "ts"], unique=False)
        batch_op.create_index("audit_log_user_ts", ["username", "ts"], unique=False)
    with op.batch_alter_table("switch_events", schema=None) as batch_op:
        batch_op.create_index("switch_events_ts", ["ts"], unique=False)
    with op.batch_alter_table("commands", schema=None) as batch_op:
        batch_op.create_index("commands_requested", ["requested_at"], unique=False)
        batch_op.create_index(
            "commands_by_requested", ["requested_by", "requested_at"], unique=False
        )
    with op.batch_alter_table("balancing_runs", schema=None) as batch_op:
        batch_op.create_index("balancing_runs_ts", ["ts"], unique=False)
    with op.batch_alter_table("feeders", schema=None) as batch_op:
        batch_op.create_index("feeders_district", ["district", "feeder_id"], unique=False)


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("feeders", schema=None) as batch_op:
        batch_op.drop_index("feeders_district")
    with op.batch_alter_table("balancing_runs", schema=None) as batch_op:
        batch_op.drop_index("balancing_runs_ts")
    with op.batch_alter_table("commands", schema=None) as batch_op:
        batch_op.drop_index("commands_by_requested")
        batch_op.drop_index("commands_requested")
    with op.batch_alter_table("switch_events", schema=None) as batch_op:
        batch_op.drop_index("switch_events_ts")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("audit_log_user_ts")
        batch_op.drop_index("audit_log_feeder_ts")
        batch_op.drop_column("feeder_id")
