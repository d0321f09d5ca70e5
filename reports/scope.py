"""What a report covers: a scope (a feeder, a district or the state) and a period (pure).

A period is a run of whole days in India Standard Time, both named days included: `--from
2024-06-01 --to 2024-06-30` is June, from 00:00 IST on the 1st to 00:00 IST on 1 July
(`start <= t < end`, the store's half-open ranges). Its previous period is the run of the same
number of days just before it, which the key figures are compared with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal

from grid.timezones import IST

MAX_DAYS: Final = 366
"""Longest period a report covers [days]."""

ScopeKind = Literal["feeder", "section", "district", "state"]
"""What a report is about."""


class ReportArgumentError(ValueError):
    """A report request that cannot be served; `field` names the argument (e.g. "--from")."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        """Return "--from: '2024-13-01' is not a date (YYYY-MM-DD)"."""
        return f"{self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Scope:
    """A feeder (by id), a section office or a district (by name), or the whole state."""

    kind: ScopeKind
    name: str | None = None
    """The feeder id, the section office or the district name; None for the state."""

    def __post_init__(self) -> None:
        if self.kind == "state":
            if self.name is not None:
                raise ReportArgumentError("--state", "takes no name")
        elif not (self.name and self.name.strip()):
            raise ReportArgumentError(f"--{self.kind}", "is empty")

    @property
    def argument(self) -> str:
        """Return the command-line option that names this scope (`--feeder`, ...)."""
        return f"--{self.kind}"

    @property
    def slug(self) -> str:
        """Return a file-name friendly name: "feeder-KL-TVM-0042", "district-Wayanad", "state"."""
        if self.name is None:
            return self.kind
        safe = "".join(ch if ch.isalnum() or ch == "-" else "_" for ch in self.name)
        return f"{self.kind}-{safe}"


@dataclass(frozen=True, slots=True)
class Period:
    """Whole IST days from `first_day` to `last_day`, both included."""

    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ReportArgumentError(
                "--to", f"{self.last_day.isoformat()} is before --from {self.first_day.isoformat()}"
            )
        if self.days > MAX_DAYS:
            raise ReportArgumentError(
                "--to", f"the period is {self.days} days; a report covers at most {MAX_DAYS}"
            )

    @property
    def days(self) -> int:
        """Return the number of days."""
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> datetime:
        """Return the first instant, 00:00 IST of the first day, in UTC."""
        return ist_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """Return the instant just after the period, 00:00 IST after the last day, in UTC."""
        return ist_midnight(self.last_day + timedelta(days=1))

    @property
    def hours(self) -> float:
        """Return the length [h]."""
        return self.days * 24.0

    def previous(self) -> Period:
        """Return the period of the same number of days just before this one."""
        day = timedelta(days=1)
        return Period(self.first_day - self.days * day, self.first_day - day)

    def day_index(self, t_s: float) -> int:
        """Return the day of the period (0 = the first) that an epoch time [s] falls on in IST."""
        return int((t_s - self.start.timestamp()) // 86_400)


def ist_midnight(day: date) -> datetime:
    """Return 00:00 IST of a calendar day as an aware UTC instant."""
    return datetime.combine(day, time(0), tzinfo=IST).astimezone(UTC)


def parse_day(text: str, field: str) -> date:
    """Return the date of `YYYY-MM-DD`, or raise ReportArgumentError naming `field`."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ReportArgumentError(field, f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_period(first: str, last: str) -> Period:
    """Return the period of the `--from` and `--to` texts, or raise ReportArgumentError."""
    return Period(parse_day(first, "--from"), parse_day(last, "--to"))
