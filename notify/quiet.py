"""Quiet hours: alerts other than critical ones that fall due inside a recipient's quiet hours
wait until the hours end (pure). The window's form is store.contacts'.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from grid.timezones import ist_minute_of_day
from store.contacts import QuietHours

MINUTES_A_DAY: Final = 1440


def quiet_end(t: datetime, quiet: QuietHours | None) -> datetime:
    """Return `t` if it falls outside `quiet`, else the instant the window ends."""
    if quiet is None:
        return t
    minute = ist_minute_of_day(t.timestamp())  # IST wall clock [min]
    start, end = quiet.start_min, quiet.end_min
    inside = start <= minute < end if start < end else minute >= start or minute < end
    if not inside:
        return t
    return t + timedelta(minutes=(end - minute) % MINUTES_A_DAY)
