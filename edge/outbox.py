"""The uplink outbox (DESIGN §5): every edge→HQ message is stored here before it is sent.

SQLite in WAL mode with synchronous=FULL: `append` returns only after the entry is on disk,
so a crash or power cut never loses a message that was appended. Entries are numbered per
boot from 1 (a boot is a new id per controller start) and are deleted only when HQ's
`committed` {boot, seq} covers them. Entries of older boots stay until their own marks arrive
and are sent again under their own boot. `pump` sends pending entries in (boot, seq) order:
after a reconnect (`replay`) from the oldest, and again whenever one stays unconfirmed for
`resend_after_s`.

The outbox is bounded: above `max_bytes` the oldest readings batches are thinned to their
first row (their seq must still reach HQ, or HQ's unbroken high-water mark would stall). The
dropped rows are counted in `dropped_rows`. Events, alerts and summaries are never dropped.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from edge.durable import open_durable, transaction
from grid.messages import Readings, TopicKind, WireError

SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS entries ("
    " boot INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,"
    " payload BLOB NOT NULL, thinned INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (boot, seq))",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
)
THIN_BATCH: Final = 64
"""Readings entries thinned per query when the outbox is over its size."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored uplink message."""

    boot: int
    seq: int
    kind: TopicKind
    payload: bytes

    @property
    def key(self) -> tuple[int, int]:
        """Return (boot, seq)."""
        return (self.boot, self.seq)


class Outbox:
    """The persistent, ordered, bounded queue of uplink messages of one controller."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        max_bytes: int = 64 * 1024 * 1024,
        resend_after_s: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.resend_after_s = resend_after_s
        self.dropped_rows = 0
        """Reading rows dropped by thinning since this outbox was opened."""
        self._db = open_durable(self.path, SCHEMA)
        self.boot = self._new_boot(clock)
        self._next_seq = 1
        self._bytes = int(
            self._db.execute("SELECT coalesce(sum(length(payload)), 0) FROM entries").fetchone()[0]
        )
        self._sent_s: dict[tuple[int, int], float] = {}
        self._cursor: tuple[int, int] = (-1, -1)
        self._at_end = False
        self._next_pass_s = 0.0

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self._db)

    def _new_boot(self, clock: Callable[[], float]) -> int:
        """Return a boot id above every earlier one: the start time [ms] if the clock allows."""
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'boot'").fetchone()
            boot = max(int(clock() * 1000), (row[0] + 1) if row else 0)
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('boot', ?)", (boot,))
        return boot

    # --- writing ----------------------------------------------------------------------------

    def append(self, kind: TopicKind, build: Callable[[int], bytes]) -> int:
        """Store the message `build(seq)` under the next seq of this boot; return the seq."""
        seq = self._next_seq
        payload = build(seq)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO entries (boot, seq, kind, payload) VALUES (?, ?, ?, ?)",
                (self.boot, seq, str(kind), payload),
            )
        self._next_seq = seq + 1
        self._bytes += len(payload)
        if self._bytes > self.max_bytes:
            self._thin()
        return seq

    def _thin(self) -> None:
        """Thin the oldest readings batches to one row until the outbox fits its size."""
        while self._bytes > self.max_bytes:
            rows = self._db.execute(
                "SELECT boot, seq, payload FROM entries WHERE kind = ? AND thinned = 0"
                " ORDER BY boot, seq LIMIT ?",
                (str(TopicKind.READINGS), THIN_BATCH),
            ).fetchall()
            if not rows:
                return
            with self._transaction() as db:
                for boot, seq, payload in rows:
                    stub, dropped = _stub(bytes(payload))
                    db.execute(
                        "UPDATE entries SET payload = ?, thinned = 1 WHERE boot = ? AND seq = ?",
                        (stub, boot, seq),
                    )
                    self._bytes += len(stub) - len(payload)
                    self.dropped_rows += dropped
                    if self._bytes <= self.max_bytes:
                        break

    def committed(self, boot: int, seq: int) -> int:
        """Delete the entries of `boot` up to `seq`, which HQ has committed; return how many."""
        with self._transaction() as db:
            size, count = db.execute(
                "SELECT coalesce(sum(length(payload)), 0), count(*) FROM entries"
                " WHERE boot = ? AND seq <= ?",
                (boot, seq),
            ).fetchone()
            db.execute("DELETE FROM entries WHERE boot = ? AND seq <= ?", (boot, seq))
        self._bytes -= int(size)
        for key in [k for k in self._sent_s if k[0] == boot and k[1] <= seq]:
            del self._sent_s[key]
        return int(count)

    # --- sending ----------------------------------------------------------------------------

    def replay(self) -> None:
        """Make every pending entry due again, oldest first (after a reconnect)."""
        self._sent_s.clear()
        self._restart_pass()

    def _restart_pass(self) -> None:
        self._cursor = (-1, -1)
        self._at_end = False

    def pump(self, publish: Callable[[Entry], bool], now_s: float, limit: int = 500) -> int:
        """Publish due entries in order until `publish` refuses one; return how many went out.

        An entry is due when it was never sent in this pass or its last send is older than
        `resend_after_s`.
        """
        if self._at_end and now_s >= self._next_pass_s:
            self._restart_pass()
        sent = 0
        rows = self._db.execute(
            "SELECT boot, seq, kind, payload FROM entries WHERE (boot, seq) > (?, ?)"
            " ORDER BY boot, seq LIMIT ?",
            (*self._cursor, limit),
        ).fetchall()
        for boot, seq, kind, payload in rows:
            key = (int(boot), int(seq))
            last = self._sent_s.get(key)
            if last is None or now_s - last >= self.resend_after_s:
                if not publish(Entry(key[0], key[1], TopicKind(kind), bytes(payload))):
                    return sent
                self._sent_s[key] = now_s
                sent += 1
            self._cursor = key
        if len(rows) < limit and not self._at_end:
            self._at_end = True
            self._next_pass_s = now_s + self.resend_after_s
        return sent

    # --- inspection -------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Return how many entries wait for HQ's confirmation."""
        return int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0])

    @property
    def pending_bytes(self) -> int:
        """Return the size of the pending payloads [bytes]."""
        return self._bytes

    def entries(self) -> list[Entry]:
        """Return every pending entry in (boot, seq) order."""
        rows = self._db.execute(
            "SELECT boot, seq, kind, payload FROM entries ORDER BY boot, seq"
        ).fetchall()
        return [Entry(int(b), int(s), TopicKind(k), bytes(p)) for b, s, k, p in rows]

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def _stub(payload: bytes) -> tuple[bytes, int]:
    """Return a readings payload cut to its first row, and how many rows were dropped."""
    try:
        message = Readings.from_json(payload)
    except WireError:
        return payload, 0
    stub = dataclasses.replace(message, rows=message.rows[:1])
    return stub.to_json(), len(message.rows) - 1
