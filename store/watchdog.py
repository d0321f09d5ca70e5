"""HQ's own alert on feeders that stopped reporting: raised once, cleared when data returns.

The edge raises its own alerts, but a controller that lost power or its uplink cannot say so;
HQ sees it as silence. A feeder counts as silent when the map shows it offline (no summary for
`stale_s`, or its last will said offline) after it has been heard from at least once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from store.queries import STALE_S, feeder_map
from store.schema import alerts

KIND = "feeder_offline"
"""The kind of the HQ alert on a silent feeder."""


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one sweep changed."""

    raised: tuple[str, ...]
    cleared: tuple[str, ...]


def sweep_offline_feeders(conn: Connection, now: datetime, stale_s: float = STALE_S) -> Sweep:
    """Raise `feeder_offline` for newly silent feeders and clear it for those heard again."""
    rows = feeder_map(conn, now, stale_s=stale_s)
    silent = {r.feeder_id: r for r in rows if r.state == "offline" and r.last_seen is not None}
    heard = {r.feeder_id for r in rows if r.state != "offline"}
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
        conn.execute(
            alerts.insert().values(
                alert_id=f"hq-{KIND}-{feeder_id}-{int(now.timestamp())}",
                feeder_id=feeder_id,
                house_id=None,
                kind=KIND,
                severity="critical",
                state="open",
                message=f"no data from {feeder_id} since {last:%Y-%m-%d %H:%M:%S} UTC",
                raised_at=now,
                updated_at=now,
            )
        )
    cleared = sorted(heard & set(uncleared))
    if cleared:
        conn.execute(
            update(alerts)
            .where(alerts.c.alert_id.in_([uncleared[f] for f in cleared]))
            .values(state="cleared", cleared_at=now, updated_at=now)
        )
    return Sweep(tuple(raised), tuple(cleared))
