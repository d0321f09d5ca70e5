"""The audit trail (DESIGN §7): one `audit_log` row per action and per denial.

Callers write the audit row on the same connection, in the same transaction, as the change it
records, so that a change without its audit row (or the reverse) cannot be committed. Each row
keeps the feeder its target belongs to (the target itself, the feeder of a house or of an
alert), so that the log filters and sorts audit rows by feeder and district.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, literal, select, union_all

from store.schema import alerts, audit_log, feeders, houses

CLI_ACTOR: Final = "cli"
"""The actor recorded for changes made with `python -m store` on the server."""

OUTCOMES: Final = ("ok", "denied", "failed")
"""What became of an audited action: done, refused for lack of rights, or attempted and failed."""


def audit(
    conn: Connection,
    *,
    actor: str | None,
    action: str,
    target: str,
    outcome: str,
    detail: Mapping[str, Any],
    address: str | None = None,
    ts: datetime | None = None,
    feeder_id: str | None = None,
) -> None:
    """Write one audit_log row; `actor` None is an anonymous caller (e.g. a failed login).

    `feeder_id` defaults to the feeder the target belongs to, looked up in the store.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    conn.execute(
        audit_log.insert().values(
            ts=ts or datetime.now(UTC),
            username=actor,
            action=action,
            target=target,
            outcome=outcome,
            detail=dict(detail),
            address=address,
            feeder_id=feeder_id or feeder_of(conn, target),
        )
    )


def feeder_of(conn: Connection, target: str) -> str | None:
    """Return the feeder an audit target belongs to: a feeder, a house's or an alert's."""
    if not target:
        return None
    candidates = union_all(
        select(feeders.c.feeder_id, literal(0).label("k")).where(feeders.c.feeder_id == target),
        select(houses.c.feeder_id, literal(1).label("k")).where(houses.c.house_id == target),
        select(alerts.c.feeder_id, literal(2).label("k")).where(alerts.c.alert_id == target),
    ).subquery()
    found = conn.execute(
        select(candidates.c.feeder_id)
        .where(candidates.c.feeder_id.is_not(None))
        .order_by(candidates.c.k)
        .limit(1)
    ).scalar()
    return None if found is None else str(found)
