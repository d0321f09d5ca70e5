"""The log's own switches and audit rows indexed by feeder and time

Revision ID: 0015
Revises: 0014

The log filtered by a district or a feeder counts and pages the controller's own switches and
the audit rows of their own (store.queries.log: SWITCH_OWN, AUDIT_OWN). With only the full
(feeder, time) indexes, PostgreSQL visits the table for every row to test the predicate, and for
a large district reads the whole table instead. Partial (feeder, time) indexes with the same
predicate let it count and page them from the index alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import AUDIT_OWN, SWITCH_OWN

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the partial (feeder, time) indexes of the log's own rows."""
    op.create_index(
        "switch_events_own_feeder_ts",
        "switch_events",
        ["feeder_id", "ts"],
        postgresql_where=sa.text(SWITCH_OWN),
        sqlite_where=sa.text(SWITCH_OWN),
    )
    op.create_index(
        "audit_log_own_feeder_ts",
        "audit_log",
        ["feeder_id", "ts"],
        postgresql_where=sa.text(AUDIT_OWN),
        sqlite_where=sa.text(AUDIT_OWN),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE switch_events, audit_log")


def downgrade() -> None:
    """Drop them."""
    op.drop_index("audit_log_own_feeder_ts", table_name="audit_log")
    op.drop_index("switch_events_own_feeder_ts", table_name="switch_events")
