"""The log page's one timeline: every switch, every command and every audited user action or
denial, newest first, with who, what, on what, why and the result.

Each source is read with the same filters and capped at `limit`, then the three are merged, so
the newest `limit` entries of the union are always complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import ColumnElement, Connection, or_, select

from store.schema import audit_log, commands, switch_events

LogKind = Literal["switch", "command", "audit"]
LOG_KINDS: Final[tuple[LogKind, ...]] = ("switch", "command", "audit")

LOG_COLUMNS: Final = ("ts", "kind", "who", "action", "target", "why", "result")
"""The fields of a LogEntry as the table and the CSV export show them, in order."""

ANONYMOUS: Final = "anonymous"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of the log."""

    ts: datetime
    kind: LogKind
    who: str  # a username, "anonymous", or the edge's origin ("auto") for its own switches
    action: str  # e.g. "switch R→Y", "command set_mode", "alert.ack"
    target: str  # feeder, house, alert or user id
    why: str
    result: str  # switch result, command state, or audit outcome (ok, denied, failed)

    def as_row(self) -> dict[str, str]:
        """Return the entry as strings keyed by LOG_COLUMNS (ts in ISO 8601, UTC)."""
        return {
            "ts": self.ts.isoformat(timespec="seconds"),
            "kind": self.kind,
            "who": self.who,
            "action": self.action,
            "target": self.target,
            "why": self.why,
            "result": self.result,
        }


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What the log shows; None is "any"."""

    kinds: Sequence[LogKind] = LOG_KINDS
    feeder_id: str | None = None  # the feeder, its houses, and audit targets under it
    username: str | None = None
    result: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def activity(
    conn: Connection, log_filter: LogFilter = LogFilter(), *, limit: int = 500
) -> list[LogEntry]:
    """Return the newest `limit` log entries that pass the filter, newest first."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    entries: list[LogEntry] = []
    if "switch" in log_filter.kinds:
        entries += _switches(conn, log_filter, limit)
    if "command" in log_filter.kinds:
        entries += _commands(conn, log_filter, limit)
    if "audit" in log_filter.kinds:
        entries += _audits(conn, log_filter, limit)
    entries.sort(key=lambda e: e.ts, reverse=True)
    return entries[:limit]


def _window(column: ColumnElement[Any], f: LogFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.start is not None:
        where.append(column >= f.start)
    if f.end is not None:
        where.append(column < f.end)
    return where


def _switches(conn: Connection, f: LogFilter, limit: int) -> list[LogEntry]:
    s, c = switch_events.c, commands.c
    stmt = select(
        s.ts,
        s.feeder_id,
        s.house_id,
        s.from_phase,
        s.to_phase,
        s.result,
        s.origin,
        s.reason,
        c.requested_by,
    ).select_from(switch_events.outerjoin(commands, c.cmd_id == s.cmd_id))
    where = _window(s.ts, f)
    if f.feeder_id is not None:
        where.append(s.feeder_id == f.feeder_id)
    if f.username is not None:
        where.append(c.requested_by == f.username)
    if f.result is not None:
        where.append(s.result == f.result)
    stmt = stmt.where(*where).order_by(s.ts.desc(), s.event_id.desc()).limit(limit)
    return [
        LogEntry(
            ts=m["ts"],
            kind="switch",
            who=m["requested_by"] or m["origin"],
            action=f"switch {m['from_phase']}→{m['to_phase']}",
            target=m["house_id"],
            why=m["reason"] or "",
            result=m["result"],
        )
        for m in conn.execute(stmt).mappings()
    ]


def _commands(conn: Connection, f: LogFilter, limit: int) -> list[LogEntry]:
    c = commands.c
    where = _window(c.requested_at, f)
    if f.feeder_id is not None:
        where.append(c.feeder_id == f.feeder_id)
    if f.username is not None:
        where.append(c.requested_by == f.username)
    if f.result is not None:
        where.append(c.state == f.result)
    stmt = (
        select(commands).where(*where).order_by(c.requested_at.desc(), c.cmd_id.desc()).limit(limit)
    )
    return [
        LogEntry(
            ts=m["requested_at"],
            kind="command",
            who=m["requested_by"],
            action=f"command {m['action']}",
            target=m["house_id"] or m["feeder_id"],
            why=m["reason"] or "",
            result=m["state"],
        )
        for m in conn.execute(stmt).mappings()
    ]


def _audits(conn: Connection, f: LogFilter, limit: int) -> list[LogEntry]:
    a = audit_log.c
    where = _window(a.ts, f)
    if f.feeder_id is not None:
        prefix = f.feeder_id + "-"
        where.append(or_(a.target == f.feeder_id, a.target.startswith(prefix, autoescape=True)))
    if f.username is not None:
        where.append(a.username == f.username)
    if f.result is not None:
        where.append(a.outcome == f.result)
    stmt = select(audit_log).where(*where).order_by(a.ts.desc(), a.entry_id.desc()).limit(limit)
    return [
        LogEntry(
            ts=m["ts"],
            kind="audit",
            who=m["username"] or ANONYMOUS,
            action=m["action"],
            target=m["target"] or "",
            why=_why(m["detail"]),
            result=m["outcome"],
        )
        for m in conn.execute(stmt).mappings()
    ]


def _why(detail: Any) -> str:
    """Return an audit row's detail as "key=value" pairs."""
    if not isinstance(detail, dict):
        return ""
    return ", ".join(f"{k}={v}" for k, v in sorted(detail.items()))
