"""A small MQTT 3.1.1 broker for the embedded demo (asyncio, in-process, loopback only).

What the SmartPhase protocol uses and nothing more: QoS 0 and 1 (a QoS 2 publish is received
with its PUBREC/PUBREL/PUBCOMP handshake and delivered at QoS 1), retained messages, last wills,
persistent sessions (clean_session false: subscriptions and QoS 1 messages kept while the client
is away, unacked ones sent again on reconnect), `+`/`#` wildcards, shared subscriptions
(`$share/group/filter`, round-robin), keepalive and an inflight window per client. No
authentication: it listens on 127.0.0.1 for the demo only; production uses Mosquitto with TLS,
credentials, ACLs and limits (deploy/mosquitto/).

It refuses what MQTT 3.1.1 refuses, closing the connection on a protocol violation (a
truncated or malformed packet, QoS 3, reserved flag bits, NUL or invalid UTF-8 in a string, a
second CONNECT) and answering a filter it cannot take (`a/#/b`, `a+`, an empty level group of a
shared subscription, too many subscriptions) with the SUBACK failure code. Its memory is
bounded per client and in all (`Limits`): packet size (smaller before CONNECT), connections,
subscriptions, queued messages and bytes per session, the bytes waiting to be written to a
client that does not read, retained messages; a persistent session whose client stays away
longer than `session_expiry_s` is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, TypeVar

log = logging.getLogger("sim.broker")

T = TypeVar("T")

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 8, 9, 10, 11
PINGREQ, PINGRESP, DISCONNECT = 12, 13, 14
FIXED_FLAGS: Final = {PUBREL: 0x2, SUBSCRIBE: 0x2, UNSUBSCRIBE: 0x2}
"""The fixed-header flags a client packet must carry (0 for the types not listed, except
PUBLISH, whose flags are its own)."""
SUBACK_FAILURE: Final = 0x80
CONNACK_BAD_PROTOCOL, CONNACK_BAD_CLIENT_ID = 1, 2


@dataclass(frozen=True, slots=True)
class Limits:
    """What one broker holds at most; every default suits the demo's fleet many times over."""

    max_packet_bytes: int = 1024 * 1024
    """Largest packet [bytes]; a `readings` message is at most 512 KiB."""
    max_connect_bytes: int = 64 * 1024
    """Largest first packet, before the client has connected [bytes]."""
    connect_timeout_s: float = 10.0
    """How long a new connection has to send its CONNECT [s]."""
    max_keepalive_s: int = 300
    """Longest keepalive honoured; 0 or longer counts as this long [s]."""
    max_connections: int = 500
    max_subscriptions: int = 100
    """Subscriptions per session."""
    inflight_max: int = 1000
    """Unacknowledged QoS 1 messages per client."""
    queue_max: int = 100_000
    """Messages queued per session; the oldest go first beyond it."""
    queue_max_bytes: int = 32 * 1024 * 1024
    """Payload bytes queued per session; the oldest go first beyond it [bytes]."""
    write_buffer_max_bytes: int = 4 * 1024 * 1024
    """Bytes waiting to be written to one client: beyond it QoS 0 messages to it are dropped
    and QoS 1 ones wait in its session queue [bytes]."""
    retained_max: int = 100_000
    """Retained topics; a new one beyond it is delivered but not retained."""
    session_expiry_s: float = 3600.0
    """A persistent session whose client stays away this long is dropped [s]."""
    sweep_s: float = 30.0
    """How often expired sessions are dropped and waiting queues pumped [s]."""


class ProtocolError(Exception):
    """The peer broke MQTT 3.1.1; the connection is closed."""


@dataclass(slots=True)
class Message:
    """An application message on its way to subscribers."""

    topic: str
    payload: bytes
    qos: int
    retain: bool = False


@dataclass(slots=True)
class Session:
    """What the broker keeps for one client id."""

    client_id: str
    clean: bool
    subscriptions: dict[str, int] = field(default_factory=dict)
    """Topic filter (with any `$share/group/` prefix) → granted QoS."""
    queue: deque[Message] = field(default_factory=deque)
    queued_bytes: int = 0
    inflight: dict[int, Message] = field(default_factory=dict)
    next_mid: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    connection: Connection | None = None
    away_since: float | None = None
    """When its client went away [monotonic s]; None while connected."""

    def mid(self) -> int:
        """Return a free packet identifier."""
        while True:
            mid = next(self.next_mid) % 65536
            if mid and mid not in self.inflight:
                return mid

    def enqueue(self, message: Message, limits: Limits) -> None:
        """Queue a QoS 1 message, dropping the oldest beyond the session's bounds."""
        self.queue.append(message)
        self.queued_bytes += len(message.payload)
        while len(self.queue) > limits.queue_max or self.queued_bytes > limits.queue_max_bytes:
            self.queued_bytes -= len(self.queue.popleft().payload)

    def dequeue(self) -> Message:
        """Take the oldest queued message."""
        message = self.queue.popleft()
        self.queued_bytes -= len(message.payload)
        return message


