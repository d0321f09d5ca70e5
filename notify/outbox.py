"""The durable outbox in the store: messages, their deliveries (one per channel and address),
who was told of which alert, and the hook through which scheduled reports are e-mailed.

A delivery lives as queued → sending → sent, or → failed (tried again after a backoff) → … →
gave_up. The guarantees, and where each holds:

- Queueing is part of the decision: a message, its deliveries, the notices it carries and their
  audit rows commit in one transaction, or none of them does.
- Before a channel is contacted the delivery is claimed in its own committed transaction (state
  `sending`, a lease with the worker's name and an expiry). After the channel has taken it, it
  is marked sent in one transaction with its audit row.
- Up to the claim, delivery is at-least-once: a queued or failed delivery is tried again, with
  exponential backoff (`retry_delay_s`), until it is sent or older than SP_NOTIFY_GIVE_UP_S. A
  channel that is down keeps its deliveries queued and sends them when it is back.
- Between the claim and the mark it is at-most-once: a worker killed there (kill -9, a power
  cut) leaves a `sending` delivery whose lease expires, and nobody knows whether the channel
  took it. Such a delivery is never sent again by itself: `abandon_expired` gives it up as
  UNKNOWN_OUTCOME, audited and shown in the control room, where an admin (or `python -m notify
  deliveries resend ID`) may send it again, knowing it may then arrive twice. The window is one
  send long, and each worker has at most one delivery in it.
"""

from __future__ import annotations

import mimetypes
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Select, func, select, update

from notify.compose import Composed, compose_report
from notify.config import EMAIL, SMS
from notify.model import Notice, Told
from store.audit import CLI_ACTOR, audit
from store.contacts import ContactError, check_email, get_contact, mask_email, mask_phone
from store.schema import (
    notify_attachments,
    notify_deliveries,
    notify_messages,
    notify_notices,
    users,
)

ALERTS: Final = "alerts"
REPORT: Final = "report"
"""A message's purpose."""

RETRY_BASE_S: Final = 10.0
RETRY_MAX_S: Final = 300.0
"""The first retry waits RETRY_BASE_S, each next one twice as long, never more than
RETRY_MAX_S [s]."""

LEASE_S: Final = 120.0
"""How long a claimed delivery is the worker's by default [s] (SP_NOTIFY_LEASE_S): longer than
any channel's timeouts."""

UNKNOWN_OUTCOME: Final = (
    "outcome unknown: the sender stopped while sending it, so it may or may not have arrived; "
    "not sent again so that it cannot arrive twice (resend it to be sure)"
)
ERROR_MAX: Final = 500
"""Longest error text kept with a delivery [characters]."""

AUDIT_IDS_MAX: Final = 1000
"""Most alert ids one audit row lists."""

WORKER_ACTOR: Final = "notify"
"""Who the audit log says decided and delivered a message: the notification worker."""

DELIVERED: Final = "notify.delivered"
GAVE_UP: Final = "notify.gave_up"
RESEND: Final = "notify.resend"


class OutboxError(ValueError):
    """A message or a delivery that cannot be queued or resent; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where one delivery of a message goes: a channel and, for e-mail and SMS, the address."""

    channel: str
    address: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class OutMessage:
    """A message as a channel sends it."""

    message_id: int
    purpose: str
    recipient: str
    subject: str
    body: str
    short: str
    link: str | None
    severity: str | None


@dataclass(frozen=True, slots=True)
class Due:
    """A delivery that is due to be tried."""

    delivery_id: int
    message_id: int
    channel: str
    address: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """A delivery as the control room lists it (addresses masked)."""

    delivery_id: int
    message_id: int
    recipient: str
    channel: str
    address: str
    state: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    next_at: datetime
    last_error: str | None
    subject: str


@dataclass(frozen=True, slots=True)
class NoticeView:
    """One notice of an alert: who was told, when, at which level and why, and how each
    delivery of that message went."""

    told_at: datetime
    recipient: str
    level: int
    reason: str
    deliveries: tuple[DeliveryView, ...]


