"""A long history for the alerts and log pages: alerts and log rows by COPY, as years of a fleet
would leave them.

Used by bench/dashboard.py (100,000 alerts and 1,000,000 log rows on 5,000 feeders) and its
smoke test (a few hundred). Log rows are what the log page shows, one per action: the
controller's switches and balancing runs, operators' commands (each with the audit rows of its
steps and, for a move, the switch it caused, which the log folds into the command's row) and
other audited actions and denials. Times spread over `days` before `now`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np
from sqlalchemy import Engine, text

LOG_SHARES: Final = {"switch": 0.45, "run": 0.15, "command": 0.10, "audit": 0.30}
"""Share of each kind among the log rows."""
OPERATORS: Final = 30
"""Operators' usernames are op01 … op30."""
ALERT_KINDS: Final = (
    ("phase_overload", "critical"), ("sustained_unbalance", "warning"),
    ("house_offline", "warning"), ("feeder_offline", "critical"), ("switch_rolled_back", "info"),
)  # fmt: skip
AUDIT_ACTIONS: Final = (
    ("auth.login", "ok"), ("auth.login", "failed"), ("alert.ack", "ok"),
    ("feeder.set_mode", "denied"), ("log.export", "ok"), ("auth.logout", "ok"),
)  # fmt: skip
COMMAND_STATES: Final = ("applied", "applied", "applied", "rejected", "failed", "rolled_back")


@dataclass(frozen=True, slots=True)
class Seeded:
    """What was loaded: log rows by kind, rows written in all, and the alerts."""

    log_rows: dict[str, int]
    table_rows: int
    alerts: int


def seed_history(
    engine: Engine,
    feeders: Sequence[str],
    now: datetime,
    *,
    log_rows: int,
    alerts: int,
    days: float = 90.0,
    seed: int = 3,
) -> Seeded:
    """COPY `alerts` alerts and `log_rows` log rows about `feeders` into the store."""
    rng = np.random.default_rng(seed)
    counts = {k: round(log_rows * share) for k, share in LOG_SHARES.items()}
    counts["audit"] += log_rows - sum(counts.values())
    span_s = days * 86_400.0
    fids = np.array(feeders)

    def times(n: int) -> list[datetime]:
        ago = np.sort(rng.uniform(0.0, span_s, n))[::-1]
        return [now - timedelta(seconds=round(float(s), 3)) for s in ago]

    def pick(n: int) -> list[str]:
        return [str(f) for f in fids[rng.integers(0, len(fids), n)]]

    tables: dict[str, list[tuple[Any, ...]]] = {
        "alerts": [], "switch_events": [], "balancing_runs": [], "commands": [], "audit_log": [],
    }  # fmt: skip
    for k, (ts, fid) in enumerate(zip(times(alerts), pick(alerts), strict=True)):
        kind, severity = ALERT_KINDS[k % len(ALERT_KINDS)]
        house = (
            f"{fid}-H{k % 60 + 1:03d}" if kind in ("house_offline", "switch_rolled_back") else None
        )
        state = "open" if k % 20 == 0 else ("acknowledged" if k % 10 == 1 else "cleared")
        acked = ts + timedelta(minutes=4) if state != "open" else None
        tables["alerts"].append((
            f"al-{k:07d}", fid, house, kind, severity, state, f"{kind} on {house or fid}", ts,
            f"op{k % OPERATORS + 1:02d}" if acked else None, acked,
            ts + timedelta(minutes=30) if state == "cleared" else None, ts,
        ))  # fmt: skip
    for k, (ts, fid) in enumerate(zip(times(counts["run"]), pick(counts["run"]), strict=True)):
        moves = [{"house": f"{fid}-H{(k + m) % 60 + 1:03d}", "from": "R", "to": "B"}
                 for m in range(1 + k % 3)]  # fmt: skip
        tables["balancing_runs"].append((
            f"run-{k:07d}", fid, ts, "auto", "improved" if k % 7 else "rolled_back",
            60.0, 40.0, 20.0, 34.6, 50.0, 41.0, 40.0, 39.0, 2.0, 3.0, json.dumps(moves), 1, k + 1,
        ))  # fmt: skip
    n_switch, n_runs = counts["switch"], max(1, counts["run"])
    for k, (ts, fid) in enumerate(zip(times(n_switch), pick(n_switch), strict=True)):
        tables["switch_events"].append((
            ts, fid, f"{fid}-H{k % 60 + 1:03d}", "R", "B",
            "applied" if k % 11 else "rolled_back", "auto", None, f"run-{k % n_runs:07d}",
            "" if k % 11 else "no_effect", 1, k + 1,
        ))  # fmt: skip
    for k, (ts, fid) in enumerate(
        zip(times(counts["command"]), pick(counts["command"]), strict=True)
    ):
        cmd_id, who = f"hq-{k:08d}", f"op{k % OPERATORS + 1:02d}"
        state = COMMAND_STATES[k % len(COMMAND_STATES)]
        move = k % 2 == 0
        house = f"{fid}-H{k % 60 + 1:03d}" if move else None
        params = {"from": "R", "to": "Y", "why": "crew request"} if move else {"mode": "manual"}
        reason = "" if state == "applied" else "interlock_min_dwell"
        tables["commands"].append((
            cmd_id, fid, house, "switch" if move else "set_mode", json.dumps(params), state,
            reason, who, ts, ts + timedelta(seconds=5), k + 1,
        ))  # fmt: skip
        step = json.dumps({"cmd_id": cmd_id})
        target = house or fid
        action = "command.switch" if move else "command.set_mode"
        for dt, act in ((0, action), (1, "command.sent")):
            tables["audit_log"].append(
                (ts + timedelta(seconds=dt), who, act, target, "ok", step, "10.0.0.1", fid)
            )
        if move:
            tables["switch_events"].append((
                ts + timedelta(seconds=4), fid, house, "R", "Y", state, "manual", cmd_id, None,
                reason, 1, 10_000_000 + k,
            ))  # fmt: skip
    n_audit = counts["audit"]
    for k, (ts, fid) in enumerate(zip(times(n_audit), pick(n_audit), strict=True)):
        action, outcome = AUDIT_ACTIONS[k % len(AUDIT_ACTIONS)]
        actor = f"op{k % OPERATORS + 1:02d}" if outcome != "failed" else None
        on_feeder = action in ("alert.ack", "feeder.set_mode")
        target = fid if on_feeder else (actor or "mallory")
        tables["audit_log"].append((
            ts, actor, action, target, outcome, json.dumps({"role": "viewer"} if actor else {}),
            "10.0.0.2", fid if on_feeder else None,
        ))  # fmt: skip
    written = sum(len(rows) for rows in tables.values())
    _copy(engine, tables)
    return Seeded(log_rows=counts, table_rows=written, alerts=alerts)


