"""Finding 12: the embedded demo broker refuses what MQTT 3.1.1 refuses, with bounded memory.

Raw packets on a socket, as a hostile client sends them: filters such as `a/#/b`, QoS 3, NUL
in topics, truncated packets (which used to raise inside the broker), an oversized half-sent
CONNECT, a reader that never reads, and a persistent session whose client never returns.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sim.broker import BrokerThread, Limits, encode_length

LIMITS = Limits(
    write_buffer_max_bytes=256 * 1024,
    queue_max_bytes=1024 * 1024,
    session_expiry_s=60.0,
    sweep_s=3600.0,
)


@pytest.fixture
def broker() -> Iterator[tuple[BrokerThread, list[dict[str, Any]]]]:
    """Return a running broker with small limits and the exceptions its loop reported."""
    thread = BrokerThread(port=0, limits=LIMITS)
    errors: list[dict[str, Any]] = []
    thread._loop.set_exception_handler(lambda _loop, context: errors.append(context))
    thread.start()
    yield thread, errors
    thread.stop()


def string(s: str | bytes) -> bytes:
    raw = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(raw)) + raw


def packet(kind: int, flags: int, body: bytes) -> bytes:
    return bytes([(kind << 4) | flags]) + encode_length(len(body)) + body


def connect(client_id: str = "", *, clean: bool = True, keepalive: int = 30) -> bytes:
    flags = 0x02 if clean else 0
    return packet(
        1, 0, string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + string(client_id)
    )


def subscribe(filter_: str | bytes, qos: int = 1, mid: int = 1) -> bytes:
    return packet(8, 2, struct.pack("!H", mid) + string(filter_) + bytes([qos]))


def publish(topic: str | bytes, payload: bytes, qos: int = 0, mid: int = 1) -> bytes:
    body = string(topic) + (struct.pack("!H", mid) if qos else b"") + payload
    return packet(3, qos << 1, body)


class Raw:
    """A bare TCP client."""

    def __init__(self, thread: BrokerThread, *, rcvbuf: int | None = None) -> None:
        self.sock = socket.socket()
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", thread.broker.port))
        self.sock.settimeout(3.0)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                break
            out += chunk
        return out

    def closed_by_broker(self) -> bool:
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True

    def connected(self, client_id: str = "", *, clean: bool = True) -> bytes:
        self.send(connect(client_id, clean=clean))
        return self.read(4)

    def close(self) -> None:
        self.sock.close()


def test_malformed_filters_are_refused_and_match_nothing(broker: Any) -> None:
    thread, errors = broker
    sub = Raw(thread)
    assert sub.connected() == b"\x20\x02\x00\x00"
    for mid, filter_ in enumerate(["a/#/b", "a+", "#/a", "$share//a", "$share/g/a/#/x"], 1):
        sub.send(subscribe(filter_, mid=mid))
        assert sub.read(5) == b"\x90\x03" + struct.pack("!H", mid) + b"\x80"
    sub.send(subscribe("a/+", mid=9))
    assert sub.read(5) == b"\x90\x03\x00\x09\x01"
    pub = Raw(thread)
    pub.connected()
    pub.send(publish("a/x/b", b"hidden"))
    pub.send(publish("a/x", b"seen"))
    assert sub.read(11) == b"\x30\x09" + string("a/x") + b"seen"  # a/x/b went nowhere
    assert errors == []


@pytest.mark.parametrize(
    "attack",
    [
        publish("a/b", b"x", qos=3),  # QoS 3
        publish(b"a/\x00b", b"x"),  # NUL in a topic name
        subscribe(b"a/\x00/b"),  # NUL in a filter
        subscribe("a/b", qos=3),  # QoS 3 requested
        packet(8, 0, struct.pack("!H", 1) + string("a") + b"\x01"),  # reserved flags
        packet(3, 0, b"\x00"),  # truncated: a topic length without its topic
        packet(3, 2, string("a/b")),  # truncated: QoS 1 without its packet id
        packet(8, 2, struct.pack("!H", 1) + b"\x00\x05ab"),  # truncated filter
        packet(8, 2, struct.pack("!H", 1) + string("a")),  # no requested QoS
        packet(8, 2, struct.pack("!H", 1)),  # no filter at all
        packet(4, 0, b"\x01"),  # truncated PUBACK
        packet(3, 0, string(b"\xff\xfe")),  # invalid UTF-8
        connect("again"),  # a second CONNECT
        packet(15, 0, b""),  # a reserved packet type
    ],
)
def test_protocol_violations_close_the_connection_without_raising(
    broker: Any, attack: bytes
) -> None:
    thread, errors = broker
    client = Raw(thread)
    assert client.connected() == b"\x20\x02\x00\x00"
    client.send(attack)
    assert client.closed_by_broker()
    other = Raw(thread)  # the broker still serves
    assert other.connected() == b"\x20\x02\x00\x00"
    assert errors == []


def test_an_oversized_half_sent_connect_is_dropped_at_once(broker: Any) -> None:
    thread, errors = broker
    client = Raw(thread)
    client.send(b"\x10" + encode_length(8 * 1024 * 1024) + b"\x00\x04MQTT")
    assert client.closed_by_broker()
    empty_id = Raw(thread)
    assert empty_id.connected(clean=False) == b"\x20\x02\x00\x02"  # identifier rejected
    assert errors == []


def test_a_reader_that_never_reads_holds_bounded_memory(broker: Any) -> None:
    thread, errors = broker
    slow = Raw(thread, rcvbuf=4096)
    slow.connected("slow", clean=False)
    slow.send(subscribe("flood/#", qos=1))
    time.sleep(0.2)
    pub = Raw(thread)
    pub.connected()
    chunk = b"x" * 60_000
    for k in range(200):  # 12 MB at QoS 0 and QoS 1; the slow client reads none of it
        pub.send(publish("flood/0", chunk))
        pub.send(publish("flood/1", chunk, qos=1, mid=k + 1))
        pub.read(4)
    time.sleep(0.5)

    def held() -> tuple[int, int]:
        session = thread.broker.sessions["slow"]
        assert session.connection is not None
        return session.connection.backlog, session.queued_bytes

    backlog, queued = thread.call(held)
    assert backlog <= LIMITS.write_buffer_max_bytes + 2 * len(chunk) + 1024
    assert queued <= LIMITS.queue_max_bytes
    assert errors == []


def test_a_persistent_session_of_a_client_that_never_returns_expires(broker: Any) -> None:
    thread, errors = broker
    gone = Raw(thread)
    gone.connected("gone", clean=False)
    gone.send(subscribe("x/#"))
    gone.read(5)
    gone.close()
    time.sleep(0.2)
    assert thread.call(lambda: thread.broker.sweep(time.monotonic())) == []
    later = time.monotonic() + LIMITS.session_expiry_s
    assert thread.call(lambda: thread.broker.sweep(later)) == ["gone"]
    back = Raw(thread)
    assert back.connected("gone", clean=False) == b"\x20\x02\x00\x00"  # no session present
    assert errors == []


def test_the_loop_reports_no_task_error(broker: Any) -> None:
    thread, errors = broker
    client = Raw(thread)
    client.connected()
    client.send(packet(8, 2, b"\x00"))
    assert client.closed_by_broker()
    asyncio.run_coroutine_threadsafe(asyncio.sleep(0.1), thread._loop).result(5)
    assert errors == []
