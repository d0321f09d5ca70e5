"""India Standard Time, defined once in grid.timezones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from grid.timezones import IST, IST_OFFSET_S, format_ist, ist_minute_of_day, to_ist

MIDNIGHT_IST_S = 1767205800.0  # 2026-01-01T00:00+05:30 [epoch s]


def test_ist_is_five_and_a_half_hours_ahead_of_utc() -> None:
    assert IST.utcoffset(None) == timedelta(hours=5, minutes=30)
    assert IST.utcoffset(None).total_seconds() == IST_OFFSET_S
    assert IST.tzname(None) == "IST"


def test_format_ist_takes_an_aware_datetime_or_epoch_seconds() -> None:
    utc = datetime(2024, 6, 1, 5, 0, 0, tzinfo=UTC)
    assert format_ist(utc) == "2024-06-01 10:30:00"
    assert format_ist(utc.timestamp()) == "2024-06-01 10:30:00"
    assert format_ist(utc.astimezone(timezone(timedelta(hours=-4))), "%H:%M IST") == "10:30 IST"


def test_to_ist_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        to_ist(datetime(2024, 6, 1, 5, 0))


def test_minute_of_day_starts_at_ist_midnight() -> None:
    assert ist_minute_of_day(MIDNIGHT_IST_S) == 0.0
    assert ist_minute_of_day(MIDNIGHT_IST_S - 60.0) == 1439.0
    assert ist_minute_of_day(MIDNIGHT_IST_S + 90.0) == 1.5
    assert to_ist(MIDNIGHT_IST_S).hour == 0
