"""Fake hardware for the firmware tests on the unix port: clock, relays, ADC, flash, socket."""

import math
import os

PHASES = ("R", "Y", "B")
WALL0 = 1767225000  # 2025-12-31T23:50:00Z, ten minutes before the vectors' expiry [epoch s]


class FakeClock:
    """Wall time and ticks that move only when the code sleeps or waits (µs resolution)."""

    def __init__(self, wall_s=WALL0):
        self.us = 0
        self.wall0 = wall_s

    def now_s(self):
        return self.wall0 + self.us / 1_000_000

    def ticks_us(self):
        return self.us

    def ticks_ms(self):
        return self.us // 1000

    def ticks_add(self, ticks, delta):
        return ticks + delta

    def ticks_diff(self, a, b):
        return a - b

    def sleep_ms(self, ms):
        self.us += int(ms * 1000)

    def wait_until_us(self, deadline):
        self.us = max(self.us, deadline)

    def advance_s(self, seconds):
        self.us += int(seconds * 1_000_000)


class _Coil:
    def __init__(self, bank, phase, closes):
        self.bank = bank
        self.phase = phase
        self.closes = closes
        self.level = 0
        self.since = 0

    def value(self, v=None):
        if v is None:
            return self.level
        self.bank.coil(self, v)
        return None


class _Feedback:
    def __init__(self, bank, phase):
        self.bank = bank
        self.phase = phase

    def value(self, v=None):
        closed = self.bank.closed[self.phase]
        if self.phase in self.bank.feedback_stuck_open:
            closed = False
        return 0 if closed else 1  # contact to ground, pull-up: active low


class FakeRelayBank:
    """Three latching relays: a coil pulse of at least `min_pulse_ms` moves a contact.

    `log` records (t_us, "set"/"reset", phase, level) for every coil edge. `overlap` turns
    True if two contacts are ever closed at once; `stuck` phases never move.
    """

    def __init__(self, clock, phase="R", min_pulse_ms=10):
        self.clock = clock
        self.closed = {ph: ph == phase for ph in PHASES}
        self.min_pulse_us = min_pulse_ms * 1000
        self.log = []
        self.overlap = False
        self.stuck = set()
        self.feedback_stuck_open = set()
        self.set_pins = [_Coil(self, ph, True) for ph in PHASES]
        self.reset_pins = [_Coil(self, ph, False) for ph in PHASES]
        self.feedback_pins = [_Feedback(self, ph) for ph in PHASES]

    def coil(self, coil, level):
        now = self.clock.ticks_us()
        if level == coil.level:
            return
        self.log.append((now, "set" if coil.closes else "reset", coil.phase, level))
        if level:
            coil.since = now
        elif (
            self.clock.ticks_diff(now, coil.since) >= self.min_pulse_us
            and coil.phase not in self.stuck
        ):
            self.closed[coil.phase] = coil.closes
        coil.level = level
        if sum(1 for ph in PHASES if self.closed[ph]) > 1:
            self.overlap = True

    def pulses(self):
        """Return the coil pulses so far as (t_start_us, kind, phase, width_us)."""
        out = []
        starts = {}
        for t, kind, phase, level in self.log:
            if level:
                starts[(kind, phase)] = t
            else:
                t0 = starts.pop((kind, phase))
                out.append((t0, kind, phase, t - t0))
        return out

    def connected(self):
        """Return the phase feeding the house, or None when none (or, wrongly, several) is."""
        on = [ph for ph in PHASES if self.closed[ph]]
        return on[0] if len(on) == 1 else None


class MainsAdc:
    """ZMPT101B output in counts for the phase the bank connects: V_R∠0°, V_Y∠−120°, V_B∠+120°."""

    def __init__(self, clock, bank=None, phase="R", v_rms=230.0, hz=50, gain=0.0217, offset=32768):
        self.clock = clock
        self.bank = bank
        self.phase = phase
        self.amplitude = v_rms * math.sqrt(2) / gain
        self.hz = hz
        self.offset = offset
        self.reads = []

    def read(self):
        t = self.clock.ticks_us()
        self.reads.append(t)
        phase = self.bank.connected() if self.bank is not None else self.phase
        if phase is None:
            return self.offset
        angle = 2 * math.pi * self.hz * t / 1_000_000 - PHASES.index(phase) * 2 * math.pi / 3
        return round(self.offset + self.amplitude * math.sin(angle))


class CurrentAdc:
    """SCT-013 output in counts: I lagging the R-phase voltage by `phi_deg` [°]."""

    def __init__(self, clock, i_rms, phi_deg=0.0, hz=50, gain=0.00142, offset=32768):
        self.clock = clock
        self.amplitude = i_rms * math.sqrt(2) / gain
        self.phi = math.radians(phi_deg)
        self.hz = hz
        self.offset = offset

    def read(self):
        angle = 2 * math.pi * self.hz * self.clock.ticks_us() / 1_000_000 - self.phi
        return round(self.offset + self.amplitude * math.sin(angle))


class RAMBlockDev:
    """A block device in RAM for LittleFS, counting the erases of each block."""

    def __init__(self, block_size=512, blocks=64):
        self.block_size = block_size
        self.data = bytearray(block_size * blocks)
        self.erases = [0] * blocks

    def readblocks(self, block, buf, offset=0):
        start = block * self.block_size + offset
        buf[:] = self.data[start : start + len(buf)]

    def writeblocks(self, block, buf, offset=None):
        if offset is None:
            for k in range(len(buf) // self.block_size):
                self.ioctl(6, block + k)
            offset = 0
        start = block * self.block_size + offset
        self.data[start : start + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return len(self.erases)
        if op == 5:  # block size
            return self.block_size
        if op == 6:  # erase
            self.erases[arg] += 1
            self.data[arg * self.block_size : (arg + 1) * self.block_size] = b"\xff" * (
                self.block_size
            )
            return 0
        return 0


MOUNT = "/flash"


def fresh_flash(blocks=64, block_size=512):
    """Mount a new, empty LittleFS at MOUNT and return its block device."""
    unmount()
    dev = RAMBlockDev(block_size, blocks)
    os.VfsLfs2.mkfs(dev)
    os.mount(os.VfsLfs2(dev), MOUNT)
    return dev


def remount(dev):
    """Unmount and mount the same flash again, as after a reboot."""
    unmount()
    os.mount(os.VfsLfs2(dev), MOUNT)


def unmount():
    try:
        os.umount(MOUNT)
    except OSError as exc:
        if exc.args[0] != 22:  # EINVAL: nothing mounted there
            raise


class FakeSocket:
    """A stream socket: `inbound` is what the broker sends, `outbound` what the client wrote."""

    def __init__(self, inbound=b""):
        self.inbound = bytearray(inbound)
        self.outbound = bytearray()
        self.blocking = True
        self.closed = False

    def feed(self, data):
        self.inbound += data

    def read(self, n):
        if not self.inbound:
            return None if not self.blocking else b""
        data = bytes(self.inbound[:n])
        self.inbound = self.inbound[n:]
        return data

    def write(self, data):
        if self.closed:
            raise OSError(32)  # EPIPE
        self.outbound += data
        return len(data)

    def setblocking(self, flag):
        self.blocking = flag

    def settimeout(self, seconds):
        self.blocking = seconds is None or seconds > 0

    def close(self):
        self.closed = True

    def take(self):
        """Return and forget what the client wrote so far."""
        data = bytes(self.outbound)
        self.outbound = bytearray()
        return data
