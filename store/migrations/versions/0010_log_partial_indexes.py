"""The log's own rows indexed by time: switches without a command, audit rows of no command

Revision ID: 0010
Revises: 0009

The log (store.activity) reads the switches the controller made on its own (`cmd_id` null) and
the audit rows that do not record a step of a command (no `cmd_id` in their detail). Partial
indexes on their time hold exactly those rows, so that counting and paging them is an index
walk; `switch_events_own_ts` replaces `switch_events_ts`. On PostgreSQL, statistics on the audit
rows' cmd_id tell the planner how many rows are their own (it assumed 0.5 %).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import AUDIT_OWN, SWITCH_OWN

AUDIT_CMD_ID = "(detail ->> 'cmd_id')"
"""The command an audit row records a step of, as AUDIT_OWN reads it."""

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Replace the switches' time index by a partial one; add the audit rows' one."""
    with op.batch_alter_table("switch_events", schema=None) as batch_op:
        batch_op.drop_index("switch_events_ts")
    for table, name, where in (
        ("switch_events", "switch_events_own_ts", SWITCH_OWN),
        ("audit_log", "audit_log_own_ts", AUDIT_OWN),
    ):
        op.create_index(
            name, table, ["ts"], postgresql_where=sa.text(where), sqlite_where=sa.text(where)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE STATISTICS audit_log_cmd_id ON ({AUDIT_CMD_ID}) FROM audit_log")
        op.execute("ANALYZE switch_events")
        op.execute("ANALYZE audit_log")


def downgrade() -> None:
    """Drop them and bring back the plain time index of the switches."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS audit_log_cmd_id")
    op.drop_index("audit_log_own_ts", table_name="audit_log")
    op.drop_index("switch_events_own_ts", table_name="switch_events")
    with op.batch_alter_table("switch_events", schema=None) as batch_op:
        batch_op.create_index("switch_events_ts", ["ts"], unique=False)
