"""SQLAlchemy Core schema of every table of DESIGN §4 (the table names are a contract).

Times are UTC instants everywhere: `timestamptz` on PostgreSQL and epoch seconds (REAL) on
SQLite, so that range filters and bucketing are plain arithmetic on both. Phases are 'R'|'Y'|'B'.
The rollup tables (`feeder_readings_1m`, `_15m`, `_1h`) live in `rollup_metadata`: on
TimescaleDB they are continuous aggregates, elsewhere tables that a job refreshes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    case,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

ROLLUP_RESOLUTIONS: Final = {"1m": 60, "15m": 900, "1h": 3600}
"""The rollup tables' suffixes and bucket widths [s]."""


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC instant: timestamptz on PostgreSQL, epoch seconds on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Use REAL epoch seconds on SQLite, timestamptz elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Float())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Refuse naive datetimes; send epoch seconds to SQLite."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; times must be aware")
        if dialect.name == "sqlite":
            return value.timestamp()
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(float(value), UTC)
        assert isinstance(value, datetime)
        return value if value.tzinfo is UTC else value.astimezone(UTC)


JsonDocument = JSON().with_variant(JSONB(), "postgresql")
"""A JSON document column: jsonb on PostgreSQL."""

metadata = MetaData()
rollup_metadata = MetaData()


def _phase(name: str) -> Column[Any]:
    return Column(name, String(1), nullable=False)


