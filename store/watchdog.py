"""HQ's own alerts: feeders that stopped reporting, a fleet HQ hears nothing from, and a lost
ingest session. Each is raised once and cleared when its cause ends.

The edge raises its own alerts, but a controller that lost power or its uplink cannot say so;
HQ sees it as silence. A feeder counts as silent when the map shows it offline (no summary
arrived for `stale_s`, by HQ's clock at arrival and not by the time the message says, or its
last will said offline) after it has been heard from at least once. When HQ
hears no feeder at all (grid.alert_kinds.fleet_is_silent), the cause is on HQ's side (the
broker, the ingest worker or HQ's link): one `fleet_silent` alert holds every `feeder_offline`
(store.alert_rollup), and a silent feeder's house alerts roll up under its `feeder_offline`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, select, update

from grid.alert_kinds import AlertKind, fleet_is_silent
from grid.timezones import format_ist
from store.alert_rollup import regroup
from store.queries import STALE_S, feeder_map
from store.schema import alerts

KIND: Final = str(AlertKind.FEEDER_OFFLINE)
"""The kind of the HQ alert on a silent feeder."""
FLEET_KIND: Final = str(AlertKind.FLEET_SILENT)
SESSION_KIND: Final = str(AlertKind.INGEST_SESSION_LOST)


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one sweep changed."""

    raised: tuple[str, ...]
    """Feeders whose `feeder_offline` was raised."""
    cleared: tuple[str, ...]
    fleet: str | None = None
    """"raised" or "cleared" when `fleet_silent` changed, else None."""


def sweep_offline_feeders(conn: Connection, now: datetime, stale_s: float = STALE_S) -> Sweep:
    """Raise `feeder_offline` for newly silent feeders and clear it for those heard again; raise
    or clear `fleet_silent`; roll the alerts up under them."""
    rows = feeder_map(conn, now, stale_s=stale_s)
    silent = {r.feeder_id: r for r in rows if r.state == "offline" and r.last_seen is not None}
    heard = {r.feeder_id for r in rows if r.state != "offline"}
    ever_heard = sum(1 for r in rows if r.last_seen is not None)
    uncleared = dict(
        conn.execute(
            select(alerts.c.feeder_id, alerts.c.alert_id).where(
                alerts.c.kind == KIND, alerts.c.state != "cleared"
            )
        ).all()
    )
    raised = sorted(set(silent) - set(uncleared))
    for feeder_id in raised:
        last = silent[feeder_id].last_seen
        assert last is not None
        _raise(
            conn,
            f"hq-{KIND}-{feeder_id}-{int(now.timestamp())}",
            KIND,
            f"No data from {feeder_id} since {ist_text(last)}.",
            now,
            feeder_id,
        )
    cleared = sorted(heard & set(uncleared))
    _clear(conn, [uncleared[f] for f in cleared], now)
    newest = max((r.last_seen for r in rows if r.last_seen is not None), default=None)
    fleet = _sweep_fleet(conn, now, fleet_is_silent(len(silent), ever_heard), newest)
    regroup(conn, now)
    return Sweep(tuple(raised), tuple(cleared), fleet)


def _sweep_fleet(
    conn: Connection, now: datetime, is_silent: bool, newest: datetime | None
) -> str | None:
    """Raise or clear `fleet_silent` (`newest`: when HQ last heard any feeder); return what
    changed."""
    open_ids = _uncleared(conn, FLEET_KIND)
    if is_silent and not open_ids and newest is not None:
        _raise(
            conn,
            f"hq-{FLEET_KIND}-{int(now.timestamp())}",
            FLEET_KIND,
            f"HQ hears no feeder: the last data arrived at {ist_text(newest)}. Check the "
            "broker, the ingest worker and HQ's network link.",
            now,
        )
        return "raised"
    if open_ids and not is_silent:
        _clear(conn, open_ids, now)
        return "cleared"
    return None


def raise_session_lost(conn: Connection, client_id: str, now: datetime) -> str:
    """Raise `ingest_session_lost` for ingest worker `client_id`; return the alert id."""
    alert_id = f"ingest-session-{client_id}-{int(now.timestamp())}"
    _raise(
        conn,
        alert_id,
        SESSION_KIND,
        f"The broker lost the persistent session of ingest worker {client_id} at "
        f"{ist_text(now)}; messages queued for it may be gone. Edge outboxes resend what was "
        "not committed.",
        now,
    )
    return alert_id


def clear_session_lost(conn: Connection, client_id: str, now: datetime) -> int:
    """Clear the `ingest_session_lost` alerts of worker `client_id` (it commits messages
    again); return how many."""
    ids = [
        i for i in _uncleared(conn, SESSION_KIND) if i.startswith(f"ingest-session-{client_id}-")
    ]
    _clear(conn, ids, now)
    return len(ids)


def ist_text(t: datetime) -> str:
    """Return an instant for an alert's message, in India Standard Time."""
    return format_ist(t, "%Y-%m-%d %H:%M:%S IST")


def _uncleared(conn: Connection, kind: str) -> list[str]:
    stmt = select(alerts.c.alert_id).where(alerts.c.kind == kind, alerts.c.state != "cleared")
    return [str(i) for (i,) in conn.execute(stmt)]


def _raise(
    conn: Connection,
    alert_id: str,
    kind: str,
    message: str,
    now: datetime,
    feeder_id: str | None = None,
) -> None:
    conn.execute(
        alerts.insert().values(
            alert_id=alert_id,
            feeder_id=feeder_id,
            house_id=None,
            kind=kind,
            severity="critical",
            state="open",
            message=message,
            raised_at=now,
            updated_at=now,
        )
    )


def _clear(conn: Connection, alert_ids: list[str], now: datetime) -> None:
    if alert_ids:
        conn.execute(
            update(alerts)
            .where(alerts.c.alert_id.in_(alert_ids))
            .values(state="cleared", cleared_at=now, updated_at=now)
        )
