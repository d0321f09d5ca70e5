"""Routes in the store: who is told of which alerts at which level, and the section office of
each feeder. Each change is audited on the caller's connection, in its transaction.

A route takes the alerts of a district ("*": every district, and HQ's own alerts that have no
feeder), optionally of one section office, at or above a severity, of one kind, and names a user
(told by e-mail and SMS) or a channel of SP_NOTIFY_URLS, at level 1 (Section, AE), 2
(Sub-division, AEE) or 3 (Division, EE) of the chain, with how long that level has to
acknowledge before the next one is told (`delay_min`, default DEFAULT_DELAY_MIN).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Connection, delete, func, select

from grid.alert_kinds import AlertKind
from grid.errors import FieldError
from notify.config import CHANNEL_NAME
from notify.model import ANY_DISTRICT, DEFAULT_DELAY_MIN, LEVELS, Route, channel_key, user_key
from store.audit import CLI_ACTOR, audit
from store.queries import districts
from store.schema import ALERT_SEVERITIES, feeder_sections, feeders, notify_routes, users

DELAY_MAX_MIN: Final = 24 * 60
"""Longest delay a level may be given [min]."""

SECTION_MAX: Final = 60
"""Longest section office name [characters]."""

ROUTE_ADD: Final = "notify.route_add"
ROUTE_REMOVE: Final = "notify.route_remove"


class RouteError(FieldError):
    """A route or a section that cannot be stored; `field` names the culprit."""


@dataclass(frozen=True, slots=True)
class RouteRow:
    """A route as stored and listed."""

    route_id: int
    district: str
    section: str | None
    min_severity: str | None
    kind: str | None
    level: int
    username: str | None
    channel: str | None
    delay_min: int | None
    created_by: str
    created_at: datetime

    @property
    def recipient(self) -> str:
        """Return the recipient key ("user:asha" or "channel:ops")."""
        return user_key(self.username) if self.username else channel_key(self.channel or "")

    @property
    def effective_delay_min(self) -> int:
        """Return the delay this level has to acknowledge, the default if none was set [min]."""
        return DEFAULT_DELAY_MIN[self.level] if self.delay_min is None else self.delay_min

    def to_route(self) -> Route:
        """Return the route as the pure rules take it."""
        return Route(
            route_id=self.route_id,
            district=self.district,
            level=self.level,
            recipient=self.recipient,
            section=self.section,
            min_severity=self.min_severity,
            kind=self.kind,
            delay_min=self.delay_min,
        )


def add_route(
    conn: Connection,
    *,
    district: str,
    level: int,
    username: str | None = None,
    channel: str | None = None,
    section: str | None = None,
    severity: str | None = None,
    kind: str | None = None,
    delay_min: int | None = None,
    channels: Collection[str] = (),
    actor: str | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> RouteRow:
    """Store a route and audit it; RouteError names the first field that is not valid.

    `channels` are the names of SP_NOTIFY_URLS' channels a route may name.
    """
    district = _district(conn, district)
    if level not in LEVELS:
        raise RouteError("level", f"{level!r} is not 1 (AE), 2 (AEE) or 3 (EE)")
    username = (username or "").strip() or None
    channel = (channel or "").strip().lower() or None
    if (username is None) == (channel is None):
        raise RouteError("user", "name a user or a channel, not both")
    if username is not None:
        found = conn.execute(select(users.c.disabled).where(users.c.username == username)).first()
        if found is None:
            raise RouteError("user", f"no user {username!r}")
        if found.disabled:
            raise RouteError("user", f"{username!r} is disabled")
    if channel is not None and (CHANNEL_NAME.fullmatch(channel) is None or channel not in channels):
        known = ", ".join(sorted(channels)) or "none (set SP_NOTIFY_URLS)"
        raise RouteError("channel", f"{channel!r} is not a configured channel; known: {known}")
    section = _section(conn, district, section)
    severity = (severity or "").strip().lower() or None
    if severity is not None and severity not in ALERT_SEVERITIES:
        raise RouteError("severity", f"{severity!r} is not one of {', '.join(ALERT_SEVERITIES)}")
    kind = (kind or "").strip() or None
    if kind is not None and kind not in {str(k) for k in AlertKind}:
        raise RouteError("kind", f"{kind!r} is not an alert kind (grid.alert_kinds)")
    if delay_min is not None and not 0 <= delay_min <= DELAY_MAX_MIN:
        raise RouteError("delay_min", f"must be 0 to {DELAY_MAX_MIN} minutes, not {delay_min}")
    values = {
        "district": district,
        "section": section,
        "min_severity": severity,
        "kind": kind,
        "level": level,
        "username": username,
        "channel": channel,
    }
    r = notify_routes.c
    same = conn.execute(
        select(r.route_id).where(
            *(r[k].is_(None) if v is None else r[k] == v for k, v in values.items())
        )
    ).first()
    if same is not None:
        raise RouteError("route", f"the same route exists already (route {same.route_id})")
    now = now or datetime.now(UTC)
    route_id = conn.execute(
        notify_routes.insert()
        .values(**values, delay_min=delay_min, created_by=actor or CLI_ACTOR, created_at=now)
        .returning(r.route_id)
    ).scalar_one()
    audit(
        conn,
        actor=actor or CLI_ACTOR,
        action=ROUTE_ADD,
        target=f"route {route_id}",
        outcome="ok",
        detail={k: v for k, v in {**values, "delay_min": delay_min}.items() if v is not None},
        address=address,
        ts=now,
    )
    row = get_route(conn, int(route_id))
    assert row is not None
    return row


def remove_route(
    conn: Connection,
    route_id: int,
    *,
    actor: str | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> RouteRow:
    """Delete a route and audit it; RouteError when there is no such route."""
    row = get_route(conn, route_id)
    if row is None:
        raise RouteError("route", f"no route {route_id}")
    conn.execute(delete(notify_routes).where(notify_routes.c.route_id == route_id))
    audit(
        conn,
        actor=actor or CLI_ACTOR,
        action=ROUTE_REMOVE,
        target=f"route {route_id}",
        outcome="ok",
        detail={"district": row.district, "level": row.level, "to": row.recipient},
        address=address,
        ts=now or datetime.now(UTC),
    )
    return row


def get_route(conn: Connection, route_id: int) -> RouteRow | None:
    """Return one route, or None."""
    found = _rows(conn, route_id)
    return found[0] if found else None


def list_routes(conn: Connection) -> list[RouteRow]:
    """Return every route by district, level and id."""
    return _rows(conn)


def _rows(conn: Connection, route_id: int | None = None) -> list[RouteRow]:
    r = notify_routes.c
    stmt = select(*(r[f.name] for f in fields(RouteRow)))
    if route_id is not None:
        stmt = stmt.where(r.route_id == route_id)
    stmt = stmt.order_by(r.district, r.level, r.route_id)
    return [RouteRow(**m) for m in conn.execute(stmt).mappings()]


def import_sections(
    conn: Connection,
    rows: Iterable[tuple[str, str]],
    *,
    lines: Sequence[int] | None = None,
    source: str = "row",
    actor: str | None = None,
    now: datetime | None = None,
) -> int:
    """Set the section office of feeders from (feeder_id, section) pairs; return how many.

    RouteError names the first unknown or repeated feeder or bad section, with where it is
    ("sections.csv line 3" given `source` and the `lines` of the rows, else "row 2"), and
    nothing is stored then.
    """
    pairs = [(f.strip(), s.strip()) for f, s in rows]

    def at(k: int) -> str:
        return f"{source} line {lines[k]}" if lines is not None else f"{source} {k + 1}"

    known = {
        str(f)
        for (f,) in conn.execute(
            select(feeders.c.feeder_id).where(feeders.c.feeder_id.in_([f for f, _ in pairs]))
        )
    }
    first: dict[str, int] = {}
    for k, (feeder_id, section) in enumerate(pairs):
        if feeder_id not in known:
            raise RouteError("feeder_id", f"no feeder {feeder_id!r} ({at(k)})")
        if feeder_id in first:
            raise RouteError(
                "feeder_id", f"{feeder_id!r} is repeated ({at(k)}, first at {at(first[feeder_id])})"
            )
        first[feeder_id] = k
        if not section or len(section) > SECTION_MAX:
            raise RouteError(
                "section", f"{section!r} must be 1 to {SECTION_MAX} characters ({at(k)})"
            )
    ids = [f for f, _ in pairs]
    if ids:
        conn.execute(delete(feeder_sections).where(feeder_sections.c.feeder_id.in_(ids)))
        conn.execute(feeder_sections.insert(), [{"feeder_id": f, "section": s} for f, s in pairs])
        audit(
            conn,
            actor=actor or CLI_ACTOR,
            action="notify.sections_import",
            target=f"{len(pairs)} feeders",
            outcome="ok",
            detail={"sections": sorted({s for _, s in pairs})[:100]},
            ts=now or datetime.now(UTC),
        )
    return len(pairs)


def sections_of(conn: Connection, district: str) -> list[str]:
    """Return the section offices of a district's feeders, by name."""
    stmt = (
        select(feeder_sections.c.section)
        .join(feeders, feeders.c.feeder_id == feeder_sections.c.feeder_id)
        .where(feeders.c.district == district)
        .distinct()
        .order_by(feeder_sections.c.section)
    )
    return [str(s) for s in conn.execute(stmt).scalars()]


def _district(conn: Connection, district: str) -> str:
    text = (district or "").strip()
    if text in (ANY_DISTRICT, "all"):
        return ANY_DISTRICT
    known = districts(conn)
    for name in known:
        if name.lower() == text.lower():
            return name
    listed = ", ".join(known) or "none provisioned"
    raise RouteError("district", f"{text!r} has no feeders; known: {listed}, or * for every one")


def _section(conn: Connection, district: str, section: str | None) -> str | None:
    text = (section or "").strip()
    if not text:
        return None
    if district == ANY_DISTRICT:
        raise RouteError("section", "a section office belongs to one district; name it")
    n = conn.execute(
        select(func.count())
        .select_from(feeder_sections)
        .join(feeders, feeders.c.feeder_id == feeder_sections.c.feeder_id)
        .where(feeders.c.district == district, feeder_sections.c.section == text)
    ).scalar_one()
    if n == 0:
        raise RouteError(
            "section",
            f"no feeder of {district} is in section {text!r} (python -m notify sections import)",
        )
    return text
