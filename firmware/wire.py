"""The house node's side of the wire contract (DESIGN §3): topics, command parsing, payloads.

Payloads are compact UTF-8 JSON with the keys and bounds of grid/messages.py (Telemetry,
HouseCommand, HouseAck, HouseState), declared once here in `SCHEMAS` (MicroPython has no
msgspec); the captured payloads of tests/fixtures/wire keep both sides in agreement.
`decode(kind, payload)` reads any of the four; the node itself reads only commands
(`parse_command`). MicroPython dicts keep no order, so outgoing objects are written key by key
in the contract's order.
"""

import json
import math

import signing

ROOT = "sp/v1"
PHASES = ("R", "Y", "B")

TS_MIN = 978307200
"""Earliest valid timestamp, 2001-01-01 [epoch s]; a node clock below it is not set."""
TS_MAX = 4102444800
"""Latest valid timestamp, 2100-01-01 [epoch s]."""
CTR_MAX = 2**53
"""Largest counter (exact in a double)."""
PAYLOAD_MAX = 1024
"""Largest command payload [bytes]."""
RELAY_STATES = ("ok", "switching", "locked", "fault")

_TOKEN_EXTRA = "_-"
_HEX = "0123456789abcdef"

# (wire key, decimals, lowest, highest) of the measured telemetry values
_TELE_VALUES = (
    ("v", 1, 0.0, 480.0),  # [V]
    ("i", 3, 0.0, 200.0),  # [A]
    ("p", 1, -50000.0, 50000.0),  # net [W], + import, − export
    ("q", 1, -50000.0, 50000.0),  # [var]
    ("pv", 1, 0.0, 50000.0),  # [W]
)


class CommandError(ValueError):
    """A command payload that breaks the contract; `cmd_id` and `ctr` are set when readable."""

    def __init__(self, why, cmd_id=None, ctr=None):
        super().__init__(why)
        self.why = why
        self.cmd_id = cmd_id
        self.ctr = ctr


def topic(feeder, house, kind):
    """Return the topic of `kind` (tele, cmd, ack, state) of a house."""
    return ROOT + "/" + feeder + "/h/" + house + "/" + kind


def _alnum(c):
    return "0" <= c <= "9" or "a" <= c <= "z" or "A" <= c <= "Z"


def is_token(value):
    """Return True for 1..32 letters, digits, '_' and '-' (a command id)."""
    if not isinstance(value, str) or not 0 < len(value) <= 32:
        return False
    return all(_alnum(c) or c in _TOKEN_EXTRA for c in value)


def is_id(value, max_len):
    """Return True for segments of letters and digits joined by single '-' (feeder, house)."""
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        return False
    return all(part and all(_alnum(c) for c in part) for part in value.split("-"))


def _is_int(value, lo, hi):
    return type(value) is int and lo <= value <= hi


def _is_text(value, max_len, first, rest):
    """Return True for a string of at most `max_len` characters: `first` checks the first
    (None: the string may be empty), `rest` every other one."""
    if not isinstance(value, str) or len(value) > max_len:
        return False
    if not value:
        return first is None
    return (first or rest)(value[0]) and all(rest(c) for c in value[1:])


def _snake(c):
    return "a" <= c <= "z" or "0" <= c <= "9" or c == "_"


def _version(c):
    return _alnum(c) or c in "._+-"


def _int(lo, hi):
    return lambda v: _is_int(v, lo, hi)


def _number(lo, hi):
    return lambda v: (type(v) is int or type(v) is float) and lo <= v <= hi


def _one_of(values):
    return lambda v: isinstance(v, str) and v in values


def _is_bool(value):
    return value is True or value is False


def _is_mac(value):
    return isinstance(value, str) and len(value) == 64 and all(c in _HEX for c in value)


_TS = _number(TS_MIN, TS_MAX)
_TS_INT = _int(TS_MIN, TS_MAX)
_PHASE = _one_of(PHASES)

SCHEMAS = {
    # concatenated: MicroPython has no unpacking in a tuple display
    "tele": (("ts", _TS), ("seq", _int(0, CTR_MAX)))  # noqa: RUF005
    + tuple((key, _number(lo, hi)) for key, _, lo, hi in _TELE_VALUES)
    + (("ph", _PHASE), ("relay", _one_of(RELAY_STATES))),
    "cmd": (
        ("id", is_token),
        ("house", lambda v: is_id(v, 40)),
        ("ctr", _int(1, CTR_MAX)),
        ("exp", _TS_INT),
        ("from", _PHASE),
        ("to", _PHASE),
        ("mac", _is_mac),
    ),
    "ack": (
        ("id", is_token),
        ("house", lambda v: is_id(v, 40)),
        ("ctr", _int(1, CTR_MAX)),
        ("ok", _is_bool),
        ("ph", _PHASE),
        ("reason", lambda v: _is_text(v, 32, None, _snake)),
        ("ts", _TS_INT),
        ("mac", _is_mac),
    ),
    "state": (
        ("online", _is_bool),
        ("fw", lambda v: _is_text(v, 32, _alnum, _version)),
    ),
}
"""(wire key, check) of every field of each house message, in the contract's order."""

