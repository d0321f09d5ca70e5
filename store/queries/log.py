"""The log page's one timeline: every command, switch and balancing run and every audited user
action or denial, with who, what, on what, why and the result; filtered, sorted and paged in SQL.

One user action is one row. An operator's command (a mode change, a manual move, an unlock...)
is its `commands` row: its state is the result, the operator's note the why and a rejection or
failure the reason. The audit rows that record its steps (`command.<action>`, `command.sent`,
`command.not_sent`, each with the command's `cmd_id` in its detail) and the switch the
controller made for it (`switch_events.cmd_id`) are part of that row, not rows of their own.
The controller's own switches and balancing runs, and every other audited action or denial
(sign-ins, acknowledgements, user changes, refusals, a command that could not be created) are
one row each.

The four sources are read as one UNION ALL of narrow selects (time, kind, key, actor, feeder,
district), filtered inside each branch, sorted and cut to a page in SQL, with the total from the
same selects; only the page's rows are then read in full, by key. Every branch has an index on
its time, its feeder and time, and (commands, audit) its actor and time (migration 0003), so a
page of a million-row log is an index walk. A page past the middle is read from the other end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    FromClause,
    Select,
    String,
    Table,
    cast,
    func,
    literal_column,
    select,
    union_all,
)

from grid.events import RunResult, SwitchResult
from grid.timezones import IST
from store.audit import OUTCOMES
from store.schema import (
    AUDIT_OWN,
    COMMAND_STATES,
    SWITCH_OWN,
    audit_log,
    balancing_runs,
    commands,
    feeders,
    switch_events,
)

LogKind = Literal["audit", "command", "run", "switch"]
LOG_KINDS: Final[tuple[LogKind, ...]] = ("audit", "command", "run", "switch")
"""The kinds of log row, in the order "sort by kind" puts them."""

LogSort = Literal["time", "feeder", "district", "actor", "kind"]
LOG_SORTS: Final[tuple[LogSort, ...]] = ("time", "feeder", "district", "actor", "kind")
"""What the log sorts by; every sort but "time" then shows the newest first."""

LOG_RESULTS: Final[tuple[str, ...]] = tuple(
    dict.fromkeys([*OUTCOMES, *COMMAND_STATES, *map(str, SwitchResult), *map(str, RunResult)])
)
"""Every result a row can have: audit outcomes, command states, switch and run results."""

LOG_COLUMNS: Final = (
    "ts", "kind", "who", "action", "target", "feeder", "district", "why", "result", "reason",
)  # fmt: skip
"""The fields of a LogEntry as the table and the CSV export show them, in order."""

ANONYMOUS: Final = "anonymous"
"""Who an audit row without a user (a failed sign-in) is by."""
CONTROLLER: Final = "auto"
"""Who the controller's own switches and balancing runs are by."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of the log."""

    ts: datetime
    kind: LogKind
    who: str  # a username, "anonymous", or "auto" for the controller's own switches and runs
    action: str  # e.g. "switch R→Y", "set_mode manual", "balancing run, 2 moves",
    # "user.set_role role=admin, was=viewer" (an audit row's action with its detail)
    target: str  # feeder, house, alert or user id
    feeder_id: str  # the feeder the row belongs to, "" for none
    district: str  # the feeder's district, "" for none
    why: str  # the operator's note, the run a switch belongs to, why a run ran
    result: str  # command state, switch or run result, or audit outcome (ok, denied, failed)
    reason: str  # why a command, switch or action was refused, failed or rolled back

    def as_row(self) -> dict[str, str]:
        """Return the entry as strings keyed by LOG_COLUMNS (ts in IST, ISO 8601, to the second)."""
        return {
            "ts": self.ts.astimezone(IST).isoformat(timespec="seconds"),
            "kind": self.kind,
            "who": self.who,
            "action": self.action,
            "target": self.target,
            "feeder": self.feeder_id,
            "district": self.district,
            "why": self.why,
            "result": self.result,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What the log shows; None is "any"."""

    kinds: Sequence[LogKind] = LOG_KINDS
    feeder_id: str | None = None  # rows of the feeder, its houses and its alerts
    district: str | None = None  # rows of the district's feeders
    username: str | None = None  # the actor: a username, "anonymous" or "auto"
    result: str | None = None
    start: datetime | None = None  # first instant shown
    end: datetime | None = None  # first instant not shown


@dataclass(frozen=True, slots=True)
class LogOrder:
    """How the log is sorted: by `key` (descending or not), then newest first."""

    key: LogSort = "time"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.key not in LOG_SORTS:
            raise ValueError(f"sort: {self.key!r} is not one of {', '.join(LOG_SORTS)}")


NEWEST_FIRST: Final = LogOrder()


@dataclass(frozen=True, slots=True)
class LogPage:
    """One page of the log and where it stands."""

    entries: list[LogEntry]
    total: int  # rows that pass the filter
    page: int  # 0-based, within 0 … pages − 1
    pages: int  # at least 1
    size: int


# --- the sources ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Source:
    """How one table feeds the log: its columns under the log's names."""

    kind: LogKind
    table: Table
    ts: ColumnElement[Any]
    key: ColumnElement[Any]
    feeder: ColumnElement[Any]
    result: ColumnElement[Any]
    actor: ColumnElement[Any] | None  # None: every row is by CONTROLLER
    own: tuple[ColumnElement[bool], ...] = ()  # which rows of the table are log rows


_s, _c, _r, _a = switch_events.c, commands.c, balancing_runs.c, audit_log.c
_SOURCES: Final = (
    _Source(
        "audit", audit_log, _a.ts, cast(_a.entry_id, String), _a.feeder_id, _a.outcome,
        _a.username, (literal_column(AUDIT_OWN, Boolean),),
    ),
    _Source(
        "command", commands, _c.requested_at, _c.cmd_id, _c.feeder_id, _c.state, _c.requested_by
    ),
    _Source("run", balancing_runs, _r.ts, _r.run_id, _r.feeder_id, _r.result, None),
    _Source(
        "switch", switch_events, _s.ts, cast(_s.event_id, String), _s.feeder_id, _s.result,
        None, (literal_column(SWITCH_OWN, Boolean),),
    ),
)  # fmt: skip
"""The sources, in LOG_KINDS order. A command's own audit rows and switch are not log rows."""


BRANCH_TOP_MAX: Final = 20_000
"""Up to this offset + limit, each source is cut to its own first rows before the merge."""


def _where(source: _Source, f: LogFilter) -> list[ColumnElement[bool]] | None:
    """Return the conditions of `f` on one source, or None when none of its rows can pass."""
    if source.kind not in f.kinds:
        return None
    where: list[ColumnElement[bool]] = list(source.own)
    if f.username is not None:
        if source.actor is None:
            if f.username != CONTROLLER:
                return None
        elif f.username == ANONYMOUS and source.kind == "audit":
            where.append(source.actor.is_(None))
        else:
            where.append(source.actor == f.username)
    if f.result is not None:
        where.append(source.result == f.result)
    if f.feeder_id is not None:
        where.append(source.feeder == f.feeder_id)
    if f.start is not None:
        where.append(source.ts >= f.start)
    if f.end is not None:
        where.append(source.ts < f.end)
    if f.district is not None:
        district = select(feeders.c.feeder_id).where(feeders.c.district == f.district)
        where.append(source.feeder.in_(district.scalar_subquery()))
    return where


def _branches(
    source: _Source, f: LogFilter, *, columns: bool, with_district: bool
) -> list[Select[Any]]:
    """Return the narrow selects of one source's rows that pass `f` (none, one or two).

    To sort by district a source is read as two selects: the rows of a feeder (joined, so that
    PostgreSQL walks the feeders in district order and each feeder's rows by index) and, unless
    a district is asked for, the rows of none. A row's feeder is always provisioned: ingest
    refuses unknown feeders, a command needs one, and an audit row takes its feeder from the
    store.
    """
    where = _where(source, f)
    if where is None:
        return []
    if not with_district:
        return [_select(source, source.table, where, columns, with_district=False)]
    joined = source.table.join(feeders, feeders.c.feeder_id == source.feeder)
    selects = [_select(source, joined, where, columns)]
    if f.district is None:
        none = [*where, source.feeder.is_(None)]
        selects.append(_select(source, source.table, none, columns, with_district=False))
    return selects


def _select(
    source: _Source,
    table: FromClause,
    where: list[ColumnElement[bool]],
    columns: bool,
    *,
    with_district: bool = True,
) -> Select[Any]:
    if not columns:
        return select(literal_column("1").label("one")).select_from(table).where(*where)
    who = literal_column(f"'{CONTROLLER}'", String) if source.actor is None else source.actor
    district = feeders.c.district if with_district else literal_column("NULL", String)
    return (
        select(
            source.ts.label("ts"),
            literal_column(f"'{source.kind}'", String).label("kind"),
            source.key.label("key"),
            who.label("who"),  # NULL: anonymous
            source.feeder.label("feeder_id"),
            district.label("district"),
        )
        .select_from(table)
        .where(*where)
    )


def _union(
    f: LogFilter,
    *,
    columns: bool,
    with_district: bool = False,
    order: LogOrder | None = None,
    reverse: bool = False,
    first: int | None = None,
) -> Any | None:
    """Return the UNION ALL of the branches as a subquery named "log", or None when empty.

    With `order` and `first`, each branch keeps only its own first `first` rows in that order:
    PostgreSQL plans a branch with a WHERE clause on its own, and would otherwise read it whole.
    """
    selects = []
    for source in _SOURCES:
        for branch in _branches(source, f, columns=columns, with_district=with_district):
            if order is None or first is None:
                selects.append(branch)
                continue
            inner = branch.subquery()
            top = select(*inner.c).order_by(*_order_terms(inner, order, reverse)).limit(first)
            selects.append(select(*top.subquery().c))
    if not selects:
        return None
    return union_all(*selects).subquery("log")


def count_log(conn: Connection, f: LogFilter = LogFilter()) -> int:
    """Return how many log rows pass the filter."""
    log = _union(f, columns=False)
    if log is None:
        return 0
    return int(conn.execute(select(func.count()).select_from(log)).scalar_one())


_SORT_COLUMNS: Final = {
    "time": (),
    "feeder": ("feeder_id",),
    "district": ("district", "feeder_id"),
    "actor": ("who",),
    "kind": ("kind",),
}
"""The columns each sort orders by before the time (anonymous, and no feeder, sort last)."""


def _order_terms(log: Any, order: LogOrder, reverse: bool) -> list[Any]:
    """Return the ORDER BY of `order` (flipped end to end when `reverse`), ties broken fully."""
    newest = not (order.key == "time" and not order.descending)
    terms: list[tuple[Any, bool]] = [(log.c[c], order.descending) for c in _SORT_COLUMNS[order.key]]
    terms += [(log.c.ts, newest), (log.c.kind, newest), (log.c.key, newest)]
    out = []
    for column, descending in terms:
        down = descending != reverse
        # PostgreSQL's own null order for each direction, so that its indexes serve the sort.
        out.append(column.desc().nulls_first() if down else column.asc().nulls_last())
    return out


def log_rows(
    conn: Connection,
    f: LogFilter = LogFilter(),
    order: LogOrder = NEWEST_FIRST,
    *,
    offset: int = 0,
    limit: int = 50,
    reverse: bool = False,
) -> list[LogEntry]:
    """Return the log rows `offset` … `offset + limit − 1` that pass `f`, sorted by `order`.

    With `reverse` the rows are counted from the other end of the order (and returned in
    `order`): the last page of a long log is then as quick to read as the first.
    """
    if limit < 1:
        raise ValueError(f"limit: must be at least 1, not {limit}")
    if offset < 0:
        raise ValueError(f"offset: must not be negative, not {offset}")
    log = _union(
        f,
        columns=True,
        with_district=order.key == "district",
        order=order,
        reverse=reverse,
        first=offset + limit if offset + limit <= BRANCH_TOP_MAX else None,
    )
    if log is None:
        return []
    stmt = (
        select(log.c.kind, log.c.key)
        .order_by(*_order_terms(log, order, reverse))
        .offset(offset)
        .limit(limit)
    )
    keys = [(str(kind), str(key)) for kind, key in conn.execute(stmt)]
    if reverse:
        keys.reverse()
    found: dict[tuple[str, str], LogEntry] = {}
    for kind, read in _READERS.items():
        wanted = [key for k, key in keys if k == kind]
        if wanted:
            found.update({(kind, key): entry for key, entry in read(conn, wanted).items()})
    return [found[k] for k in keys if k in found]


def log_page(
    conn: Connection,
    f: LogFilter = LogFilter(),
    order: LogOrder = NEWEST_FIRST,
    *,
    page: int = 0,
    size: int = 50,
) -> LogPage:
    """Return page `page` (0-based, clamped to the last page) of `size` rows, with the total."""
    if size < 1:
        raise ValueError(f"size: must be at least 1, not {size}")
    total = count_log(conn, f)
    pages = max(1, math.ceil(total / size))
    page = min(max(page, 0), pages - 1)
    offset = page * size
    if total == 0:
        entries: list[LogEntry] = []
    elif offset > total // 2:
        last = min(offset + size, total)
        entries = log_rows(conn, f, order, offset=total - last, limit=last - offset, reverse=True)
    else:
        entries = log_rows(conn, f, order, offset=offset, limit=size)
    return LogPage(entries=entries, total=total, page=page, pages=pages, size=size)


def activity(
    conn: Connection, log_filter: LogFilter = LogFilter(), *, limit: int = 500
) -> list[LogEntry]:
    """Return the newest `limit` log entries that pass the filter, newest first."""
    return log_rows(conn, log_filter, NEWEST_FIRST, limit=limit)


# --- the page's rows in full ------------------------------------------------------------------


def _with_district(table: Table, feeder: ColumnElement[Any]) -> Select[Any]:
    return select(table, feeders.c.district).select_from(
        table.outerjoin(feeders, feeders.c.feeder_id == feeder)
    )


def _read_commands(conn: Connection, keys: Sequence[str]) -> dict[str, LogEntry]:
    stmt = _with_district(commands, _c.feeder_id).where(_c.cmd_id.in_(keys))
    return {
        m["cmd_id"]: LogEntry(
            ts=m["requested_at"],
            kind="command",
            who=m["requested_by"],
            action=command_action(m["action"], m["params"]),
            target=m["house_id"] or m["feeder_id"],
            feeder_id=m["feeder_id"],
            district=m["district"] or "",
            why=str((m["params"] or {}).get("why") or ""),
            result=m["state"],
            reason=m["reason"] or "",
        )
        for m in conn.execute(stmt).mappings()
    }


def _read_switches(conn: Connection, keys: Sequence[str]) -> dict[str, LogEntry]:
    ids = [int(k) for k in keys]
    stmt = _with_district(switch_events, _s.feeder_id).where(_s.event_id.in_(ids))
    return {
        str(m["event_id"]): LogEntry(
            ts=m["ts"],
            kind="switch",
            who=m["origin"] or CONTROLLER,
            action=f"switch {m['from_phase']}→{m['to_phase']}",
            target=m["house_id"],
            feeder_id=m["feeder_id"],
            district=m["district"] or "",
            why=f"balancing run {m['run_id']}" if m["run_id"] else "",
            result=m["result"],
            reason=m["reason"] or "",
        )
        for m in conn.execute(stmt).mappings()
    }


def _read_runs(conn: Connection, keys: Sequence[str]) -> dict[str, LogEntry]:
    stmt = _with_district(balancing_runs, _r.feeder_id).where(_r.run_id.in_(keys))
    return {
        m["run_id"]: LogEntry(
            ts=m["ts"],
            kind="run",
            who=CONTROLLER,
            action=run_action(len(m["moves"] or ())),
            target=m["feeder_id"],
            feeder_id=m["feeder_id"],
            district=m["district"] or "",
            why=run_why(m["trigger"], m["before_i_n"], m["after_i_n"]),
            result=m["result"],
            reason="",
        )
        for m in conn.execute(stmt).mappings()
    }


def _read_audits(conn: Connection, keys: Sequence[str]) -> dict[str, LogEntry]:
    ids = [int(k) for k in keys]
    stmt = _with_district(audit_log, _a.feeder_id).where(_a.entry_id.in_(ids))
    out = {}
    for m in conn.execute(stmt).mappings():
        detail = m["detail"] if isinstance(m["detail"], dict) else {}
        action, why, reason = audit_texts(m["action"], m["outcome"], detail)
        out[str(m["entry_id"])] = LogEntry(
            ts=m["ts"],
            kind="audit",
            who=m["username"] or ANONYMOUS,
            action=action,
            target=m["target"] or "",
            feeder_id=m["feeder_id"] or "",
            district=m["district"] or "",
            why=why,
            result=m["outcome"],
            reason=reason,
        )
    return out


_READERS: Final[Mapping[str, Callable[[Connection, Sequence[str]], dict[str, LogEntry]]]] = {
    "audit": _read_audits,
    "command": _read_commands,
    "run": _read_runs,
    "switch": _read_switches,
}


# --- texts ------------------------------------------------------------------------------------


def command_action(action: str, params: Mapping[str, Any] | None) -> str:
    """Return what a command asked for: "switch R→Y", "set_mode manual", "config a=1"."""
    p = params or {}
    if action == "switch" and p.get("from") and p.get("to"):
        return f"switch {p['from']}→{p['to']}"
    if action == "set_mode" and p.get("mode"):
        return f"set_mode {p['mode']}"
    if action == "config" and isinstance(p.get("config"), dict):
        return "config " + detail_text(p["config"])
    return action


def run_action(moves: int) -> str:
    """Return a balancing run's action text: "balancing run, 2 moves"."""
    return f"balancing run, {moves} move" + ("" if moves == 1 else "s")


def run_why(trigger: str, before_i_n: float | None, after_i_n: float | None) -> str:
    """Return why a run ran and what it did to the neutral: "auto; neutral 34.6 → 1.0 A"."""
    if before_i_n is None or after_i_n is None:
        return trigger
    return f"{trigger}; neutral {before_i_n:.1f} → {after_i_n:.1f} A"


NOTE_KEY: Final = "why"
"""The audit detail key of the operator's note."""
REASON_KEYS: Final = ("reason", "error", "blocked")
"""The audit detail keys of why an action was refused or failed, the first one present used
("error" and "blocked" as rows written before "reason" was the only one say it)."""


def audit_texts(action: str, outcome: str, detail: Mapping[str, Any]) -> tuple[str, str, str]:
    """Return an audit row's action, why and reason as the log shows them.

    The why is the operator's note; the reason why the action was refused or failed (a denial:
    the role it needs and the one the user has); the rest of the detail follows the action,
    as a command's parameters do: ("user.set_role role=admin, was=viewer", "", "").
    """
    rest = dict(detail)
    why = str(rest.pop(NOTE_KEY, "") or "")
    reasons = [str(rest.pop(k)) for k in REASON_KEYS if k in rest]
    reason = next((r for r in reasons if r), "")
    if outcome == "denied" and not reason and "required" in rest:
        reason = f"needs the {rest.pop('required')} role, has {rest.pop('role', 'none')}"
    return (f"{action} {detail_text(rest)}" if rest else action), why, reason


def detail_text(detail: Mapping[str, Any]) -> str:
    """Return an audit row's detail as "key=value" pairs, sorted by key."""
    return ", ".join(f"{k}={v}" for k, v in sorted(detail.items()))