COLUMNS: Final = {
    "alerts": "alert_id, feeder_id, house_id, kind, severity, state, message, raised_at,"
    " acked_by, acked_at, cleared_at, updated_at",
    "switch_events": "ts, feeder_id, house_id, from_phase, to_phase, result, origin, cmd_id,"
    " run_id, reason, boot, seq",
    "balancing_runs": "run_id, feeder_id, ts, trigger, result, before_i_r, before_i_y,"
    " before_i_b, before_i_n, before_unbalance_pct, after_i_r, after_i_y, after_i_b, after_i_n,"
    " after_unbalance_pct, moves, boot, seq",
    "commands": "cmd_id, feeder_id, house_id, action, params, state, reason, requested_by,"
    " requested_at, updated_at, ctr",
    "audit_log": "ts, username, action, target, outcome, detail, address, feeder_id",
}
"""The columns each table is loaded with, in the order of the seeded tuples."""


def _copy(engine: Engine, tables: dict[str, list[tuple[Any, ...]]]) -> None:
    """Load the rows: COPY on PostgreSQL, executemany on SQLite; then refresh the statistics."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cur:
                for table, rows in tables.items():
                    with cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
        else:
            for table, rows in tables.items():
                names = [c.strip() for c in COLUMNS[table].split(",")]
                marks = ", ".join(f":{n}" for n in names)
                conn.execute(
                    text(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"),
                    [dict(zip(names, _sqlite_row(row), strict=True)) for row in rows],
                )
    _analyze(engine, [*tables, "feeders", "houses"])


def _sqlite_row(row: Iterable[Any]) -> list[Any]:
    return [v.timestamp() if isinstance(v, datetime) else v for v in row]


def _analyze(engine: Engine, tables: Iterable[str]) -> None:
    """VACUUM ANALYZE the loaded tables and the fleet (PostgreSQL), as autovacuum would soon."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f"VACUUM ANALYZE {table}"))