_COMMAND_KEYS = tuple(key for key, _ in SCHEMAS["cmd"])

SIZE_MAX = {"tele": 1024, "cmd": PAYLOAD_MAX, "ack": 1024, "state": 256}
"""Largest payload of each house message [bytes]."""


class WireError(ValueError):
    """A house message that breaks the contract; `field` names the culprit ("payload", a key)."""

    def __init__(self, field):
        super().__init__(field)
        self.field = field


def bad_field(kind, obj, feeder=None):
    """Return the key of the first field of `obj` that breaks the `kind` schema, or None.

    Unknown keys first (the first in sorted order), then each field in the contract's order,
    then the rules across fields: a house of `feeder` (when given), a command from one phase to
    another.
    """
    schema = SCHEMAS[kind]
    known = [key for key, _ in schema]
    unknown = sorted(key for key in obj if key not in known)
    if unknown:
        return unknown[0]
    for key, check in schema:
        if key not in obj or not check(obj[key]):
            return key
    house = obj.get("house")
    if feeder is not None and house is not None and not house.startswith(feeder + "-"):
        return "house"
    if kind == "cmd" and obj["from"] == obj["to"]:
        return "to"
    return None


def decode(kind, payload, feeder=None):
    """Return the fields of a `kind` payload (tele, cmd, ack, state) as a dict, or raise
    WireError naming the field at fault."""
    if len(payload) > SIZE_MAX[kind]:
        raise WireError("payload")
    try:
        obj = json.loads(payload)
    except ValueError:
        raise WireError("payload") from None
    if not isinstance(obj, dict):
        raise WireError("payload")
    key = bad_field(kind, obj, feeder)
    if key is not None:
        raise WireError(key)
    return obj


def parse_command(payload):
    """Return the fields of a command payload as a dict, or raise CommandError."""
    if len(payload) > PAYLOAD_MAX:
        raise CommandError("too_long")
    try:
        obj = json.loads(payload)
    except ValueError:
        raise CommandError("not_json") from None
    if not isinstance(obj, dict):
        raise CommandError("not_object")
    cmd_id = obj.get("id")
    ctr = obj.get("ctr")
    cmd_id = cmd_id if is_token(cmd_id) else None
    ctr = ctr if _is_int(ctr, 1, CTR_MAX) else None
    if cmd_id is None or ctr is None:
        raise CommandError("bad_id_or_ctr", cmd_id, ctr)
    for key in obj:
        if key not in _COMMAND_KEYS:
            raise CommandError("unknown_field", cmd_id, ctr)
    if bad_field("cmd", obj) is not None:
        raise CommandError("bad_field", cmd_id, ctr)
    return obj


def _json_number(value, decimals, lo, hi):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    value = min(max(value, lo), hi)
    return json.dumps(round(value, decimals))


def telemetry(ts, seq, reading, ph, relay):
    """Return a telemetry payload; `reading` has v, i, p, q, pv attributes (clamped to range).

    `ts` goes out in whole seconds: the ESP32's floats are single precision and cannot hold
    an epoch time to the second.
    """
    ts = min(max(int(ts), TS_MIN), TS_MAX)
    parts = ['{"ts":', str(ts), ',"seq":', str(seq)]
    for key, decimals, lo, hi in _TELE_VALUES:
        parts.append(',"' + key + '":')
        parts.append(_json_number(getattr(reading, key), decimals, lo, hi))
    parts.append(',"ph":' + json.dumps(ph) + ',"relay":' + json.dumps(relay) + "}")
    return "".join(parts).encode()


def ack(key, cmd_id, house, ctr, ok, ph, reason, ts):
    """Return a signed ack payload; `ts` is an integer [epoch s]."""
    mac = signing.mac_hex(key, signing.ack_bytes(cmd_id, house, ctr, ok, ph, reason, ts))
    return (
        '{"id":'
        + json.dumps(cmd_id)
        + ',"house":'
        + json.dumps(house)
        + ',"ctr":'
        + str(ctr)
        + ',"ok":'
        + ("true" if ok else "false")
        + ',"ph":'
        + json.dumps(ph)
        + ',"reason":'
        + json.dumps(reason)
        + ',"ts":'
        + str(ts)
        + ',"mac":"'
        + mac
        + '"}'
    ).encode()


def state(online, fw):
    """Return the retained state payload (birth with online true, last will with false)."""
    return (
        '{"online":' + ("true" if online else "false") + ',"fw":' + json.dumps(fw) + "}"
    ).encode()
