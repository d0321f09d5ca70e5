"""Report schedules (`report_schedules`): what an admin asked to be reported every week or month,
per district or per section office, and the job step that queues their runs.

A schedule reports the last whole period (reports.periods.last_whole: Monday to Sunday, or a
calendar month, in IST) for each of its scopes: one district or section office, or every one
that has feeders (section offices come from `feeder_sections`, `python -m notify sections
import`). `queue_due` queues a run once per schedule, scope and period, SETTLE after the period
ended (late readings and the hourly rollups have arrived by then); a new schedule's first runs
cover the last whole period. Removing a schedule keeps it, marked removed, for its runs' sake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, cast

from sqlalchemy import Connection, select, update

from reports.build import LANGUAGES
from reports.data import districts
from reports.periods import Cadence, last_whole, today_ist
from reports.runs import LANGUAGE_NAMES, SCOPE_NAMES, queue_run, split_recipients
from reports.scope import ReportArgumentError, Scope, ScopeKind
from store.audit import audit
from store.contacts import ContactError, check_email
from store.schema import (
    REPORT_CADENCES,
    feeder_sections,
    feeders,
    report_schedules,
    reports,
    users,
)

SETTLE: Final = timedelta(hours=2)
"""How long after a period ends its scheduled reports are made."""
SCHEDULE_SCOPES: Final = ("district", "section")
"""What a schedule reports on: each district, or each section office."""
ADD_ACTION: Final = "report.schedule_add"
REMOVE_ACTION: Final = "report.schedule_remove"
EVERY: Final = {"district": "every district", "section": "every section office"}


@dataclass(frozen=True, slots=True)
class Schedule:
    """One schedule as the store holds it."""

    schedule_id: int
    cadence: str
    scope_kind: str
    scope_name: str | None
    lang: str
    recipients: str
    created_by: str
    created_at: datetime

    @property
    def text(self) -> str:
        """Return the schedule in words: "Monthly, every district, English"."""
        what = (
            EVERY[self.scope_kind]
            if self.scope_name is None
            else f"{SCOPE_NAMES[self.scope_kind]} {self.scope_name}"
        )
        return f"{self.cadence.capitalize()}, {what}, {LANGUAGE_NAMES.get(self.lang, self.lang)}"


_COLUMNS: Final = (
    report_schedules.c.schedule_id,
    report_schedules.c.cadence,
    report_schedules.c.scope_kind,
    report_schedules.c.scope_name,
    report_schedules.c.lang,
    report_schedules.c.recipients,
    report_schedules.c.created_by,
    report_schedules.c.created_at,
)


def active_schedules(conn: Connection) -> list[Schedule]:
    """Return the schedules not removed, oldest first."""
    stmt = (
        select(*_COLUMNS)
        .where(report_schedules.c.removed_at.is_(None))
        .order_by(report_schedules.c.schedule_id)
    )
    return [Schedule(*row) for row in conn.execute(stmt)]


def section_offices(conn: Connection) -> list[str]:
    """Return every section office that has a feeder, by name."""
    s = feeder_sections.c
    return [
        str(x) for x in conn.execute(select(s.section).distinct().order_by(s.section)).scalars()
    ]


def add_schedule(
    conn: Connection,
    *,
    cadence: str | None,
    scope_kind: str | None,
    scope_name: str | None,
    lang: str | None,
    recipients: str | None,
    actor: str,
    address: str | None = None,
    now: datetime | None = None,
) -> int:
    """Add a schedule (audited); return its id, or raise ReportArgumentError naming the field.

    `scope_name` empty means every district (or section office); a named one must have feeders.
    `recipients` lists usernames or e-mail addresses, separated by commas or spaces.
    """
    if cadence not in REPORT_CADENCES:
        raise ReportArgumentError(
            "cadence", f"{cadence!r} is not one of {', '.join(REPORT_CADENCES)}"
        )
    if scope_kind not in SCHEDULE_SCOPES:
        raise ReportArgumentError("scope", f"{scope_kind!r} is not district or section")
    if lang not in LANGUAGES:
        raise ReportArgumentError("lang", f"{lang!r} is not one of {', '.join(LANGUAGES)}")
    name = (scope_name or "").strip() or None
    if name is not None:
        known = districts(conn) if scope_kind == "district" else section_offices(conn)
        if name not in known:
            what = "district" if scope_kind == "district" else "section office"
            raise ReportArgumentError(scope_kind, f"no feeder is in the {what} {name!r}")
    to = _checked_recipients(conn, recipients or "")
    now = now or datetime.now(UTC)
    schedule_id = conn.execute(
        report_schedules.insert()
        .values(
            cadence=cadence,
            scope_kind=scope_kind,
            scope_name=name,
            lang=lang,
            recipients=", ".join(to),
            created_by=actor,
            created_at=now,
        )
        .returning(report_schedules.c.schedule_id)
    ).scalar_one()
    audit(
        conn,
        actor=actor,
        action=ADD_ACTION,
        target=f"schedule {schedule_id}",
        outcome="ok",
        detail={
            "cadence": cadence,
            "scope": scope_kind,
            "name": name,
            "lang": lang,
            "recipients": len(to),
        },
        address=address,
        ts=now,
    )
    return int(schedule_id)


def remove_schedule(
    conn: Connection,
    schedule_id: int,
    *,
    actor: str,
    address: str | None = None,
    now: datetime | None = None,
) -> None:
    """Remove a schedule (audited): it makes no more runs; those it made stay."""
    now = now or datetime.now(UTC)
    t = report_schedules.c
    changed = conn.execute(
        update(report_schedules)
        .where(t.schedule_id == schedule_id, t.removed_at.is_(None))
        .values(removed_at=now, removed_by=actor)
    ).rowcount
    if changed != 1:
        raise ReportArgumentError("schedule", f"there is no schedule {schedule_id}")
    audit(
        conn,
        actor=actor,
        action=REMOVE_ACTION,
        target=f"schedule {schedule_id}",
        outcome="ok",
        detail={},
        address=address,
        ts=now,
    )


def schedule_scopes(conn: Connection, schedule: Schedule) -> list[Scope]:
    """Return the scopes a schedule reports on now."""
    if schedule.scope_name is not None:
        return [Scope(cast(ScopeKind, schedule.scope_kind), schedule.scope_name)]
    names = districts(conn) if schedule.scope_kind == "district" else section_offices(conn)
    return [Scope(cast(ScopeKind, schedule.scope_kind), n) for n in names]


def queue_due(conn: Connection, now: datetime | None = None) -> list[int]:
    """Queue the runs that the schedules owe by `now` and have not made yet; return their ids."""
    now = now or datetime.now(UTC)
    today = today_ist(now - SETTLE)
    queued = []
    for schedule in active_schedules(conn):
        period = last_whole(cast(Cadence, schedule.cadence), today)
        for scope in schedule_scopes(conn, schedule):
            r = reports.c
            made = conn.execute(
                select(r.run_id).where(
                    r.schedule_id == schedule.schedule_id,
                    r.scope_kind == scope.kind,
                    r.scope_name == scope.name,
                    r.first_day == period.first_day,
                    r.last_day == period.last_day,
                )
            ).first()
            if made is None:
                queued.append(
                    queue_run(
                        conn,
                        scope,
                        period,
                        schedule.lang,
                        requested_by=None,
                        schedule_id=schedule.schedule_id,
                        now=now,
                    )
                )
    return queued


def _checked_recipients(conn: Connection, text: str) -> list[str]:
    """Return the recipients of a list, or raise ReportArgumentError naming a bad one."""
    found = split_recipients(text)
    for item in found:
        if "@" in item:
            try:
                check_email(item)
            except ContactError as err:
                raise ReportArgumentError("recipients", err.reason) from None
        elif conn.execute(select(users.c.username).where(users.c.username == item)).first() is None:
            raise ReportArgumentError("recipients", f"there is no user {item!r}")
    return found


@dataclass(frozen=True, slots=True)
class ScopeChoices:
    """What the control room offers to report on."""

    feeders: list[tuple[str, str]]  # (feeder id, name)
    sections: list[str]
    districts: list[str]


def scope_choices(conn: Connection) -> ScopeChoices:
    """Return every feeder (id, name), section office and district, by name."""
    f = feeders.c
    rows = conn.execute(select(f.feeder_id, f.name).order_by(f.feeder_id))
    return ScopeChoices(
        feeders=[(str(i), str(n)) for i, n in rows],
        sections=section_offices(conn),
        districts=districts(conn),
    )
