"""The node's persistent state in flash: one small checked record, written to two files in turn.

What is kept: the last accepted command counter, the time of the last switch, the local day
and the number of switches on it, the lockout flag and the last phase the feedback showed.

When: a record is written only when something that must survive a reboot changes: a command
that passed MAC, counter and expiry (its counter is consumed before the relays move) and a
switch (before and after the relays move): a handful of writes a day.

How, with wear in mind. Each save rewrites one 32-byte record (sequence number, fields, the
first 4 bytes of its SHA-256) into state_a.bin and state_b.bin in turn; at start the newest
record with a good checksum wins. A file this small stays inside LittleFS's metadata log,
which appends each write to a block that is already erased and erases a block only when the
log is compacted; LittleFS also moves worn metadata blocks. Measured on LittleFS in RAM
(tests/firmware/mp/test_persist.py, 4 KiB blocks like the ESP32's flash): 3000 saves cost
about 70 block erases, against about 2700 for appending the same records to a log file, whose
data leaves the metadata log and copies a block on every append. Two files in turn keep the
previous record intact on any file system, so a power cut loses at most the record being
written and never rolls the counter back below a command that was acted on.

Rounding the stored counter up to a reserved block (writing only when crossing a multiple
of 16) would save writes too, but after a reboot the node would refuse every counter up to
the reserved value, and an edge that counts up by one would see its next commands refused as
replayed; so the exact counter is stored.
"""

import errno
import hashlib
import os
import struct

_BODY = "<IQQIHBB"  # seq, ctr, last_switch_s, day, switches_today, flags, phases
# phases: the present phase in the low nibble, the one before the last switch in the high one
_BODY_SIZE = struct.calcsize(_BODY)
RECORD_SIZE = _BODY_SIZE + 4
_LOCKED = 1
_PHASES = ("", "R", "Y", "B")


class NodeState:
    """What the node must remember across reboots."""

    __slots__ = ("ctr", "day", "last_switch_s", "locked", "phase", "prev_phase", "switches_today")

    def __init__(self):
        self.ctr = 0  # last accepted command counter
        self.last_switch_s = 0  # time of the last switch [epoch s], 0 = never
        self.day = 0  # local day of switches_today [days since 1970]
        self.switches_today = 0
        self.locked = False  # locked out after a failed feedback check
        self.phase = ""  # last phase the feedback showed, "" = unknown
        self.prev_phase = ""  # phase before the last switch, while it may be undone; "" = none


def _pack(seq, state):
    body = struct.pack(
        _BODY,
        seq,
        state.ctr,
        int(state.last_switch_s),
        state.day,
        state.switches_today,
        _LOCKED if state.locked else 0,
        _PHASES.index(state.phase) | _PHASES.index(state.prev_phase) << 4,
    )
    return body + hashlib.sha256(body).digest()[:4]


def _unpack(record):
    """Return (seq, NodeState) of a record, or None if its checksum is wrong."""
    body = record[:_BODY_SIZE]
    if hashlib.sha256(body).digest()[:4] != record[_BODY_SIZE:]:
        return None
    seq, ctr, last, day, today, flags, phases = struct.unpack(_BODY, body)
    phase, prev = phases & 0x0F, phases >> 4
    if phase >= len(_PHASES) or prev >= len(_PHASES):
        return None
    state = NodeState()
    state.ctr = ctr
    state.last_switch_s = last
    state.day = day
    state.switches_today = today
    state.locked = bool(flags & _LOCKED)
    state.phase = _PHASES[phase]
    state.prev_phase = _PHASES[prev]
    return seq, state


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


class Journal:
    """Load and save NodeState in two files under `directory`, written in turn."""

    def __init__(self, directory):
        self.paths = (directory + "/state_a.bin", directory + "/state_b.bin")
        self.seq = 0
        self.next = 0  # index of the file the next record goes to
        self.writes = 0
        try:
            os.mkdir(directory)
        except OSError as exc:
            if exc.args[0] != errno.EEXIST:
                raise

    def load(self):
        """Return the newest good NodeState, or a fresh one if there is none; call before save."""
        best = None
        for index, path in enumerate(self.paths):
            data = _read(path)
            found = _unpack(data) if len(data) == RECORD_SIZE else None
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], found[1], index)
        if best is None:
            self.seq, self.next = 0, 0
            return NodeState()
        self.seq, state, newest = best
        self.next = 1 - newest
        return state

    def save(self, state):
        """Write `state` as the newest record over the older of the two files."""
        self.seq += 1
        with open(self.paths[self.next], "wb") as f:
            f.write(_pack(self.seq, state))
        self.next = 1 - self.next
        self.writes += 1
