"""Local receivers for notification tests: an SMTP sink (aiosmtpd) and an HTTP receiver
(http.server in a thread), both on real loopback sockets, recording what they are sent.

The SMTP sink can hold its answer to a message (`hold()`): it records the message, then keeps
the sender waiting for its "250 OK" until `release()` — the moment a sender is "mid-send". The
HTTP receiver can answer 503 until told otherwise, as a gateway that is down.
"""

from __future__ import annotations

import asyncio
import email
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout_s: float = 20.0, what: str = "condition") -> None:
    """Poll `check` until it holds; fail after `timeout_s`."""
    end = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Received:
    """One e-mail the sink took."""

    to: list[str]
    message: Message
    at: float

    @property
    def delivery(self) -> str | None:
        """Return the X-SmartPhase-Delivery header."""
        return self.message.get("X-SmartPhase-Delivery")

    @property
    def subject(self) -> str:
        """Return the decoded subject."""
        return str(email.header.make_header(email.header.decode_header(self.message["Subject"])))

    def text(self) -> str:
        """Return the plain-text part."""
        for part in self.message.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode(part.get_content_charset() or "utf-8")
        return ""

    def attachments(self) -> dict[str, bytes]:
        """Return the attached files by name."""
        found = {}
        for part in self.message.walk():
            name = part.get_filename()
            if name:
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                found[name] = payload
        return found


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        with self.sink.lock:
            self.sink.received.append(
                Received(list(envelope.rcpt_tos), email.message_from_bytes(raw), time.time())
            )
            holding = self.sink.holding
        while holding and not self.sink.released.is_set():
            await asyncio.sleep(0.05)
        return "250 OK"


@dataclass
class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    holding: bool = False
    released: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        """Return the SP_SMTP_URL of the sink."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        """Listen (again, on the same port)."""
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening: the mail server is down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def hold(self) -> None:
        """Keep each sender waiting for its answer after the message is taken."""
        self.holding = True
        self.released.clear()

    def release(self) -> None:
        """Answer every held sender, and hold nobody from now on."""
        self.holding = False
        self.released.set()

    def messages(self) -> list[Received]:
        """Return what was received so far."""
        with self.lock:
            return list(self.received)


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """Run an SMTP sink for the block."""
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.release()
        sink.stop()


@dataclass
class Request:
    """One HTTP request the receiver took."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        """Return the body as JSON."""
        return json.loads(self.body)


class HttpReceiver:
    """An HTTP server on 127.0.0.1 that keeps every request and answers `status`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _take(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                with receiver.lock:
                    receiver.requests.append(
                        Request(
                            self.command,
                            parts.path,
                            parse_qs(parts.query),
                            dict(self.headers),
                            body,
                            time.time(),
                        )
                    )
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = _take  # noqa: N815

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def taken(self) -> list[Request]:
        """Return the requests answered 2xx."""
        with self.lock:
            return list(self.requests)

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    """Run an HTTP receiver for the block."""
    receiver = HttpReceiver()
    try:
        yield receiver
    finally:
        receiver.close()
