"""Uplink digests: each ledger key keeps the digest of its payload; dead letters keep a digest

Revision ID: 0008
Revises: 0007

`uplink_batches` gains `digest`, the SHA-256 of the payload that holds the key, so that a later
message under the same (feeder, boot, seq) with other content is told apart from a resend and
kept as a dead letter (store.writer). `dead_letters` gains `payload_bytes` and `digest`: an
oversized payload keeps only its first bytes, with its size and digest beside them. Rows written
before have no digest.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the digest columns."""
    with op.batch_alter_table("uplink_batches") as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("dead_letters") as batch_op:
        batch_op.add_column(sa.Column("payload_bytes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("dead_letters") as batch_op:
        batch_op.drop_column("digest")
        batch_op.drop_column("payload_bytes")
    with op.batch_alter_table("uplink_batches") as batch_op:
        batch_op.drop_column("digest")
