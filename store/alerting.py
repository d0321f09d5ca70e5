"""Alerts as operators see and handle them: listed, paged and counted in SQL, acknowledged one
by one or in bulk.

An alert goes open → acknowledged (who, when; by an operator) → cleared (by its source). Every
list puts the most severe first (critical, warning, info), then the newest. An alert rolled up
under a wider one (`parent_id`, store.alert_rollup) is not listed or counted on its own unless
asked for: the wider alert shows how many it holds, and acknowledging it acknowledges them too.
Each acknowledgement, of one alert or of thousands, writes one audit row on the same
connection, so that both commit together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, Final, Literal, TypeAlias

from sqlalchemy import ColumnElement, Connection, Select, false, func, select, update

from grid.alert_kinds import EDGE_KINDS, counted
from store.audit import audit
from store.schema import ALERT_SEVERITIES, ALERT_STATES, SEVERITY_RANK, alerts, feeders, houses

AnySelect: TypeAlias = "Select[Any]"

ACK_ACTION: Final = "alert.ack"
SEVERITIES: Final = ALERT_SEVERITIES
"""Alert severities, most severe first: the order of every alert list."""

ACTIVE: Final = "active"
"""The state filter meaning open or acknowledged (not yet cleared by its source)."""
ACTIVE_ALERT_STATES: Final = ("open", "acknowledged")
"""Alert states that count as active."""

PAGE_SIZE: Final = 50
"""Alerts on one page of the alerts page."""
MAX_PAGE_SIZE: Final = 500
AUDIT_IDS_MAX: Final = 1000
"""Most alert ids one audit row lists; the count is always complete."""
_CHUNK: Final = 500
"""Alert ids per UPDATE … IN (…) statement."""
_ROLLUP_DEPTH: Final = 3
"""Levels of roll-up there can be (fleet → feeder → houses → house)."""

AckHow = Literal["selection", "filter"]


class AlertError(ValueError):
    """An alert that cannot be acknowledged, or a filter that is not valid; the message says
    why."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert of a feeder or a house (or of HQ itself: no feeder)."""

    alert_id: str
    feeder_id: str | None
    house_id: str | None
    kind: str
    severity: str
    state: str
    message: str
    raised_at: datetime
    acked_by: str | None
    acked_at: datetime | None
    cleared_at: datetime | None
    updated_at: datetime
    parent_id: str | None = None
    """The alert this one rolls up under, or None."""


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """What the alerts page shows; every field None means any."""

    state: str | None = ACTIVE
    """"active" (open or acknowledged), one of ALERT_STATES, or None."""
    feeder_id: str | None = None
    district: str | None = None
    severity: str | None = None
    rolled_up: bool = False
    """Also list the alerts rolled up under another."""

    def __post_init__(self) -> None:
        if self.state is not None and self.state not in (ACTIVE, *ALERT_STATES):
            raise AlertError(
                f"state: {self.state!r} is not one of active, {', '.join(ALERT_STATES)}"
            )
        if self.severity is not None and self.severity not in SEVERITIES:
            raise AlertError(f"severity: {self.severity!r} is not one of {', '.join(SEVERITIES)}")

    def describe(self) -> dict[str, Any]:
        """Return the filter as plain data, for an audit row."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True, slots=True)
class ListedAlert:
    """An alert as a list shows it, with what is rolled up under it."""

    alert: Alert
    rolled_up: tuple[tuple[str, int], ...] = ()
    """(kind, how many) of the alerts under it: active ones while it is active, all once it
    has cleared."""

    @property
    def rolled_up_text(self) -> str:
        """Return "12 houses silent, 1 report of HQ unreachable", or ""."""
        return ", ".join(counted(kind, n) for kind, n in self.rolled_up)


@dataclass(frozen=True, slots=True)
class AlertPage:
    """One page of a filtered alert list, and how many alerts the filter matches."""

    rows: tuple[ListedAlert, ...]
    total: int
    page: int
    """0 for the first page; a page past the end is read as the last one."""
    page_size: int

    @property
    def pages(self) -> int:
        """Return how many pages the filter fills (at least 1)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def first(self) -> int:
        """Return the 1-based number of the first row shown (0 when there is none)."""
        return self.page * self.page_size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """Return the 1-based number of the last row shown."""
        return self.page * self.page_size + len(self.rows)


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """What one acknowledgement did."""

    ids: tuple[str, ...]
    """The alerts asked for that were open and are now acknowledged."""
    rolled_up: int = 0
    """Alerts under them acknowledged with them."""
    skipped: tuple[str, ...] = field(default=())
    """Alerts asked for that were no longer open (acknowledged or cleared meanwhile)."""


