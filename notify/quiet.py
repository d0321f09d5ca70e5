"""Quiet hours: alerts other than critical ones that fall due inside a recipient's quiet hours
wait until the hours end (pure). The window's form is store.contacts'.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from store.contacts import QuietHours
from store.queries import IST

IST_OFFSET_S: Final = IST.utcoffset(None).total_seconds()
MINUTES_A_DAY: Final = 1440


def quiet_end(t: datetime, quiet: QuietHours | None) -> datetime:
    """Return `t` if it falls outside `quiet`, else the instant the window ends."""
    if quiet is None:
        return t
    minute = ((t.timestamp() + IST_OFFSET_S) % 86400.0) / 60.0  # IST wall clock [min]
    start, end = quiet.start_min, quiet.end_min
    inside = start <= minute < end if start < end else minute >= start or minute < end
    if not inside:
        return t
    return t + timedelta(minutes=(end - minute) % MINUTES_A_DAY)
