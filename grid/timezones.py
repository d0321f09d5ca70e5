"""India Standard Time, the local time of every feeder and of the operators (pure).

IST is UTC+05:30 all year (no daylight saving). Everything that shows a time to a person, or
decides where a local day starts, takes the zone from here; the firmware keeps its own copy of
the offset (MicroPython imports nothing from grid/).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Final

IST_OFFSET_S: Final = 19800.0
"""UTC offset of India Standard Time: local time − UTC [s]."""

IST: Final = timezone(timedelta(seconds=IST_OFFSET_S), "IST")
"""India Standard Time as a tzinfo."""

IST_IANA_NAME: Final = "Asia/Kolkata"
"""The IANA name of the zone, for a browser's Intl API."""

IST_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
"""The default text of an instant in IST, "2024-06-01 10:30:00"."""


def to_ist(t: datetime | float) -> datetime:
    """Return an aware datetime or epoch seconds as an aware datetime in IST."""
    if isinstance(t, datetime):
        if t.tzinfo is None:
            raise ValueError(f"{t.isoformat()} has no time zone; pass an aware datetime")
        return t.astimezone(IST)
    return datetime.fromtimestamp(t, IST)


def format_ist(t: datetime | float, fmt: str = IST_FORMAT) -> str:
    """Return an aware datetime or epoch seconds as IST wall-clock text in `fmt` (strftime)."""
    return to_ist(t).strftime(fmt)


def ist_minute_of_day(t_s: float) -> float:
    """Return the IST wall-clock minute of the day of an instant given in epoch seconds [min]."""
    return ((t_s + IST_OFFSET_S) % 86400.0) / 60.0
