"""The bulk writer: one transaction per batch of edge→HQ messages, idempotent by the ledger.

`write_batch(conn, batch)` first claims every message's (feeder_id, boot, seq) in
`uplink_batches` (ON CONFLICT DO NOTHING ... RETURNING), with the digest of its payload; only
messages whose claim is new write their rows, so a replay of a committed message writes
nothing. A message under a key already held with another digest is not a replay: it is kept as
a dead letter and raises the feeder's `uplink_forged` alert, as does a message whose seal
failed (ingest.decode). Readings go in with COPY on PostgreSQL (executemany on SQLite). Dead
letters keep at most their first DEAD_LETTER_KEEP_BYTES, with the size and digest of the whole.
The caller commits, then acks.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Connection, Table, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from grid.alert_kinds import AlertKind
from grid.events import (
    BalancingRunData,
    CommandResultData,
    CommandState,
    LockoutData,
    ModeChangeData,
    SwitchResult,
    SwitchResultData,
)
from grid.messages import (
    LOCKOUT_ALERT_KINDS,
    Alert,
    AlertState,
    Event,
    Readings,
    Status,
    Summary,
    WireError,
    parse_topic,
    topic_for,
)
from grid.uplink import DeadLetter, LedgerKey, Uplink
from store.alert_rollup import regroup
from store.schema import (
    FEEDER_MEASURES,
    alerts,
    balancing_runs,
    commands,
    dead_letters,
    events,
    feeder_readings,
    feeder_state,
    feeders,
    house_readings,
    houses,
    switch_events,
    uplink_batches,
)

HOUSE_READING_COLUMNS = ("ts", "feeder_id", "house_id", "phase", "v", "i", "p", "q", "pv")

DEAD_LETTER_KEEP_BYTES: Final = 64 * 1024
"""Most payload bytes a dead letter keeps; a larger payload keeps its first ones [bytes]."""
DEAD_LETTER_TOPIC_KEEP: Final = 256
"""Most characters of a dead letter's topic kept [characters]."""
FORGED_KIND: Final = str(AlertKind.UPLINK_FORGED)
FORGED_QUIET_S: Final = 3600.0
"""A feeder's `uplink_forged` alert clears after this long without another forgery [s]."""