# --- reading ---------------------------------------------------------------------------------


def alert_order() -> tuple[ColumnElement[Any], ...]:
    """Return the ORDER BY of every alert list: most severe first, then newest first (the
    order of the `alerts_listing` index)."""
    a = alerts.c
    return SEVERITY_RANK, a.raised_at.desc(), a.alert_id.desc()


def _alert_select() -> AnySelect:
    return select(*(alerts.c[f.name] for f in fields(Alert)))


def _conditions(flt: AlertFilter) -> list[ColumnElement[bool]]:
    a = alerts.c
    where: list[ColumnElement[bool]] = []
    if flt.state == ACTIVE:
        where.append(a.state.in_(ACTIVE_ALERT_STATES))
    elif flt.state is not None:
        where.append(a.state == flt.state)
    if flt.feeder_id is not None:
        where.append(a.feeder_id == flt.feeder_id)
    if flt.district is not None:
        in_district = select(feeders.c.feeder_id).where(feeders.c.district == flt.district)
        where.append(a.feeder_id.in_(in_district))
    if flt.severity is not None:
        where.append(a.severity == flt.severity)
    if not flt.rolled_up:
        where.append(a.parent_id.is_(None))
    return where


def alert_page(
    conn: Connection, flt: AlertFilter, page: int = 0, page_size: int = PAGE_SIZE
) -> AlertPage:
    """Return one page of the alerts `flt` matches, most severe then newest first, with the
    total; a page past the end is read as the last one."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise AlertError(f"page_size: must be 1 to {MAX_PAGE_SIZE}, got {page_size}")
    where = _conditions(flt)
    total = int(conn.execute(select(func.count()).select_from(alerts).where(*where)).scalar_one())
    last_page = max(0, -(-total // page_size) - 1)
    page = min(max(page, 0), last_page)
    stmt = _alert_select().where(*where).order_by(*alert_order())
    found = _rows(conn, stmt.limit(page_size).offset(page * page_size))
    return AlertPage(tuple(with_rolled_up(conn, found)), total, page, page_size)


def find_alerts(
    conn: Connection,
    *,
    state: str | None = None,
    feeder_id: str | None = None,
    district: str | None = None,
    severity: str | None = None,
    limit: int = 500,
) -> list[Alert]:
    """Return the first `limit` alerts a filter matches, most severe then newest first."""
    if limit < 1:
        raise AlertError(f"limit: must be at least 1, not {limit}")
    flt = AlertFilter(state=state, feeder_id=feeder_id, district=district, severity=severity)
    stmt = _alert_select().where(*_conditions(flt)).order_by(*alert_order()).limit(limit)
    return _rows(conn, stmt)


def list_alerts(
    conn: Connection,
    state: str | Sequence[str] | None = None,
    feeder_id: str | None = None,
    severity: str | Sequence[str] | None = None,
    *,
    house_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
    rolled_up: bool = False,
) -> list[Alert]:
    """Return alerts most severe then newest first (the wall, the feeder page, reports).

    `state="active"` is open or acknowledged; `start`/`end` bound the time raised
    (start <= raised_at < end); alerts rolled up under another are left out unless `rolled_up`.
    """
    if limit < 1:
        raise AlertError(f"limit: must be at least 1, not {limit}")
    a = alerts.c
    states = ACTIVE_ALERT_STATES if state == ACTIVE else state
    stmt = _alert_select()
    for column, value in (
        (a.state, states),
        (a.feeder_id, feeder_id),
        (a.severity, severity),
        (a.house_id, house_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value if isinstance(value, str) else column.in_(value))
    if start is not None:
        stmt = stmt.where(a.raised_at >= start)
    if end is not None:
        stmt = stmt.where(a.raised_at < end)
    if not rolled_up:
        stmt = stmt.where(a.parent_id.is_(None))
    return _rows(conn, stmt.order_by(*alert_order()).limit(limit))


def active_alert_count(
    conn: Connection, feeder_id: str | None = None, severity: str | Sequence[str] | None = None
) -> int:
    """Return how many alerts are open or acknowledged, not counting rolled-up ones."""
    a = alerts.c
    stmt = select(func.count()).select_from(alerts)
    stmt = stmt.where(a.state.in_(ACTIVE_ALERT_STATES), a.parent_id.is_(None))
    if feeder_id is not None:
        stmt = stmt.where(a.feeder_id == feeder_id)
    if severity is not None:
        sev = [severity] if isinstance(severity, str) else list(severity)
        stmt = stmt.where(a.severity.in_(sev))
    return int(conn.execute(stmt).scalar_one())


def open_alert_count(conn: Connection) -> int:
    """Return how many alerts are open and not acknowledged, not counting rolled-up ones: the
    number in every page's header."""
    a = alerts.c
    stmt = select(func.count()).select_from(alerts).where(a.state == "open", a.parent_id.is_(None))
    return int(conn.execute(stmt).scalar_one())


