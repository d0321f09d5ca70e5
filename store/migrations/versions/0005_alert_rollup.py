"""Alerts roll up, page and redraw cheaply: the alert each one rolls up under, and its indexes

Revision ID: 0005
Revises: 0004

`alerts` gains `parent_id`, the wider alert an alert rolls up under (store.alert_rollup), with
an index for counting what each alert holds, and an index on `updated_at`, whose maximum tells
the alerts page whether anything changed since it last drew.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the parent column and the indexes."""
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=64), nullable=True))
        batch_op.create_index("alerts_parent", ["parent_id"], unique=False)
        batch_op.create_index("alerts_updated", ["updated_at"], unique=False)


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("alerts_updated")
        batch_op.drop_index("alerts_parent")
        batch_op.drop_column("parent_id")