@dataclass(slots=True)
class WriteBatch:
    """What one transaction writes: decoded messages and dead letters, in arrival order."""

    uplinks: list[Uplink] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    encoded_readings: dict[LedgerKey, bytes] = field(default_factory=dict)
    """Binary COPY rows of readings messages encoded ahead (`ReadingEncoder.rows`), by key;
    a readings message without them is encoded when written."""


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What a batch wrote."""

    new_keys: frozenset[LedgerKey]
    duplicates: int
    reading_rows: int
    dead_letters: int
    forged: int = 0
    """Dead letters that are forgeries (included in `dead_letters`)."""


def _upsert(conn: Connection, table: Table) -> Any:
    return sqlite_insert(table) if conn.dialect.name == "sqlite" else pg_insert(table)


def utc(ts_s: float) -> datetime:
    """Return the aware UTC datetime of an epoch time [s]."""
    return datetime.fromtimestamp(ts_s, UTC)


def claim_keys(
    conn: Connection, keys: Sequence[tuple[LedgerKey, str, str | None]], at: datetime
) -> set[LedgerKey]:
    """Insert ledger keys (with their kind and digest); return those not there before.

    A key held only by a dead letter (kind 'dead') is taken over by a valid message with the
    same key, so a corrupted copy that arrived first cannot shadow the real message.
    """
    unique: dict[tuple[LedgerKey, bool], tuple[str, str | None]] = {}
    for key, kind, digest in keys:
        unique.setdefault((key, kind == "dead"), (kind, digest))
    rows = [
        {"feeder_id": f, "boot": b, "seq": s, "kind": kind, "committed_at": at, "digest": digest}
        for ((f, b, s), _), (kind, digest) in unique.items()
    ]
    claimed: set[LedgerKey] = set()
    for dead in (False, True):
        part = [r for r in rows if (r["kind"] == "dead") == dead]
        if not part:
            continue
        if conn.dialect.name == "postgresql":
            claimed |= _claim_pg(conn, part, at, dead)
            continue
        stmt = _upsert(conn, uplink_batches)
        if dead:
            stmt = stmt.on_conflict_do_nothing(index_elements=["feeder_id", "boot", "seq"])
        else:
            stmt = stmt.on_conflict_do_update(
                index_elements=["feeder_id", "boot", "seq"],
                set_={
                    "kind": stmt.excluded.kind,
                    "committed_at": stmt.excluded.committed_at,
                    "digest": stmt.excluded.digest,
                },
                where=uplink_batches.c.kind == "dead",
            )
        stmt = stmt.returning(
            uplink_batches.c.feeder_id, uplink_batches.c.boot, uplink_batches.c.seq
        )
        claimed |= {(str(f), int(b), int(s)) for f, b, s in conn.execute(stmt, part).all()}
    return claimed


_CLAIM_PG = (
    "INSERT INTO uplink_batches (feeder_id, boot, seq, kind, committed_at, digest)"
    " SELECT f, b, s, k, %s, d FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::text[],"
    " %s::text[]) AS t(f, b, s, k, d) ON CONFLICT (feeder_id, boot, seq) DO {action}"
    " RETURNING feeder_id, boot, seq"
)
_CLAIM_PG_DEAD = _CLAIM_PG.format(action="NOTHING")
_CLAIM_PG_VALID = _CLAIM_PG.format(
    action="UPDATE SET kind = excluded.kind, committed_at = excluded.committed_at,"
    " digest = excluded.digest WHERE uplink_batches.kind = 'dead'"
)


def _claim_pg(
    conn: Connection, rows: list[dict[str, Any]], at: datetime, dead: bool
) -> set[LedgerKey]:
    """Claim keys on PostgreSQL in one statement of fixed text (arrays, not one VALUES row per
    key), so that the server can keep it prepared."""
    params = (
        at,
        [r["feeder_id"] for r in rows],
        [r["boot"] for r in rows],
        [r["seq"] for r in rows],
        [r["kind"] for r in rows],
        [r["digest"] for r in rows],
    )
    result = conn.exec_driver_sql(_CLAIM_PG_DEAD if dead else _CLAIM_PG_VALID, params)
    return {(str(f), int(b), int(s)) for f, b, s in result.all()}


def copy_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Bulk-insert tuples: COPY on PostgreSQL, executemany elsewhere."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        names = ", ".join(columns)
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    dicts = [dict(zip(columns, row, strict=True)) for row in rows]
    if dicts:
        conn.execute(insert(table), dicts)


def write_batch(conn: Connection, batch: WriteBatch) -> WriteOutcome:
    """Write a batch inside the caller's transaction; replayed messages write nothing, and a
    message under a key already held with another digest becomes a forged dead letter."""
    at = batch.received_at
    claims: list[tuple[LedgerKey, str, str | None]] = []
    for u in batch.uplinks:
        if (key := u.key) is not None:
            claims.append((key, str(u.kind), u.digest))
    claims.extend((d.key, "dead", None) for d in batch.dead if d.key is not None)
    new = claim_keys(conn, claims, at)
    fresh: list[Uplink] = []
    taken: set[LedgerKey] = set()
    repeats: list[Uplink] = []
    for u in batch.uplinks:
        key = u.key
        if key is None:
            fresh.append(u)
        elif key in new and key not in taken:
            taken.add(key)
            fresh.append(u)
        else:
            repeats.append(u)
    conflicts = _conflicts(conn, repeats)
    dead = [*batch.dead, *conflicts]
    readings = [u for u in fresh if isinstance(u.message, Readings)]
    rows = _write_readings(conn, readings, batch.encoded_readings)
    _write_summaries(conn, [u for u in fresh if isinstance(u.message, Summary)], at)
    alerted: set[str] = set()
    for u in fresh:
        if isinstance(u.message, Event):
            _write_event(conn, u, at)
        elif isinstance(u.message, Alert):
            _write_alert(conn, u.feeder, u.message, at)
            alerted.add(u.feeder)
        elif isinstance(u.message, Status):
            _write_status(conn, u.feeder, u.message, at)
    if alerted:  # an alert raised under a wider one joins it; one whose parent cleared leaves
        regroup(conn, at, alerted)
    if dead:
        conn.execute(insert(dead_letters), [dead_letter_row(d, at) for d in dead])
        _raise_forged(conn, [d for d in dead if d.forged], at)
    duplicates = len(repeats) - len(conflicts)
    forged = sum(1 for d in dead if d.forged)
    return WriteOutcome(frozenset(new), duplicates, rows, len(dead), forged)


def dead_letter_row(d: DeadLetter, at: datetime) -> dict[str, Any]:
    """Return the `dead_letters` row of a dead letter: its payload whole, or its first
    DEAD_LETTER_KEEP_BYTES, with the size and SHA-256 of the whole."""
    return {
        "received_at": at,
        "topic": d.topic[:DEAD_LETTER_TOPIC_KEEP],
        "payload": d.payload[:DEAD_LETTER_KEEP_BYTES],
        "reason": d.reason,
        "payload_bytes": len(d.payload),
        "digest": hashlib.sha256(d.payload).hexdigest(),
    }


def _conflicts(conn: Connection, repeats: list[Uplink]) -> list[DeadLetter]:
    """Return the repeated keys whose payload differs from the one the ledger holds.

    A resend has the digest of the first copy. A readings message without rows is the edge's
    own placeholder for a message its full outbox dropped, not a rival copy; a key or copy
    without a digest (written before digests were kept) cannot be compared.
    """
    comparable = [
        (key, u)
        for u in repeats
        if (key := u.key) is not None
        and u.digest is not None
        and not (isinstance(u.message, Readings) and not u.message.rows)
    ]
    if not comparable:
        return []
    c = uplink_batches.c
    stmt = select(c.feeder_id, c.boot, c.seq, c.digest).where(
        tuple_(c.feeder_id, c.boot, c.seq).in_(sorted({key for key, _ in comparable}))
    )
    held = {(str(f), int(b), int(s)): d for f, b, s, d in conn.execute(stmt)}
    out = []
    for (feeder, boot, seq), u in comparable:
        stored = held.get((feeder, boot, seq))
        if stored is None or stored == u.digest:
            continue
        out.append(
            DeadLetter(
                topic_for(u.kind, u.feeder),
                u.message.to_json(),
                f"conflict: ({feeder}, {boot}, {seq}) is stored with digest {stored[:16]}…, "
                f"this copy has {(u.digest or '')[:16]}…",
                forged=True,
            )
        )
    return out


def _raise_forged(conn: Connection, forged: list[DeadLetter], at: datetime) -> None:
    """Raise each feeder's `uplink_forged` alert once while it is open; renew its time."""
    feeders_hit: dict[str, str] = {}
    for d in forged:
        try:
            feeders_hit.setdefault(parse_topic(d.topic).feeder, d.reason)
        except WireError:
            continue
    for feeder, reason in sorted(feeders_hit.items()):
        renewed = conn.execute(
            update(alerts)
            .where(
                alerts.c.kind == FORGED_KIND,
                alerts.c.feeder_id == feeder,
                alerts.c.state != "cleared",
            )
            .values(updated_at=at)
        ).rowcount
        if renewed:
            continue
        conn.execute(
            insert(alerts).values(
                alert_id=f"hq-{FORGED_KIND}-{feeder}-{int(at.timestamp())}",
                feeder_id=feeder,
                house_id=None,
                kind=FORGED_KIND,
                severity="critical",
                state="open",
                message=f"A message under {feeder}'s name is not what its controller sent "
                f"({reason[:200]}); it is kept as a dead letter. Check the broker's credentials "
                "and ACL.",
                raised_at=at,
                updated_at=at,
            )
        )


