"""One decision round: read the active alerts, the routes and what was told, let notify.rules
decide, and queue what is owed in the outbox, all in one transaction.

Rounds of several workers never overlap: each starts by updating the `notify_locks` row
"decide", which holds it until the round commits (a row lock on PostgreSQL, the write lock on
SQLite). Every message is audited ("notify.notice": to whom, at which level, which alerts, by
which channels), and each escalation to each recipient ("notify.escalate", on the alert).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from notify.channels import Channels
from notify.compose import compose_alerts
from notify.config import NotifyPolicy
from notify.model import AlertFacts, Batch, channel_key, recipient_label, user_key
from notify.outbox import (
    ALERTS,
    AUDIT_IDS_MAX,
    WORKER_ACTOR,
    Target,
    enqueue,
    last_messages,
    record_notices,
)
from notify.outbox import told_of as told_history
from notify.routes import list_routes
from notify.rules import Recipient, decide
from store.audit import audit
from store.contacts import Contact, QuietHours, list_contacts, parse_quiet_hours
from store.schema import alerts, feeder_sections, feeders, notify_locks, users

LOCK: str = "decide"
NOTICE: str = "notify.notice"
ESCALATE: str = "notify.escalate"


@dataclass(frozen=True, slots=True)
class Round:
    """What one round queued."""

    messages: int = 0
    notices: int = 0
    escalations: int = 0


def active_alerts(conn: Connection) -> list[AlertFacts]:
    """Return every alert not cleared, with its feeder's name, district and section office."""
    a, f, s = alerts.c, feeders.c, feeder_sections.c
    stmt = (
        select(
            a.alert_id,
            a.kind,
            a.severity,
            a.state,
            a.message,
            a.raised_at,
            a.feeder_id,
            a.house_id,
            a.parent_id,
            f.district,
            s.section,
            f.name.label("feeder_name"),
        )
        .select_from(alerts)
        .outerjoin(feeders, f.feeder_id == a.feeder_id)
        .outerjoin(feeder_sections, s.feeder_id == a.feeder_id)
        .where(a.state != "cleared")
    )
    return [AlertFacts(*row) for row in conn.execute(stmt)]  # the columns in field order


def recipients(
    conn: Connection, channels: Channels, policy: NotifyPolicy
) -> tuple[dict[str, Recipient], dict[str, Contact]]:
    """Return the recipients routes may name (enabled users, configured channels) with their
    quiet hours, and the users' contacts."""
    contacts = list_contacts(conn)
    found: dict[str, Recipient] = {}
    for (name,) in conn.execute(select(users.c.username).where(users.c.disabled.is_(False))):
        contact = contacts.get(name)
        found[user_key(name)] = Recipient(user_key(name), _quiet(contact, policy))
    for name in channels.urls:
        found[channel_key(name)] = Recipient(channel_key(name))
    return found, contacts


def _quiet(contact: Contact | None, policy: NotifyPolicy) -> QuietHours | None:
    if contact is None or contact.quiet_hours is None:
        return policy.quiet_hours
    return parse_quiet_hours(contact.quiet_hours)


def take_lock(conn: Connection, holder: str, now: datetime) -> None:
    """Hold the decision lock until this transaction ends."""
    hold = update(notify_locks).where(notify_locks.c.name == LOCK).values(holder=holder, at=now)
    if conn.execute(hold).rowcount == 0:  # a store made without the migration's row
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(insert(notify_locks).values(name=LOCK).on_conflict_do_nothing())
        conn.execute(hold)


def run_round(
    engine: Engine,
    channels: Channels,
    policy: NotifyPolicy,
    *,
    public_url: str,
    sms_template: str,
    now: datetime,
    holder: str,
) -> Round:
    """Decide and queue what is owed now; return what was queued."""
    with engine.begin() as conn:
        take_lock(conn, holder, now)
        facts = active_alerts(conn)
        if not facts:
            return Round()
        routes = [r.to_route() for r in list_routes(conn)]
        if not routes:
            return Round()
        told = told_history(conn, [f.alert_id for f in facts if f.state == "open"])
        who, contacts = recipients(conn, channels, policy)
        last = last_messages(conn, now - timedelta(seconds=policy.group_interval_s))
        batches = decide(facts, routes, told, who, last, now, policy)
        done = Round()
        for batch in batches:
            done = _queue(conn, batch, channels, contacts, public_url, sms_template, now, done)
        return done


def _queue(
    conn: Connection,
    batch: Batch,
    channels: Channels,
    contacts: dict[str, Contact],
    public_url: str,
    sms_template: str,
    now: datetime,
    done: Round,
) -> Round:
    """Queue one batch's message with its deliveries, notices and audit rows."""
    composed = compose_alerts(batch, public_url, sms_template)
    kind, _, name = batch.recipient.partition(":")
    targets: Sequence[Target]
    if kind == "user":
        targets = channels.user_targets(
            contacts.get(name) or Contact(name, None, None, None), batch.severity
        )
    else:
        targets = channels.channel_targets(name)
    message_id = enqueue(
        conn,
        purpose=ALERTS,
        recipient=batch.recipient,
        composed=composed,
        targets=targets,
        level=batch.level,
        severity=batch.severity,
        now=now,
    )
    record_notices(conn, message_id, batch.notices, now)
    ids = [n.alert.alert_id for n in batch.notices]
    reasons = Counter(n.reason for n in batch.notices)
    audit(
        conn,
        actor=WORKER_ACTOR,
        action=NOTICE,
        target=ids[0] if len(ids) == 1 else f"{len(ids)} alerts",
        outcome="ok",
        detail={
            "to": recipient_label(batch.recipient),
            "level": batch.level,
            "message": message_id,
            "channels": [t.channel for t in targets] or ["none"],
            "count": len(ids),
            "reasons": dict(sorted(reasons.items())),
            "alerts": ids[:AUDIT_IDS_MAX],
        },
        ts=now,
    )
    escalated = [n for n in batch.notices if n.reason == "escalated"]
    for n in escalated:
        audit(
            conn,
            actor=WORKER_ACTOR,
            action=ESCALATE,
            target=n.alert.alert_id,
            outcome="ok",
            detail={
                "level": n.level,
                "to": recipient_label(n.recipient),
                "unacknowledged_min": round(n.waited_s / 60),
                "message": message_id,
            },
            ts=now,
            feeder_id=n.alert.feeder_id,
        )
    return Round(
        done.messages + 1, done.notices + len(batch.notices), done.escalations + len(escalated)
    )
