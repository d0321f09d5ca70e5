"""What the controller must remember across restarts, in SQLite (WAL, synchronous=FULL).

The control mode, the last accepted `ctl` counter, operator configuration, each house's phase,
lockout (why, since when, until when, and how many in a row) and command counter, the alerts
that are open at HQ (so that a later boot can clear them under their own ids), and the switch
in flight (`InFlightSwitch`), journaled before each command goes out, so that a controller
killed mid-switch finishes it when it starts again.
"""

from __future__ import annotations

import dataclasses
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
    " locked INTEGER NOT NULL DEFAULT 0, counter INTEGER NOT NULL DEFAULT 0,"
    " lock_reason TEXT, locked_since REAL, locked_until REAL,"
    " lockouts INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS alerts (key TEXT PRIMARY KEY, alert_id TEXT NOT NULL,"
    " kind TEXT NOT NULL, severity TEXT NOT NULL, message TEXT NOT NULL, house TEXT)",
    "CREATE TABLE IF NOT EXISTS switch_journal (slot INTEGER PRIMARY KEY CHECK (slot = 1),"
    " record TEXT NOT NULL)",
)

LOCK_COLUMNS: Final = (
    ("lock_reason", "TEXT"),
    ("locked_since", "REAL"),
    ("locked_until", "REAL"),
    ("lockouts", "INTEGER NOT NULL DEFAULT 0"),
)
"""Columns of `houses` that state files written before lockouts expired lack."""


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
class Lockout:
    """Why and for how long a house is kept out of balancing."""

    reason: str
    since_s: float | None
    """When it was locked out [epoch s]; None for a lockout stored before these were kept."""
    until_s: float | None
    """When it comes back by itself [epoch s]; None: only an operator brings it back."""


@dataclass(frozen=True, slots=True)
class HouseRecord:
    """A house's remembered phase, lockout and last command counter."""

    phase: Phase | None
    locked: bool
    counter: int
    lockout: Lockout | None = None
    """The lockout in force, when `locked`."""
    lockouts: int = 0
    """Lockouts in a row: since the house was last moved and the move confirmed."""


@dataclass(frozen=True, slots=True)
class InFlightSwitch:
    """The switch in progress, as journaled before each of its commands goes out."""

    house: str
    from_phase: Phase
    to_phase: Phase
    origin: str
    """Who asked for it (grid.events.SwitchOrigin)."""
    step: str
    """What it waits for (edge.switching.Step)."""
    run_id: str | None = None
    ctl_id: str | None = None
    """The operator's control command, whose lifecycle HQ follows."""
    measured: Phase | None = None
    """The phase the house last said it is on."""
    reason: str = ""
    """Why it is being rolled back, once it is."""
    started_s: float = 0.0
    """When its first command went out [epoch s]."""

    def to_json(self) -> str:
        """Return the journal record."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> InFlightSwitch:
        """Return the switch of a journal record."""
        raw = json.loads(text)
        for name in ("from_phase", "to_phase", "measured"):
            if raw.get(name) is not None:
                raw[name] = Phase(raw[name])
        return cls(**raw)


class StateStore:
    """The controller's persistent state."""

    def __init__(self, path: str | Path) -> None:
        self._db = open_durable(path, SCHEMA)
        self._add_lock_columns()

    def _add_lock_columns(self) -> None:
        """Give a state file of an earlier version the lockout columns."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(houses)")}
        for name, kind in LOCK_COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE houses ADD COLUMN {name} {kind}")

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
            "SELECT phase, locked, counter, lock_reason, locked_since, locked_until, lockouts"
            " FROM houses WHERE house_id = ?",
            (house_id,),
        ).fetchone()
        if row is None:
            return HouseRecord(None, False, 0)
        phase, locked, counter, reason, since, until, lockouts = row
        lockout = Lockout(reason or "", since, until) if locked else None
        return HouseRecord(
            None if phase is None else Phase(phase), bool(locked), int(counter), lockout, lockouts
        )

    def _upsert_house(self, house_id: str, column: str, value: object) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO houses (house_id) VALUES (?)", (house_id,))
            db.execute(f"UPDATE houses SET {column} = ? WHERE house_id = ?", (value, house_id))

    def set_phase(self, house_id: str, phase: Phase) -> None:
        """Store the phase a house is on."""
        self._upsert_house(house_id, "phase", str(phase))

    def lock(self, house_id: str, lockout: Lockout, lockouts: int) -> None:
        """Store that a house is locked out, and its lockouts in a row."""
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO houses (house_id) VALUES (?)", (house_id,))
            db.execute(
                "UPDATE houses SET locked = 1, lock_reason = ?, locked_since = ?,"
                " locked_until = ?, lockouts = ? WHERE house_id = ?",
                (lockout.reason, lockout.since_s, lockout.until_s, lockouts, house_id),
            )

    def unlock(self, house_id: str) -> None:
        """Store that a house is back in balancing (its lockouts in a row are kept)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE houses SET locked = 0, lock_reason = NULL, locked_since = NULL,"
                " locked_until = NULL WHERE house_id = ?",
                (house_id,),
            )

    def forget_lockouts(self, house_id: str) -> None:
        """Store that a house's last move was confirmed: its lockouts in a row start over."""
        self._upsert_house(house_id, "lockouts", 0)

    def next_counter(self, house_id: str, now_s: float) -> int:
        """Return and store the counter of a new command to a house.

        It is above every earlier one and at least the epoch second, so a controller whose
        state was lost still sends counters the house accepts.
        """
        counter = max(self.house(house_id).counter + 1, int(now_s))
        self._upsert_house(house_id, "counter", counter)
        return counter

    # --- the switch in flight -----------------------------------------------------------

    def journal_switch(self, switch: InFlightSwitch) -> None:
        """Store the switch in progress (replacing what was stored)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO switch_journal (slot, record) VALUES (1, ?)",
                (switch.to_json(),),
            )

    def in_flight_switch(self) -> InFlightSwitch | None:
        """Return the switch a previous run left in progress, or None."""
        row = self._db.execute("SELECT record FROM switch_journal WHERE slot = 1").fetchone()
        return None if row is None else InFlightSwitch.from_json(str(row[0]))

    def clear_switch_journal(self) -> None:
        """Forget the switch in progress: it reached its final state."""
        with self._transaction() as db:
            db.execute("DELETE FROM switch_journal")

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
