"""`python -m notify.sink`: the demo's local SMTP sink keeps each message as a .eml file."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import smtplib
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

from notify.sink import subject_of
from tests.notify.sinks import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def running_sink(port: int, directory: Path) -> Iterator[subprocess.Popen[str]]:
    """Run `python -m notify.sink` until the block ends; yield it once it listens."""
    sink = subprocess.Popen(
        [sys.executable, "-m", "notify.sink", "--port", str(port), "--dir", str(directory)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stderr is not None
        first = sink.stderr.readline()
        assert "SMTP sink on 127.0.0.1" in first, first
        yield sink
    finally:
        if sink.poll() is None:
            sink.send_signal(signal.SIGTERM)
        sink.wait(20)


def message(to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "SmartPhase <smartphase@localhost>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def test_each_message_becomes_one_eml_file_and_one_log_line(tmp_path: Path) -> None:
    port, mail = free_port(), tmp_path / "mail"
    with running_sink(port, mail) as sink:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message("demo@smartphase.local", "Critical: R over 145 A", "one"))
            smtp.send_message(message("asha@kseb.in", "Warning: feeder silent", "two"))
        wait_for(lambda: len(list(mail.glob("*.eml"))) == 2, what="two .eml files")
        sink.send_signal(signal.SIGTERM)
        _, log = sink.communicate(timeout=20)
    assert sink.returncode == 0
    files = sorted(mail.glob("*.eml"))
    stored = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted(str(m["To"]) for m in stored) == ["asha@kseb.in", "demo@smartphase.local"]
    by_to = {str(m["To"]): m for m in stored}
    body = by_to["demo@smartphase.local"].get_body()
    assert body is not None
    assert body.get_content().strip() == "one"
    assert not list(mail.glob(".*"))  # no partial files left
    lines = [line for line in log.splitlines() if " mail " in line]
    assert len(lines) == 2, log
    for f in files:
        (line,) = [ln for ln in lines if f.name in ln]
        to = str(email.message_from_bytes(f.read_bytes())["To"])
        assert f"to {to}: " in line
    assert any("to demo@smartphase.local: Critical: R over 145 A" in ln for ln in lines)
    assert "SMTP sink stopped" in log


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "notify.sink", "--port", str(port), "--dir", str(tmp_path)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"error: --port: cannot listen on 127.0.0.1:{port}" in result.stderr
    assert not list(tmp_path.glob("*.eml"))


def test_the_subject_is_decoded_for_the_log() -> None:
    raw = message("a@b.in", "Kritisch: फेज़ overload", "x").as_bytes()
    assert subject_of(raw) == "Kritisch: फेज़ overload"
    assert subject_of(b"To: a@b.in\r\n\r\nbody\r\n") == "(no subject)"
