"""Alerts as operators handle them: the filtered list (by district too) and acknowledgement.

An alert goes open → acknowledged (who, when; by an operator) → cleared (by its source, the
edge). Acknowledging writes its audit row on the same connection, so both commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Connection, select

from store.audit import audit
from store.queries import ACTIVE_ALERT_STATES, Alert
from store.schema import alerts, feeders

ACK_ACTION: Final = "alert.ack"
SEVERITIES: Final = ("critical", "warning", "info")
"""Alert severities, most severe first."""


class AlertError(ValueError):
    """An alert that cannot be acknowledged; the message says why."""


def find_alerts(
    conn: Connection,
    *,
    state: str | Sequence[str] | None = None,
    feeder_id: str | None = None,
    district: str | None = None,
    severity: str | Sequence[str] | None = None,
    limit: int = 500,
) -> list[Alert]:
    """Return alerts newest first; `state="active"` is open or acknowledged; `district` is the
    district of the alert's feeder."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    a = alerts.c
    stmt = select(*(a[f.name] for f in fields(Alert)))
    if district is not None:
        stmt = stmt.join(feeders, feeders.c.feeder_id == a.feeder_id).where(
            feeders.c.district == district
        )
    states = ACTIVE_ALERT_STATES if state == "active" else state
    for column, value in ((a.state, states), (a.severity, severity), (a.feeder_id, feeder_id)):
        if value is None:
            continue
        stmt = stmt.where(column == value if isinstance(value, str) else column.in_(list(value)))
    stmt = stmt.order_by(a.raised_at.desc(), a.alert_id.desc()).limit(limit)
    return [Alert(**m) for m in conn.execute(stmt).mappings()]


def acknowledge(
    conn: Connection,
    alert_id: str,
    *,
    actor: str,
    address: str | None = None,
    now: datetime | None = None,
) -> Alert:
    """Mark an open alert acknowledged by `actor` and audit it; return the alert as it is now.

    Raises AlertError for an unknown alert or one that is not open (already acknowledged or
    cleared); nothing is written then.
    """
    now = now or datetime.now(UTC)
    a = alerts.c
    row = conn.execute(select(a.state).where(a.alert_id == alert_id)).first()
    if row is None:
        raise AlertError(f"no alert {alert_id!r}")
    if row.state != "open":
        raise AlertError(f"alert {alert_id!r} is {row.state}, not open")
    updated = conn.execute(
        alerts.update()
        .where(a.alert_id == alert_id, a.state == "open")
        .values(state="acknowledged", acked_by=actor, acked_at=now, updated_at=now)
    )
    if updated.rowcount != 1:
        raise AlertError(f"alert {alert_id!r} changed meanwhile")
    alert = find_alert(conn, alert_id)
    assert alert is not None
    audit(
        conn,
        actor=actor,
        action=ACK_ACTION,
        target=alert_id,
        outcome="ok",
        detail={"feeder": alert.feeder_id or "", "severity": alert.severity, "kind": alert.kind},
        address=address,
        ts=now,
    )
    return alert


def find_alert(conn: Connection, alert_id: str) -> Alert | None:
    """Return one alert, or None."""
    a = alerts.c
    m = (
        conn.execute(select(*(a[f.name] for f in fields(Alert))).where(a.alert_id == alert_id))
        .mappings()
        .first()
    )
    return None if m is None else Alert(**m)
