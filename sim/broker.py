"""A small MQTT 3.1.1 broker for the embedded demo (asyncio, in-process, loopback only).

What the SmartPhase protocol uses and nothing more: QoS 0 and 1 (QoS 2 is delivered as 1),
retained messages, last wills, persistent sessions (clean_session false: subscriptions and
QoS 1 messages kept while the client is away, unacked ones sent again on reconnect),
`+`/`#` wildcards, shared subscriptions (`$share/group/filter`, round-robin), keepalive and an
inflight window per client. No authentication: it listens on 127.0.0.1 for the demo only;
production uses Mosquitto with TLS and ACLs (deploy/mosquitto/).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import struct
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Final

log = logging.getLogger("sim.broker")

CONNECT, CONNACK, PUBLISH, PUBACK = 1, 2, 3, 4
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 8, 9, 10, 11
PINGREQ, PINGRESP, DISCONNECT = 12, 13, 14
INFLIGHT_MAX: Final = 1000
QUEUE_MAX: Final = 100_000
MAX_PACKET: Final = 8 * 1024 * 1024


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
    inflight: dict[int, Message] = field(default_factory=dict)
    next_mid: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    connection: Connection | None = None

    def mid(self) -> int:
        """Return a free packet identifier."""
        while True:
            mid = next(self.next_mid) % 65536
            if mid and mid not in self.inflight:
                return mid


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


def split_shared(filter_: str) -> tuple[str | None, str]:
    """Return (group, filter) of a `$share/group/filter` subscription, or (None, filter)."""
    if filter_.startswith("$share/"):
        parts = filter_.split("/", 2)
        if len(parts) == 3 and parts[1] and parts[2]:
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


def _string(data: bytes, pos: int) -> tuple[str, int]:
    (length,) = struct.unpack_from("!H", data, pos)
    end = pos + 2 + length
    if end > len(data):
        raise ProtocolError("string runs past the packet")
    return data[pos + 2 : end].decode("utf-8"), end


def _bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    (length,) = struct.unpack_from("!H", data, pos)
    return data[pos + 2 : pos + 2 + length], pos + 2 + length


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


class Connection:
    """One client's TCP connection."""

    def __init__(
        self, broker: Broker, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.broker, self.reader, self.writer = broker, reader, writer
        self.session: Session | None = None
        self.will: Message | None = None
        self.keepalive_s = 0

    async def read_packet(self) -> tuple[int, int, bytes]:
        """Return (type, flags, body) of the next packet."""
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
        if length > MAX_PACKET:
            raise ProtocolError(f"packet of {length} bytes is too large")
        body = await self.reader.readexactly(length) if length else b""
        return first[0] >> 4, first[0] & 0x0F, body

    def send(self, packet: bytes) -> None:
        """Queue bytes for the peer."""
        if not self.writer.is_closing():
            self.writer.write(packet)

    async def serve(self) -> None:
        """Run the connection until it ends."""
        graceful = False
        try:
            kind, _flags, body = await asyncio.wait_for(self.read_packet(), 10.0)
            if kind != CONNECT:
                raise ProtocolError("first packet is not CONNECT")
            self._connect(body)
            while True:
                timeout = self.keepalive_s * 1.5 if self.keepalive_s else None
                kind, flags, body = await asyncio.wait_for(self.read_packet(), timeout)
                if kind == DISCONNECT:
                    graceful = True
                    return
                self._dispatch(kind, flags, body)
                await self.writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            pass
        except (ProtocolError, UnicodeDecodeError, struct.error) as exc:
            log.warning("closing a client that broke the protocol: %s", exc)
        finally:
            self.broker.disconnected(self, graceful)
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()

    def _connect(self, body: bytes) -> None:
        name, pos = _string(body, 0)
        if name != "MQTT" or body[pos] != 4:
            self.send(bytes([CONNACK << 4, 2, 0, 1]))  # unacceptable protocol version
            raise ProtocolError(f"protocol {name!r} level {body[pos]} is not MQTT 3.1.1")
        flags = body[pos + 1]
        (self.keepalive_s,) = struct.unpack_from("!H", body, pos + 2)
        pos += 4
        client_id, pos = _string(body, pos)
        clean = bool(flags & 0x02)
        if flags & 0x04:
            will_topic, pos = _string(body, pos)
            will_payload, pos = _bytes(body, pos)
            self.will = Message(
                will_topic, will_payload, min((flags >> 3) & 3, 1), bool(flags & 0x20)
            )
        if not client_id:
            client_id = f"anon-{id(self):x}"
            clean = True
        present = self.broker.attach(self, client_id, clean)
        self.send(bytes([CONNACK << 4, 2, 1 if present else 0, 0]))
        assert self.session is not None
        self.broker.resume(self.session)

    def _dispatch(self, kind: int, flags: int, body: bytes) -> None:
        session = self.session
        assert session is not None
        if kind == PUBLISH:
            qos = min((flags >> 1) & 3, 1)
            topic, pos = _string(body, 0)
            if "+" in topic or "#" in topic or not topic:
                raise ProtocolError(f"cannot publish to {topic!r}")
            if (flags >> 1) & 3:
                (mid,) = struct.unpack_from("!H", body, pos)
                pos += 2
                self.send(bytes([PUBACK << 4, 2]) + struct.pack("!H", mid))
            self.broker.route(Message(topic, body[pos:], qos, bool(flags & 1)))
        elif kind == PUBACK:
            (mid,) = struct.unpack_from("!H", body, 0)
            session.inflight.pop(mid, None)
            self.broker.pump(session)
        elif kind == SUBSCRIBE:
            (mid,) = struct.unpack_from("!H", body, 0)
            pos, granted = 2, []
            while pos < len(body):
                filter_, pos = _string(body, pos)
                qos = min(body[pos] & 3, 1)
                pos += 1
                split_shared(filter_)
                session.subscriptions[filter_] = qos
                self.broker.subscriptions_changed()
                granted.append(qos)
                if not filter_.startswith("$share/"):
                    self.broker.send_retained(session, filter_, qos)
            self.send(
                bytes([SUBACK << 4])
                + encode_length(2 + len(granted))
                + struct.pack("!H", mid)
                + bytes(granted)
            )
        elif kind == UNSUBSCRIBE:
            (mid,) = struct.unpack_from("!H", body, 0)
            pos = 2
            while pos < len(body):
                filter_, pos = _string(body, pos)
                session.subscriptions.pop(filter_, None)
            self.broker.subscriptions_changed()
            self.send(bytes([UNSUBACK << 4, 2]) + struct.pack("!H", mid))
        elif kind == PINGREQ:
            self.send(bytes([PINGRESP << 4, 0]))
        else:
            raise ProtocolError(f"unexpected packet type {kind}")


class Broker:
    """Sessions, subscriptions and retained messages; one asyncio loop does everything."""

    def __init__(self, host: str = "127.0.0.1", port: int = 18830) -> None:
        self.host, self.port = host, port
        self.sessions: dict[str, Session] = {}
        self.retained: dict[str, Message] = {}
        self._share_turn: dict[tuple[str, str], int] = {}
        self._routes: dict[str, list[tuple[Session, str, int]]] = {}
        """Matching (session, filter, qos) per topic; cleared when subscriptions change."""
        self._server: asyncio.Server | None = None

    def subscriptions_changed(self) -> None:
        """Forget the cached routes."""
        self._routes.clear()

    async def start(self) -> None:
        """Listen for clients."""
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("embedded MQTT broker on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Close the listener and every client."""
        if self._server is not None:
            self._server.close()
            for session in self.sessions.values():
                if session.connection is not None:
                    session.connection.writer.close()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await Connection(self, reader, writer).serve()

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
        if session.clean:
            self.sessions.pop(session.client_id, None)
            self.subscriptions_changed()
        if not graceful and conn.will is not None:
            self.route(conn.will)

    def route(self, message: Message) -> None:
        """Deliver a published message to every matching subscription."""
        if message.retain:
            if message.payload:
                self.retained[message.topic] = Message(
                    message.topic, message.payload, message.qos, True
                )
            else:
                self.retained.pop(message.topic, None)
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
        """Send now, or queue for a persistent session (QoS 1) or a full inflight window."""
        if message.qos == 0:
            if session.connection is not None:
                session.connection.send(publish_packet(message, None))
            return
        if len(session.queue) >= QUEUE_MAX:
            session.queue.popleft()
        session.queue.append(message)
        self.pump(session)

    def pump(self, session: Session) -> None:
        """Move queued QoS 1 messages into the inflight window of a connected session."""
        conn = session.connection
        if conn is None:
            return
        while session.queue and len(session.inflight) < INFLIGHT_MAX:
            message = session.queue.popleft()
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

    def __init__(self, host: str = "127.0.0.1", port: int = 18830) -> None:
        self.broker = Broker(host, port)
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

    def stop(self) -> None:
        """Stop the broker and its thread."""
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.broker.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
