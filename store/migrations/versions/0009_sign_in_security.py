"""Sign-in security: revocable sessions, a TOTP second factor, recovery codes, login counters

Revision ID: 0009
Revises: 0008

`users` gains `session_epoch` (every session carries the epoch it began in; a logout, a
disabling, a role or password change and a reset of the second factor move the user to the next
one, ending their sessions), `totp_secret`, `totp_pending` (a secret shown for enrolment and not
yet confirmed) and `totp_step` (the newest time step a code was accepted for, so that no code is
accepted twice). `recovery_codes` keeps each user's unused one-time recovery codes as SHA-256
hashes. `login_limits` counts sign-in attempts per address, per account and per account's second
factor over a window (store.logins), atomically, for every dashboard worker.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the users' columns and the two tables."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_pending", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("username", "code_hash", name="recovery_codes_pkey"),
    )
    op.create_table(
        "login_limits",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", UtcDateTime(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("login_limits_window", "login_limits", ["window_start"], unique=False)


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("login_limits_window", table_name="login_limits")
    op.drop_table("login_limits")
    op.drop_table("recovery_codes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_step")
        batch_op.drop_column("totp_pending")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("session_epoch")
