"""The ingest worker: MQTT in, one writer thread, commit, then ack (DESIGN §3–§5).

Threads and hand-offs:

- paho's network thread calls `on_message`, which opens the message's seal with its feeder's
  key, decodes it (pure, no database) and encodes a readings message's binary COPY rows, then
  puts an `Inbound` on a bounded queue; when the queue is full it blocks, so a slow database
  stops the reading instead of growing the memory (the broker keeps the rest in the persistent
  session). Decoding there overlaps the writer's waits on the database;
- the writer thread drains the queue in batches (by size, and at least every flush interval),
  decodes again only a message from an origin it did not know (after reading the fleet again),
  writes one transaction on the connection it keeps, commits, then acks every message in
  arrival order and publishes `committed` marks signed with the feeder key and a counter
  (grid.signing). A failed transaction is retried with backoff and nothing is acked until it
  commits; a batch the database refuses for its content is split so that only the culprit goes
  to `dead_letters`. A gap in a feeder's seqs that outlives `GAP_WARN_S` (messages the broker
  dropped, which the edge must resend) is logged once as a warning.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import paho.mqtt.client as mqtt
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from grid.messages import Committed, Readings, Summary, TopicKind, topic_for
from grid.signing import sign
from grid.topics import topic_filter
from grid.uplink import DeadLetter, Uplink
from ingest.decode import UPLINK_KINDS, Fleet, decode_uplink
from ingest.marks import CommitMarks, SeqGap
from ingest.metrics import IngestMetrics
from keys import KeyFileError, Keyring, KeysDir
from settings import Settings
from store.schema import feeders, houses, uplink_batches
from store.watchdog import clear_session_lost, raise_session_lost
from store.writer import (
    WriteBatch,
    WriteOutcome,
    clear_quiet_forgeries,
    encode_readings,
    write_batch,
)
from transport import ClientOptions, broker_from_settings, make_client

log = logging.getLogger("ingest")

SHARE_GROUP: Final = "ingest"
IDLE_GAP_S: Final = 0.002
"""A batch is written when no message arrives for this long, even before it is full [s]."""
FLEET_REFRESH_S: Final = 1.0
"""An unknown feeder or house re-reads the fleet at most this often [s]."""
FORGERY_SWEEP_S: Final = 60.0
"""How often the worker clears `uplink_forged` alerts that have gone quiet [s]."""
GAP_WARN_S: Final = 5.0
"""A gap in a feeder's committed seqs still open after this long, the ledger read again, is
logged as messages lost on the way (the broker dropped them; the edge must resend) [s]."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message as received: what the writer needs to store and ack it."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    received_s: float
    decoded: Uplink | DeadLetter | None = None
    """The message decoded on arrival (None: the writer decodes it)."""
    copy_rows: bytes | None = None
    """A readings message's binary COPY rows, encoded on arrival."""


@dataclass(frozen=True, slots=True)
class SessionLost:
    """The broker did not keep this worker's session: raise an alert."""

    at_s: float


@dataclass(frozen=True, slots=True)
class Stop:
    """Flush what is queued before this, ack it and end the writer."""


Task = Inbound | SessionLost | Stop


@dataclass(slots=True)
class _Backoff:
    first_s: float = 0.2
    max_s: float = 10.0
    current_s: float = field(default=0.0)

    def next(self) -> float:
        self.current_s = self.first_s if not self.current_s else min(self.current_s * 2, self.max_s)
        return self.current_s

    def reset(self) -> None:
        self.current_s = 0.0


def subscriptions(shared: bool) -> list[tuple[str, int]]:
    """Return the topic filters of the edge→HQ messages, shared among workers if asked."""
    prefix = f"$share/{SHARE_GROUP}/" if shared else ""
    return [(prefix + topic, qos) for topic, qos in map(topic_filter, UPLINK_KINDS)]


