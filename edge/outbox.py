"""The uplink outbox (DESIGN §5): every edge→HQ message is stored here before it is sent.

SQLite in WAL mode with synchronous=FULL: `append` returns only after the entry is on disk,
so a crash or power cut never loses a message that was appended. Entries are numbered per
boot from 1 (a boot is a new id per controller start) and are deleted only when HQ's
`committed` {boot, seq} covers them. Entries of older boots stay until their own marks arrive
and are sent again under their own boot. `pump` sends pending entries in (boot, seq) order:
after a reconnect (`replay`) from the oldest, and again whenever one stays unconfirmed for
`resend_after_s`.

The outbox is bounded, and every kind in it, by priority: a new message is refused once the
pending entries fill its kind's share of `max_bytes` (ADMIT_SHARE: house readings at 70 %,
summaries at 90 %, events and alerts only at 100 %), and so is any message the file cannot
take (a full disk). A refused message takes no seq, so HQ's unbroken high-water mark never
waits for it; nothing already stored is ever rewritten or dropped before HQ commits it.
`dropped` counts the refused messages of each kind and `dropped_rows` their house readings;
`append` never raises for want of room, so balancing never depends on the outbox.

HQ's `committed` marks are signed (grid.signing.verify_committed): the outbox keeps the counter
of the last mark it took, in the same transaction as the deletion, and the highest seq of each
boot it holds (`highest_seq`), above which no mark is taken.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from edge.durable import open_durable, transaction
from grid.messages import TopicKind

log = logging.getLogger("edge.outbox")

SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS entries ("
    " boot INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,"
    " payload BLOB NOT NULL, thinned INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (boot, seq))",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
)
ADMIT_SHARE: Final[Mapping[TopicKind, float]] = MappingProxyType(
    {
        TopicKind.READINGS: 0.7,
        TopicKind.SUMMARY: 0.9,
        TopicKind.EVENT: 1.0,
        TopicKind.ALERT: 1.0,
    }
)
"""Share of `max_bytes` up to which a message of each kind is taken: alerts and events over
summaries over house readings."""

ENTRY_OVERHEAD_BYTES: Final = 64
"""What an entry costs beyond its payload, for the size bound (its row and keys) [bytes]."""


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
        self.dropped: Counter[TopicKind] = Counter()
        """Messages refused since this outbox was opened, by kind (full share or full disk)."""
        self.dropped_rows = 0
        """House reading rows among them."""
        self._db = open_durable(self.path, SCHEMA)
        self.boot = self._new_boot(clock)
        self._next_seq = 1
        size, count = self._db.execute(
            "SELECT coalesce(sum(length(payload)), 0), count(*) FROM entries"
        ).fetchone()
        self._bytes = int(size) + ENTRY_OVERHEAD_BYTES * int(count)
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

    def append(self, kind: TopicKind, build: Callable[[int], bytes], rows: int = 0) -> int | None:
        """Store the message `build(seq)` under the next seq of this boot; return the seq, or
        None when its kind's share is full or the file cannot take it (`rows`: the house
        readings it carries, counted in `dropped_rows` when refused)."""
        seq = self._next_seq
        payload = build(seq)
        size = len(payload) + ENTRY_OVERHEAD_BYTES
        if self._bytes + size > ADMIT_SHARE.get(kind, 1.0) * self.max_bytes:
            self._refuse(kind, rows)
            return None
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO entries (boot, seq, kind, payload) VALUES (?, ?, ?, ?)",
                    (self.boot, seq, str(kind), payload),
                )
        except sqlite3.Error as exc:  # a full disk, most often: the message is refused
            log.error("outbox %s refused a %s message: %s", self.path, kind, exc)
            self._refuse(kind, rows)
            return None
        self._next_seq = seq + 1
        self._bytes += size
        return seq

    def _refuse(self, kind: TopicKind, rows: int) -> None:
        self.dropped[kind] += 1
        self.dropped_rows += rows

    @property
    def committed_counter(self) -> int:
        """Return the counter of the last `committed` mark taken (0 before the first)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'committed_ctr'").fetchone()
        return 0 if row is None else int(row[0])

    def highest_seq(self, boot: int) -> int:
        """Return the highest seq of `boot` a mark may cover: of this boot, the last appended;
        of an earlier one, the last still held (0 when none is)."""
        if boot == self.boot:
            return self._next_seq - 1
        row = self._db.execute("SELECT max(seq) FROM entries WHERE boot = ?", (boot,)).fetchone()
        return int(row[0] or 0)

    def committed(self, boot: int, seq: int, counter: int | None = None) -> int:
        """Delete the entries of `boot` up to `seq`, which HQ has committed, and keep the mark's
        `counter`; return how many were deleted (0 when the file cannot be written)."""
        try:
            with self._transaction() as db:
                size, count = db.execute(
                    "SELECT coalesce(sum(length(payload)), 0), count(*) FROM entries"
                    " WHERE boot = ? AND seq <= ?",
                    (boot, seq),
                ).fetchone()
                db.execute("DELETE FROM entries WHERE boot = ? AND seq <= ?", (boot, seq))
                if counter is not None:
                    db.execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('committed_ctr', ?)",
                        (counter,),
                    )
        except sqlite3.Error as exc:
            log.error("outbox %s could not delete committed entries: %s", self.path, exc)
            return 0
        self._bytes -= int(size) + ENTRY_OVERHEAD_BYTES * int(count)
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
        """Return the size of the pending entries, as the bound counts them [bytes]."""
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
