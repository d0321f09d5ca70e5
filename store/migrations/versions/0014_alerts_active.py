"""The active alerts indexed by feeder, for the map and the wall

Revision ID: 0014
Revises: 0013

The map counts each feeder's active alerts and the wall ranks each district's (store.fleet_read,
store.queries.feeder_map) every few seconds. A partial index holding only the alerts that are
open or acknowledged and not rolled up, with the columns those reads need (feeder, severity,
time raised, id), lets them read the active alerts alone, without visiting the table, however
long the alert history grows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import ACTIVE_ALERT

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the partial index of active alerts."""
    op.create_index(
        "alerts_active",
        "alerts",
        ["feeder_id", "severity", "raised_at", "alert_id"],
        postgresql_where=sa.text(ACTIVE_ALERT),
        sqlite_where=sa.text(ACTIVE_ALERT),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE alerts")


def downgrade() -> None:
    """Drop it."""
    op.drop_index("alerts_active", table_name="alerts")
