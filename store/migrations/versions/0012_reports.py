"""Reports: every report run with its status and file, and the admins' report schedules

Revision ID: 0012
Revises: 0011

`reports` holds each report asked for from the control room or made by a schedule: scope,
period (IST days), language, status (queued → running → done | failed), tries, the error, and
the PDF and CSV annex with their SHA-256 and size. `report_schedules` holds what an admin asked
to be reported weekly or monthly, per district or per section office, and to whom it is sent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.schema import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the report tables."""
    op.create_table(
        "report_schedules",
        sa.Column("schedule_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cadence", sa.String(length=8), nullable=False),
        sa.Column("scope_kind", sa.String(length=8), nullable=False),
        sa.Column("scope_name", sa.String(length=120), nullable=True),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("recipients", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("removed_by", sa.String(length=64), nullable=True),
        sa.Column("removed_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("cadence IN ('weekly','monthly')", name="report_schedules_cadence"),
        sa.CheckConstraint("scope_kind IN ('district','section')", name="report_schedules_scope"),
        sa.PrimaryKeyConstraint("schedule_id"),
    )
    op.create_table(
        "reports",
        sa.Column("run_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope_kind", sa.String(length=8), nullable=False),
        sa.Column("scope_name", sa.String(length=120), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=True),
        sa.Column("progress", sa.Float(), nullable=True),
        sa.Column("requested_by", sa.String(length=64), nullable=True),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_try_at", UtcDateTime(), nullable=True),
        sa.Column("worker", sa.String(length=80), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("csv_path", sa.Text(), nullable=True),
        sa.Column("csv_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint("status IN ('queued','running','done','failed')", name="reports_status"),
        sa.CheckConstraint(
            "scope_kind IN ('feeder','section','district','state')", name="reports_scope"
        ),
        sa.ForeignKeyConstraint(["schedule_id"], ["report_schedules.schedule_id"]),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_index("reports_due", "reports", ["status", "next_try_at"])
    op.create_index("reports_created", "reports", ["created_at"])
    op.create_index(
        "reports_scheduled",
        "reports",
        ["schedule_id", "scope_kind", "scope_name", "first_day", "last_day"],
        unique=True,
    )


def downgrade() -> None:
    """Drop the report tables."""
    op.drop_index("reports_scheduled", table_name="reports")
    op.drop_index("reports_created", table_name="reports")
    op.drop_index("reports_due", table_name="reports")
    op.drop_table("reports")
    op.drop_table("report_schedules")
