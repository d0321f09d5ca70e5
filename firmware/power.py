"""Pure power maths over one window of raw ADC samples: RMS V and I, P, Q, S and PF.

No I/O and no clock: each function takes sequences of raw counts and calibration constants.
The window holds a whole number of mains cycles sampled at a fixed rate, `spc` samples per
cycle (a multiple of 4), so it can be read circularly:

- DC offset: the calibrated offset of a channel [counts], or the window mean when None.
- P = mean(v·i) [W]; V, I = RMS [V], [A]; S = V·I [VA]; PF = P/S (signed, − on export).
- Q = mean(v[n − spc/4]·i[n]) [var]: the voltage delayed by a quarter cycle turns cos φ into
  sin φ, so Q is the reactive power of the fundamental with the sign of the phase shift
  (+ when the current lags, inductive). Harmonic currents without a matching voltage
  harmonic add nothing to P or Q but raise S, and so lower PF.
- `lag` corrects the current channel's delay against the voltage (the ADC reads the channels
  one after the other; CTs add a few degrees) [samples]: the voltage is interpolated to the
  instant the current was sampled.
"""

import math


class Channel:
    """Calibration of one ADC channel: quantity = (raw − offset) × gain."""

    __slots__ = ("gain", "offset")

    def __init__(self, gain, offset=None):
        self.gain = gain  # [V/count] or [A/count]; a negative gain flips a CT's direction
        self.offset = offset  # [counts]; None removes the window mean


class Reading:
    """One measurement of a house: v [V], i [A], p [W], q [var], s [VA], pf, pv [W]."""

    __slots__ = ("i", "p", "pf", "pv", "q", "s", "v")

    def __init__(self, v=0.0, i=0.0, p=0.0, q=0.0, s=0.0, pf=1.0, pv=0.0):
        self.v = v
        self.i = i
        self.p = p
        self.q = q
        self.s = s
        self.pf = pf
        self.pv = pv


def mean(raw):
    """Return the mean of raw samples [counts]."""
    return sum(raw) / len(raw)


def scaled(raw, channel):
    """Return the samples in units, offset removed: a list of floats [V] or [A]."""
    offset = mean(raw) if channel.offset is None else channel.offset
    gain = channel.gain
    return [(x - offset) * gain for x in raw]


def rms(values):
    """Return the root mean square of values (same unit)."""
    total = 0.0
    for x in values:
        total += x * x
    return math.sqrt(total / len(values))


def delayed(values, shift):
    """Return values[n − shift] for every n, read circularly; `shift` may be fractional."""
    n = len(values)
    whole = math.floor(shift)
    frac = shift - whole
    out = []
    for k in range(n):
        a = values[(k - whole) % n]
        if frac:
            b = values[(k - whole - 1) % n]
            a += (b - a) * frac
        out.append(a)
    return out


def products_mean(a, b):
    """Return mean(a[n]·b[n])."""
    total = 0.0
    for n in range(len(a)):
        total += a[n] * b[n]
    return total / len(a)


def measure(v_raw, i_raw, v_cal, i_cal, spc, lag=0.0, i_floor=0.0):
    """Return the Reading of one window of voltage and current samples.

    Parameters
    ----------
    v_raw, i_raw : raw samples of the voltage and current channels [counts], equal length,
        a whole number of cycles.
    v_cal, i_cal : Channel calibrations.
    spc : samples per mains cycle, a multiple of 4.
    lag : delay of the current samples behind the voltage samples [samples], |lag| < spc/4.
    i_floor : current below which the reading is taken as no load [A] (CT noise).
    """
    if spc % 4 or len(v_raw) % spc or len(v_raw) != len(i_raw) or not v_raw:
        raise ValueError("the window must hold whole cycles of spc samples (spc % 4 == 0)")
    v = scaled(v_raw, v_cal)
    i = scaled(i_raw, i_cal)
    v_at_i = delayed(v, -lag) if lag else v
    v_rms = rms(v)
    i_rms = rms(i)
    if i_rms < i_floor:
        return Reading(v=v_rms)
    p = products_mean(v_at_i, i)
    q = products_mean(delayed(v_at_i, spc // 4), i)
    s = v_rms * i_rms
    pf = p / s if s > 0 else 1.0
    return Reading(v=v_rms, i=i_rms, p=p, q=q, s=s, pf=pf)


def active_power(v_raw, i_raw, v_cal, i_cal, spc, lag=0.0, floor=0.0):
    """Return the active power through a second CT (PV output), never below 0 [W]."""
    reading = measure(v_raw, i_raw, v_cal, i_cal, spc, lag, floor)
    return max(reading.p, 0.0)
