"""Reads of the whole fleet for the screens that show all of it at once (the map and the wall).

`wall_alerts_by_district` reads, in one statement, what every turn of a wall's rotation lists:
the first active alerts of each district and of all Kerala, most severe then newest first, and
how many are active in each; so that the fleet snapshot (components.fleet_snapshot) holds every
region's list without a query per region and per screen.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

from sqlalchemy import Connection, func, select

from store.alerting import ACTIVE_ALERT_STATES, Alert, alert_order
from store.schema import alerts, feeders

_CHUNK: Final = 500
"""Alert ids per IN (…) list."""


@dataclass(frozen=True, slots=True)
class RegionAlerts:
    """The first active alerts of a region, most severe then newest first, and how many are
    active there in all (alerts rolled up under another are not counted)."""

    alerts: tuple[Alert, ...]
    total: int


def wall_alerts_by_district(conn: Connection, limit: int) -> dict[str | None, RegionAlerts]:
    """Return the first `limit` active alerts of each district with any, and of all Kerala (the
    key None, which takes in the alerts of HQ itself), with how many each has."""
    if limit < 1:
        raise ValueError(f"limit: must be at least 1, not {limit}")
    a = alerts.c
    district = feeders.c.district
    # Districts are only told apart here, not ordered: bytewise is enough, and quicker.
    group = district.collate("C") if conn.dialect.name == "postgresql" else district
    order = alert_order()
    active = (a.state.in_(ACTIVE_ALERT_STATES), a.parent_id.is_(None))
    # Each district's first alerts ranked on narrow rows of the index of active alerts (the
    # sort is the cost), with its count ...
    ranked = (
        select(
            a.alert_id,
            district.label("district"),
            func.row_number().over(partition_by=group, order_by=order).label("place"),
            func.count().over(partition_by=group).label("of_district"),
        )
        .select_from(alerts.outerjoin(feeders, feeders.c.feeder_id == a.feeder_id))
        .where(*active)
        .subquery("ranked")
    )
    places = conn.execute(select(ranked).where(ranked.c.place <= limit)).mappings().all()
    # ... all Kerala's first ones in the order of the alert lists' index ...
    first = [
        str(i)
        for i in conn.execute(
            select(a.alert_id).where(*active).order_by(*order).limit(limit)
        ).scalars()
    ]
    # ... and the alerts chosen read whole by their key.
    ids = sorted({str(m["alert_id"]) for m in places} | set(first))
    found: dict[str, Alert] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = select(*(a[f.name] for f in fields(Alert))).where(
            a.alert_id.in_(ids[start : start + _CHUNK])
        )
        for m in conn.execute(stmt).mappings():
            found[str(m["alert_id"])] = Alert(**m)
    lists: dict[str | None, list[tuple[int, Alert]]] = {
        None: [(k, found[i]) for k, i in enumerate(first) if i in found]
    }
    totals: dict[str | None, int] = {None: 0}
    for m in places:
        name = None if m["district"] is None else str(m["district"])
        if m["place"] == 1:  # each district's first row counts it once
            totals[None] += int(m["of_district"])
            if name is not None:
                totals[name] = int(m["of_district"])
        alert = found.get(str(m["alert_id"]))
        if name is not None and alert is not None:  # gone between the reads: left out
            lists.setdefault(name, []).append((int(m["place"]), alert))
    out: dict[str | None, RegionAlerts] = {}
    for region, total in totals.items():
        ordered = sorted(lists.get(region, []), key=lambda placed: placed[0])
        out[region] = RegionAlerts(tuple(alert for _, alert in ordered), total)
    return out