def clear_quiet_forgeries(conn: Connection, now: datetime) -> int:
    """Clear the `uplink_forged` alerts with no forgery for FORGED_QUIET_S; return how many."""
    quiet_since = now - timedelta(seconds=FORGED_QUIET_S)
    return int(
        conn.execute(
            update(alerts)
            .where(
                alerts.c.kind == FORGED_KIND,
                alerts.c.state != "cleared",
                alerts.c.updated_at < quiet_since,
            )
            .values(state="cleared", cleared_at=now, updated_at=now)
        ).rowcount
    )


_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_TRAILER = b"\xff\xff"
_PG_EPOCH_S = 946_684_800.0
"""2000-01-01T00:00:00Z, the origin of PostgreSQL's binary timestamps [epoch s]."""
_TEXT_CACHE_MAX = 100_000


class ReadingEncoder:
    """Encode house readings as PostgreSQL binary COPY rows (ts, ids, then five float8).

    Each (feeder, house, phase) keeps its encoded ids and a struct that packs a whole row of
    them in one call."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, str], tuple[Callable[..., bytes], bytes]] = {}

    def _row_format(
        self, feeder: str, house: str, phase: str
    ) -> tuple[Callable[..., bytes], bytes]:
        key = (feeder, house, phase)
        found = self._ids.get(key)
        if found is None:
            if len(self._ids) >= _TEXT_CACHE_MAX:
                self._ids.clear()
            parts = [s.encode("utf-8") for s in key]
            ids = b"".join(struct.pack(">i", len(p)) + p for p in parts)
            found = self._ids[key] = (struct.Struct(f">hiq{len(ids)}sididididid").pack, ids)
        return found

    def rows(self, u: Uplink) -> bytes:
        """Return the binary COPY rows of one readings message (no header or trailer)."""
        assert isinstance(u.message, Readings)
        feeder, known, row_format = u.feeder, self._ids.get, self._row_format
        out: list[bytes] = []
        append = out.append
        for ts_s, house, phase, v, i, p, q, pv in u.message.rows:
            found = known((feeder, house, phase))
            pack, ids = row_format(feeder, house, phase) if found is None else found
            append(
                pack(9, 8, round((ts_s - _PG_EPOCH_S) * 1e6), ids, 8, v, 8, i, 8, p, 8, q, 8, pv)
            )
        return b"".join(out)

    def encode(self, uplinks: Sequence[Uplink]) -> bytes:
        """Return the whole COPY stream (header, rows, trailer) of the readings messages."""
        return b"".join([_COPY_HEADER, *map(self.rows, uplinks), _COPY_TRAILER])


_ENCODER = ReadingEncoder()


def encode_readings(u: Uplink) -> bytes:
    """Return the binary COPY rows of one readings message, for `WriteBatch.encoded_readings`."""
    return _ENCODER.rows(u)


def _copy_stream(uplinks: list[Uplink], prepared: dict[LedgerKey, bytes]) -> bytes:
    chunks = [_COPY_HEADER]
    for u in uplinks:
        key = u.key
        encoded = prepared.get(key) if key is not None else None
        chunks.append(_ENCODER.rows(u) if encoded is None else encoded)
    chunks.append(_COPY_TRAILER)
    return b"".join(chunks)


def _write_readings(
    conn: Connection, uplinks: list[Uplink], prepared: dict[LedgerKey, bytes]
) -> int:
    if not uplinks:
        return 0
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        names = ", ".join(HOUSE_READING_COLUMNS)
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY house_readings ({names}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.write(_copy_stream(uplinks, prepared))
    else:
        rows = (
            (utc(r.ts_s), u.feeder, r.house, str(r.ph), r.v_v, r.i_a, r.p_w, r.q_var, r.pv_w)
            for u in uplinks
            if isinstance(u.message, Readings)
            for r in u.message.rows
        )
        copy_rows(conn, house_readings, HOUSE_READING_COLUMNS, rows)
    return sum(len(u.message.rows) for u in uplinks if isinstance(u.message, Readings))


def _summary_row(feeder: str, s: Summary) -> dict[str, Any]:
    values = (*s.p_w, *s.q_var, *s.i_a, *s.v_v, s.i_n_a)
    row: dict[str, Any] = {"ts": utc(s.ts_s), "feeder_id": feeder}
    row.update(zip(FEEDER_MEASURES, values, strict=True))
    row.update(
        unbalance_pct=s.unbalance_pct,
        mode=str(s.mode),
        houses_online=s.houses_online,
        houses_total=s.houses_total,
    )
    return row


def _write_summaries(conn: Connection, uplinks: list[Uplink], at: datetime) -> None:
    """Store summaries and each feeder's latest; the feeder was last seen when its summary
    arrived (`at`), whatever time the message says."""
    if not uplinks:
        return
    rows = [_summary_row(u.feeder, u.message) for u in uplinks if isinstance(u.message, Summary)]
    conn.execute(insert(feeder_readings), rows)
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        current = latest.get(row["feeder_id"])
        if current is None or row["ts"] > current["ts"]:
            latest[row["feeder_id"]] = row
    stmt = _upsert(conn, feeder_state)
    stmt = stmt.on_conflict_do_update(
        index_elements=["feeder_id"],
        set_={c.name: stmt.excluded[c.name] for c in feeder_state.c if c.name != "feeder_id"},
        where=feeder_state.c.ts < stmt.excluded.ts,
    )
    conn.execute(stmt, list(latest.values()))
    for feeder, row in latest.items():
        conn.execute(
            update(feeders)
            .where(feeders.c.feeder_id == feeder)
            .where((feeders.c.last_seen.is_(None)) | (feeders.c.last_seen <= at))
            .values(last_seen=at, online=True, mode=row["mode"])
        )


def _write_event(conn: Connection, u: Uplink, at: datetime) -> None:
    msg = u.message
    assert isinstance(msg, Event)
    ts = utc(msg.ts_s)
    conn.execute(
        insert(events).values(
            ts=ts,
            feeder_id=u.feeder,
            kind=str(msg.kind),
            data=dict(msg.data),
            boot=msg.boot,
            seq=msg.seq,
        )
    )
    data = u.event_data
    if isinstance(data, BalancingRunData):
        snapshot: dict[str, Any] = {}
        for prefix, snap in (("before", data.before), ("after", data.after)):
            if snap is None:
                continue
            snapshot.update(
                {
                    f"{prefix}_i_r": snap.i_a[0],
                    f"{prefix}_i_y": snap.i_a[1],
                    f"{prefix}_i_b": snap.i_a[2],
                    f"{prefix}_i_n": snap.i_n_a,
                    f"{prefix}_unbalance_pct": snap.unbalance_pct,
                }
            )
        stmt = _upsert(conn, balancing_runs).values(
            run_id=data.run_id,
            feeder_id=u.feeder,
            ts=ts,
            trigger=str(data.trigger),
            result=str(data.result),
            moves=[m.to_data() for m in data.moves],
            decided_at=None if data.decided_s is None else utc(data.decided_s),
            boot=msg.boot,
            seq=msg.seq,
            **snapshot,
        )
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["run_id"]))
    elif isinstance(data, SwitchResultData):
        live = {SwitchResult.APPLIED: data.to_phase, SwitchResult.ROLLED_BACK: data.from_phase}
        if data.result in live:
            conn.execute(
                update(houses)
                .where(houses.c.house_id == data.house)
                .values(phase=str(live[data.result]))
            )
        conn.execute(
            insert(switch_events).values(
                ts=ts,
                feeder_id=u.feeder,
                house_id=data.house,
                from_phase=str(data.from_phase),
                to_phase=str(data.to_phase),
                result=str(data.result),
                origin=str(data.origin),
                cmd_id=data.cmd_id,
                run_id=data.run_id,
                reason=data.reason,
                boot=msg.boot,
                seq=msg.seq,
            )
        )
    elif isinstance(data, CommandResultData):
        advance_command(conn, data.cmd_id, data.state, data.reason, at)
    elif isinstance(data, ModeChangeData):
        conn.execute(
            update(feeders).where(feeders.c.feeder_id == u.feeder).values(mode=str(data.mode))
        )
    elif isinstance(data, LockoutData):
        _write_lockout(conn, u.feeder, data)


def _write_lockout(conn: Connection, feeder: str, data: LockoutData) -> None:
    """Show a house locked out (why, since, until when) or back in, as its edge says."""
    values: dict[str, Any] = {"locked": data.locked}
    if data.locked:
        values.update(
            locked_reason=data.reason or None,
            locked_since=None if data.since_s is None else utc(data.since_s),
            locked_until=None if data.until_s is None else utc(data.until_s),
        )
    else:
        values.update(locked_reason=None, locked_since=None, locked_until=None)
    conn.execute(
        update(houses)
        .where(houses.c.house_id == data.house, houses.c.feeder_id == feeder)
        .values(**values)
    )


def advance_command(
    conn: Connection, cmd_id: str, state: CommandState, reason: str, at: datetime
) -> bool:
    """Move a command forward in its lifecycle (never back); return whether it moved."""
    current = conn.execute(select(commands.c.state).where(commands.c.cmd_id == cmd_id)).scalar()
    if current is None:
        return False
    if CommandState(current).rank >= state.rank:
        return False
    conn.execute(
        update(commands)
        .where(commands.c.cmd_id == cmd_id)
        .values(state=str(state), reason=reason, updated_at=at)
    )
    return True


def _write_alert(conn: Connection, feeder: str, a: Alert, at: datetime) -> None:
    ts = utc(a.ts_s)
    raised = a.state is AlertState.RAISED
    stmt = _upsert(conn, alerts).values(
        alert_id=a.alert_id,
        feeder_id=feeder,
        house_id=a.house,
        kind=a.kind,
        severity=str(a.severity),
        state="open" if raised else "cleared",
        message=a.message,
        raised_at=ts,
        cleared_at=None if raised else ts,
        updated_at=at,
    )
    if raised:  # a raise never reopens or rewrites an alert the operators have seen
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["alert_id"]))
    else:
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["alert_id"],
                set_={"state": "cleared", "cleared_at": ts, "updated_at": at},
            )
        )
    if a.kind in LOCKOUT_ALERT_KINDS and a.house is not None:  # locked out while it is open
        conn.execute(update(houses).where(houses.c.house_id == a.house).values(locked=raised))


def _write_status(conn: Connection, feeder: str, s: Status, at: datetime) -> None:
    """Store the controller's birth or death; a feeder counts as heard only by its summaries
    (a retained status carries no seq and can be replayed)."""
    values: dict[str, Any] = {"online": s.online}
    if s.boot is not None:
        values["boot"] = s.boot
    conn.execute(update(feeders).where(feeders.c.feeder_id == feeder).values(**values))
