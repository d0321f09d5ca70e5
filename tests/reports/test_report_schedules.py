"""Report periods (pure) and schedules in the store, on SQLite and PostgreSQL: each schedule
queues its scopes' last whole week or month once, after the settle time; admins' changes are
audited; bad values are named."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from jobs.schedule import queue_scheduled_reports
from reports.periods import chosen_period, last_whole, month_of, today_ist, week_of
from reports.runs import recent_runs
from reports.schedules import (
    SETTLE,
    active_schedules,
    add_schedule,
    queue_due,
    remove_schedule,
    scope_choices,
)
from reports.scope import Period, ReportArgumentError
from store.queries import IST
from store.schema import audit_log, feeder_sections
from store.users import add_user
from tests.store.seed import add_feeder

TODAY = date(2024, 6, 12)  # a Wednesday
JULY_1 = datetime(2024, 7, 1, tzinfo=IST)  # a Monday: June and the week 24–30 June are whole


# --- periods (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "day", "first", "last", "expected"),
    [
        ("day", "2024-06-10", None, None, Period(date(2024, 6, 10), date(2024, 6, 10))),
        ("week", "2024-06-05", None, None, Period(date(2024, 6, 3), date(2024, 6, 9))),
        ("week", "2024-06-12", None, None, Period(date(2024, 6, 10), date(2024, 6, 12))),  # cut
        ("month", "2024-05-20", None, None, Period(date(2024, 5, 1), date(2024, 5, 31))),
        ("month", "2024-06-01", None, None, Period(date(2024, 6, 1), date(2024, 6, 12))),  # cut
        ("month", "2024-02-29", None, None, Period(date(2024, 2, 1), date(2024, 2, 29))),
        ("custom", None, "2024-01-30", "2024-02-02", Period(date(2024, 1, 30), date(2024, 2, 2))),
    ],
)
def test_chosen_period(
    kind: str, day: str | None, first: str | None, last: str | None, expected: Period
) -> None:
    assert chosen_period(kind, day, first, last, TODAY) == expected


@pytest.mark.parametrize(
    ("kind", "day", "first", "last", "message"),
    [
        ("week", None, None, None, "day: choose a day"),
        ("week", "2024-06-13", None, None, "day: 2024-06-13 is after today (2024-06-12)"),
        ("day", "12/06/2024", None, None, "day: '12/06/2024' is not a date (YYYY-MM-DD)"),
        ("fortnight", "2024-06-01", None, None, "period: 'fortnight' is not one of day, week,"),
        ("custom", None, None, "2024-06-02", "from: choose the first day"),
        ("custom", None, "2024-06-02", None, "to: choose the last day"),
        ("custom", None, "2024-06-02", "2024-06-01", "--to: 2024-06-01 is before --from"),
    ],
)
def test_a_bad_period_names_its_field(
    kind: str, day: str | None, first: str | None, last: str | None, message: str
) -> None:
    with pytest.raises(ReportArgumentError) as caught:
        chosen_period(kind, day, first, last, TODAY)
    assert str(caught.value).startswith(message)


def test_whole_weeks_and_months() -> None:
    assert week_of(date(2024, 6, 9)) == Period(date(2024, 6, 3), date(2024, 6, 9))  # a Sunday
    assert month_of(date(2023, 12, 31)) == Period(date(2023, 12, 1), date(2023, 12, 31))
    assert last_whole("weekly", date(2024, 6, 10)) == Period(date(2024, 6, 3), date(2024, 6, 9))
    assert last_whole("weekly", date(2024, 6, 9)) == Period(date(2024, 5, 27), date(2024, 6, 2))
    assert last_whole("monthly", date(2024, 1, 1)) == Period(date(2023, 12, 1), date(2023, 12, 31))
    assert last_whole("monthly", date(2024, 3, 31)) == Period(date(2024, 2, 1), date(2024, 2, 29))
    # 23:59 IST on 30 June is still June in Kerala, whatever UTC says
    assert today_ist(datetime(2024, 6, 30, 18, 29, tzinfo=UTC)) == date(2024, 6, 30)
    assert today_ist(datetime(2024, 6, 30, 18, 30, tzinfo=UTC)) == date(2024, 7, 1)


# --- schedules in the store -------------------------------------------------------------------


def seeded(engine: Engine) -> None:
    with engine.begin() as conn:
        add_user(conn, "ee.wayanad", "correct horse battery", "viewer")
        for feeder_id, district, section in (
            ("KL-WYD-0001", "Wayanad", "Kalpetta"),
            ("KL-WYD-0002", "Wayanad", "Kalpetta"),
            ("KL-WYD-0003", "Wayanad", "Mananthavady"),
            ("KL-IDK-0001", "Idukki", "Thodupuzha"),
        ):
            add_feeder(conn, feeder_id, district=district)
            conn.execute(feeder_sections.insert().values(feeder_id=feeder_id, section=section))


def scheduled(engine: Engine) -> set[tuple[int | None, str, str | None, date, date, str]]:
    with engine.connect() as conn:
        runs = recent_runs(conn, 100)
    return {
        (r.schedule_id, r.scope_kind, r.scope_name, r.first_day, r.last_day, r.status) for r in runs
    }


def test_schedules_queue_each_scope_once_after_the_period_settled(engine: Engine) -> None:
    seeded(engine)
    with engine.begin() as conn:
        monthly = add_schedule(
            conn,
            cadence="monthly",
            scope_kind="district",
            scope_name="",
            lang="ml",
            recipients="ee.wayanad, aee@kseb.in",
            actor="ada",
            address="10.0.0.9",
        )
        weekly = add_schedule(
            conn,
            cadence="weekly",
            scope_kind="section",
            scope_name="Kalpetta",
            lang="en",
            recipients="",
            actor="ada",
        )
        schedules = active_schedules(conn)
    assert [s.text for s in schedules] == [
        "Monthly, every district, Malayalam",
        "Weekly, Section office Kalpetta, English",
    ]
    assert schedules[0].recipients == "ee.wayanad, aee@kseb.in"

    june = (date(2024, 6, 1), date(2024, 6, 30))
    last_week = (date(2024, 6, 24), date(2024, 6, 30))
    # Before the settle time 1 July is not yet "today": May and the week before are owed.
    early = JULY_1 + SETTLE - timedelta(minutes=1)
    with engine.begin() as conn:
        queued = queue_due(conn, early)
    assert len(queued) == 3
    assert scheduled(engine) == {
        (monthly, "district", "Idukki", date(2024, 5, 1), date(2024, 5, 31), "queued"),
        (monthly, "district", "Wayanad", date(2024, 5, 1), date(2024, 5, 31), "queued"),
        (weekly, "section", "Kalpetta", date(2024, 6, 17), date(2024, 6, 23), "queued"),
    }
    assert queue_scheduled_reports(engine, JULY_1 + SETTLE) == 3
    assert queue_scheduled_reports(engine, JULY_1 + SETTLE + timedelta(hours=5)) == 0  # once
    assert {r[:5] for r in scheduled(engine)} >= {
        (monthly, "district", "Idukki", *june),
        (monthly, "district", "Wayanad", *june),
        (weekly, "section", "Kalpetta", *last_week),
    }
    with engine.connect() as conn:
        langs = {r.scope_name: r.lang for r in recent_runs(conn, 100) if r.first_day == june[0]}
        requested = {r.requested_by for r in recent_runs(conn, 100)}
        exports = conn.execute(
            select(audit_log.c.username, audit_log.c.detail).where(
                audit_log.c.action == "report.export"
            )
        ).all()
    assert langs == {"Idukki": "ml", "Wayanad": "ml"}
    assert requested == {None}
    assert len(exports) == 6
    assert {e.username for e in exports} == {"schedule"}
    assert {e.detail["schedule"] for e in exports} == {monthly, weekly}

    with engine.begin() as conn:
        remove_schedule(conn, weekly, actor="ada")
        assert [s.schedule_id for s in active_schedules(conn)] == [monthly]
        nothing = queue_due(conn, JULY_1 + timedelta(days=7, hours=3))  # a week on: removed
    assert nothing == []
    with engine.connect() as conn:
        changes = conn.execute(
            select(audit_log.c.username, audit_log.c.action, audit_log.c.target)
            .where(audit_log.c.action.like("report.schedule%"))
            .order_by(audit_log.c.ts)
        ).all()
    assert [tuple(c) for c in changes] == [
        ("ada", "report.schedule_add", f"schedule {monthly}"),
        ("ada", "report.schedule_add", f"schedule {weekly}"),
        ("ada", "report.schedule_remove", f"schedule {weekly}"),
    ]


BAD_SCHEDULES = (
    ({"cadence": "daily"}, "cadence: 'daily' is not one of weekly, monthly"),
    ({"scope_kind": "feeder"}, "scope: 'feeder' is not district or section"),
    ({"lang": "ta"}, "lang: 'ta' is not one of en, ml"),
    ({"scope_name": "Atlantis"}, "district: no feeder is in the district 'Atlantis'"),
    (
        {"scope_kind": "section", "scope_name": "Vythiri"},
        "section: no feeder is in the section office 'Vythiri'",
    ),
    ({"recipients": "ee.wayanad, nobody"}, "recipients: there is no user 'nobody'"),
    ({"recipients": "ee@kseb"}, "recipients: 'ee@kseb' is not an e-mail address"),
)


def test_a_bad_schedule_names_its_field(engine: Engine) -> None:
    seeded(engine)
    for values, message in BAD_SCHEDULES:
        fields = {
            "cadence": "monthly",
            "scope_kind": "district",
            "scope_name": "Wayanad",
            "lang": "en",
            "recipients": "",
            **values,
        }
        with engine.begin() as conn, pytest.raises(ReportArgumentError) as caught:
            add_schedule(conn, actor="ada", **fields)
        assert str(caught.value).startswith(message), values
    with engine.connect() as conn:
        assert active_schedules(conn) == []


def test_removing_an_unknown_schedule_says_so(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(ReportArgumentError, match="no schedule 41"):
        remove_schedule(conn, 41, actor="ada")


def test_scope_choices(engine: Engine) -> None:
    seeded(engine)
    with engine.connect() as conn:
        choices = scope_choices(conn)
    assert [f for f, _ in choices.feeders] == [
        "KL-IDK-0001",
        "KL-WYD-0001",
        "KL-WYD-0002",
        "KL-WYD-0003",
    ]
    assert choices.sections == ["Kalpetta", "Mananthavady", "Thodupuzha"]
    assert choices.districts == ["Idukki", "Wayanad"]
