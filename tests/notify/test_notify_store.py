"""Notifications in the store, on SQLite and PostgreSQL: routes and contacts with every bad value
named, decision rounds on a fake clock (who is told, escalation, acknowledgement, audit), the
outbox's claims, leases and give-ups, and the report hook."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select

from notify import outbox
from notify.channels import Channels
from notify.config import policy_of
from notify.decide import Round, run_round
from notify.routes import RouteError, add_route, import_sections, list_routes, remove_route
from settings import Settings
from store.alert_rollup import regroup
from store.alerting import acknowledge
from store.contacts import ContactError, get_contact, set_contact
from store.schema import audit_log, notify_deliveries, notify_messages, notify_notices
from store.users import add_user, set_disabled
from tests.store.seed import add_alert, add_feeder

T0 = datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 12:00 IST
SETTINGS = Settings(
    smtp_url="smtp://127.0.0.1:2525",
    sms_url="form://127.0.0.1:9/sms?:to={to}",
    notify_urls="ops=json://127.0.0.1:9/hook",
)
PASSWORD = "correct horse battery"


def seed(engine: Engine) -> None:
    """Two Ernakulam feeders (one in section Kaloor), one in Kottayam, the KSEB chain."""
    with engine.begin() as conn:
        add_feeder(conn, "KL-EKM-0001", name="Kaloor 1", district="Ernakulam")
        add_feeder(conn, "KL-EKM-0002", name="Edappally 2", district="Ernakulam")
        add_feeder(conn, "KL-KTM-0001", name="Kottayam 1", district="Kottayam")
        import_sections(conn, [("KL-EKM-0001", "Kaloor")])
        for name, phone in (("asha", "9847012345"), ("biju", None), ("chandran", None)):
            add_user(conn, name, PASSWORD, "operator")
            set_contact(conn, name, email=f"{name}@kseb.in", phone=phone, quiet_hours="off")
        for level, name in ((1, "asha"), (2, "biju"), (3, "chandran")):
            add_route(conn, district="Ernakulam", level=level, username=name)


def round_at(engine: Engine, now: datetime) -> Round:
    return run_round(
        engine,
        Channels(SETTINGS),
        policy_of(SETTINGS),
        public_url="https://sp.kseb.in",
        sms_template="SmartPhase {text}",
        now=now,
        holder="test",
    )


def count(conn: Connection, table: object, *where: object) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())  # type: ignore[arg-type]


# --- routes and contacts ---------------------------------------------------------------------


BAD_ROUTES: list[tuple[dict[str, object], str]] = [
    ({"district": "Ernakulm"}, "district"),
    ({"level": 4}, "level"),
    ({"username": "nobody"}, "user"),
    ({"username": None, "channel": "pager"}, "channel"),
    ({"channel": "ops"}, "user"),  # both a user and a channel
    ({"section": "Nowhere"}, "section"),
    ({"district": "*", "section": "Kaloor"}, "section"),
    ({"severity": "urgent"}, "severity"),
    ({"kind": "overheat"}, "kind"),
    ({"delay_min": -5}, "delay_min"),
    ({"level": 1}, "route"),  # the same as seeded
]


def test_a_bad_route_is_refused_naming_the_field(engine: Engine) -> None:
    seed(engine)
    for changes, field in BAD_ROUTES:
        wanted: dict[str, object] = {"district": "Ernakulam", "level": 2, "username": "asha"}
        with engine.begin() as conn, pytest.raises(RouteError) as err:
            add_route(conn, channels=["ops"], **(wanted | changes))  # type: ignore[arg-type]
        assert err.value.field == field, changes
    with engine.connect() as conn:
        assert len(list_routes(conn)) == 3


def test_routes_are_added_listed_removed_and_audited(engine: Engine) -> None:
    seed(engine)
    with engine.begin() as conn:
        route = add_route(
            conn, district="ernakulam", section="Kaloor", severity="critical", kind="phase_overload",
            level=1, channel="ops", channels=["ops"], delay_min=5, actor="ada",
        )  # fmt: skip
        assert route.district == "Ernakulam"
        assert route.recipient == "channel:ops"
        star = add_route(conn, district="*", level=1, username="chandran")
        assert list_routes(conn)[0].route_id == star.route_id  # "*" sorts first
        remove_route(conn, route.route_id, actor="ada")
        assert route.route_id not in [r.route_id for r in list_routes(conn)]
        actions = [
            a
            for (a,) in conn.execute(
                select(audit_log.c.action).where(audit_log.c.username == "ada")
            )
        ]
    assert actions == ["notify.route_add", "notify.route_remove"]


def test_a_disabled_user_cannot_be_routed(engine: Engine) -> None:
    seed(engine)
    with engine.begin() as conn:
        set_disabled(conn, "biju", True)
        with pytest.raises(RouteError, match="disabled"):
            add_route(conn, district="Kottayam", level=1, username="biju")


def test_contacts_are_checked_kept_and_audited_without_their_values(engine: Engine) -> None:
    seed(engine)
    with engine.begin() as conn:
        with pytest.raises(ContactError) as err:
            set_contact(conn, "asha", phone="12345")
        assert err.value.field == "phone"
        set_contact(conn, "asha", phone="+91 94470 00001", actor="ada")
        assert get_contact(conn, "asha").phone == "+919447000001"
        assert get_contact(conn, "asha").email == "asha@kseb.in"  # untouched
        detail = conn.execute(
            select(audit_log.c.detail).where(
                audit_log.c.action == "user.set_contact", audit_log.c.username == "ada"
            )
        ).scalar_one()
    assert detail == {"changed": ["phone"]}
    with engine.begin() as conn, pytest.raises(ContactError, match="username"):
        set_contact(conn, "nobody", email="x@kseb.in")


# --- decision rounds -------------------------------------------------------------------------


def test_the_chain_is_told_in_turn_until_someone_acknowledges(engine: Engine) -> None:
    seed(engine)
    with engine.begin() as conn:
        add_alert(conn, "A1", "KL-EKM-0001", T0, kind="phase_overload", severity="critical",
                  message="R carries 180 A")  # fmt: skip
    assert round_at(engine, T0) == Round()  # the group wait
    assert round_at(engine, T0 + timedelta(seconds=2)) == Round(1, 1, 0)
    assert round_at(engine, T0 + timedelta(seconds=3)) == Round()  # told already
    with engine.connect() as conn:
        [asha] = outbox.notices_of(conn, ["A1"])["A1"]
    assert (asha.recipient, asha.level, asha.reason) == ("user:asha", 1, "new")
    assert sorted((d.channel, d.address, d.state) for d in asha.deliveries) == [
        ("email", "a***@kseb.in", "queued"),
        ("sms", "+91******2345", "queued"),  # critical: by SMS too
    ]
    told_at = T0 + timedelta(seconds=2)  # level 2 is due 15 min after asha was told, then waits
    assert round_at(engine, told_at + timedelta(minutes=15, seconds=1)) == Round()
    assert round_at(engine, told_at + timedelta(minutes=15, seconds=2)) == Round(1, 1, 1)
    with engine.begin() as conn:
        acknowledge(conn, "A1", actor="biju", now=T0 + timedelta(minutes=20))
    assert round_at(engine, T0 + timedelta(hours=6)) == Round()
    with engine.connect() as conn:
        told = [(n.recipient, n.level, n.reason) for n in outbox.notices_of(conn, ["A1"])["A1"]]
        escalations = conn.execute(
            select(audit_log.c.target, audit_log.c.detail, audit_log.c.username).where(
                audit_log.c.action == "notify.escalate"
            )
        ).all()
        notices = count(conn, audit_log, audit_log.c.action == "notify.notice")
    assert told == [("user:asha", 1, "new"), ("user:biju", 2, "escalated")]
    assert [
        (t, d["level"], d["to"], d["unacknowledged_min"], who) for t, d, who in escalations
    ] == [("A1", 2, "biju", 15, "notify")]
    assert notices == 2


def test_a_warning_goes_by_e_mail_only_and_a_user_without_contacts_gets_no_delivery(
    engine: Engine,
) -> None:
    seed(engine)
    with engine.begin() as conn:
        add_user(conn, "dev", PASSWORD, "viewer")
        add_route(conn, district="Kottayam", level=1, username="dev")
        add_route(conn, district="Kottayam", level=1, username="asha")
        add_alert(conn, "W1", "KL-KTM-0001", T0, kind="sustained_unbalance", severity="warning")
    round_at(engine, T0 + timedelta(seconds=2))
    with engine.connect() as conn:
        told = {n.recipient: n.deliveries for n in outbox.notices_of(conn, ["W1"])["W1"]}
    assert [d.channel for d in told["user:asha"]] == ["email"]
    assert told["user:dev"] == ()


def test_rounds_run_at_once_by_several_workers_queue_each_message_once(engine: Engine) -> None:
    seed(engine)
    with engine.begin() as conn:
        for k in range(20):
            add_alert(
                conn, f"A{k}", "KL-EKM-0002", T0 + timedelta(milliseconds=k), severity="critical"
            )
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                round_at(engine, T0 + timedelta(seconds=3))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert count(conn, notify_messages) == 1
        assert count(conn, notify_notices) == 20


def test_inhibited_alerts_are_counted_in_their_parents_message(engine: Engine) -> None:
    seed(engine)
    with engine.begin() as conn:
        add_alert(conn, "F1", "KL-EKM-0001", T0, kind="feeder_offline", severity="critical")
        for k in range(3):
            add_alert(
                conn,
                f"H{k}",
                "KL-EKM-0001",
                T0,
                kind="house_offline",
                house_id=f"KL-EKM-0001-H00{k}",
            )
        regroup(conn, T0)
    round_at(engine, T0 + timedelta(seconds=2))
    with engine.connect() as conn:
        body = conn.execute(select(notify_messages.c.body)).scalar_one()
        told = conn.execute(select(notify_notices.c.alert_id)).scalars().all()
    assert told == ["F1"]
    assert "With 3 houses silent." in body


# --- the outbox ------------------------------------------------------------------------------


def queued(engine: Engine) -> list[outbox.Due]:
    with engine.begin() as conn:
        add_alert(conn, "A1", "KL-EKM-0001", T0, severity="critical")
    round_at(engine, T0 + timedelta(seconds=2))
    with engine.connect() as conn:
        return outbox.due(conn, T0 + timedelta(seconds=2))


def test_a_delivery_is_claimed_by_one_worker_only(engine: Engine) -> None:
    seed(engine)
    first = queued(engine)[0]
    now = T0 + timedelta(seconds=3)
    with engine.begin() as conn:
        assert outbox.claim(conn, first.delivery_id, "w1", now, 60)
    with engine.begin() as conn:
        assert not outbox.claim(conn, first.delivery_id, "w2", now, 60)
        assert first.delivery_id not in [d.delivery_id for d in outbox.due(conn, now)]


def test_a_failed_delivery_waits_longer_each_time_then_gives_up(engine: Engine) -> None:
    seed(engine)
    first = queued(engine)[0]
    now = T0 + timedelta(seconds=3)
    give_up_at = now + timedelta(seconds=25)
    waits = []
    state = "failed"
    while state == "failed":
        with engine.begin() as conn:
            [due] = [d for d in outbox.due(conn, now) if d.delivery_id == first.delivery_id]
            assert outbox.claim(conn, due.delivery_id, "w1", now, 60)
        with engine.begin() as conn:
            state = outbox.mark_failed(conn, due, "w1", now, "gateway 503", give_up_at)
            next_at = conn.execute(
                select(notify_deliveries.c.next_at).where(
                    notify_deliveries.c.delivery_id == due.delivery_id
                )
            ).scalar_one()
        waits.append((next_at - now).total_seconds())
        now = next_at
    assert waits == [10.0, 20.0]  # the second would end past give_up_at: given up instead
    with engine.connect() as conn:
        gave_up = conn.execute(
            select(audit_log.c.target, audit_log.c.outcome).where(
                audit_log.c.action == "notify.gave_up"
            )
        ).all()
    assert gave_up == [(f"delivery {first.delivery_id}", "failed")]
    assert outbox.retry_delay_s(10) == outbox.RETRY_MAX_S


def test_a_delivery_left_mid_send_is_given_up_not_sent_twice_and_can_be_resent(
    engine: Engine,
) -> None:
    seed(engine)
    first = queued(engine)[0]
    now = T0 + timedelta(seconds=3)
    with engine.begin() as conn:
        assert outbox.claim(conn, first.delivery_id, "w1", now, 60)
    with engine.begin() as conn:
        assert outbox.abandon_expired(conn, now + timedelta(seconds=30)) == []  # lease still held
        assert outbox.abandon_expired(conn, now + timedelta(seconds=61)) == [first.delivery_id]
        assert first.delivery_id not in [
            d.delivery_id for d in outbox.due(conn, now + timedelta(hours=1))
        ]
        [view] = [v for v in outbox.recent_deliveries(conn) if v.delivery_id == first.delivery_id]
        assert (view.state, view.last_error) == ("gave_up", outbox.UNKNOWN_OUTCOME)
        again = outbox.resend(conn, first.delivery_id, actor="ada", now=now + timedelta(minutes=5))
        with pytest.raises(outbox.OutboxError, match="only a given-up one"):
            outbox.resend(conn, again, actor="ada")
        assert again in [d.delivery_id for d in outbox.due(conn, now + timedelta(minutes=5))]


def test_a_report_is_queued_with_its_pdf_or_with_a_link_when_large(
    engine: Engine, tmp_path: Path
) -> None:
    seed(engine)
    small = tmp_path / "ernakulam-2026-02.pdf"
    small.write_bytes(b"%PDF-1.7 " + b"x" * 2000)
    with engine.begin() as conn:
        message_id = outbox.enqueue_report(
            conn, to=["asha", "ee@kseb.in", "asha"], title="Ernakulam, February 2026",
            summary="The monthly report of Ernakulam.", pdf_path=small, attach_max_kb=1024,
        )  # fmt: skip
        msg, files = outbox.message(conn, message_id)
        addresses = sorted(conn.execute(select(notify_deliveries.c.address)).scalars())
        assert files == [outbox.Attachment(small.name, "application/pdf", small.read_bytes())]
        assert addresses == ["asha@kseb.in", "ee@kseb.in"]
        assert "attached" in msg.body
        with pytest.raises(outbox.OutboxError, match="link"):
            outbox.enqueue_report(
                conn, to=["asha"], title="t", summary="s", pdf_path=small, attach_max_kb=1
            )
        linked = outbox.enqueue_report(
            conn, to=["asha"], title="t", summary="s", pdf_path=small, attach_max_kb=1,
            link="https://sp.kseb.in/reports/42",
        )  # fmt: skip
        msg, files = outbox.message(conn, linked)
        assert files == []
        assert "https://sp.kseb.in/reports/42" in msg.body
        with pytest.raises(outbox.OutboxError, match="to: no user"):
            outbox.enqueue_report(conn, to=["nobody"], title="t", summary="s", pdf_path=small)
