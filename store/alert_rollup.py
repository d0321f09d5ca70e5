"""Roll-up at HQ: each active alert rolls up under the wider alert that already reports its cause.

An alert's `parent_id` names the alert it rolls up under, by the rules of
grid.alert_kinds.ROLL_UP: a silent feeder's house and uplink alerts under its `feeder_offline`,
a house's `house_offline` under its feeder's `houses_offline`, every `feeder_offline` under
`fleet_silent`. `regroup` sets it again for every alert still active whenever alerts change
(the ingest writer after a batch with alerts, the watchdog after a sweep): an alert raised
under an open parent joins it, and when the parent clears, those still active stand on their
own again (or join the next wider one). A cleared alert keeps the parent it had, so that the
history shows what each wider alert held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, or_, select, update

from grid.alert_kinds import FLEET_KINDS, PARENT_KINDS, ROLL_UP, parent_for
from store.schema import alerts

CHUNK: Final = 500
"""Alert ids per UPDATE … IN (…) statement."""

_KINDS: Final = sorted({str(k) for k in ROLL_UP} | {str(k) for k in PARENT_KINDS})


def regroup(conn: Connection, now: datetime, feeder_ids: Collection[str] | None = None) -> int:
    """Set the parent of every active alert that rolls up; return how many alerts changed.

    With `feeder_ids`, only those feeders' alerts are looked at (and the fleet's own ones).
    """
    a = alerts.c
    stmt = select(a.alert_id, a.feeder_id, a.kind, a.parent_id).where(
        a.state != "cleared", a.kind.in_(_KINDS)
    )
    if feeder_ids is not None:
        stmt = stmt.where(or_(a.feeder_id.in_(sorted(feeder_ids)), a.feeder_id.is_(None)))
    rows = conn.execute(stmt.order_by(a.raised_at, a.alert_id)).all()
    open_parents = {
        (r.kind, None if r.kind in FLEET_KINDS else r.feeder_id): r.alert_id
        for r in rows
        if r.kind in PARENT_KINDS
    }  # the newest of a kind wins, should there be two
    moves: dict[str | None, list[str]] = defaultdict(list)
    for r in rows:
        wanted = parent_for(r.kind, r.feeder_id, open_parents)
        if wanted != r.parent_id:
            moves[wanted].append(r.alert_id)
    for parent, ids in moves.items():
        for k in range(0, len(ids), CHUNK):
            conn.execute(
                update(alerts)
                .where(a.alert_id.in_(ids[k : k + CHUNK]))
                .values(parent_id=parent, updated_at=now)
            )
    return sum(len(ids) for ids in moves.values())
