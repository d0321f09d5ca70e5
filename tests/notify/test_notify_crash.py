"""`python -m notify` killed with SIGKILL in the middle of a send: nothing is sent twice, the
messages still queued go out after a restart, and the one in flight is given up as of unknown
outcome (it did arrive here), never resent by itself. SIGTERM stops the worker cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from notify.outbox import UNKNOWN_OUTCOME
from notify.routes import add_route
from store.contacts import set_contact
from store.db import make_engine
from store.migrate import upgrade
from store.schema import notify_deliveries
from store.users import add_user
from tests.notify.sinks import SmtpSink, smtp_sink, wait_for
from tests.store.seed import add_alert, add_feeder

ROOT = Path(__file__).resolve().parents[2]
USERS = 5


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as s:
        yield s


def seeded(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        add_feeder(conn, "KL-EKM-0001", district="Ernakulam")
        for k in range(USERS):
            add_user(conn, f"user{k}", "correct horse battery", "operator")
            set_contact(conn, f"user{k}", email=f"user{k}@kseb.in")
            add_route(conn, district="Ernakulam", level=1, username=f"user{k}")
        add_alert(conn, "A1", "KL-EKM-0001", datetime.now(UTC), severity="critical")
    return engine


def start_worker(url: str, sink: SmtpSink, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SP_DATABASE_URL": url,
        "SP_SMTP_URL": sink.url,
        "SP_NOTIFY_GROUP_WAIT_S": "0",
        "SP_NOTIFY_LEASE_S": "3",
        "PYTHONPATH": str(ROOT),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "notify"], cwd=ROOT, env=env, stdout=out, stderr=out
        )


def deliveries(engine: Engine) -> dict[int, tuple[str, str | None]]:
    d = notify_deliveries.c
    with engine.connect() as conn:
        rows = conn.execute(select(d.delivery_id, d.state, d.last_error)).all()
    return {int(i): (s, e) for i, s, e in rows}


def test_kill_9_mid_send_sends_nothing_twice_and_loses_nothing_queued(
    tmp_path: Path, sink: SmtpSink
) -> None:
    url = f"sqlite:///{tmp_path}/store.db"
    engine = seeded(url)
    log = tmp_path / "notify.log"
    sink.hold()  # the first message is taken, its "250 OK" never comes
    worker = start_worker(url, sink, log)
    try:
        wait_for(lambda: len(sink.messages()) == 1, 30, "the first e-mail at the sink")
        wait_for(
            lambda: [s for s, _ in deliveries(engine).values()].count("sending") == 1,
            10,
            "the delivery in flight",
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    in_flight = int(sink.messages()[0].delivery or 0)
    before = deliveries(engine)
    assert before[in_flight][0] == "sending"
    assert sorted(s for s, _ in before.values()) == ["queued"] * (USERS - 1) + ["sending"]
    sink.release()

    again = start_worker(url, sink, log)
    try:
        wait_for(
            lambda: all(s in ("sent", "gave_up") for s, _ in deliveries(engine).values()),
            60,
            f"every delivery done ({log.read_text(errors='replace')[-2000:]})",
        )
        again.send_signal(signal.SIGTERM)
        assert again.wait(15) == 0
    finally:
        if again.poll() is None:
            again.kill()
    after = deliveries(engine)
    arrived = Counter(m.delivery for m in sink.messages())
    assert arrived == Counter({str(i): 1 for i in after})  # each delivery exactly once
    assert after[in_flight] == ("gave_up", UNKNOWN_OUTCOME)
    assert sorted(s for s, _ in after.values()) == ["gave_up"] + ["sent"] * (USERS - 1)
    engine.dispose()
