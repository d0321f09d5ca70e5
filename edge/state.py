"""What the controller must remember across restarts, in SQLite (WAL, synchronous=FULL).

The control mode, the last accepted `ctl` counter, operator configuration, each house's phase,
lockout and command counter, and the alerts that are open at HQ (so that a later boot can
clear them under their own ids).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from edge.durable import open_durable, transaction
from grid.messages import Mode, Severity
from grid.phasors import Phase

SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS houses (house_id TEXT PRIMARY KEY, phase TEXT,"
    " locked INTEGER NOT NULL DEFAULT 0, counter INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS alerts (key TEXT PRIMARY KEY, alert_id TEXT NOT NULL,"
    " kind TEXT NOT NULL, severity TEXT NOT NULL, message TEXT NOT NULL, house TEXT)",
)


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """An alert raised and not yet cleared."""

    key: str
    alert_id: str
    kind: str
    severity: Severity
    message: str
    house: str | None = None


@dataclass(frozen=True, slots=True)
class HouseRecord:
    """A house's remembered phase, lockout and last command counter."""

    phase: Phase | None
    locked: bool
    counter: int


class StateStore:
    """The controller's persistent state."""

    def __init__(self, path: str | Path) -> None:
        self._db = open_durable(path, SCHEMA)

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db)

    def _get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _put(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, value))

    # --- feeder ---------------------------------------------------------------------------

    def mode(self, default: Mode) -> Mode:
        """Return the stored control mode, or `default` if none was ever set."""
        value = self._get("mode")
        return default if value is None else Mode(value)

    def set_mode(self, mode: Mode) -> None:
        """Store the control mode."""
        self._put("mode", str(mode))

    @property
    def ctl_counter(self) -> int:
        """Return the highest accepted control-command counter (0 before the first)."""
        return int(self._get("ctl_counter") or 0)

    def set_ctl_counter(self, counter: int) -> None:
        """Store the highest accepted control-command counter."""
        self._put("ctl_counter", str(counter))

    def config(self) -> dict[str, float]:
        """Return the operator's configuration overrides."""
        raw = self._get("config")
        return {} if raw is None else {str(k): float(v) for k, v in json.loads(raw).items()}

    def set_config(self, config: Mapping[str, float]) -> None:
        """Store the operator's configuration overrides."""
        self._put("config", json.dumps(dict(sorted(config.items()))))

    # --- houses ---------------------------------------------------------------------------

    def house(self, house_id: str) -> HouseRecord:
        """Return what is remembered of a house."""
        row = self._db.execute(
            "SELECT phase, locked, counter FROM houses WHERE house_id = ?", (house_id,)
        ).fetchone()
        if row is None:
            return HouseRecord(None, False, 0)
        return HouseRecord(None if row[0] is None else Phase(row[0]), bool(row[1]), int(row[2]))

    def _upsert_house(self, house_id: str, column: str, value: object) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO houses (house_id) VALUES (?)", (house_id,))
            db.execute(f"UPDATE houses SET {column} = ? WHERE house_id = ?", (value, house_id))

    def set_phase(self, house_id: str, phase: Phase) -> None:
        """Store the phase a house is on."""
        self._upsert_house(house_id, "phase", str(phase))

    def set_locked(self, house_id: str, locked: bool) -> None:
        """Store whether a house is locked out of balancing."""
        self._upsert_house(house_id, "locked", int(locked))

    def next_counter(self, house_id: str, now_s: float) -> int:
        """Return and store the counter of a new command to a house.

        It is above every earlier one and at least the epoch second, so a controller whose
        state was lost still sends counters the house accepts.
        """
        counter = max(self.house(house_id).counter + 1, int(now_s))
        self._upsert_house(house_id, "counter", counter)
        return counter

    # --- alerts ---------------------------------------------------------------------------

    def open_alerts(self) -> dict[str, OpenAlert]:
        """Return the open alerts by key."""
        rows = self._db.execute(
            "SELECT key, alert_id, kind, severity, message, house FROM alerts"
        ).fetchall()
        return {r[0]: OpenAlert(r[0], r[1], r[2], Severity(r[3]), r[4], r[5]) for r in rows}

    def put_alert(self, alert: OpenAlert) -> None:
        """Remember an open alert."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO alerts (key, alert_id, kind, severity, message, house)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    alert.key,
                    alert.alert_id,
                    alert.kind,
                    str(alert.severity),
                    alert.message,
                    alert.house,
                ),
            )

    def drop_alert(self, key: str) -> None:
        """Forget a cleared alert."""
        with self._transaction() as db:
            db.execute("DELETE FROM alerts WHERE key = ?", (key,))

    def close(self) -> None:
        """Close the database."""
        self._db.close()