def count_matching(conn: Connection, flt: AlertFilter, as_of: datetime | None = None) -> int:
    """Return how many open alerts `flt` matches (what acknowledging by filter would take),
    counting only alerts unchanged since `as_of`."""
    stmt = select(func.count()).select_from(alerts).where(*_open_matching(flt, as_of))
    return int(conn.execute(stmt).scalar_one())


def alerts_fingerprint(conn: Connection) -> str:
    """Return a short text that changes whenever any alert is raised, changed or removed."""
    n, newest = conn.execute(select(func.count(), func.max(alerts.c.updated_at))).one()
    return f"{n}:{'' if newest is None else newest.isoformat()}"


def find_alert(conn: Connection, alert_id: str) -> Alert | None:
    """Return one alert, or None."""
    found = _rows(conn, _alert_select().where(alerts.c.alert_id == alert_id))
    return found[0] if found else None


def _rows(conn: Connection, stmt: AnySelect) -> list[Alert]:
    return [Alert(**m) for m in conn.execute(stmt).mappings()]


def with_rolled_up(conn: Connection, found: Sequence[Alert]) -> list[ListedAlert]:
    """Return alerts with the counts, by kind, of the alerts rolled up under each."""
    if not found:
        return []
    a = alerts.c
    active_now = {x.alert_id for x in found if x.state != "cleared"}
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    stmt = (
        select(a.parent_id, a.kind, a.state, func.count())
        .where(a.parent_id.in_([x.alert_id for x in found]))
        .group_by(a.parent_id, a.kind, a.state)
    )
    for parent, kind, state, n in conn.execute(stmt):
        if parent in active_now and state == "cleared":
            continue
        counts[parent][kind] = counts[parent].get(kind, 0) + int(n)
    return [
        ListedAlert(x, tuple(sorted(counts[x.alert_id].items()))) if x.alert_id in counts
        else ListedAlert(x)
        for x in found
    ]  # fmt: skip


# --- acknowledging ---------------------------------------------------------------------------


def acknowledge(
    conn: Connection,
    alert_id: str,
    *,
    actor: str,
    address: str | None = None,
    now: datetime | None = None,
) -> Alert:
    """Mark an open alert (and what is rolled up under it) acknowledged by `actor` and audit
    it; return the alert as it is now.

    Raises AlertError for an unknown alert or one that is not open (already acknowledged or
    cleared); nothing is written then.
    """
    now = now or datetime.now(UTC)
    current = find_alert(conn, alert_id)
    if current is None:
        raise AlertError(f"no alert {alert_id!r}")
    if current.state != "open":
        raise AlertError(f"alert {alert_id!r} is {current.state}, not open")
    done = _acknowledge_ids(conn, [alert_id], actor, now)
    if done != [alert_id]:
        raise AlertError(f"alert {alert_id!r} changed meanwhile")
    rolled_up = _acknowledge_rolled_up(conn, done, actor, now)
    detail: dict[str, Any] = {
        "feeder": current.feeder_id or "",
        "severity": current.severity,
        "kind": current.kind,
    }
    if rolled_up:
        detail["rolled_up"] = rolled_up
    audit(
        conn,
        actor=actor,
        action=ACK_ACTION,
        target=alert_id,
        outcome="ok",
        detail=detail,
        address=address,
        ts=now,
    )
    alert = find_alert(conn, alert_id)
    assert alert is not None
    return alert


def acknowledge_selected(
    conn: Connection,
    alert_ids: Iterable[str],
    *,
    actor: str,
    address: str | None = None,
    now: datetime | None = None,
) -> Acknowledged:
    """Acknowledge the open ones of `alert_ids` (and what is rolled up under them) in one
    audited action; those no longer open are skipped and named in the result."""
    now = now or datetime.now(UTC)
    wanted = list(dict.fromkeys(alert_ids))
    if not wanted:
        raise AlertError("alert_ids: none selected")
    done = _acknowledge_ids(conn, wanted, actor, now)
    taken = set(done)
    result = Acknowledged(
        ids=tuple(done),
        rolled_up=_acknowledge_rolled_up(conn, done, actor, now),
        skipped=tuple(i for i in wanted if i not in taken),
    )
    _audit_bulk(conn, result, "selection", actor, address, now, {})
    return result


