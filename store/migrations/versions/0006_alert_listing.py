"""Alert lists in index order: most severe first, then newest, over the alerts not rolled up

Revision ID: 0006
Revises: 0005

Every alert list orders by the severity's rank (critical, warning, info), then the time raised,
newest first (store.schema.SEVERITY_RANK). This partial index holds that order for the alerts
that stand on their own, so that a page of 50 is read in index order, however many alerts the
store holds, instead of sorting them all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

RANK = (
    "(CASE WHEN (severity = 'critical') THEN 0 WHEN (severity = 'warning') THEN 1"
    " WHEN (severity = 'info') THEN 2 ELSE 3 END)"
)


def upgrade() -> None:
    """Add the listing index."""
    op.create_index(
        "alerts_listing",
        "alerts",
        [sa.text(RANK), sa.text("raised_at DESC"), sa.text("alert_id DESC")],
        postgresql_where=sa.text("parent_id IS NULL"),
        sqlite_where=sa.text("parent_id IS NULL"),
    )


def downgrade() -> None:
    """Drop it again."""
    op.drop_index("alerts_listing", table_name="alerts")