feeders = Table(
    "feeders",
    metadata,
    Column("feeder_id", String(32), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("district", String(60), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("kva", Float, nullable=False),
    Column("mode", String(8), nullable=False, server_default="auto"),
    Column("online", Boolean, nullable=False, server_default="0"),
    Column("boot", BigInteger),
    Column("last_seen", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("mode IN ('auto','manual')", name="feeders_mode"),
    Index("feeders_district", "district", "feeder_id"),
)


def _provisioned_phase(context: Any) -> Any:
    """Return the phase a house is inserted with: its as-built phase unless one is given."""
    return context.get_current_parameters()["phase"]


houses = Table(
    "houses",
    metadata,
    Column("house_id", String(40), primary_key=True),
    Column("feeder_id", String(32), ForeignKey("feeders.feeder_id"), nullable=False),
    _phase("phase"),  # the phase it is on now, which the controllers change
    # the phase it was provisioned on, before SmartPhase moved anything (the reports' as-built)
    Column("built_phase", String(1), nullable=False, default=_provisioned_phase),
    Column("pv_kw", Float, nullable=False, server_default="0"),
    Column("switchable", Boolean, nullable=False, server_default="1"),
    Column("locked", Boolean, nullable=False, server_default="0"),
    Column("locked_reason", String(200)),  # why the edge locked it out, e.g. "did_not_help"
    Column("locked_since", UtcDateTime),
    Column("locked_until", UtcDateTime),  # null while locked: until an operator unlocks it
    Column("online", Boolean),
    Column("created_at", UtcDateTime, nullable=False),
    Index("houses_feeder", "feeder_id"),
)

house_readings = Table(
    "house_readings",
    metadata,
    Column("ts", UtcDateTime, nullable=False),
    Column("feeder_id", String(32), nullable=False),
    Column("house_id", String(40), nullable=False),
    _phase("phase"),
    Column("v", Float, nullable=False),  # [V]
    Column("i", Float, nullable=False),  # [A]
    Column("p", Float, nullable=False),  # net [W], + import, − export
    Column("q", Float, nullable=False),  # [var]
    Column("pv", Float, nullable=False),  # [W]
    Index("house_readings_house_ts", "house_id", "ts"),
)

FEEDER_MEASURES: Final = (
    "p_r", "p_y", "p_b", "q_r", "q_y", "q_b", "i_r", "i_y", "i_b", "v_r", "v_y", "v_b", "i_n",
)  # fmt: skip
"""Per-phase P [W], Q [var], I [A], V [V] and the neutral current [A] of a feeder summary."""

feeder_readings = Table(
    "feeder_readings",
    metadata,
    Column("ts", UtcDateTime, nullable=False),
    Column("feeder_id", String(32), nullable=False),
    *(Column(name, Float, nullable=False) for name in FEEDER_MEASURES),
    Column("unbalance_pct", Float),
    Column("mode", String(8), nullable=False),
    Column("houses_online", Integer, nullable=False),
    Column("houses_total", Integer, nullable=False),
    Index("feeder_readings_feeder_ts", "feeder_id", "ts"),
)

feeder_state = Table(
    "feeder_state",
    metadata,
    Column("feeder_id", String(32), ForeignKey("feeders.feeder_id"), primary_key=True),
    Column("ts", UtcDateTime, nullable=False),
    *(Column(name, Float, nullable=False) for name in FEEDER_MEASURES),
    Column("unbalance_pct", Float),
    Column("mode", String(8), nullable=False),
    Column("houses_online", Integer, nullable=False),
    Column("houses_total", Integer, nullable=False),
)
"""The latest summary of every feeder (one row each), kept by the ingest worker for the map."""

balancing_runs = Table(
    "balancing_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("feeder_id", String(32), nullable=False),
    Column("ts", UtcDateTime, nullable=False),
    Column("trigger", String(20), nullable=False),
    Column("result", String(20), nullable=False),
    *(Column(f"before_{name}", Float) for name in ("i_r", "i_y", "i_b", "i_n", "unbalance_pct")),
    *(Column(f"after_{name}", Float) for name in ("i_r", "i_y", "i_b", "i_n", "unbalance_pct")),
    Column("moves", JsonDocument, nullable=False),
    Column("decided_at", UtcDateTime),  # when "before" was measured; `ts`: when "after" was
    Column("boot", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("balancing_runs_feeder_ts", "feeder_id", "ts"),
    Index("balancing_runs_ts", "ts"),
)

SWITCH_OWN: Final = "cmd_id IS NULL"
"""A switch the controller made on its own, not for an operator's command (SQL)."""

switch_events = Table(
    "switch_events",
    metadata,
    Column("event_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("ts", UtcDateTime, nullable=False),
    Column("feeder_id", String(32), nullable=False),
    Column("house_id", String(40), nullable=False),
    _phase("from_phase"),
    _phase("to_phase"),
    Column("result", String(20), nullable=False),
    Column("origin", String(10), nullable=False),
    Column("cmd_id", String(64)),
    Column("run_id", String(64)),
    Column("reason", Text, nullable=False, server_default=""),
    Column("boot", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("switch_events_feeder_ts", "feeder_id", "ts"),
    Index(
        "switch_events_own_ts",
        "ts",
        postgresql_where=text(SWITCH_OWN),
        sqlite_where=text(SWITCH_OWN),
    ),
    Index(
        "switch_events_own_feeder_ts",
        "feeder_id",
        "ts",
        postgresql_where=text(SWITCH_OWN),
        sqlite_where=text(SWITCH_OWN),
    ),
)

COMMAND_STATES: Final = (
    "requested", "sent", "acknowledged", "applied", "rejected", "failed", "rolled_back",
)  # fmt: skip
"""The lifecycle of a command (DESIGN §7), in order."""

commands = Table(
    "commands",
    metadata,
    Column("cmd_id", String(64), primary_key=True),
    Column("feeder_id", String(32), nullable=False),
    Column("house_id", String(40)),
    Column("action", String(20), nullable=False),
    Column("params", JsonDocument, nullable=False),
    Column("state", String(20), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("ctr", BigInteger),
    Index("commands_feeder_requested", "feeder_id", "requested_at"),
    Index("commands_requested", "requested_at"),
    Index("commands_by_requested", "requested_by", "requested_at"),
)

ALERT_STATES: Final = ("open", "acknowledged", "cleared")
"""An alert is open until acknowledged by an operator; it is cleared by its source."""

ALERT_SEVERITIES: Final = ("critical", "warning", "info")
"""Alert severities, most severe first: the order of every alert list."""

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("feeder_id", String(32)),
    Column("house_id", String(40)),
    Column("kind", String(40), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("state", String(14), nullable=False),
    Column("message", Text, nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("acked_by", String(64)),
    Column("acked_at", UtcDateTime),
    Column("cleared_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("parent_id", String(64)),  # the alert it rolls up under (store.alert_rollup)
    Index("alerts_state_raised", "state", "raised_at"),
    Index("alerts_feeder_raised", "feeder_id", "raised_at"),
    Index("alerts_parent", "parent_id"),
    Index("alerts_updated", "updated_at"),
)

SEVERITY_RANK: Final = case(
    *(
        (alerts.c.severity == literal_column(f"'{name}'"), literal_column(str(k), Integer))
        for k, name in enumerate(ALERT_SEVERITIES)
    ),
    else_=literal_column(str(len(ALERT_SEVERITIES)), Integer),
)
"""An alert's severity as a number, 0 for the most severe; in literal SQL, so that the listing
index below is the same expression as the lists' ORDER BY."""

Index(
    "alerts_listing",
    SEVERITY_RANK,
    alerts.c.raised_at.desc(),
    alerts.c.alert_id.desc(),
    postgresql_where=alerts.c.parent_id.is_(None),
    sqlite_where=alerts.c.parent_id.is_(None),
)
"""Every alert list's order (most severe, then newest) over the alerts not rolled up: a page is
read in index order, however many alerts there are."""

ACTIVE_ALERT: Final = "state IN ('open', 'acknowledged') AND parent_id IS NULL"
"""The alerts that count as active and stand for themselves (not rolled up under another)."""

Index(
    "alerts_active",
    alerts.c.feeder_id,
    alerts.c.severity,
    alerts.c.raised_at,
    alerts.c.alert_id,
    postgresql_where=text(ACTIVE_ALERT),
    sqlite_where=text(ACTIVE_ALERT),
)
"""The active alerts, by feeder: the map counts each feeder's and the wall ranks each
district's from this index alone (store.fleet_read), never from the whole history."""

events = Table(
    "events",
    metadata,
    Column("event_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("ts", UtcDateTime, nullable=False),
    Column("feeder_id", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("data", JsonDocument, nullable=False),
    Column("boot", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("events_feeder_ts", "feeder_id", "ts"),
)
"""Every edge event as received, for the log page."""

ROLES: Final = ("viewer", "operator", "admin")

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(10), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Sessions carry the epoch they began in; bumping it ends every session of the user.
    Column("session_epoch", Integer, nullable=False, server_default="0"),
    Column("totp_secret", String(64)),  # base32; null: no second factor
    Column("totp_pending", String(64)),  # a secret shown for enrolment, not yet confirmed
    Column("totp_step", BigInteger),  # the newest 30 s step a code was accepted for
    CheckConstraint("role IN ('viewer','operator','admin')", name="users_role"),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("username", String(64), ForeignKey("users.username"), nullable=False),
    Column("code_hash", String(64), nullable=False),  # SHA-256 hex of the normalised code
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("username", "code_hash", name="recovery_codes_pkey"),
)
"""A user's unused one-time recovery codes, hashed; a used code is deleted."""

login_limits = Table(
    "login_limits",
    metadata,
    Column("key", String(200), primary_key=True),  # "address:...", "account:...", "totp:..."
    Column("window_start", UtcDateTime, nullable=False),
    Column("failures", Integer, nullable=False),  # attempts not (yet) forgiven this window
    Column("next_at", UtcDateTime),  # an account past its limit: when it takes the next try
    Index("login_limits_window", "window_start"),
)
"""Sign-in attempts counted per address, per account and per account's second factor."""

AUDIT_OWN: Final = "(detail ->> 'cmd_id') IS NULL"
"""An audit row of its own, not one that records a step of a command (SQL on PostgreSQL and
SQLite; the log's predicate and its partial index's)."""

audit_log = Table(
    "audit_log",
    metadata,
    Column("entry_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("ts", UtcDateTime, nullable=False),
    Column("username", String(64)),
    Column("action", String(64), nullable=False),
    Column("target", String(128), nullable=False, server_default=""),
    Column("outcome", String(10), nullable=False),
    Column("detail", JsonDocument, nullable=False),
    Column("address", String(64)),
    Column("feeder_id", String(32)),  # the feeder the target belongs to, if any
    Index("audit_log_ts", "ts"),
    Index("audit_log_feeder_ts", "feeder_id", "ts"),
    Index("audit_log_user_ts", "username", "ts"),
    Index("audit_log_own_ts", "ts", postgresql_where=text(AUDIT_OWN), sqlite_where=text(AUDIT_OWN)),
    Index(
        "audit_log_own_feeder_ts",
        "feeder_id",
        "ts",
        postgresql_where=text(AUDIT_OWN),
        sqlite_where=text(AUDIT_OWN),
    ),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("letter_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("topic", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),  # whole, or its first bytes when oversized
    Column("reason", Text, nullable=False),
    Column("payload_bytes", Integer),  # the size of the payload as received [bytes]
    Column("digest", String(64)),  # SHA-256 hex of the payload as received
)

uplink_batches = Table(
    "uplink_batches",
    metadata,
    Column("feeder_id", String(32), nullable=False),
    Column("boot", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("committed_at", UtcDateTime, nullable=False),
    Column("digest", String(64)),  # SHA-256 hex of the payload that holds the key
    PrimaryKeyConstraint("feeder_id", "boot", "seq", name="uplink_batches_pkey"),
)
"""The ledger of committed edge→HQ messages: a replayed (feeder, boot, seq) writes nothing, and
a different payload under a key already held is a conflict (store.writer)."""

ROLLUP_MEASURES: Final = (*FEEDER_MEASURES, "unbalance_pct")


def _rollup(suffix: str) -> Table:
    return Table(
        f"feeder_readings_{suffix}",
        rollup_metadata,
        Column("feeder_id", String(32), nullable=False),
        Column("bucket", UtcDateTime, nullable=False),
        *(Column(name, Float) for name in ROLLUP_MEASURES),
        Column("i_n_max", Float),
        Column("samples", Integer, nullable=False),
        PrimaryKeyConstraint("feeder_id", "bucket"),
    )


feeder_rollups: Final = {suffix: _rollup(suffix) for suffix in ROLLUP_RESOLUTIONS}
"""The rollup table of each resolution: bucket means, the neutral maximum and a sample count."""

HOUSE_ROLLUP_WIDTH_S: Final = 3600
"""Bucket width of the house rollup [s]."""

HOUSE_PHASE_MEASURES: Final = ("p_r", "p_y", "p_b", "q_r", "q_y", "q_b")
"""A house hour's net P [W] and Q [var] on each phase: the sum of its readings taken on that
phase over all its readings in the hour, so that they add up to the hour's means and a house
that changed phase in the hour counts on each phase for the share of the hour it was there."""

house_rollup = Table(
    "house_readings_1h",
    rollup_metadata,
    Column("house_id", String(40), nullable=False),
    Column("bucket", UtcDateTime, nullable=False),
    Column("feeder_id", String(32), nullable=False),
    Column("samples", Integer, nullable=False),
    *(Column(name, Float) for name in ("v", "i", "pv", *HOUSE_PHASE_MEASURES)),
    Column("minutes", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("house_id", "bucket"),
    Index("house_readings_1h_feeder_bucket", "feeder_id", "bucket"),
)
"""Each house's hour: its readings' count, mean V [V], I [A] and PV [W], P and Q by phase
(HOUSE_PHASE_MEASURES), and the minutes of the hour with at least one reading. What district
and state reports read instead of raw house rows (DESIGN §12)."""

feeder_house_loads = Table(
    "feeder_house_loads_1h",
    metadata,
    Column("feeder_id", String(32), nullable=False),
    Column("bucket", UtcDateTime, nullable=False),
    Column("built_phase", String(1), nullable=False),
    Column("houses", Integer, nullable=False),
    Column("samples", Integer, nullable=False),
    *(Column(name, Float, nullable=False) for name in HOUSE_PHASE_MEASURES),
    Column("minutes", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("feeder_id", "bucket", "built_phase"),
)
"""The house rollup summed per feeder, hour and as-built phase: how many houses reported,
their P and Q by the phase they were on (HOUSE_PHASE_MEASURES), and their house-minutes with a
reading. The reports' savings read a district's month from it; `store.rollups.refresh_houses`
fills it on every backend."""

house_days = Table(
    "house_days",
    metadata,
    Column("house_id", String(40), nullable=False),
    Column("day", UtcDateTime, nullable=False),  # 00:00 IST
    Column("feeder_id", String(32), nullable=False),
    Column("samples", Integer, nullable=False),
    Column("hours", Integer, nullable=False),
    Column("minutes", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("house_id", "day"),
    Index("house_days_feeder_day", "feeder_id", "day"),
)
"""The house rollup summed per house and IST day: the readings, and the hours and minutes with
at least one. The reports' node availability reads a district's month from it; `store.rollups`
fills it on every backend."""

rollup_marks = Table(
    "rollup_marks",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("done_to", UtcDateTime, nullable=False),
)
"""How far each rollup table has been refreshed (plain PostgreSQL and SQLite)."""

# --- notifications (notify/) ---------------------------------------------------------------

user_contacts = Table(
    "user_contacts",
    metadata,
    Column("username", String(64), ForeignKey("users.username"), primary_key=True),
    Column("email", String(254)),
    Column("phone", String(16)),  # E.164, "+919876543210"
    Column("quiet_hours", String(11)),  # IST "22:00-06:00", "off"; null: SP_NOTIFY_QUIET_HOURS
    Column("updated_at", UtcDateTime, nullable=False),
)
"""How a user is reached by notifications (store.contacts)."""

feeder_sections = Table(
    "feeder_sections",
    metadata,
    Column("feeder_id", String(32), ForeignKey("feeders.feeder_id"), primary_key=True),
    Column("section", String(60), nullable=False),
    Index("feeder_sections_section", "section"),
)
"""The KSEB section office each feeder belongs to, for routes narrower than a district."""

NOTIFY_LEVELS: Final = (1, 2, 3)
"""Escalation levels: Section (AE), Sub-division (AEE), Division (EE)."""

notify_routes = Table(
    "notify_routes",
    metadata,
    Column("route_id", Integer, primary_key=True, autoincrement=True),
    Column("district", String(60), nullable=False),  # "*": every district and HQ's own alerts
    Column("section", String(60)),  # null: any section office of the district
    Column("min_severity", String(10)),  # null: any severity
    Column("kind", String(40)),  # null: any kind
    Column("level", Integer, nullable=False),
    Column("username", String(64), ForeignKey("users.username")),
    Column("channel", String(40)),  # a channel of SP_NOTIFY_URLS instead of a user
    Column("delay_min", Integer),  # null: the level's default (notify.model.DEFAULT_DELAY_MIN)
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("level IN (1, 2, 3)", name="notify_routes_level"),
    CheckConstraint("(username IS NULL) <> (channel IS NULL)", name="notify_routes_target"),
)
"""Who is told of which alerts, at which level of the escalation chain."""

notify_messages = Table(
    "notify_messages",
    metadata,
    Column("message_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("purpose", String(10), nullable=False),  # "alerts" or "report"
    Column("recipient", String(80), nullable=False),  # "user:asha", "channel:ops", "email:..."
    Column("level", Integer),  # the escalation level of an alert message
    Column("severity", String(10)),  # the worst alert it tells of
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("short", Text, nullable=False),  # the SMS text, at most 160 characters
    Column("link", Text),
    Index("notify_messages_recipient", "recipient", "created_at"),
    Index("notify_messages_created", "created_at"),
)
"""Every message composed for one recipient: the durable outbox's content."""

notify_attachments = Table(
    "notify_attachments",
    metadata,
    Column(
        "message_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("notify_messages.message_id"),
        nullable=False,
    ),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Index("notify_attachments_message", "message_id"),
)
"""Files sent with a message (a report's PDF), kept until it is delivered."""

DELIVERY_STATES: Final = ("queued", "sending", "sent", "failed", "gave_up")
"""A delivery is queued, being sent (leased), sent, failed (to be tried again) or given up."""

notify_deliveries = Table(
    "notify_deliveries",
    metadata,
    Column("delivery_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column(
        "message_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("notify_messages.message_id"),
        nullable=False,
    ),
    Column("channel", String(40), nullable=False),  # "email", "sms" or a SP_NOTIFY_URLS name
    Column("address", String(254), nullable=False),  # e-mail address, phone, "" for a channel
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_at", UtcDateTime, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", UtcDateTime),
    Column("last_error", Text),
    Column("sent_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint(
        "state IN ('queued','sending','sent','failed','gave_up')", name="notify_deliveries_state"
    ),
    Index("notify_deliveries_due", "state", "next_at"),
    Index("notify_deliveries_message", "message_id"),
    Index("notify_deliveries_updated", "updated_at"),
)
"""The durable outbox: one row per message and channel, drained by `python -m notify`."""

notify_notices = Table(
    "notify_notices",
    metadata,
    Column("notice_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("alert_id", String(64), nullable=False),
    Column(
        "message_id",
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("notify_messages.message_id"),
        nullable=False,
    ),
    Column("recipient", String(80), nullable=False),
    Column("level", Integer, nullable=False),
    Column("reason", String(10), nullable=False),  # "new", "escalated" or "repeat"
    Column("told_at", UtcDateTime, nullable=False),
    Index("notify_notices_alert", "alert_id", "recipient"),
)
"""Which recipient was told of which alert, when, at which level and why: the escalation's
history and what the alerts page shows under an alert."""

notify_locks = Table(
    "notify_locks",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", String(64)),
    Column("at", UtcDateTime),
)
"""A row whose UPDATE serialises the notification decisions of several workers."""

# --- reports (reports/) ------------------------------------------------------------------------

REPORT_STATUSES: Final = ("queued", "running", "done", "failed")
"""A report run waits for a worker, is rendered, and is done or (after its tries) failed."""

REPORT_CADENCES: Final = ("weekly", "monthly")
"""How often a schedule makes its reports: each whole IST week (Monday to Sunday) or month."""

report_schedules = Table(
    "report_schedules",
    metadata,
    Column("schedule_id", Integer, primary_key=True, autoincrement=True),
    Column("cadence", String(8), nullable=False),
    Column("scope_kind", String(8), nullable=False),  # "district" or "section"
    Column("scope_name", String(120)),  # null: every district (every section office)
    Column("lang", String(2), nullable=False),
    Column("recipients", Text, nullable=False, server_default=""),  # usernames or addresses
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("removed_by", String(64)),
    Column("removed_at", UtcDateTime),  # removed schedules stay for their runs' sake
    CheckConstraint("cadence IN ('weekly','monthly')", name="report_schedules_cadence"),
    CheckConstraint("scope_kind IN ('district','section')", name="report_schedules_scope"),
)
"""What an admin asked to be reported on a schedule (reports.schedules)."""

reports = Table(
    "reports",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("scope_kind", String(8), nullable=False),
    Column("scope_name", String(120)),  # the feeder id, section office or district; null: state
    Column("first_day", Date, nullable=False),  # IST days, both included
    Column("last_day", Date, nullable=False),
    Column("lang", String(2), nullable=False),
    Column("status", String(8), nullable=False),
    Column("stage", String(40)),  # what the worker is doing, for the progress bar
    Column("progress", Float),  # share done, 0 to 1
    Column("requested_by", String(64)),  # the user who asked; null for a schedule's run
    Column("schedule_id", Integer, ForeignKey("report_schedules.schedule_id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_try_at", UtcDateTime),  # a queued run waits until then (a retry's backoff)
    Column("worker", String(80)),
    Column("lease_until", UtcDateTime),  # a running run past this lost its worker
    Column("error", Text),
    Column("file_path", Text),
    Column("sha256", String(64)),
    Column("size_bytes", BigInteger),
    Column("pages", Integer),
    Column("csv_path", Text),
    Column("csv_sha256", String(64)),
    CheckConstraint("status IN ('queued','running','done','failed')", name="reports_status"),
    CheckConstraint("scope_kind IN ('feeder','section','district','state')", name="reports_scope"),
    Index("reports_due", "status", "next_try_at"),
    Index("reports_created", "created_at"),
    Index(
        "reports_scheduled",
        "schedule_id",
        "scope_kind",
        "scope_name",
        "first_day",
        "last_day",
        unique=True,
    ),
)
"""Every report asked for, from the control room or a schedule: its scope, period and language,
its status, and its PDF (and CSV annex) with their SHA-256 once rendered (reports.runs)."""
