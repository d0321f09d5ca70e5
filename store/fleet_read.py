"""Reads of the whole fleet for the screens that show all of it at once (the map and the wall).

`wall_alerts_by_district` reads, in one statement, what every turn of a wall's rotation lists:
the first active alerts of each district and of all Kerala, most severe then newest first, and
how many are active in each; so that the fleet snapshot (components.fleet_snapshot) holds every
region's list without a query per region and per screen.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import itemgetter
from typing import Final

from sqlalchemy import Connection, func, or_, select

from store.alerting import ACTIVE_ALERT_STATES, Alert, alert_order
from store.schema import alerts, feeders

RANKS: Final = ("district", "in_district", "in_all", "of_district")
"""What the ranking adds to each alert: its district, its place there and in all Kerala, and
how many active alerts its district has."""


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
    order = alert_order()
    # Ranked on narrow rows (the sort is the cost), then joined back for the chosen few.
    ranked = (
        select(
            a.alert_id,
            district.label("district"),
            func.row_number().over(partition_by=district, order_by=order).label("in_district"),
            func.row_number().over(order_by=order).label("in_all"),
            func.count().over(partition_by=district).label("of_district"),
        )
        .select_from(alerts.outerjoin(feeders, feeders.c.feeder_id == a.feeder_id))
        .where(a.state.in_(ACTIVE_ALERT_STATES), a.parent_id.is_(None))
        .subquery("ranked")
    )
    r = ranked.c
    chosen = (
        select(*(a[f.name] for f in fields(Alert)), *(r[k] for k in RANKS))
        .select_from(ranked.join(alerts, a.alert_id == r.alert_id))
        .where(or_(r.in_district <= limit, r.in_all <= limit))
    )
    lists: dict[str | None, list[tuple[int, Alert]]] = {}
    totals: dict[str | None, int] = {None: 0}
    for m in conn.execute(chosen).mappings():
        alert = Alert(**{f.name: m[f.name] for f in fields(Alert)})
        name = None if m["district"] is None else str(m["district"])
        if m["in_district"] == 1:  # each region's first row counts it once
            totals[None] += int(m["of_district"])
            if name is not None:
                totals[name] = int(m["of_district"])
        if m["in_all"] <= limit:
            lists.setdefault(None, []).append((int(m["in_all"]), alert))
        if name is not None and m["in_district"] <= limit:
            lists.setdefault(name, []).append((int(m["in_district"]), alert))
    out: dict[str | None, RegionAlerts] = {}
    for region, total in totals.items():
        first = sorted(lists.get(region, []), key=itemgetter(0))
        out[region] = RegionAlerts(tuple(alert for _, alert in first), total)
    return out