# --- topics and filters -----------------------------------------------------------------------


def topic_matches(filter_: str, topic: str) -> bool:
    """Return whether a topic matches a filter with `+` and `#` wildcards."""
    if topic.startswith("$") and not filter_.startswith("$"):
        return False
    f_parts, t_parts = filter_.split("/"), topic.split("/")
    for i, part in enumerate(f_parts):
        if part == "#":
            return True
        if i >= len(t_parts) or (part != "+" and part != t_parts[i]):
            return False
    return len(f_parts) == len(t_parts)


def valid_filter(filter_: str) -> bool:
    """Return whether a topic filter is well formed: `#` alone in the last level, `+` alone in
    its level, not empty (MQTT 3.1.1 §4.7.1)."""
    if not filter_:
        return False
    levels = filter_.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            return False
        if "+" in level and level != "+":
            return False
    return True


def split_shared(filter_: str) -> tuple[str | None, str]:
    """Return (group, filter) of a `$share/group/filter` subscription, or (None, filter)."""
    if filter_.startswith("$share/"):
        parts = filter_.split("/", 2)
        group_ok = len(parts) == 3 and parts[1] and not {"+", "#"} & set(parts[1])
        if group_ok and valid_filter(parts[2]):
            return parts[1], parts[2]
        raise ProtocolError(f"bad shared subscription {filter_!r}")
    return None, filter_


def encode_length(n: int) -> bytes:
    """Return the MQTT variable-length encoding of n."""
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


# --- packets ----------------------------------------------------------------------------------


