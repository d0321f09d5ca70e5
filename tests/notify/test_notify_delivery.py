"""Delivery over real loopback sockets: e-mail into an aiosmtpd sink, SMS through an HTTP
gateway, a JSON webhook; a mail server that is down keeps its messages until it is back (on a
fake clock); reports arrive with their PDF."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from notify import outbox
from notify.channels import Channels
from notify.config import policy_of
from notify.decide import run_round
from notify.routes import add_route
from notify.sender import Pass, send_due
from settings import Settings
from store.contacts import set_contact
from store.db import make_engine
from store.migrate import upgrade
from store.schema import audit_log, notify_deliveries
from store.users import add_user
from tests.notify.sinks import HttpReceiver, SmtpSink, http_receiver, smtp_sink
from tests.store.seed import add_alert, add_feeder

T0 = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 12:00 IST


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path}/store.db")
    upgrade(engine)
    with engine.begin() as conn:
        add_feeder(conn, "KL-EKM-0001", name="Kaloor 1", district="Ernakulam")
        add_user(conn, "asha", "correct horse battery", "operator")
        set_contact(conn, "asha", email="asha@kseb.in", phone="9847012345", quiet_hours="off")
        add_route(conn, district="Ernakulam", level=1, username="asha")
    yield engine
    engine.dispose()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as s:
        yield s


@pytest.fixture
def gateway() -> Iterator[HttpReceiver]:
    with http_receiver() as r:
        yield r


def settings_for(sink: SmtpSink, gateway: HttpReceiver | None = None, **more: str) -> Settings:
    extra: dict[str, str] = {}
    if gateway is not None:
        extra["sms_url"] = (
            f"form://127.0.0.1:{gateway.port}/sms?method=GET&:key=GW-KEY-1&:to={{to}}"
            "&:message=text&:title=&:type=&:version="
        )
        extra["notify_urls"] = f"ops=json://127.0.0.1:{gateway.port}/hook"
    return Settings(
        smtp_url=sink.url, smtp_from="SmartPhase KSEB <sp@kseb.in>", public_url="https://sp.kseb.in"
    ).with_overrides(**extra, **more)


def decide_and_send(engine: Engine, settings: Settings, now: datetime) -> Pass:
    channels = Channels(settings)
    run_round(
        engine,
        channels,
        policy_of(settings),
        public_url=settings.public_url,
        sms_template=settings.sms_template,
        now=now,
        holder="test",
    )
    return send_due(engine, channels, owner="test", clock=lambda: now, give_up_s=86400)


def states(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(select(notify_deliveries.c.channel, notify_deliveries.c.state))
        return dict(rows.tuples().all())


def test_an_alert_reaches_the_smtp_sink_the_sms_gateway_and_the_webhook(
    store: Engine, sink: SmtpSink, gateway: HttpReceiver
) -> None:
    settings = settings_for(sink, gateway)
    with store.begin() as conn:
        add_route(conn, district="Ernakulam", level=1, channel="ops", channels=["ops"])
        add_alert(conn, "A1", "KL-EKM-0001", T0, kind="phase_overload", severity="critical",
                  message="R carries 180 A, above its rating of 145 A.")  # fmt: skip
    decide_and_send(store, settings, T0 + timedelta(seconds=2))
    assert states(store) == {"email": "sent", "sms": "sent", "ops": "sent"}
    [mail] = sink.messages()
    assert mail.to == ["asha@kseb.in"]
    assert mail.message["From"] == "SmartPhase KSEB <sp@kseb.in>"
    assert mail.subject == "[SmartPhase] CRITICAL phase_overload KL-EKM-0001 Kaloor 1"
    assert "Raised 2026-03-02 12:00:00 IST" in mail.text()
    assert "R carries 180 A" in mail.text()
    with store.connect() as conn:
        ids = dict(
            conn.execute(select(notify_deliveries.c.channel, notify_deliveries.c.delivery_id))
            .tuples()
            .all()
        )
        delivered = (
            conn.execute(select(audit_log.c.target).where(audit_log.c.action == "notify.delivered"))
            .scalars()
            .all()
        )
    assert mail.delivery == str(ids["email"])
    assert sorted(delivered) == sorted(f"delivery {i}" for i in ids.values())
    sms = next(r for r in gateway.taken() if r.path == "/sms")
    assert sms.query["to"] == ["919847012345"]
    assert sms.query["key"] == ["GW-KEY-1"]
    [text] = sms.query["text"]
    assert text.startswith("SmartPhase CRITICAL phase_overload KL-EKM-0001")
    assert text.isascii()
    assert len(text) <= 160
    hook = next(r for r in gateway.taken() if r.path == "/hook")
    assert hook.json()["title"] == mail.subject
    assert "R carries 180 A" in hook.json()["message"]


def test_a_mail_server_that_is_down_keeps_its_messages_until_it_is_back(
    store: Engine, sink: SmtpSink
) -> None:
    settings = settings_for(sink)
    sink.stop()
    with store.begin() as conn:
        for k, feeder in enumerate(("KL-EKM-0002", "KL-EKM-0003", "KL-EKM-0004")):
            add_feeder(conn, feeder, district="Ernakulam")
            add_user(conn, f"user{k}", "correct horse battery", "operator")
            set_contact(conn, f"user{k}", email=f"user{k}@kseb.in", quiet_hours="off")
            add_route(conn, district="Ernakulam", level=1, username=f"user{k}")
        add_alert(conn, "A1", "KL-EKM-0001", T0, severity="warning")
    now = T0 + timedelta(seconds=2)
    first = decide_and_send(store, settings, now)
    assert len(first.failed) == 1  # one timeout per pass: the others wait with it
    with store.connect() as conn:
        rows = conn.execute(select(notify_deliveries.c.state, notify_deliveries.c.last_error)).all()
    assert sorted(s for s, _ in rows) == ["failed", "queued", "queued", "queued"]
    error = next(e for s, e in rows if s == "failed")
    assert error.startswith("email: ")
    channels = Channels(settings)
    still_down = send_due(
        store, channels, owner="t", clock=lambda: now + timedelta(seconds=5), give_up_s=86400
    )
    assert len(still_down.failed) == 1  # a queued one tried, and failed: the server is down
    sink.start()
    later = now + timedelta(seconds=25)
    back = send_due(store, channels, owner="t", clock=lambda: later, give_up_s=86400)
    assert len(back.sent) == 4
    assert sorted(m.to[0] for m in sink.messages()) == [
        "asha@kseb.in", "user0@kseb.in", "user1@kseb.in", "user2@kseb.in",
    ]  # fmt: skip


def test_a_gateway_answering_503_is_tried_again_and_the_key_never_shows(
    store: Engine, sink: SmtpSink, gateway: HttpReceiver
) -> None:
    settings = settings_for(sink, gateway)
    gateway.status = 503
    with store.begin() as conn:
        add_alert(conn, "A1", "KL-EKM-0001", T0, severity="critical")
    now = T0 + timedelta(seconds=2)
    decide_and_send(store, settings, now)
    assert states(store) == {"email": "sent", "sms": "failed"}
    with store.connect() as conn:
        error = conn.execute(
            select(notify_deliveries.c.last_error).where(notify_deliveries.c.channel == "sms")
        ).scalar_one()
    assert "503" in error
    assert "GW-KEY-1" not in error
    gateway.status = 200
    send_due(
        store,
        Channels(settings),
        owner="t",
        clock=lambda: now + timedelta(seconds=11),
        give_up_s=86400,
    )
    assert states(store) == {"email": "sent", "sms": "sent"}
    assert len(gateway.taken()) == 2


def test_a_report_arrives_with_its_pdf_attached(
    store: Engine, sink: SmtpSink, tmp_path: Path
) -> None:
    pdf = tmp_path / "kottayam-1-2026-02.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    with store.begin() as conn:
        outbox.enqueue_report(
            conn, to=["asha"], title="Kottayam 1, February 2026", summary="The feeder's month.",
            pdf_path=pdf, link="https://sp.kseb.in/reports/7",
        )  # fmt: skip
    send_due(
        store,
        Channels(settings_for(sink)),
        owner="t",
        clock=lambda: datetime.now(UTC),
        give_up_s=86400,
    )
    [mail] = sink.messages()
    assert mail.subject == "[SmartPhase] Kottayam 1, February 2026"
    assert mail.attachments() == {pdf.name: pdf.read_bytes()}
    assert "https://sp.kseb.in/reports/7" in mail.text()
