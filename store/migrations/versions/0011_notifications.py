"""Notifications: contacts, section offices, routes, the durable outbox and who was told

Revision ID: 0011
Revises: 0010

`user_contacts` holds how a user is reached (e-mail, phone, quiet hours); `feeder_sections` the
KSEB section office of a feeder; `notify_routes` who is told of which alerts at which level of
the chain Section (AE) → Sub-division (AEE) → Division (EE). `notify_messages` (with
`notify_attachments`) and `notify_deliveries` are the outbox that `python -m notify` drains, one
delivery per message and channel; `notify_notices` records which recipient was told of which
alert, when, at which level and why. `notify_locks` serialises the decisions of several workers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the notification tables."""
    op.create_table(
        "user_contacts",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("quiet_hours", sa.String(length=11), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "feeder_sections",
        sa.Column("feeder_id", sa.String(length=32), nullable=False),
        sa.Column("section", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["feeder_id"], ["feeders.feeder_id"]),
        sa.PrimaryKeyConstraint("feeder_id"),
    )
    op.create_index("feeder_sections_section", "feeder_sections", ["section"])
    op.create_table(
        "notify_routes",
        sa.Column("route_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("district", sa.String(length=60), nullable=False),
        sa.Column("section", sa.String(length=60), nullable=True),
        sa.Column("min_severity", sa.String(length=10), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("delay_min", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("level IN (1, 2, 3)", name="notify_routes_level"),
        sa.CheckConstraint("(username IS NULL) <> (channel IS NULL)", name="notify_routes_target"),
        sa.ForeignKeyConstraint(["username"], ["users.username"]),
        sa.PrimaryKeyConstraint("route_id"),
    )
    op.create_table(
        "notify_messages",
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("short", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("message_id"),
    )
    op.create_index("notify_messages_recipient", "notify_messages", ["recipient", "created_at"])
    op.create_index("notify_messages_created", "notify_messages", ["created_at"])
    op.create_table(
        "notify_attachments",
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["notify_messages.message_id"]),
    )
    op.create_index("notify_attachments_message", "notify_attachments", ["message_id"])
    op.create_table(
        "notify_deliveries",
        sa.Column("delivery_id", _ID, nullable=False),
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_at", UtcDateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('queued','sending','sent','failed','gave_up')",
            name="notify_deliveries_state",
        ),
        sa.ForeignKeyConstraint(["message_id"], ["notify_messages.message_id"]),
        sa.PrimaryKeyConstraint("delivery_id"),
    )
    op.create_index("notify_deliveries_due", "notify_deliveries", ["state", "next_at"])
    op.create_index("notify_deliveries_message", "notify_deliveries", ["message_id"])
    op.create_index("notify_deliveries_updated", "notify_deliveries", ["updated_at"])
    op.create_table(
        "notify_notices",
        sa.Column("notice_id", _ID, nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("told_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["notify_messages.message_id"]),
        sa.PrimaryKeyConstraint("notice_id"),
    )
    op.create_index("notify_notices_alert", "notify_notices", ["alert_id", "recipient"])
    op.create_table(
        "notify_locks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(sa.table("notify_locks", sa.column("name", sa.String())), [{"name": "decide"}])


def downgrade() -> None:
    """Drop them again."""
    for name in (
        "notify_locks",
        "notify_notices",
        "notify_deliveries",
        "notify_attachments",
        "notify_messages",
        "notify_routes",
        "feeder_sections",
        "user_contacts",
    ):
        op.drop_table(name)
