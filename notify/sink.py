"""`python -m notify.sink`: a local SMTP server that keeps each message as a .eml file.

    python -m notify.sink --port 18825 --dir var/mail

The demo sends its e-mail here (`SP_SMTP_URL=smtp://127.0.0.1:18825`) instead of to a real
mail server: every message is written to the directory as `<UTC time>-<id>.eml` (complete, or
not at all) and logged in one line, and nothing is relayed. It listens on the loopback
interface only, without TLS or login, so it is reachable from this machine alone. It stops on
SIGTERM or Ctrl-C; a port that is taken exits with status 2 and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.header
import email.policy
import logging
import os
import signal
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from aiosmtpd.smtp import SMTP

log = logging.getLogger("notify.sink")

HOST: Final = "127.0.0.1"
"""The sink listens on loopback only."""


class MailDir:
    """aiosmtpd handler: writes each message it accepts into `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        """Store the message and answer 250; a disk that refuses it answers 451."""
        raw = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        try:
            path = self.store(raw)
        except OSError as err:
            log.error("cannot store a message in %s: %s", self.directory, err.strerror or err)
            return "451 Requested action aborted: the sink cannot store the message"
        log.info(
            "mail %s from %s to %s: %s",
            path.name,
            envelope.mail_from or "<>",
            ", ".join(envelope.rcpt_tos),
            subject_of(raw),
        )
        return "250 OK"

    def store(self, raw: bytes) -> Path:
        """Write one message as a new .eml file (via a temporary name) and return its path."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}.eml"
        path = self.directory / name
        partial = self.directory / f".{name}.part"
        partial.write_bytes(raw)
        os.replace(partial, path)
        return path


def subject_of(raw: bytes) -> str:
    """Return the decoded Subject of a raw message ("(no subject)" when it has none)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    header = message.get("Subject")
    if header is None:
        return "(no subject)"
    return str(email.header.make_header(email.header.decode_header(str(header))))


async def serve(port: int, directory: Path, stopping: asyncio.Event) -> None:
    """Accept mail on HOST:port into `directory` until `stopping` is set; OSError if the port
    cannot be listened on."""
    loop = asyncio.get_running_loop()
    handler = MailDir(directory)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smartphase-sink", ident="SmartPhase mail sink"),
        HOST,
        port,
    )
    log.info("SMTP sink on %s:%d, keeping messages in %s", HOST, port, directory)
    try:
        await stopping.wait()
    finally:
        server.close()
        await server.wait_closed()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sink until SIGTERM or Ctrl-C; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m notify.sink",
        description="A local SMTP sink: each message becomes a .eml file, nothing is relayed.",
    )
    parser.add_argument("--port", type=int, default=18825, help="TCP port on 127.0.0.1")
    parser.add_argument("--dir", type=Path, default=Path("var/mail"), help="where messages go")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    if not 0 < args.port < 65536:
        print(f"error: --port: {args.port} is not a TCP port", file=sys.stderr)
        return 2
    try:
        args.dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        print(f"error: --dir: {args.dir}: {err.strerror or err}", file=sys.stderr)
        return 2

    async def run() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        await serve(args.port, args.dir, stopping)

    try:
        asyncio.run(run())
    except OSError as err:
        print(
            f"error: --port: cannot listen on {HOST}:{args.port}: {err.strerror or err}",
            file=sys.stderr,
        )
        return 2
    log.info("SMTP sink stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
