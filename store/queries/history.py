"""What happened on a feeder, newest first: balancing runs, switches, operators' commands and
audit entries (the feeder page's history, the command path and the tests read them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from grid.events import CommandState, RunResult, RunTrigger, SwitchOrigin, SwitchResult
from grid.messages import ControlAction
from grid.phasors import Phase
from store import schema as db
from store.queries.filters import DEFAULT_LIMIT, filtered, mappings, newest_first, select_fields


@dataclass(frozen=True, slots=True)
class BalancingRun:
    """One balancing run with the phase currents [A] and unbalance [%] before and after it."""

    run_id: str
    feeder_id: str
    ts: datetime
    trigger: RunTrigger
    result: RunResult
    before_i_r: float | None
    before_i_y: float | None
    before_i_b: float | None
    before_i_n: float | None
    before_unbalance_pct: float | None
    after_i_r: float | None
    after_i_y: float | None
    after_i_b: float | None
    after_i_n: float | None
    after_unbalance_pct: float | None
    moves: tuple[Mapping[str, Any], ...]
    decided_at: datetime | None = None  # when "before" was measured; `ts`: when "after" was

    @property
    def neutral_reduction_pct(self) -> float | None:
        """Return how much the run cut the neutral current [%], or None when unknown."""
        if self.before_i_n is None or self.after_i_n is None or self.before_i_n <= 0:
            return None
        return 100.0 * (self.before_i_n - self.after_i_n) / self.before_i_n


@dataclass(frozen=True, slots=True)
class SwitchEvent:
    """The outcome of one switch of a house."""

    event_id: int
    ts: datetime
    feeder_id: str
    house_id: str
    from_phase: Phase
    to_phase: Phase
    result: SwitchResult
    origin: SwitchOrigin
    cmd_id: str | None
    run_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Command:
    """An operator command and where it is in its lifecycle."""

    cmd_id: str
    feeder_id: str
    house_id: str | None
    action: ControlAction
    params: Mapping[str, Any]
    state: CommandState
    reason: str
    requested_by: str
    requested_at: datetime
    updated_at: datetime
    ctr: int | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited action or denial."""

    entry_id: int
    ts: datetime
    username: str | None
    action: str
    target: str
    outcome: str
    detail: Mapping[str, Any]
    address: str | None


def balancing_runs(
    conn: Connection,
    feeder_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    result: str | Sequence[str] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[BalancingRun]:
    """Return balancing runs, newest first."""
    t = db.balancing_runs.c
    stmt = filtered(
        select_fields(db.balancing_runs, BalancingRun), (t.feeder_id, feeder_id), (t.result, result)
    )
    stmt = newest_first(stmt, t.ts, t.run_id, start, end, limit)
    return [_run(m) for m in mappings(conn, stmt)]


def balancing_run(conn: Connection, run_id: str) -> BalancingRun | None:
    """Return one balancing run, or None."""
    stmt = select_fields(db.balancing_runs, BalancingRun)
    m = conn.execute(stmt.where(db.balancing_runs.c.run_id == run_id)).mappings().first()
    return None if m is None else _run(m)


def _run(m: RowMapping) -> BalancingRun:
    values = dict(m)
    moves = values.pop("moves") or ()
    values.update(trigger=RunTrigger(values["trigger"]), result=RunResult(values["result"]))
    return BalancingRun(**values, moves=tuple(dict(x) for x in moves))


def switch_events(
    conn: Connection,
    feeder_id: str | None = None,
    house_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    result: str | Sequence[str] | None = None,
    run_id: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[SwitchEvent]:
    """Return switch outcomes, newest first."""
    t = db.switch_events.c
    stmt = filtered(
        select_fields(db.switch_events, SwitchEvent),
        (t.feeder_id, feeder_id),
        (t.house_id, house_id),
        (t.result, result),
        (t.run_id, run_id),
    )
    stmt = newest_first(stmt, t.ts, t.event_id, start, end, limit)
    return [_switch(m) for m in mappings(conn, stmt)]


def _switch(m: RowMapping) -> SwitchEvent:
    return SwitchEvent(
        **{
            **m,
            "from_phase": Phase(m["from_phase"]),
            "to_phase": Phase(m["to_phase"]),
            "result": SwitchResult(m["result"]),
            "origin": SwitchOrigin(m["origin"]),
        }
    )


def commands(
    conn: Connection,
    feeder_id: str | None = None,
    state: str | Sequence[str] | None = None,
    *,
    house_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Command]:
    """Return commands by request time, newest first."""
    t = db.commands.c
    stmt = filtered(
        select_fields(db.commands, Command),
        (t.feeder_id, feeder_id),
        (t.state, state),
        (t.house_id, house_id),
    )
    stmt = newest_first(stmt, t.requested_at, t.cmd_id, start, end, limit)
    return [_command(m) for m in mappings(conn, stmt)]


def command(conn: Connection, cmd_id: str) -> Command | None:
    """Return one command, or None."""
    stmt = select_fields(db.commands, Command).where(db.commands.c.cmd_id == cmd_id)
    m = conn.execute(stmt).mappings().first()
    return None if m is None else _command(m)


def _command(m: RowMapping) -> Command:
    return Command(
        **{
            **m,
            "action": ControlAction(m["action"]),
            "state": CommandState(m["state"]),
            "params": dict(m["params"] or {}),
        }
    )


def audit_entries(
    conn: Connection,
    username: str | None = None,
    action_prefix: str | None = None,
    outcome: str | Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    target: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[AuditEntry]:
    """Return audit entries, newest first; `action_prefix` matches literally (no wildcards)."""
    t = db.audit_log.c
    stmt = filtered(
        select_fields(db.audit_log, AuditEntry),
        (t.username, username),
        (t.outcome, outcome),
        (t.target, target),
    )
    if action_prefix:
        stmt = stmt.where(t.action.startswith(action_prefix, autoescape=True))
    stmt = newest_first(stmt, t.ts, t.entry_id, start, end, limit)
    return [AuditEntry(**{**m, "detail": dict(m["detail"] or {})}) for m in mappings(conn, stmt)]