def ingest_client(settings: Settings) -> mqtt.Client:
    """Return a paho client with the persistent session of this worker (not yet connected):
    its fixed client id, manual acks after commit, an unbounded queue for `committed` marks.
    It connects on `loop_start()` (transport.make_client)."""
    options = ClientOptions(
        settings.ingest_client_id, clean_session=False, manual_ack=True, max_queued=0
    )
    return make_client(broker_from_settings(settings), options)


class SqlLedger:
    """The committed ledger as `CommitMarks` reads it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run_end(self, feeder: str, boot: int, after: int) -> int:
        """Return the end of the unbroken run of committed seqs after `after`."""
        query = text(
            "SELECT min(u.seq) FROM uplink_batches u WHERE u.feeder_id = :f AND u.boot = :b"
            " AND u.seq > :after AND NOT EXISTS (SELECT 1 FROM uplink_batches v"
            " WHERE v.feeder_id = u.feeder_id AND v.boot = u.boot AND v.seq = u.seq + 1)"
        )
        with self.engine.connect() as conn:
            has_next = conn.execute(
                select(uplink_batches.c.seq).where(
                    uplink_batches.c.feeder_id == feeder,
                    uplink_batches.c.boot == boot,
                    uplink_batches.c.seq == after + 1,
                )
            ).first()
            if has_next is None:
                return after
            end = conn.execute(query, {"f": feeder, "b": boot, "after": after}).scalar()
        return after if end is None else int(end)


def load_fleet(engine: Engine) -> Fleet:
    """Return the provisioned feeders and their houses."""
    with engine.connect() as conn:
        ids = [str(f) for (f,) in conn.execute(select(feeders.c.feeder_id))]
        by_feeder: dict[str, set[str]] = {f: set() for f in ids}
        for house, feeder in conn.execute(select(houses.c.house_id, houses.c.feeder_id)):
            by_feeder.setdefault(str(feeder), set()).add(str(house))
    return Fleet({f: frozenset(h) for f, h in by_feeder.items()})


class IngestWorker:
    """Edge→HQ messages from the broker into the store; nothing lost, nothing twice."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        client_factory: Callable[[Settings], mqtt.Client] = ingest_client,
        clock: Callable[[], float] = time.time,
        metrics: IngestMetrics | None = None,
        keys: Keyring | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.keys = keys or KeysDir(settings.keys_dir)
        self._mark_counter = 0
        self._forgeries_swept_s = 0.0
        self.metrics = metrics or IngestMetrics()
        self.queue: queue.Queue[Task] = queue.Queue(maxsize=settings.ingest_queue_max)
        self.marks = CommitMarks(SqlLedger(engine), gap_warn_s=GAP_WARN_S)
        self._conn: Connection | None = None
        """The writer's connection, kept between batches (opened again after a failure)."""
        self.fleet = load_fleet(engine)
        self._fleet_loaded_s = clock()
        self._connected_before = False
        self._session_alert_open = True
        """Whether a session-lost alert of this worker may be open (one from an earlier run
        too): the next committed batch clears it."""
        self._stopped = threading.Event()
        self.broker = broker_from_settings(settings)
        self.client = client_factory(settings)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self._writer = threading.Thread(target=self._write_loop, name="ingest-writer", daemon=True)

    # --- broker side (paho's thread) --------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker refused the connection: %s", reason)
            return
        self.metrics.connected.set(1)
        if self._connected_before and not flags.session_present:
            log.error("broker lost the persistent session of %s", self.settings.ingest_client_id)
            self.queue.put(SessionLost(self.clock()))
        self._connected_before = True
        client.subscribe(subscriptions(self.settings.ingest_shared))
        log.info("connected to %s (session present: %s)", self.broker, flags.session_present)

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self.metrics.connected.set(0)
        if not self._stopped.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        received_s = self.clock()
        payload = bytes(msg.payload)
        decoded: Uplink | DeadLetter | None = None
        copy_rows = None
        try:
            decoded = self._decode_pure(msg.topic, payload, received_s)
            if isinstance(decoded, Uplink) and isinstance(decoded.message, Readings):
                copy_rows = encode_readings(decoded)
        except Exception:  # the writer decodes it again and deals with what this raised
            log.exception("decoding a message on arrival failed; the writer decodes it")
            decoded, copy_rows = None, None
        self.queue.put(
            Inbound(msg.topic, payload, msg.mid, msg.qos, received_s, decoded, copy_rows)
        )

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Connect (retrying in the background) and start the writer."""
        self.client.loop_start()
        self._writer.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Flush and ack what is queued, then disconnect."""
        if self._stopped.is_set():
            return
        self.queue.put(Stop())
        self._writer.join(timeout_s)
        self._stopped.set()
        self.client.disconnect()
        self.client.loop_stop()

    def wait(self) -> None:
        """Block until the writer ends."""
        while self._writer.is_alive():
            self._writer.join(0.5)

    # --- writer (its own thread) ------------------------------------------------------------

    def _collect(self) -> tuple[list[Inbound], bool]:
        """Return the next batch and whether a Stop was reached."""
        first = self.queue.get()
        items: list[Inbound] = []
        if isinstance(first, Stop):
            return items, True
        if isinstance(first, SessionLost):
            self._raise_session_alert(first)
            return items, False
        items.append(first)
        rows = _row_estimate(first)
        deadline = time.monotonic() + self.settings.ingest_flush_ms / 1000.0
        while rows < self.settings.ingest_batch_rows:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                task = self.queue.get(timeout=min(remaining, IDLE_GAP_S))
            except queue.Empty:
                break  # nothing more is arriving: write now rather than hold a light load
            if isinstance(task, Stop):
                return items, True
            if isinstance(task, SessionLost):
                self._raise_session_alert(task)
                continue
            items.append(task)
            rows += _row_estimate(task)
        return items, False

    def _write_loop(self) -> None:
        stop = False
        while not stop:
            items, stop = self._collect()
            self.metrics.queue_depth.set(self.queue.qsize())
            if not items:
                continue
            try:
                self._process(items)
            except Exception:  # the writer must outlive any single batch; unacked ones return
                log.exception("batch of %d messages failed; they stay unacked", len(items))
        self._drop_connection()
        log.info("writer stopped")

    def _process(self, items: list[Inbound]) -> None:
        batch = WriteBatch(received_at=datetime.fromtimestamp(self.clock(), UTC))
        seen: set[tuple[str, int, int]] = set()
        for item in items:
            result = self._decode(item)
            if isinstance(result, DeadLetter):
                batch.dead.append(result)
                continue
            batch.uplinks.append(result)
            key = result.key
            if key is None or key in seen:
                continue  # a second copy in the batch is compared, never written
            seen.add(key)
            if item.copy_rows is not None and result is item.decoded:
                batch.encoded_readings[key] = item.copy_rows
        started = time.perf_counter()
        outcome = self._commit(batch)
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        for item in items:
            if item.qos > 0:
                self.client.ack(item.mid, item.qos)
        now = self.clock()
        self._count(batch, outcome, now)
        for item in items:
            self.metrics.commit_latency.observe(max(0.0, now - item.received_s))
        self._publish_marks(batch, now)
        if self._session_alert_open:
            self._clear_session_alert()
        if now - self._forgeries_swept_s >= FORGERY_SWEEP_S:
            self._forgeries_swept_s = now
            self._sweep_forgeries(now)

    def _key_of(self, feeder: str) -> bytes | None:
        """Return a feeder's signing key, or None (a key file that cannot be used is logged)."""
        try:
            return self.keys.key(feeder)
        except KeyFileError as exc:
            log.error("feeder %s: %s", feeder, exc)
            return None

    def _decode_pure(self, topic: str, payload: bytes, received_s: float) -> Uplink | DeadLetter:
        """Decode against the fleet as last read (no database)."""
        return decode_uplink(
            topic,
            payload,
            self.fleet,
            key_of=self._key_of,
            now_s=received_s,
            max_ahead_s=self.settings.ingest_max_ahead_s,
        )

    def _decode(self, item: Inbound) -> Uplink | DeadLetter:
        """Return the message decoded on arrival, or decode it now; a message of an unknown
        origin is decoded again once the fleet has been read again."""
        result = item.decoded
        if result is None:
            result = self._decode_pure(item.topic, item.payload, item.received_s)
        stale = self.clock() - self._fleet_loaded_s >= FLEET_REFRESH_S
        if isinstance(result, DeadLetter) and result.unknown_origin and stale:
            self.fleet = self._retry_db(lambda: load_fleet(self.engine))
            self._fleet_loaded_s = self.clock()
            result = self._decode_pure(item.topic, item.payload, item.received_s)
        return result

    def _commit(self, batch: WriteBatch) -> WriteOutcome:
        try:
            outcome: WriteOutcome = self._retry_db(lambda: self._write(batch))
            return outcome
        except DBAPIError as exc:
            log.error("the store refused a batch (%s); writing it message by message", exc.orig)
        return self._write_one_by_one(batch)

    def _write(self, batch: WriteBatch) -> WriteOutcome:
        """Write and commit one batch on the writer's connection; a connection that failed is
        dropped, and the next batch opens another."""
        if self._conn is None:
            self._conn = self.engine.connect()
        conn = self._conn
        try:
            with conn.begin():
                return write_batch(conn, batch)
        except BaseException:
            if conn.invalidated or conn.closed or not _usable(conn):
                self._drop_connection()
            raise

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(DBAPIError):
                conn.close()

    def _write_one_by_one(self, batch: WriteBatch) -> WriteOutcome:
        new: set[tuple[str, int, int]] = set()
        duplicates = rows = dead = forged = 0
        singles = [WriteBatch(uplinks=[u], received_at=batch.received_at) for u in batch.uplinks]
        singles += [WriteBatch(dead=[d], received_at=batch.received_at) for d in batch.dead]
        for single in singles:
            try:
                outcome = self._retry_db(lambda single=single: self._write(single))  # type: ignore[misc]
            except DBAPIError as exc:
                u = single.uplinks[0] if single.uplinks else None
                letter = DeadLetter(
                    topic=topic_for(u.kind, u.feeder) if u else single.dead[0].topic,
                    payload=u.message.to_json() if u else single.dead[0].payload,
                    reason=f"store refused: {str(exc.orig)[:300]}",
                    key=u.key if u else None,
                )
                outcome = self._retry_db(
                    lambda letter=letter: self._write(  # type: ignore[misc]
                        WriteBatch(dead=[letter], received_at=batch.received_at)
                    )
                )
            new |= outcome.new_keys
            duplicates += outcome.duplicates
            rows += outcome.reading_rows
            dead += outcome.dead_letters
            forged += outcome.forged
        return WriteOutcome(frozenset(new), duplicates, rows, dead, forged)

    def _retry_db(self, action: Callable[[], Any]) -> Any:
        """Run `action`, retrying with backoff while the database is unreachable."""
        backoff = _Backoff()
        while True:
            try:
                return action()
            except OperationalError as exc:
                self.metrics.db_errors.inc()
                delay = backoff.next()
                log.warning("database unavailable (%s); retrying in %.1f s", exc.orig, delay)
                time.sleep(delay)

    def _publish_marks(self, batch: WriteBatch, now: float) -> None:
        keys = [u.key for u in batch.uplinks if u.key is not None]
        keys += [d.key for d in batch.dead if d.key is not None]
        try:
            moved = self.marks.committed(keys, now)
        except OperationalError as exc:
            log.warning("could not read the ledger for committed marks: %s", exc.orig)
            return
        for gap in self.marks.take_gaps():
            self._warn_gap(gap)
        for (feeder, boot), seq in moved.items():
            key = self._key_of(feeder)
            if key is None:  # an edge takes only signed marks; it resends until one comes
                self.metrics.marks_refused.inc()
                continue
            mark = sign(Committed(boot, seq, feeder, self._next_mark_counter(now)), key)
            self.client.publish(topic_for(TopicKind.COMMITTED, feeder), mark.to_json(), qos=1)

    def _warn_gap(self, gap: SeqGap) -> None:
        log.warning(
            "feeder %s boot %d: seqs %d to %d missing for %.0f s while later ones are "
            "committed; the broker dropped them (its queue or inflight limits, see "
            "deploy/mosquitto) and the edge must resend them from its outbox",
            gap.feeder,
            gap.boot,
            gap.first,
            gap.last,
            gap.open_s,
        )

    def _next_mark_counter(self, now: float) -> int:
        """Return the counter of the next `committed` mark: HQ's clock in ms, and above every
        earlier one of this worker, so that each edge sees it rise."""
        self._mark_counter = max(self._mark_counter + 1, int(now * 1000))
        return self._mark_counter

    def _sweep_forgeries(self, now: float) -> None:
        at = datetime.fromtimestamp(now, UTC)
        try:
            with self.engine.begin() as conn:
                cleared = clear_quiet_forgeries(conn, at)
        except DBAPIError as exc:
            log.warning("could not clear quiet forgery alerts: %s", exc.orig)
            return
        if cleared:
            log.info("%d uplink_forged alerts cleared after a quiet hour", cleared)

    def _count(self, batch: WriteBatch, outcome: WriteOutcome, now: float) -> None:
        """Count a committed batch's messages, each once: a batch that failed and came back is
        counted when it commits, and a replay only as a duplicate."""
        m = self.metrics
        for u in batch.uplinks:
            m.received.labels(kind=str(u.kind)).inc()
        if batch.dead:
            m.received.labels(kind="dead").inc(len(batch.dead))
        m.committed.inc(len(batch.uplinks) + len(batch.dead) - outcome.duplicates)
        m.committed_rows.inc(outcome.reading_rows)
        m.duplicates.inc(outcome.duplicates)
        m.dead_letters.inc(outcome.dead_letters)
        m.forged.inc(outcome.forged)
        newest = max(
            (
                u.message.ts_s if isinstance(u.message, Summary) else u.message.rows[-1].ts_s
                for u in batch.uplinks
                if isinstance(u.message, Summary | Readings) and _has_rows(u)
            ),
            default=None,
        )
        if newest is not None:
            m.lag.set(max(0.0, now - newest))

    def _raise_session_alert(self, lost: SessionLost) -> None:
        at = datetime.fromtimestamp(lost.at_s, UTC)

        def write() -> None:
            with self.engine.begin() as conn:
                raise_session_lost(conn, self.settings.ingest_client_id, at)

        try:
            self._retry_db(write)
            self._session_alert_open = True
        except DBAPIError as exc:
            log.error("could not store the session-lost alert: %s", exc.orig)

    def _clear_session_alert(self) -> None:
        """Clear the session-lost alert once messages are committed again."""
        at = datetime.fromtimestamp(self.clock(), UTC)
        try:
            with self.engine.begin() as conn:
                cleared = clear_session_lost(conn, self.settings.ingest_client_id, at)
        except DBAPIError as exc:
            log.warning("could not clear the session-lost alert: %s", exc.orig)
            return
        self._session_alert_open = False
        if cleared:
            log.info("messages are committed again: session-lost alert cleared")


def _usable(conn: Connection) -> bool:
    """Return whether a connection whose transaction failed can take the next one."""
    raw = conn.connection.dbapi_connection
    return raw is not None and not getattr(raw, "closed", False)


def _has_rows(u: Uplink) -> bool:
    return not isinstance(u.message, Readings) or bool(u.message.rows)


def _row_estimate(item: Inbound) -> int:
    """Return roughly how many rows a message brings (readings ~ 90 bytes per row)."""
    if item.topic.endswith("/readings"):
        return max(1, len(item.payload) // 90)
    return 1