class _Body:
    """A packet body read field by field; running past its end is a ProtocolError."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise ProtocolError(f"{what} runs past the end of the packet")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def byte(self, what: str) -> int:
        """Return one byte."""
        return self._take(1, what)[0]

    def u16(self, what: str) -> int:
        """Return a two-byte big-endian integer."""
        value: int = struct.unpack("!H", self._take(2, what))[0]
        return value

    def binary(self, what: str) -> bytes:
        """Return length-prefixed bytes."""
        return self._take(self.u16(what), what)

    def string(self, what: str) -> str:
        """Return a length-prefixed UTF-8 string without NUL (MQTT 3.1.1 §1.5.3)."""
        raw = self.binary(what)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(f"{what} is not valid UTF-8") from None
        if "\x00" in text:
            raise ProtocolError(f"{what} holds a NUL character")
        return text

    def rest(self) -> bytes:
        """Return the bytes not read yet."""
        chunk = self.data[self.pos :]
        self.pos = len(self.data)
        return chunk

    @property
    def left(self) -> int:
        """Return how many bytes are not read yet."""
        return len(self.data) - self.pos

    def end(self, what: str) -> None:
        """Refuse bytes beyond what the packet type holds."""
        if self.left:
            raise ProtocolError(f"{what} has {self.left} bytes too many")


def _pack_string(s: str) -> bytes:
    raw = s.encode("utf-8")
    return struct.pack("!H", len(raw)) + raw


def publish_packet(message: Message, mid: int | None, dup: bool = False) -> bytes:
    """Return a PUBLISH packet."""
    qos = 1 if mid is not None else 0
    header = (PUBLISH << 4) | (0x08 if dup else 0) | (qos << 1) | (1 if message.retain else 0)
    body = _pack_string(message.topic) + (struct.pack("!H", mid) if mid is not None else b"")
    body += message.payload
    return bytes([header]) + encode_length(len(body)) + body


def _ack(kind: int, mid: int) -> bytes:
    flags = FIXED_FLAGS.get(kind, 0)
    return bytes([(kind << 4) | flags, 2]) + struct.pack("!H", mid)


class Connection:
    """One client's TCP connection."""

    def __init__(
        self, broker: Broker, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.broker, self.reader, self.writer = broker, reader, writer
        self.limits = broker.limits
        self.session: Session | None = None
        self.will: Message | None = None
        self.keepalive_s = 0
        self.qos2_received: set[int] = set()
        """Packet ids of QoS 2 publishes answered with PUBREC and awaiting PUBREL."""

    async def read_packet(self, max_bytes: int) -> tuple[int, int, bytes]:
        """Return (type, flags, body) of the next packet, refusing one above `max_bytes`."""
        first = await self.reader.readexactly(1)
        length, shift = 0, 0
        for _ in range(4):
            (byte,) = await self.reader.readexactly(1)
            length += (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        else:
            raise ProtocolError("malformed remaining length")
        if length > max_bytes:
            raise ProtocolError(f"packet of {length} bytes is above {max_bytes}")
        body = await self.reader.readexactly(length) if length else b""
        return first[0] >> 4, first[0] & 0x0F, body

    @property
    def backlog(self) -> int:
        """Return the bytes waiting to be written to the client."""
        return self.writer.transport.get_write_buffer_size()

    def send(self, packet: bytes) -> None:
        """Queue bytes for the peer."""
        if not self.writer.is_closing():
            self.writer.write(packet)

    async def serve(self) -> None:
        """Run the connection until it ends."""
        graceful = False
        try:
            kind, flags, body = await asyncio.wait_for(
                self.read_packet(self.limits.max_connect_bytes), self.limits.connect_timeout_s
            )
            if kind != CONNECT or flags:
                raise ProtocolError("the first packet is not a CONNECT")
            self._connect(_Body(body))
            while True:
                kind, flags, body = await asyncio.wait_for(
                    self.read_packet(self.limits.max_packet_bytes), self.keepalive_s * 1.5
                )
                if kind == DISCONNECT:
                    _Body(body).end("DISCONNECT")
                    graceful = True
                    return
                self._dispatch(kind, flags, _Body(body))
                await self.writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            pass
        except ProtocolError as exc:
            log.warning("closing a client that broke the protocol: %s", exc)
        finally:
            self.broker.disconnected(self, graceful)
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()

    def _refuse_connect(self, code: int, why: str) -> ProtocolError:
        self.send(bytes([CONNACK << 4, 2, 0, code]))
        return ProtocolError(why)

    def _connect(self, body: _Body) -> None:
        name = body.string("protocol name")
        level = body.byte("protocol level")
        if name != "MQTT" or level != 4:
            raise self._refuse_connect(
                CONNACK_BAD_PROTOCOL, f"protocol {name!r} level {level} is not MQTT 3.1.1"
            )
        flags = body.byte("connect flags")
        will_flag, will_qos, will_retain = flags & 0x04, (flags >> 3) & 3, bool(flags & 0x20)
        if flags & 0x01:
            raise ProtocolError("the reserved connect flag is set")
        if will_qos == 3 or (not will_flag and (will_qos or will_retain)):
            raise ProtocolError("the will's QoS or retain flag is not allowed")
        if flags & 0x40 and not flags & 0x80:
            raise ProtocolError("a password without a user name")
        keepalive = body.u16("keepalive")
        top = self.limits.max_keepalive_s
        self.keepalive_s = keepalive if 0 < keepalive <= top else top
        client_id = body.string("client id")
        clean = bool(flags & 0x02)
        if will_flag:
            will_topic = body.string("will topic")
            if not will_topic or "+" in will_topic or "#" in will_topic:
                raise ProtocolError(f"cannot will to {will_topic!r}")
            will = body.binary("will message")
            self.will = Message(will_topic, will, min(will_qos, 1), will_retain)
        if flags & 0x80:
            body.string("user name")
        if flags & 0x40:
            body.binary("password")
        body.end("CONNECT")
        if not client_id:
            if not clean:
                raise self._refuse_connect(
                    CONNACK_BAD_CLIENT_ID, "an empty client id needs a clean session"
                )
            client_id = f"anon-{id(self):x}"
        present = self.broker.attach(self, client_id, clean)
        self.send(bytes([CONNACK << 4, 2, 1 if present else 0, 0]))
        assert self.session is not None
        self.broker.resume(self.session)

    def _dispatch(self, kind: int, flags: int, body: _Body) -> None:
        session = self.session
        assert session is not None
        if kind != PUBLISH and flags != FIXED_FLAGS.get(kind, 0):
            raise ProtocolError(f"packet type {kind} with flags {flags:#x}")
        if kind == PUBLISH:
            self._publish(flags, body)
        elif kind == PUBACK:
            mid = body.u16("packet id")
            body.end("PUBACK")
            session.inflight.pop(mid, None)
            self.broker.pump(session)
        elif kind == PUBREL:
            mid = body.u16("packet id")
            body.end("PUBREL")
            self.qos2_received.discard(mid)
            self.send(_ack(PUBCOMP, mid))
        elif kind == SUBSCRIBE:
            self._subscribe(session, body)
        elif kind == UNSUBSCRIBE:
            mid = body.u16("packet id")
            filters = []
            while body.left:
                filters.append(body.string("topic filter"))
            if not filters:
                raise ProtocolError("an UNSUBSCRIBE without a topic filter")
            for filter_ in filters:
                session.subscriptions.pop(filter_, None)
            self.broker.subscriptions_changed()
            self.send(_ack(UNSUBACK, mid))
        elif kind == PINGREQ:
            body.end("PINGREQ")
            self.send(bytes([PINGRESP << 4, 0]))
        else:
            raise ProtocolError(f"unexpected packet type {kind}")

    def _publish(self, flags: int, body: _Body) -> None:
        qos = (flags >> 1) & 3
        if qos == 3:
            raise ProtocolError("a PUBLISH with QoS 3")
        if qos == 0 and flags & 0x08:
            raise ProtocolError("a QoS 0 PUBLISH marked as a duplicate")
        topic = body.string("topic name")
        if not topic or "+" in topic or "#" in topic:
            raise ProtocolError(f"cannot publish to {topic!r}")
        mid = body.u16("packet id") if qos else None
        if mid == 0:
            raise ProtocolError("a packet id of 0")
        payload = body.rest()
        if qos == 1:
            assert mid is not None
            self.send(_ack(PUBACK, mid))
        elif qos == 2:
            assert mid is not None
            self.send(_ack(PUBREC, mid))
            if mid in self.qos2_received:
                return  # a resend before PUBREL: delivered once already
            self.qos2_received.add(mid)
        self.broker.route(Message(topic, payload, min(qos, 1), bool(flags & 1)))

    def _subscribe(self, session: Session, body: _Body) -> None:
        mid = body.u16("packet id")
        if mid == 0:
            raise ProtocolError("a packet id of 0")
        requests: list[tuple[str, int]] = []
        while body.left:
            filter_ = body.string("topic filter")
            options = body.byte("requested QoS")
            if options & 0xFC or options == 3:
                raise ProtocolError(f"requested QoS byte {options:#x}")
            requests.append((filter_, options))
        if not requests:
            raise ProtocolError("a SUBSCRIBE without a topic filter")
        granted = []
        for filter_, requested in requests:
            try:
                plain = split_shared(filter_)[1]
            except ProtocolError:
                plain = ""
            full = (
                filter_ not in session.subscriptions
                and len(session.subscriptions) >= self.limits.max_subscriptions
            )
            if not valid_filter(plain) or full:
                granted.append(SUBACK_FAILURE)
                continue
            qos = min(requested, 1)
            session.subscriptions[filter_] = qos
            self.broker.subscriptions_changed()
            granted.append(qos)
            if not filter_.startswith("$share/"):
                self.broker.send_retained(session, filter_, qos)
        self.send(
            bytes([(SUBACK << 4)])
            + encode_length(2 + len(granted))
            + struct.pack("!H", mid)
            + bytes(granted)
        )


class Broker:
    """Sessions, subscriptions and retained messages; one asyncio loop does everything."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 18830, limits: Limits | None = None
    ) -> None:
        self.host, self.port = host, port
        self.limits = limits or Limits()
        self.sessions: dict[str, Session] = {}
        self.retained: dict[str, Message] = {}
        self.connections = 0
        self._share_turn: dict[tuple[str, str], int] = {}
        self._routes: dict[str, list[tuple[Session, str, int]]] = {}
        """Matching (session, filter, qos) per topic; cleared when subscriptions change."""
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None

    def subscriptions_changed(self) -> None:
        """Forget the cached routes."""
        self._routes.clear()

    async def start(self) -> None:
        """Listen for clients."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())
        log.info("embedded MQTT broker on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Close the listener and every client."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._server is not None:
            self._server.close()
            for session in self.sessions.values():
                if session.connection is not None:
                    session.connection.writer.close()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.connections >= self.limits.max_connections:
            log.warning("refusing a connection: %d are open", self.connections)
            writer.close()
            return
        self.connections += 1
        try:
            await Connection(self, reader, writer).serve()
        finally:
            self.connections -= 1

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.limits.sweep_s)
            self.sweep(time.monotonic())

    def sweep(self, now: float) -> list[str]:
        """Drop the sessions whose client has been away longer than the expiry, pump the
        queues that waited for a client's backlog to drain; return the dropped client ids."""
        expired = [
            s.client_id
            for s in self.sessions.values()
            if s.away_since is not None and now - s.away_since >= self.limits.session_expiry_s
        ]
        for client_id in expired:
            del self.sessions[client_id]
        if expired:
            self.subscriptions_changed()
            log.info("dropped %d expired sessions", len(expired))
        for session in self.sessions.values():
            if session.queue:
                self.pump(session)
        return expired

    def attach(self, conn: Connection, client_id: str, clean: bool) -> bool:
        """Bind a connection to its session; return whether a session was present."""
        old = self.sessions.get(client_id)
        if old is not None and old.connection is not None:
            old.connection.will = None
            old.connection.writer.close()  # session takeover
            old.connection = None
        present = old is not None and not clean and not old.clean
        if not present:
            old = self.sessions[client_id] = Session(client_id, clean)
            self.subscriptions_changed()
        assert old is not None
        old.clean = clean
        old.connection = conn
        old.away_since = None
        conn.session = old
        return present

    def resume(self, session: Session) -> None:
        """Send again what was inflight, then what is queued."""
        conn = session.connection
        if conn is None:
            return
        for mid, message in sorted(session.inflight.items()):
            conn.send(publish_packet(message, mid, dup=True))
        self.pump(session)

    def disconnected(self, conn: Connection, graceful: bool) -> None:
        """Forget a connection; publish its will unless it said goodbye."""
        session = conn.session
        if session is None or session.connection is not conn:
            return
        session.connection = None
        session.away_since = time.monotonic()
        if session.clean:
            self.sessions.pop(session.client_id, None)
            self.subscriptions_changed()
        if not graceful and conn.will is not None:
            self.route(conn.will)

    def route(self, message: Message) -> None:
        """Deliver a published message to every matching subscription."""
        if message.retain:
            if not message.payload:
                self.retained.pop(message.topic, None)
            elif message.topic in self.retained or len(self.retained) < self.limits.retained_max:
                self.retained[message.topic] = Message(
                    message.topic, message.payload, message.qos, True
                )
        routes = self._routes.get(message.topic)
        if routes is None:
            routes = self._routes[message.topic] = [
                (session, filter_, qos)
                for session in self.sessions.values()
                for filter_, qos in session.subscriptions.items()
                if topic_matches(split_shared(filter_)[1], message.topic)
            ]
        groups: dict[tuple[str, str], list[tuple[Session, int]]] = {}
        best: dict[str, tuple[Session, int]] = {}
        for session, filter_, qos in routes:
            group, plain = split_shared(filter_)
            if group is None:
                known = best.get(session.client_id)
                if known is None or qos > known[1]:
                    best[session.client_id] = (session, qos)
            else:
                groups.setdefault((group, plain), []).append((session, qos))
        for session, qos in best.values():
            self.deliver(session, Message(message.topic, message.payload, min(qos, message.qos)))
        for key, members in groups.items():
            online = [m for m in members if m[0].connection is not None] or members
            turn = self._share_turn.get(key, 0)
            session, qos = online[turn % len(online)]
            self._share_turn[key] = turn + 1
            self.deliver(session, Message(message.topic, message.payload, min(qos, message.qos)))

    def deliver(self, session: Session, message: Message) -> None:
        """Send now, or queue for a persistent session (QoS 1) or a full inflight window; a
        QoS 0 message to a client with a full backlog is dropped."""
        if message.qos == 0:
            conn = session.connection
            if conn is not None and conn.backlog < self.limits.write_buffer_max_bytes:
                conn.send(publish_packet(message, None))
            return
        session.enqueue(message, self.limits)
        self.pump(session)

    def pump(self, session: Session) -> None:
        """Move queued QoS 1 messages into the inflight window of a connected session while
        its client's backlog has room."""
        conn = session.connection
        if conn is None:
            return
        while (
            session.queue
            and len(session.inflight) < self.limits.inflight_max
            and conn.backlog < self.limits.write_buffer_max_bytes
        ):
            message = session.dequeue()
            mid = session.mid()
            session.inflight[mid] = message
            conn.send(publish_packet(message, mid))

    def send_retained(self, session: Session, filter_: str, qos: int) -> None:
        """Send the retained messages a new subscription matches."""
        for topic, message in list(self.retained.items()):
            if topic_matches(filter_, topic):
                self.deliver(session, Message(topic, message.payload, min(qos, message.qos), True))


class BrokerThread:
    """Run a Broker on its own event loop in a daemon thread (for `make demo` and tests)."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 18830, limits: Limits | None = None
    ) -> None:
        self.broker = Broker(host, port, limits)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mqtt-broker", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.broker.start())
        except OSError as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> str:
        """Start the broker; return its URL."""
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return f"mqtt://{self.broker.host}:{self.broker.port}"

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn()` on the broker's loop and return its result (tests, inspection)."""

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def stop(self) -> None:
        """Stop the broker and its thread."""
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.broker.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