def retry_delay_s(attempts: int) -> float:
    """Return how long to wait before trying a delivery again after `attempts` tries [s]."""
    return min(RETRY_BASE_S * 2.0 ** max(attempts - 1, 0), RETRY_MAX_S)


# --- queueing --------------------------------------------------------------------------------


def enqueue(
    conn: Connection,
    *,
    purpose: str,
    recipient: str,
    composed: Composed,
    targets: Sequence[Target],
    level: int | None = None,
    severity: str | None = None,
    attachments: Sequence[Attachment] = (),
    now: datetime,
) -> int:
    """Store a message and one queued delivery per target; return the message id."""
    message_id = conn.execute(
        notify_messages.insert()
        .values(
            created_at=now,
            purpose=purpose,
            recipient=recipient,
            level=level,
            severity=severity,
            subject=composed.subject,
            body=composed.body,
            short=composed.short,
            link=composed.link or None,
        )
        .returning(notify_messages.c.message_id)
    ).scalar_one()
    if targets:
        conn.execute(
            notify_deliveries.insert(),
            [
                {
                    "message_id": message_id,
                    "channel": t.channel,
                    "address": t.address,
                    "state": "queued",
                    "attempts": 0,
                    "next_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for t in targets
            ],
        )
    if attachments:
        conn.execute(
            notify_attachments.insert(),
            [
                {
                    "message_id": message_id,
                    "filename": a.filename,
                    "content_type": a.content_type,
                    "data": a.data,
                }
                for a in attachments
            ],
        )
    return int(message_id)


def record_notices(
    conn: Connection, message_id: int, notices: Iterable[Notice], now: datetime
) -> None:
    """Store that the message tells its recipient of each notice's alert."""
    rows = [
        {
            "alert_id": n.alert.alert_id,
            "message_id": message_id,
            "recipient": n.recipient,
            "level": n.level,
            "reason": n.reason,
            "told_at": now,
        }
        for n in notices
    ]
    if rows:
        conn.execute(notify_notices.insert(), rows)


def enqueue_report(
    conn: Connection,
    *,
    to: Sequence[str],
    title: str,
    summary: str,
    pdf_path: Path,
    link: str | None = None,
    attach_max_kb: int = 5120,
    actor: str | None = None,
    now: datetime | None = None,
) -> int:
    """Queue a report's e-mail to users (their e-mail address) or addresses; return the
    message id. The scheduled-reports hook.

    The PDF is attached when it is at most `attach_max_kb` (SP_NOTIFY_ATTACH_MAX_KB), else the
    e-mail carries `link` only; the PDF's bytes are copied into the outbox, so the file may go
    once this returns. OutboxError names what is missing: no recipient with an address, a PDF
    that cannot be read, a large PDF without a link.
    """
    now = now or datetime.now(UTC)
    addresses = _report_addresses(conn, to)
    try:
        size = pdf_path.stat().st_size
        data = pdf_path.read_bytes() if size <= attach_max_kb * 1024 else None
    except OSError as err:
        raise OutboxError(f"pdf_path: cannot read {pdf_path.name}: {err.strerror}") from None
    if data is None and not link:
        raise OutboxError(
            f"link: {pdf_path.name} is {size // 1024} KiB, above {attach_max_kb} KiB "
            "(SP_NOTIFY_ATTACH_MAX_KB); give a link to it"
        )
    attachments = []
    if data is not None:
        kind = mimetypes.guess_type(pdf_path.name)[0] or "application/pdf"
        attachments.append(Attachment(pdf_path.name, kind, data))
    composed = compose_report(title, summary, link, pdf_path.name if data is not None else None)
    message_id = enqueue(
        conn,
        purpose=REPORT,
        recipient=REPORT,
        composed=composed,
        targets=[Target(EMAIL, a) for a in addresses],
        attachments=attachments,
        now=now,
    )
    audit(
        conn,
        actor=actor or CLI_ACTOR,
        action="notify.report_queued",
        target=f"message {message_id}",
        outcome="ok",
        detail={
            "title": title,
            "recipients": len(addresses),
            "attached": data is not None,
            "bytes": size,
        },
        ts=now,
    )
    return message_id


def _report_addresses(conn: Connection, to: Sequence[str]) -> list[str]:
    """Return the e-mail addresses of `to` (usernames or addresses), each once."""
    found: list[str] = []
    for item in to:
        name = item.strip()
        if "@" in name:
            try:
                address = check_email(name)
            except ContactError as err:
                raise OutboxError(f"to: {err.reason}") from None
        else:
            known = conn.execute(select(users.c.disabled).where(users.c.username == name)).first()
            if known is None:
                raise OutboxError(f"to: no user {name!r}")
            address = None if known.disabled else get_contact(conn, name).email
        if address and address not in found:
            found.append(address)
    if not found:
        raise OutboxError("to: nobody to send it to (no e-mail address among them)")
    return found


# --- sending ---------------------------------------------------------------------------------


def due(conn: Connection, now: datetime, limit: int = 50) -> list[Due]:
    """Return deliveries due to be tried (queued, or failed and past their backoff), oldest
    first."""
    d = notify_deliveries.c
    stmt = (
        select(d.delivery_id, d.message_id, d.channel, d.address, d.attempts, d.created_at)
        .where(d.state.in_(("queued", "failed")), d.next_at <= now)
        .order_by(d.next_at, d.delivery_id)
        .limit(limit)
    )
    return [Due(**m) for m in conn.execute(stmt).mappings()]


def claim(conn: Connection, delivery_id: int, owner: str, now: datetime, lease_s: float) -> bool:
    """Take a due delivery for `owner` until the lease ends; return False when another worker
    took it first (or it is no longer due)."""
    d = notify_deliveries.c
    taken = conn.execute(
        update(notify_deliveries)
        .where(
            d.delivery_id == delivery_id,
            d.state.in_(("queued", "failed")),
            d.next_at <= now,
        )
        .values(
            state="sending",
            lease_owner=owner,
            lease_until=now + timedelta(seconds=lease_s),
            attempts=d.attempts + 1,
            updated_at=now,
        )
    )
    return taken.rowcount == 1


def message(conn: Connection, message_id: int) -> tuple[OutMessage, list[Attachment]]:
    """Return a message and its attachments."""
    m = notify_messages.c
    row = (
        conn.execute(
            select(
                m.message_id, m.purpose, m.recipient, m.subject, m.body, m.short, m.link, m.severity
            ).where(m.message_id == message_id)
        )
        .mappings()
        .one()
    )
    a = notify_attachments.c
    files = [
        Attachment(r.filename, r.content_type, bytes(r.data))
        for r in conn.execute(
            select(a.filename, a.content_type, a.data).where(a.message_id == message_id)
        )
    ]
    return OutMessage(**row), files


def mark_sent(conn: Connection, due_: Due, owner: str, now: datetime) -> None:
    """Record that the channel took the delivery, with its audit row (one transaction)."""
    d = notify_deliveries.c
    conn.execute(
        update(notify_deliveries)
        .where(d.delivery_id == due_.delivery_id, d.lease_owner == owner)
        .values(state="sent", sent_at=now, lease_until=None, last_error=None, updated_at=now)
    )
    _audit_delivery(conn, DELIVERED, due_, "ok", {}, now)


def mark_failed(
    conn: Connection, due_: Due, owner: str, now: datetime, error: str, give_up_at: datetime
) -> str:
    """Record a failed try: failed, to be tried again after the backoff, or gave_up when that
    would be past `give_up_at` (audited); return the new state."""
    attempts = due_.attempts + 1
    retry_at = now + timedelta(seconds=retry_delay_s(attempts))
    state = "gave_up" if retry_at > give_up_at else "failed"
    d = notify_deliveries.c
    conn.execute(
        update(notify_deliveries)
        .where(d.delivery_id == due_.delivery_id, d.lease_owner == owner)
        .values(
            state=state,
            next_at=retry_at,
            lease_until=None,
            last_error=error[:ERROR_MAX],
            updated_at=now,
        )
    )
    if state == "gave_up":
        _audit_delivery(conn, GAVE_UP, due_, "failed", {"error": error[:ERROR_MAX]}, now)
    return state


def give_up(conn: Connection, due_: Due, now: datetime, error: str) -> None:
    """Give up a delivery that is not claimed (too old to try), audited."""
    d = notify_deliveries.c
    done = conn.execute(
        update(notify_deliveries)
        .where(d.delivery_id == due_.delivery_id, d.state.in_(("queued", "failed")))
        .values(state="gave_up", last_error=error[:ERROR_MAX], updated_at=now)
    )
    if done.rowcount == 1:
        _audit_delivery(conn, GAVE_UP, due_, "failed", {"error": error[:ERROR_MAX]}, now)


def abandon_expired(conn: Connection, now: datetime) -> list[int]:
    """Give up, as UNKNOWN_OUTCOME, every delivery still `sending` after its lease (its worker
    died mid-send); return their ids. They are not sent again by themselves."""
    d = notify_deliveries.c
    rows = (
        conn.execute(
            select(
                d.delivery_id, d.message_id, d.channel, d.address, d.attempts, d.created_at
            ).where(d.state == "sending", d.lease_until < now)
        )
        .mappings()
        .all()
    )
    for row in rows:
        found = Due(**row)
        conn.execute(
            update(notify_deliveries)
            .where(d.delivery_id == found.delivery_id, d.state == "sending")
            .values(state="gave_up", last_error=UNKNOWN_OUTCOME, updated_at=now)
        )
        _audit_delivery(conn, GAVE_UP, found, "failed", {"error": UNKNOWN_OUTCOME}, now)
    return [int(r["delivery_id"]) for r in rows]


def resend(
    conn: Connection,
    delivery_id: int,
    *,
    actor: str | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> int:
    """Queue a given-up delivery again as a new delivery of the same message and channel (the
    old one stays as it was); return the new delivery id. Audited."""
    now = now or datetime.now(UTC)
    d = notify_deliveries.c
    row = conn.execute(
        select(d.message_id, d.channel, d.address, d.state).where(d.delivery_id == delivery_id)
    ).first()
    if row is None:
        raise OutboxError(f"delivery: no delivery {delivery_id}")
    if row.state != "gave_up":
        raise OutboxError(f"delivery: {delivery_id} is {row.state}; only a given-up one is resent")
    new_id = conn.execute(
        notify_deliveries.insert()
        .values(
            message_id=row.message_id,
            channel=row.channel,
            address=row.address,
            state="queued",
            attempts=0,
            next_at=now,
            created_at=now,
            updated_at=now,
        )
        .returning(d.delivery_id)
    ).scalar_one()
    audit(
        conn,
        actor=actor or CLI_ACTOR,
        action=RESEND,
        target=f"delivery {delivery_id}",
        outcome="ok",
        detail={
            "new_delivery": int(new_id),
            "message": int(row.message_id),
            "channel": row.channel,
        },
        address=address,
        ts=now,
    )
    return int(new_id)


def _audit_delivery(
    conn: Connection, action: str, due_: Due, outcome: str, extra: Mapping[str, Any], now: datetime
) -> None:
    audit(
        conn,
        actor=WORKER_ACTOR,
        action=action,
        target=f"delivery {due_.delivery_id}",
        outcome=outcome,
        detail={
            "message": due_.message_id,
            "channel": due_.channel,
            "attempts": due_.attempts + (0 if action == GAVE_UP else 1),
            **extra,
        },
        ts=now,
    )


# --- what was told ---------------------------------------------------------------------------


def told_of(conn: Connection, alert_ids: Collection[str]) -> list[Told]:
    """Return what was told of the given alerts: per alert, recipient and level, when first
    and when last."""
    if not alert_ids:
        return []
    n = notify_notices.c
    found: list[Told] = []
    ids = sorted(alert_ids)
    for k in range(0, len(ids), 500):
        stmt = (
            select(n.alert_id, n.recipient, n.level, func.max(n.told_at), func.min(n.told_at))
            .where(n.alert_id.in_(ids[k : k + 500]))
            .group_by(n.alert_id, n.recipient, n.level)
        )
        found += [Told(*row) for row in conn.execute(stmt)]
    return found


def last_messages(conn: Connection, since: datetime) -> dict[str, datetime]:
    """Return recipient → when their newest alert message since `since` was composed."""
    m = notify_messages.c
    stmt = (
        select(m.recipient, func.max(m.created_at))
        .where(m.purpose == ALERTS, m.created_at >= since)
        .group_by(m.recipient)
    )
    return {str(r): t for r, t in conn.execute(stmt).all()}


# --- views -----------------------------------------------------------------------------------


def _view_select() -> Select[Any]:
    d, m = notify_deliveries.c, notify_messages.c
    return select(
        d.delivery_id,
        d.message_id,
        m.recipient,
        d.channel,
        d.address,
        d.state,
        d.attempts,
        d.created_at,
        d.sent_at,
        d.next_at,
        d.last_error,
        m.subject,
    ).join_from(notify_deliveries, notify_messages, d.message_id == m.message_id)


def _view(row: Mapping[Any, Any]) -> DeliveryView:
    values = dict(row)
    values["address"] = masked(values["channel"], values["address"])
    return DeliveryView(**values)


def masked(channel: str, address: str) -> str:
    """Return an address as the control room shows it: e-mail and phone partly hidden."""
    if channel == EMAIL and address:
        return mask_email(address)
    if channel == SMS and address:
        return mask_phone(address)
    return address


def recent_deliveries(
    conn: Connection, state: str | None = None, limit: int = 100
) -> list[DeliveryView]:
    """Return the newest deliveries, of one state if given."""
    d = notify_deliveries.c
    stmt = _view_select()
    if state is not None:
        stmt = stmt.where(d.state == state)
    stmt = stmt.order_by(d.delivery_id.desc()).limit(limit)
    return [_view(r) for r in conn.execute(stmt).mappings()]


def delivery_counts(conn: Connection) -> dict[str, int]:
    """Return how many deliveries are in each state."""
    d = notify_deliveries.c
    return {
        str(s): int(n) for s, n in conn.execute(select(d.state, func.count()).group_by(d.state))
    }


def notices_of(conn: Connection, alert_ids: Collection[str]) -> dict[str, list[NoticeView]]:
    """Return alert id → its notices, oldest first, each with its message's deliveries."""
    if not alert_ids:
        return {}
    n = notify_notices.c
    rows = conn.execute(
        select(n.alert_id, n.message_id, n.told_at, n.recipient, n.level, n.reason)
        .where(n.alert_id.in_(sorted(alert_ids)))
        .order_by(n.told_at, n.notice_id)
    ).all()
    messages = sorted({r.message_id for r in rows})
    by_message: dict[int, list[DeliveryView]] = defaultdict(list)
    d = notify_deliveries.c
    for k in range(0, len(messages), 500):
        stmt = _view_select().where(d.message_id.in_(messages[k : k + 500]))
        for row in conn.execute(stmt.order_by(d.delivery_id)).mappings():
            by_message[int(row["message_id"])].append(_view(row))
    found: dict[str, list[NoticeView]] = defaultdict(list)
    for r in rows:
        found[r.alert_id].append(
            NoticeView(r.told_at, r.recipient, r.level, r.reason, tuple(by_message[r.message_id]))
        )
    return dict(found)


def outbox_fingerprint(conn: Connection) -> str:
    """Return a short text that changes whenever a delivery is queued or changes state (two
    index look-ups; deliveries are never deleted)."""
    d = notify_deliveries.c
    newest, changed = conn.execute(select(func.max(d.delivery_id), func.max(d.updated_at))).one()
    return f"{newest or 0}:{'' if changed is None else changed.isoformat()}"


def state_counts_text(counts: Mapping[str, int]) -> str:
    """Return "3 sent, 1 failed" (states with none left out)."""
    order = ("queued", "sending", "sent", "failed", "gave_up")
    shown: Counter[str] = Counter({k: v for k, v in counts.items() if v})
    return ", ".join(f"{shown[s]} {s.replace('_', ' ')}" for s in order if shown[s]) or "none"
