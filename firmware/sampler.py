"""Fixed-rate sampling of the ADC channels and zero-crossing detection on the voltage.

An ADC channel is any object with `read()` returning raw counts (machine.ADC wrapped by
hardware.py on the ESP32, a synthetic source in the tests); the clock is clock.Clock or a
fake with the same methods.
"""

from array import array

import power


class Meter:
    """Sample V, I (and PV where a second CT is fitted) for whole cycles and measure them."""

    def __init__(self, clock, v_adc, i_adc, cal, pv_adc=None):
        """Take the channels and `cal`, a config.Config (mains_hz, spc, cycles, channels)."""
        self.clock = clock
        self.v_adc = v_adc
        self.i_adc = i_adc
        self.pv_adc = pv_adc
        self.cal = cal
        n = cal.spc * cal.cycles
        self.v_buf = array("H", bytes(2 * n))
        self.i_buf = array("H", bytes(2 * n))
        self.pv_buf = array("H", bytes(2 * n)) if pv_adc is not None else None
        self.rate_hz = cal.mains_hz * cal.spc
        self.v_offset = cal.v_offset if cal.v_offset is not None else 32768
        """DC offset of the voltage channel in the last window [counts]; used by ZeroCross."""

    def sample(self):
        """Fill the buffers at the fixed rate (one window of `cycles` mains cycles)."""
        clock = self.clock
        v_read = self.v_adc.read
        i_read = self.i_adc.read
        pv_read = self.pv_adc.read if self.pv_adc is not None else None
        v_buf, i_buf, pv_buf = self.v_buf, self.i_buf, self.pv_buf
        period = 1_000_000 / self.rate_hz  # [µs]
        start = clock.ticks_us()
        for n in range(len(v_buf)):
            clock.wait_until_us(clock.ticks_add(start, int(n * period)))
            v_buf[n] = v_read()
            i_buf[n] = i_read()
            if pv_read is not None:
                pv_buf[n] = pv_read()

    def read(self):
        """Sample one window and return its power.Reading."""
        self.sample()
        cal = self.cal
        v_cal = power.Channel(cal.v_gain, cal.v_offset)
        reading = power.measure(
            self.v_buf,
            self.i_buf,
            v_cal,
            power.Channel(cal.i_gain, cal.i_offset),
            cal.spc,
            cal.i_lag,
            cal.i_floor,
        )
        if self.pv_buf is not None:
            reading.pv = power.active_power(
                self.v_buf,
                self.pv_buf,
                v_cal,
                power.Channel(cal.pv_gain, cal.pv_offset),
                cal.spc,
                cal.pv_lag,
                cal.i_floor,
            )
        self.v_offset = power.mean(self.v_buf) if cal.v_offset is None else cal.v_offset
        return reading


class ZeroCross:
    """Find rising zero crossings of the voltage from its samples (sign change − → +)."""

    def __init__(self, clock, v_adc, rate_hz, offset_of, hysteresis=500):
        """Take the V channel, the sampling rate [Hz], a callable giving the DC offset [counts]
        and the depth the voltage must reach below zero to arm the detector [counts]."""
        self.clock = clock
        self.v_adc = v_adc
        self.period_us = 1_000_000 / rate_hz
        self.offset_of = offset_of
        self.hysteresis = hysteresis

    def wait_rising(self, timeout_us):
        """Return the tick [µs] of the next rising zero crossing, or None after `timeout_us`.

        The instant is interpolated between the last negative and the first non-negative sample.
        """
        clock = self.clock
        read = self.v_adc.read
        offset = self.offset_of()
        start = clock.ticks_us()
        armed = False
        prev = 0
        prev_t = start
        n = 0
        while True:
            t = clock.ticks_add(start, int(n * self.period_us))
            if clock.ticks_diff(t, start) > timeout_us:
                return None
            clock.wait_until_us(t)
            x = read() - offset
            if x < -self.hysteresis:
                armed = True
            elif armed and x >= 0 and prev < 0:
                frac = -prev / (x - prev)
                return clock.ticks_add(prev_t, int(frac * clock.ticks_diff(t, prev_t)))
            prev = x
            prev_t = t
            n += 1

    def cycle(self, timeout_us):
        """Return (tick of a rising zero crossing, mains period) [µs], or None on timeout."""
        first = self.wait_rising(timeout_us)
        if first is None:
            return None
        second = self.wait_rising(timeout_us)
        if second is None:
            return None
        return second, self.clock.ticks_diff(second, first)
