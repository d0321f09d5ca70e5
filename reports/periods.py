"""The periods people ask reports for: a day, a week, a month or their own days (pure).

In the control room a period is chosen by its kind and one IST day in it: "week" is the
Monday-to-Sunday week holding the day, "month" its calendar month; a week or month still under
way ends today. A schedule reports the last whole week or month before a given day. All days
are IST days (reports.scope.Period).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal

from grid.timezones import IST
from reports.scope import Period, ReportArgumentError, parse_day

PeriodKind = Literal["day", "week", "month", "custom"]
PERIOD_KINDS: Final[tuple[PeriodKind, ...]] = ("day", "week", "month", "custom")
"""How a period is chosen in the control room."""

Cadence = Literal["weekly", "monthly"]


def today_ist(now: datetime | None = None) -> date:
    """Return the IST calendar day of an instant (default: now)."""
    return (now or datetime.now(UTC)).astimezone(IST).date()


def week_of(day: date) -> Period:
    """Return the Monday-to-Sunday week that holds `day`."""
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6))


def month_of(day: date) -> Period:
    """Return the calendar month that holds `day`."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def chosen_period(
    kind: str | None,
    day: str | None,
    first: str | None,
    last: str | None,
    today: date,
) -> Period:
    """Return the period a form asks for, or raise ReportArgumentError naming the field.

    `kind` is one of PERIOD_KINDS; "day", "week" and "month" take `day` (YYYY-MM-DD) and end no
    later than `today`; "custom" takes `first` and `last`, both included.
    """
    if kind == "custom":
        if not first:
            raise ReportArgumentError("from", "choose the first day")
        if not last:
            raise ReportArgumentError("to", "choose the last day")
        return Period(parse_day(first, "from"), parse_day(last, "to"))
    if kind not in PERIOD_KINDS:
        raise ReportArgumentError("period", f"{kind!r} is not one of {', '.join(PERIOD_KINDS)}")
    if not day:
        raise ReportArgumentError("day", "choose a day")
    chosen = parse_day(day, "day")
    if chosen > today:
        raise ReportArgumentError("day", f"{chosen.isoformat()} is after today ({today})")
    whole = {"day": Period(chosen, chosen), "week": week_of(chosen), "month": month_of(chosen)}
    period = whole[kind]
    return Period(period.first_day, min(period.last_day, today))


def last_whole(cadence: Cadence, today: date) -> Period:
    """Return the last whole week (Monday to Sunday) or month that ended before `today`."""
    if cadence == "weekly":
        return week_of(today - timedelta(days=7))
    if cadence == "monthly":
        return month_of(today.replace(day=1) - timedelta(days=1))
    raise ReportArgumentError("cadence", f"{cadence!r} is not weekly or monthly")
