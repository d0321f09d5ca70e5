"""Wall time and tick counters behind one small class, so tests can pass a fake clock."""

import time

UNIX_TO_2000 = 946684800
"""Seconds from 1970-01-01 to 2000-01-01, the epoch of some MicroPython ports [s]."""


class Clock:
    """The node's clock: Unix epoch seconds and the time module's microsecond ticks."""

    def __init__(self):
        self.epoch_offset = UNIX_TO_2000 if time.gmtime(0)[0] == 2000 else 0

    def now_s(self):
        """Return the wall time [epoch s since 1970, UTC]; set by NTP on the ESP32.

        An int on the ESP32 (its floats are single precision), a float on the unix port.
        """
        return time.time() + self.epoch_offset

    def ticks_ms(self):
        """Return the millisecond tick counter (wraps; compare with ticks_diff)."""
        return time.ticks_ms()

    def ticks_us(self):
        """Return the microsecond tick counter (wraps; compare with ticks_diff)."""
        return time.ticks_us()

    def ticks_add(self, ticks, delta):
        """Return ticks + delta on the wrapping tick scale."""
        return time.ticks_add(ticks, delta)

    def ticks_diff(self, a, b):
        """Return a − b on the wrapping tick scale [µs]."""
        return time.ticks_diff(a, b)

    def sleep_ms(self, ms):
        """Sleep for `ms` milliseconds."""
        time.sleep_ms(ms)

    def wait_until_us(self, deadline):
        """Return at tick `deadline`: sleep the bulk, then spin for the last millisecond."""
        left = time.ticks_diff(deadline, time.ticks_us())
        if left > 2000:
            time.sleep_us(left - 1000)
        while time.ticks_diff(deadline, time.ticks_us()) > 0:
            pass