def acknowledge_matching(
    conn: Connection,
    flt: AlertFilter,
    *,
    as_of: datetime,
    actor: str,
    address: str | None = None,
    now: datetime | None = None,
) -> Acknowledged:
    """Acknowledge every open alert `flt` matches that has not changed since `as_of` (what the
    operator was shown and confirmed), and what is rolled up under them, in one audited
    action."""
    now = now or datetime.now(UTC)
    a = alerts.c
    ids = [str(i) for (i,) in conn.execute(select(a.alert_id).where(*_open_matching(flt, as_of)))]
    done = _acknowledge_ids(conn, ids, actor, now)
    result = Acknowledged(ids=tuple(done), rolled_up=_acknowledge_rolled_up(conn, done, actor, now))
    _audit_bulk(conn, result, "filter", actor, address, now, flt.describe())
    return result


def _open_matching(flt: AlertFilter, as_of: datetime | None) -> list[ColumnElement[bool]]:
    """Return the WHERE of the open alerts `flt` matches (none when it asks for another state)."""
    where = _conditions(replace(flt, state="open"))
    if flt.state not in (None, ACTIVE, "open"):
        where.append(false())
    if as_of is not None:
        where.append(alerts.c.updated_at <= as_of)
    return where


def _acknowledge_ids(
    conn: Connection, alert_ids: Sequence[str], actor: str, now: datetime
) -> list[str]:
    """Acknowledge those of `alert_ids` that are open; return them in the order given."""
    a = alerts.c
    done: set[str] = set()
    for k in range(0, len(alert_ids), _CHUNK):
        chunk = list(alert_ids[k : k + _CHUNK])
        taken = conn.execute(
            update(alerts)
            .where(a.alert_id.in_(chunk), a.state == "open")
            .values(state="acknowledged", acked_by=actor, acked_at=now, updated_at=now)
            .returning(a.alert_id)
        )
        done.update(str(i) for (i,) in taken)
    return [i for i in alert_ids if i in done]


def _acknowledge_rolled_up(
    conn: Connection, parent_ids: Sequence[str], actor: str, now: datetime
) -> int:
    """Acknowledge the open alerts rolled up under `parent_ids`, level by level; return how
    many."""
    a = alerts.c
    total = 0
    parents = list(parent_ids)
    for _ in range(_ROLLUP_DEPTH):
        if not parents:
            break
        children: list[str] = []
        for k in range(0, len(parents), _CHUNK):
            chunk = parents[k : k + _CHUNK]
            children += [
                str(i) for (i,) in conn.execute(select(a.alert_id).where(a.parent_id.in_(chunk)))
            ]
        total += len(_acknowledge_ids(conn, children, actor, now))
        parents = children
    return total


def _audit_bulk(
    conn: Connection,
    result: Acknowledged,
    how: AckHow,
    actor: str,
    address: str | None,
    now: datetime,
    described: Mapping[str, Any],
) -> None:
    """Write the one audit row of a bulk acknowledgement."""
    detail: dict[str, Any] = {
        "by": how,
        "count": len(result.ids),
        "ids": list(result.ids[:AUDIT_IDS_MAX]),
    }
    if len(result.ids) > AUDIT_IDS_MAX:
        detail["ids_not_listed"] = len(result.ids) - AUDIT_IDS_MAX
    if result.rolled_up:
        detail["rolled_up"] = result.rolled_up
    if result.skipped:
        detail["skipped"] = list(result.skipped[:AUDIT_IDS_MAX])
    if described:
        detail["filter"] = dict(described)
    audit(
        conn,
        actor=actor,
        action=ACK_ACTION,
        target=f"{len(result.ids)} alerts",
        outcome="ok",
        detail=detail,
        address=address,
        ts=now,
    )


def forget_edge_conditions(conn: Connection, feeder_ids: Sequence[str], now: datetime) -> int:
    """Clear the active alerts the feeders' edge controllers raised and show none of their
    houses locked out: for controllers that start afresh, with no memory of those conditions
    (the demo's simulated fleet, started again from its as-built phases). Return the alerts
    cleared."""
    if not feeder_ids:
        return 0
    cleared = conn.execute(
        update(alerts)
        .where(
            alerts.c.feeder_id.in_(feeder_ids),
            alerts.c.kind.in_(sorted(EDGE_KINDS)),
            alerts.c.state.in_(ACTIVE_ALERT_STATES),
        )
        .values(state="cleared", cleared_at=now, updated_at=now)
    ).rowcount
    conn.execute(
        update(houses)
        .where(houses.c.feeder_id.in_(feeder_ids), houses.c.locked)
        .values(locked=False, locked_reason=None, locked_since=None, locked_until=None)
    )
    return int(cleared or 0)
