"""Lockouts and run times: why, since and until when a house is locked out; when a run decided

Revision ID: 0004
Revises: 0003

`houses` gains `locked_reason`, `locked_since` and `locked_until` (null while locked: until an
operator unlocks it), written from the edge's `lockout` events; `balancing_runs` gains
`decided_at`, when the run's "before" was measured.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the lockout and run-time columns."""
    with op.batch_alter_table("houses") as batch_op:
        batch_op.add_column(sa.Column("locked_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("locked_since", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("locked_until", UtcDateTime(), nullable=True))
    with op.batch_alter_table("balancing_runs") as batch_op:
        batch_op.add_column(sa.Column("decided_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("balancing_runs") as batch_op:
        batch_op.drop_column("decided_at")
    with op.batch_alter_table("houses") as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("locked_since")
        batch_op.drop_column("locked_reason")
