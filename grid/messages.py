"""Typed, validated wire messages of the MQTT protocol (DESIGN §3), declared on msgspec.

Every payload is compact UTF-8 JSON. Each message type is a frozen `msgspec.Struct` whose
fields carry their wire key (`msgspec.field(name=...)`) and their bounds (`msgspec.Meta`, with
the unit in `extra`); unknown fields are refused. `decode(topic, payload)` parses the topic
once (grid.topics), dispatches on its kind to that type's own `msgspec.json.Decoder` and returns
the message; `to_json()` serializes a message and refuses anything `decode` would refuse.

Every failure is one exception type, `WireError`, whose `field` is the path of the culprit and
whose `reason` says why in words, read back from the field's declared bounds, e.g.
``rows[3][3] (v): 812.0 is above 480 V`` (a readings row is a positional array: its cells are
named by column) or ``i_a[1] (Y): 5001.0 is above 5000 A`` (R, Y, B triples by phase).

What a type cannot say alone is checked after decoding, in the message's `_check`: houses of
the topic's feeder, a switch from a phase to another, the fields each control action takes,
three decimals in a config, the bounds of an event's free-form `data`, and keys that appear
twice in one object (msgspec keeps the last one; the contract refuses them).
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from operator import itemgetter
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Final, NamedTuple, Self, TypeAlias

import msgspec
import msgspec.inspect as mi

from grid.phasors import PHASES, Phase
from grid.topics import (
    FEEDER_ID_MAX,
    HOUSE_ID_MAX,
    HOUSE_KINDS,
    ROOT,
    FeederId,
    HouseId,
    HouseIdLength,
    Topic,
    TopicKind,
    WireError,
    all_house_ids,
    check_feeder_id,
    check_house_id,
    house_of_other_feeder,
    id_problem,
    parse_topic,
    short_repr,
    topic_for,
)

__all__ = [
    "CONFIG_MAX_KEYS",
    "CONFIG_SCALE",
    "CONTROL_ACTION_FIELDS",
    "FEEDER_ID_MAX",
    "HOUSE_ID_MAX",
    "HOUSE_KINDS",
    "LOCKOUT_ALERT_KINDS",
    "MESSAGE_TYPES",
    "READINGS_MAX_ROWS",
    "READING_COLUMNS",
    "ROOT",
    "SEQ_MAX",
    "TS_MAX_S",
    "TS_MIN_S",
    "Alert",
    "AlertState",
    "Committed",
    "ControlAction",
    "ControlCommand",
    "Event",
    "EventKind",
    "HouseAck",
    "HouseCommand",
    "HouseState",
    "JsonValue",
    "Message",
    "Mode",
    "ReadingRow",
    "Readings",
    "RelayState",
    "Severity",
    "Status",
    "Summary",
    "Telemetry",
    "Topic",
    "TopicKind",
    "WireError",
    "WireMessage",
    "check_feeder_id",
    "check_house_id",
    "config_thousandths",
    "decode",
    "explain",
    "field_error",
    "parse_topic",
    "to_builtin",
    "topic_for",
]

TS_MIN_S: Final = 978_307_200
"""Earliest accepted timestamp, 2001-01-01T00:00:00Z [epoch s]."""

TS_MAX_S: Final = 4_102_444_800
"""Latest accepted timestamp, 2100-01-01T00:00:00Z [epoch s]."""

SEQ_MAX: Final = 2**53
"""Largest sequence number, counter or boot id (exact in a double)."""

READINGS_MAX_ROWS: Final = 5000
"""Most rows in one `readings` message."""

READING_COLUMNS: Final = ("ts", "house", "ph", "v", "i", "p", "q", "pv")
"""The `cols` of every `readings` message, in this order."""

CONFIG_MAX_KEYS: Final = 32
"""Most keys in one `config` control command."""

CONFIG_SCALE: Final = 1000
"""Config values carry at most three decimals; signing uses value × CONFIG_SCALE."""

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"


class RelayState(StrEnum):
    """State of a house node's phase-selector relay."""

    OK = "ok"
    SWITCHING = "switching"
    LOCKED = "locked"
    FAULT = "fault"


class Mode(StrEnum):
    """Control mode of a feeder: the edge balances (auto) or only executes operator moves."""

    AUTO = "auto"
    MANUAL = "manual"


class EventKind(StrEnum):
    """What an `event` message reports."""

    BALANCING_RUN = "balancing_run"
    SWITCH_RESULT = "switch_result"
    MODE_CHANGE = "mode_change"
    COMMAND_RESULT = "command_result"
    SECURITY_REJECTION = "security_rejection"
    LOCKOUT = "lockout"
    """A house locked out of balancing (why, since and until when), or back in."""


LOCKOUT_ALERT_KINDS: Final = frozenset({"switch_rolled_back", "switch_failed"})
"""Alert kinds naming a house that is locked out of balancing while the alert is open."""


class Severity(StrEnum):
    """Severity of an alert."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertState(StrEnum):
    """Whether an alert message raises or clears the alert."""

    RAISED = "raised"
    CLEARED = "cleared"


class ControlAction(StrEnum):
    """What a signed control command (`ctl`) asks the edge controller to do."""

    SET_MODE = "set_mode"
    SWITCH = "switch"
    BALANCE_NOW = "balance_now"
    CONFIG = "config"
    UNLOCK = "unlock"
    """Bring a house locked out after a failed or rolled-back switch back into balancing."""


CONTROL_ACTION_FIELDS: Final[Mapping[ControlAction, tuple[str, ...]]] = MappingProxyType(
    {
        ControlAction.SET_MODE: ("mode",),
        ControlAction.SWITCH: ("house", "from", "to"),
        ControlAction.BALANCE_NOW: (),
        ControlAction.CONFIG: ("config",),
        ControlAction.UNLOCK: ("house",),
    }
)
"""The action fields (wire keys) each control action requires; the others must be absent."""


# --- field types: each bound declared once, used by every message ------------------------------

_TS_LO: Final = "2001-01-01 (978307200 s)"
_TS_HI: Final = "2100-01-01 (4102444800 s)"


def _bounds(lo: float, hi: float, unit: str = "", *, lo_text: str = "", hi_text: str = "") -> Any:
    """Return the Meta of a number in [lo, hi] whose errors say the bound in `unit`."""
    extra = {"unit": unit, "lo": lo_text, "hi": hi_text}
    return msgspec.Meta(ge=lo, le=hi, extra={k: v for k, v in extra.items() if v})


def _text(pattern: str, max_len: int, what: str, min_len: int = 0) -> Any:
    """Return the Meta of a string of `min_len`..`max_len` characters matching `pattern`."""
    return msgspec.Meta(pattern=pattern, min_length=min_len, max_length=max_len, description=what)


TimeS = Annotated[float, _bounds(TS_MIN_S, TS_MAX_S, lo_text=_TS_LO, hi_text=_TS_HI)]
"""A time [epoch s] in 2001..2100."""
TimeIntS = Annotated[int, _bounds(TS_MIN_S, TS_MAX_S, lo_text=_TS_LO, hi_text=_TS_HI)]
"""A whole-second time [epoch s] in 2001..2100 (signed messages: no float in a MAC)."""
Seq = Annotated[int, _bounds(0, SEQ_MAX, hi_text="2^53")]
"""A sequence number or boot id, 0..2^53."""
Counter = Annotated[int, _bounds(1, SEQ_MAX, hi_text="2^53")]
"""A command counter, 1..2^53, strictly increasing per receiver."""
Volts = Annotated[float, _bounds(0, 480, "V")]
Amps = Annotated[float, _bounds(0, 200, "A")]
Watts = Annotated[float, _bounds(-50_000, 50_000, "W")]
"""A house's net active power [W], + import, − export."""
Vars = Annotated[float, _bounds(-50_000, 50_000, "var")]
PvWatts = Annotated[float, _bounds(0, 50_000, "W")]
PhaseWatts = Annotated[float, _bounds(-1e6, 1e6, "W")]
PhaseVars = Annotated[float, _bounds(-1e6, 1e6, "var")]
PhaseAmps = Annotated[float, _bounds(0, 5000, "A")]
UnbalancePct = Annotated[float, _bounds(0, 201, "%")]
"""Current unbalance [%]: max|I−avg|/avg ≤ 200 %, and 1 % for rounding."""
HouseCount = Annotated[int, _bounds(0, 10_000)]
Token = Annotated[
    str, _text(r"^[A-Za-z0-9_-]+\Z", 32, "a token of letters, digits, '_' and '-'", 1)
]
Reason = Annotated[str, _text(r"^[a-z0-9_]*\Z", 32, "a snake_case reason")]
Name = Annotated[str, _text(r"^[a-z][a-z0-9_]*\Z", 32, "a snake_case name", 1)]
Version = Annotated[str, _text(r"^[A-Za-z0-9][A-Za-z0-9._+-]*\Z", 32, "a version string", 1)]
Mac = Annotated[str, _text(r"^[0-9a-f]{64}\Z", 64, "64 lowercase hex digits (HMAC-SHA256)")]
SAFE_TEXT: Final = r"^[^\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]*\Z"
"""Text without control characters, bidirectional overrides or unpaired surrogates."""
AlertText = Annotated[
    str, _text(SAFE_TEXT, 500, "text without control, bidi or surrogate characters", 1)
]
ConfigKey = Annotated[
    str, _text(r"^[a-z][a-z0-9_]{0,31}\Z", 32, "a snake_case key of at most 32 characters", 1)
]
ConfigValue = Annotated[float, _bounds(-1e9, 1e9)]
Triple: TypeAlias = tuple[float, float, float]
"""Three values in R, Y, B order."""


# --- messages --------------------------------------------------------------------------------


class WireMessage(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of every wire message: decode from and encode to compact JSON bytes.

    A field with a default is optional on the wire: absent ⇔ its default, which is left out
    when encoding; a signed message's `mac` defaults to "" (unsigned) but is required on the
    wire.
    """

    KIND: ClassVar[TopicKind]
    MAX_BYTES: ClassVar[int]

    @classmethod
    def from_json(cls, payload: bytes, *, feeder: str | None = None) -> Self:
        """Return the message decoded from `payload`; house ids must belong to `feeder` if given."""
        if len(payload) > cls.MAX_BYTES:
            raise WireError(
                "payload",
                f"{len(payload)} bytes is above the {cls.MAX_BYTES}-byte limit of {cls.KIND}",
            )
        try:
            message: Self = _DECODERS[cls].decode(payload)
        except msgspec.ValidationError as exc:
            raise explain(cls, payload, str(exc)) from None
        except msgspec.DecodeError as exc:
            raise _malformed(cls, payload, str(exc)) from None
        message._check(feeder)
        _refuse_duplicate_keys(payload, message)
        return message

    def to_json(self) -> bytes:
        """Return the message as compact UTF-8 JSON, refusing anything `from_json` would refuse.

        The text is written by the standard json module, as the contract's first encoder
        wrote it (msgspec spells some floats differently, e.g. 1e16 and 0.000025).
        """
        obj = msgspec.to_builtins(self, enc_hook=to_builtin)
        payload = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        type(self).from_json(payload)
        return payload

    def _check(self, feeder: str | None) -> None:
        """Raise WireError if fields contradict each other or a house is not of `feeder`."""


def to_builtin(value: object) -> object:
    """Return a JSON-ready value of what msgspec cannot encode (numpy numbers, mappings)."""
    if isinstance(value, float):
        return float(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, Mapping):
        return dict(sorted(value.items()))
    raise TypeError(f"{type(value).__name__} cannot be sent on the wire")


def _house_check(field: str, house: str | None, feeder: str | None) -> None:
    problem = None if house is None else house_of_other_feeder(house, feeder)
    if problem is not None:
        raise WireError(field, problem)


class ReadingRow(NamedTuple):
    """One house reading in a `readings` batch, in the order of READING_COLUMNS."""

    ts_s: TimeS  # [epoch s]
    house: HouseIdLength  # a house id: Readings._check reads the batch's distinct ones at once
    ph: Phase  # phase measured
    v_v: Volts  # [V]
    i_a: Amps  # [A]
    p_w: Watts  # net active power [W], + import, − export
    q_var: Vars  # [var]
    pv_w: PvWatts  # PV output [W]


class Telemetry(WireMessage, frozen=True):
    """A house node's measurement (`tele`, house → edge)."""

    KIND: ClassVar[TopicKind] = TopicKind.TELE
    MAX_BYTES: ClassVar[int] = 1024

    ts_s: TimeS = msgspec.field(name="ts")  # [epoch s]
    seq: Seq
    v_v: Volts = msgspec.field(name="v")  # [V]
    i_a: Amps = msgspec.field(name="i")  # [A]
    p_w: Watts = msgspec.field(name="p")  # net [W], + import, − export
    q_var: Vars = msgspec.field(name="q")  # [var]
    pv_w: PvWatts = msgspec.field(name="pv")  # PV output [W]
    ph: Phase  # phase measured
    relay: RelayState


class HouseCommand(WireMessage, frozen=True):
    """A signed phase switch for one house (`cmd`, edge → house)."""

    KIND: ClassVar[TopicKind] = TopicKind.CMD
    MAX_BYTES: ClassVar[int] = 1024

    cmd_id: Token = msgspec.field(name="id")
    house: HouseId
    ctr: Counter  # strictly increasing per house
    exp_s: TimeIntS = msgspec.field(name="exp")  # last valid second [epoch s]
    from_phase: Phase = msgspec.field(name="from")
    to_phase: Phase = msgspec.field(name="to")
    mac: Mac = ""  # lowercase hex

    def _check(self, feeder: str | None) -> None:
        """Refuse an unsigned command, a house of another feeder and a switch in place."""
        _house_check("house", self.house, feeder)
        if self.from_phase == self.to_phase:
            raise WireError("to", f"{self.to_phase!s} equals from")
        if not self.mac:
            raise WireError("mac", "is missing")


class HouseAck(WireMessage, frozen=True):
    """A house's signed answer to a command, with the phase it measures (`ack`)."""

    KIND: ClassVar[TopicKind] = TopicKind.ACK
    MAX_BYTES: ClassVar[int] = 1024

    cmd_id: Token = msgspec.field(name="id")
    house: HouseId
    ctr: Counter  # the command's counter
    ok: bool
    ph: Phase  # phase measured after the command
    reason: Reason  # e.g. "bad_mac", "" if ok
    ts_s: TimeIntS = msgspec.field(name="ts")  # [epoch s]
    mac: Mac = ""  # lowercase hex

    def _check(self, feeder: str | None) -> None:
        """Refuse an unsigned ack and a house of another feeder."""
        _house_check("house", self.house, feeder)
        if not self.mac:
            raise WireError("mac", "is missing")


class HouseState(WireMessage, frozen=True):
    """A house node's retained birth / last-will state (`state`)."""

    KIND: ClassVar[TopicKind] = TopicKind.STATE
    MAX_BYTES: ClassVar[int] = 256

    online: bool
    fw: Version


class Summary(WireMessage, frozen=True):
    """The edge's 10-second feeder summary (`summary`, edge → HQ); lists are R, Y, B."""

    KIND: ClassVar[TopicKind] = TopicKind.SUMMARY
    MAX_BYTES: ClassVar[int] = 2048

    boot: Seq
    seq: Seq
    ts_s: TimeS = msgspec.field(name="ts")  # [epoch s]
    p_w: tuple[PhaseWatts, PhaseWatts, PhaseWatts]
    q_var: tuple[PhaseVars, PhaseVars, PhaseVars]
    i_a: tuple[PhaseAmps, PhaseAmps, PhaseAmps]
    v_v: tuple[Volts, Volts, Volts]
    i_n_a: PhaseAmps  # neutral current [A]
    unbalance_pct: UnbalancePct | None  # current unbalance [%], null when I_avg < 5 A
    mode: Mode
    houses_online: HouseCount
    houses_total: HouseCount

    def _check(self, feeder: str | None) -> None:
        """Refuse more houses online than provisioned."""
        if self.houses_online > self.houses_total:
            raise WireError(
                "houses_online", f"{self.houses_online} is above houses_total {self.houses_total}"
            )


class Readings(WireMessage, frozen=True, omit_defaults=False):
    """A batch of house readings (`readings`, edge → HQ); `cols` is always written."""

    KIND: ClassVar[TopicKind] = TopicKind.READINGS
    MAX_BYTES: ClassVar[int] = 512 * 1024

    boot: Seq
    seq: Seq
    rows: Annotated[
        tuple[ReadingRow, ...], msgspec.Meta(min_length=1, max_length=READINGS_MAX_ROWS)
    ]
    cols: tuple[str, ...] = READING_COLUMNS

    def _check(self, feeder: str | None) -> None:
        """Refuse other columns, and the first row whose house is no house id or one of another
        feeder."""
        if self.cols != READING_COLUMNS:
            raise WireError(
                "cols", f"{short_repr(list(self.cols), 80)} is not exactly {list(READING_COLUMNS)}"
            )
        if all_house_ids(set(map(itemgetter(1), self.rows)), feeder):
            return
        for k, row in enumerate(self.rows):
            problem = id_problem(row.house, "a house id", HOUSE_ID_MAX) or house_of_other_feeder(
                row.house, feeder
            )
            if problem is not None:
                raise WireError(f"rows[{k}][1] (house)", problem)


EVENT_DATA_MAX_DEPTH: Final = 4
"""Deepest nesting of an event's `data` below the object itself."""
EVENT_DATA_MAX_ITEMS: Final = 512
"""Most values (at every depth) in an event's `data`."""
EVENT_DATA_MAX_STR: Final = 500
"""Longest string in an event's `data` [characters]."""
EVENT_DATA_MAX_KEY: Final = 64
"""Longest key in an event's `data` [characters]."""
_SAFE_TEXT_RE: Final = re.compile(SAFE_TEXT)


class Event(WireMessage, frozen=True):
    """Something the edge did (`event`, edge → HQ), with kind-specific `data` (grid.events)."""

    KIND: ClassVar[TopicKind] = TopicKind.EVENT
    MAX_BYTES: ClassVar[int] = 16 * 1024

    boot: Seq
    seq: Seq
    ts_s: TimeS = msgspec.field(name="ts")  # [epoch s]
    kind: EventKind
    data: Mapping[str, Any]

    def _check(self, feeder: str | None) -> None:
        """Refuse `data` beyond its bounds: depth, values, strings, keys, numbers."""
        _check_json(self.data, "data", 1, [EVENT_DATA_MAX_ITEMS])


def _check_json(value: object, path: str, depth: int, budget: list[int]) -> None:
    """Raise WireError at the first value of `value` beyond the event data bounds."""
    budget[0] -= 1
    if budget[0] < 0:
        raise WireError(path, f"holds more than {EVENT_DATA_MAX_ITEMS} values")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > SEQ_MAX:
            raise WireError(path, f"{short_repr(value)} is beyond ±2^53")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise WireError(path, f"{value!r} is not a finite number")
        return
    if isinstance(value, str):
        _check_text(value, path, EVENT_DATA_MAX_STR)
        return
    if depth > EVENT_DATA_MAX_DEPTH:
        raise WireError(path, f"nests deeper than {EVENT_DATA_MAX_DEPTH} levels")
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]", depth + 1, budget)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            label = f"{path}.{_key_label(key)}"
            if not 1 <= len(key) <= EVENT_DATA_MAX_KEY:
                raise WireError(label, f"is not a key of 1 to {EVENT_DATA_MAX_KEY} characters")
            if _SAFE_TEXT_RE.match(key) is None:
                raise WireError(label, "holds control, bidi or surrogate characters")
            _check_json(item, label, depth + 1, budget)
        return
    raise WireError(path, f"{short_repr(value)} is not a JSON value")


def _check_text(value: str, path: str, max_len: int) -> None:
    if len(value) > max_len:
        raise WireError(path, f"has {len(value)} characters, not 0 to {max_len}")
    if _SAFE_TEXT_RE.match(value) is None:
        raise WireError(path, f"{short_repr(value)} holds control, bidi or surrogate characters")


class Alert(WireMessage, frozen=True):
    """An alert raised or cleared at the edge (`alert`, edge → HQ)."""

    KIND: ClassVar[TopicKind] = TopicKind.ALERT
    MAX_BYTES: ClassVar[int] = 4096

    boot: Seq
    seq: Seq
    ts_s: TimeS = msgspec.field(name="ts")  # [epoch s]
    alert_id: Token
    kind: Name  # e.g. "phase_overload"
    severity: Severity
    state: AlertState
    message: AlertText
    house: HouseId | None = None

    def _check(self, feeder: str | None) -> None:
        """Refuse a house of another feeder."""
        _house_check("house", self.house, feeder)


class Status(WireMessage, frozen=True):
    """The edge controller's retained birth / last-will status (`status`)."""

    KIND: ClassVar[TopicKind] = TopicKind.STATUS
    MAX_BYTES: ClassVar[int] = 256

    online: bool
    boot: Seq | None = None
    version: Version | None = None


class Committed(WireMessage, frozen=True):
    """HQ's high-water mark of one boot's messages committed to the database (`committed`),
    signed with the feeder key like `ctl` (grid.signing.verify_committed)."""

    KIND: ClassVar[TopicKind] = TopicKind.COMMITTED
    MAX_BYTES: ClassVar[int] = 256

    boot: Seq
    seq: Seq
    feeder: FeederId
    ctr: Counter  # strictly increasing per feeder
    mac: Mac = ""  # lowercase hex

    def _check(self, feeder: str | None) -> None:
        """Refuse an unsigned mark."""
        if not self.mac:
            raise WireError("mac", "is missing")


def config_thousandths(value: float) -> int:
    """Return a config value as an integer count of thousandths (value × CONFIG_SCALE)."""
    return round(value * CONFIG_SCALE)


class ControlCommand(WireMessage, frozen=True):
    """A signed operator command to a feeder's edge controller (`ctl`, HQ → edge).

    The action fields present are exactly those of CONTROL_ACTION_FIELDS[action]; a decoded
    `config` is read-only, sorted by key, whole numbers as int.
    """

    KIND: ClassVar[TopicKind] = TopicKind.CTL
    MAX_BYTES: ClassVar[int] = 4096

    cmd_id: Token = msgspec.field(name="id")
    feeder: FeederId
    ctr: Counter  # strictly increasing per feeder
    exp_s: TimeIntS = msgspec.field(name="exp")  # last valid second [epoch s]
    action: ControlAction
    mode: Mode | None = None
    house: HouseId | None = None
    from_phase: Phase | None = msgspec.field(default=None, name="from")
    to_phase: Phase | None = msgspec.field(default=None, name="to")
    config: (
        Annotated[
            Mapping[ConfigKey, ConfigValue],
            msgspec.Meta(min_length=1, max_length=CONFIG_MAX_KEYS),
        ]
        | None
    ) = None
    mac: Mac = ""  # lowercase hex

    def __post_init__(self) -> None:
        """Keep the config read-only and sorted by key, as it is signed and sent."""
        if self.config is not None and not isinstance(self.config, MappingProxyType):
            config = MappingProxyType(dict(sorted(self.config.items())))
            msgspec.structs.force_setattr(self, "config", config)

    def _check(self, feeder: str | None) -> None:
        """Refuse action fields the action does not take, or lacks, a switch in place, a house
        of another feeder, a config value with more than three decimals and an unsigned
        command; keep the config read-only and sorted."""
        needed = CONTROL_ACTION_FIELDS[self.action]
        for key, value in _action_fields(self):
            if value is not None and key not in needed:
                raise WireError(key, f"is not a field of action {self.action}")
            if value is None and key in needed:
                raise WireError(key, f"is missing (required by action {self.action})")
        if self.action is ControlAction.SWITCH and self.from_phase == self.to_phase:
            raise WireError("to", f"{self.to_phase!s} equals from")
        _house_check("house", self.house, self.feeder)
        if self.config is not None:
            msgspec.structs.force_setattr(self, "config", _exact_config(self.config))
        if not self.mac:
            raise WireError("mac", "is missing")


def _action_fields(ctl: ControlCommand) -> tuple[tuple[str, object], ...]:
    """Return (wire key, value) of each action field of a control command, in wire order."""
    return (
        ("mode", ctl.mode),
        ("house", ctl.house),
        ("from", ctl.from_phase),
        ("to", ctl.to_phase),
        ("config", ctl.config),
    )


def _exact_config(config: Mapping[str, float]) -> Mapping[str, float]:
    """Return a read-only config sorted by key, whole values as int; refuse a 4th decimal."""
    out: dict[str, float] = {}
    for key in sorted(config):
        number = config[key]
        scaled = number * CONFIG_SCALE
        thousandths = round(scaled)
        if abs(scaled - thousandths) > 1e-6:
            raise WireError(f"config.{key}", f"{number!r} has more than 3 decimals")
        whole, rest = divmod(thousandths, CONFIG_SCALE)
        out[key] = whole if rest == 0 else thousandths / CONFIG_SCALE
    return MappingProxyType(out)


Message: TypeAlias = (
    Telemetry
    | HouseCommand
    | HouseAck
    | HouseState
    | Summary
    | Readings
    | Event
    | Alert
    | Status
    | ControlCommand
    | Committed
)
"""Any decoded wire message."""

MESSAGE_TYPES: Final[Mapping[TopicKind, type[WireMessage]]] = MappingProxyType(
    {
        cls.KIND: cls
        for cls in (
            Telemetry,
            HouseCommand,
            HouseAck,
            HouseState,
            Summary,
            Readings,
            Event,
            Alert,
            Status,
            ControlCommand,
            Committed,
        )
    }
)
"""The message type of each topic kind."""

_DECODERS: Final[Mapping[type[WireMessage], msgspec.json.Decoder[Any]]] = MappingProxyType(
    {cls: msgspec.json.Decoder(cls) for cls in MESSAGE_TYPES.values()}
)
"""One msgspec decoder per message type."""


def decode(topic: str | Topic, payload: bytes) -> Message:
    """Return the typed message of a topic and payload, or raise WireError."""
    parsed = topic if isinstance(topic, Topic) else parse_topic(topic)
    return MESSAGE_TYPES[parsed.kind].from_json(payload, feeder=parsed.feeder)  # type: ignore[return-value]


# --- duplicate keys --------------------------------------------------------------------------


def _refuse_duplicate_keys(payload: bytes, message: WireMessage) -> None:
    """Raise WireError naming a key that appears twice in one object of the payload.

    Without a backslash in the payload every '"' delimits a string, so the payload holds
    count('"') / 2 strings: never fewer than the message holds (`_strings`: each key kept, each
    string value), and more when a key came twice (msgspec keeps the last). When the two counts
    are equal no key came twice; otherwise (also for a key sent with its default value) the
    json module reads the payload once more and names the key.
    """
    if b"\\" not in payload and payload.count(b'"') == 2 * _strings(message, payload):
        return
    try:
        json.loads(payload, object_pairs_hook=_unique_keys)
    except WireError:
        raise
    except (ValueError, RecursionError):  # msgspec read it: json will too
        return


_ENCODER: Final = msgspec.json.Encoder(enc_hook=to_builtin)
"""Encodes a decoded message again, for the count of its strings."""


def _strings(message: WireMessage, payload: bytes) -> int:
    """Return how many strings the JSON of `message` holds when no key came twice.

    A readings batch is counted without encoding it again: 3 keys and 2 strings a row, and
    "cols" with its 8 names when the payload has them.
    """
    if isinstance(message, Readings):
        return 3 + 2 * len(message.rows) + (9 if b'"cols"' in payload else 0)
    return _ENCODER.encode(message).count(b'"') // 2


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise WireError(_key_label(key), "appears more than once")
            seen.add(key)
    return obj


_PLAIN_KEY: Final = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def _key_label(key: object) -> str:
    """Return a JSON object key fit for a field path: as is when plain, else its short repr."""
    return key if isinstance(key, str) and _PLAIN_KEY.fullmatch(key) else short_repr(key)


# --- errors: msgspec's path and the field's declared bounds, in words -------------------------

_AT: Final = re.compile(r"^(?P<what>.*?)(?: - at (?P<key>`key` in )?`\$(?P<path>[^`]*)`)?$", re.S)
_STEP: Final = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_FIELD_NAMED: Final = re.compile(r"^Object (contains unknown|missing required) field `(.*)`$", re.S)


def _malformed(cls: type[WireMessage], payload: bytes, why: str) -> WireError:
    """Return the error of a payload msgspec cannot read as JSON."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return WireError("payload", f"is not valid UTF-8 (byte {exc.start})")
    try:
        obj = json.loads(text, object_pairs_hook=_unique_keys)
    except WireError as exc:
        return exc
    except json.JSONDecodeError as exc:
        return WireError("payload", f"is not valid JSON ({exc.msg} at {exc.pos})")
    except (ValueError, RecursionError) as exc:
        return WireError("payload", f"is not valid JSON ({short_repr(str(exc), 80)})")
    found = _non_finite(obj, ())
    if found is None:  # e.g. an unpaired surrogate, which json reads and msgspec does not
        return WireError("payload", f"is not valid JSON ({short_repr(why, 80)})")
    path, value = found
    return WireError(_label(cls, path), f"{value!r} is not a finite number")


def _non_finite(
    value: object, path: tuple[str | int, ...]
) -> tuple[tuple[str | int, ...], float] | None:
    """Return the path and value of the first NaN or ±Infinity in a JSON value, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value
    items: Any = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found = _non_finite(item, (*path, key))
        if found is not None:
            return found
    return None


def explain(cls: type[WireMessage], payload: bytes, why: str) -> WireError:
    """Return the WireError of msgspec's validation error `why` on a payload of `cls`.

    msgspec names the path (``$.rows[3][3]``); the reason comes from the value there and the
    bounds declared on the field's type, e.g. ``rows[3][3] (v): 812.0 is above 480 V``.
    """
    try:
        obj = json.loads(payload)
    except (ValueError, RecursionError):
        return WireError("payload", _lower(why))
    if not isinstance(obj, dict):
        return WireError("payload", f"is not a JSON object but {_json_type(obj)}")
    return field_error(cls, obj, why, lambda path: _label(cls, path))


def field_error(
    target: type,
    obj: object,
    why: str,
    label: Callable[[tuple[str | int, ...]], str] = lambda path: _label(None, path),
) -> WireError:
    """Return the WireError of msgspec's error `why` on `obj`, read as a `target`.

    `label` writes the field path of a sequence of keys and indexes.
    """
    match = _AT.match(why)
    what, at = (match["what"], match["path"] or "") if match else (why, "")
    steps: list[str | int] = []
    for key, index in _STEP.findall(at):
        steps.append(key if key else ("..." if index == "..." else int(index)))
    if match and match["key"]:  # a dict key msgspec refused: found below like a bad value
        steps.append("...")
    named = _FIELD_NAMED.match(what)
    if named is not None:
        missing = named[1].startswith("missing")
        kind_name = getattr(target, "KIND", "this object")
        reason = "is missing" if missing else f"is not a field of {kind_name}"
        return WireError(label((*steps, _key_label(named[2]))), reason)
    kind: Any = mi.type_info(target)
    value: Any = obj
    path: list[str | int] = []
    for step in steps:
        kind = _unwrap(kind, value)
        if step == "...":  # a dict's key or value: find the first pair its types refuse
            key, value, kind = _bad_pair(kind, value)
            path.append(_key_label(key))
            if kind is None:
                return WireError(label(tuple(path)), "is not a valid key")
            continue
        kind = _child(kind, step)
        value = value[step] if isinstance(value, (dict, list)) else None  # type: ignore[index]
        path.append(step)
    return WireError(label(tuple(path)), _reason(_unwrap(kind, value), value, what))


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _unwrap(kind: Any, value: object) -> Any:
    """Return the type inside Metadata and, of a union, the member `value` may be of."""
    extra: dict[str, str] = {}
    while True:
        if isinstance(kind, mi.Metadata):
            extra.update(kind.extra or {})
            if kind.extra_json_schema:
                extra["what"] = kind.extra_json_schema.get("description", "")
            kind = kind.type
        elif isinstance(kind, mi.UnionType):
            members = [t for t in kind.types if not isinstance(t, mi.NoneType)]
            kind = _member_for(members, value)
        else:
            return (kind, extra) if extra else kind


def _member_for(members: list[Any], value: object) -> Any:
    """Return the union member a JSON value was meant as (a dict for a mapping, else the first)."""
    for member in members:
        inner = member.type if isinstance(member, mi.Metadata) else member
        if isinstance(value, dict) and isinstance(inner, (mi.DictType, mi.StructType)):
            return member
    return members[0]


def _child(kind: Any, step: str | int) -> Any:
    """Return the type of a struct field (by wire key) or of an array item."""
    kind = kind[0] if isinstance(kind, tuple) else kind
    if isinstance(kind, (mi.StructType, mi.NamedTupleType)):
        if isinstance(step, int):
            return kind.fields[step].type
        return next(f.type for f in kind.fields if f.encode_name == step)
    if isinstance(kind, (mi.VarTupleType, mi.ListType)):
        return kind.item_type
    if isinstance(kind, mi.TupleType):
        return kind.item_types[int(step)]
    if isinstance(kind, mi.DictType):
        return kind.value_type
    return mi.AnyType()


def _bad_pair(kind: Any, value: object) -> tuple[object, object, Any]:
    """Return the first (key, value, value type) of a dict that its types refuse."""
    kind = kind[0] if isinstance(kind, tuple) else kind
    assert isinstance(kind, mi.DictType)
    assert isinstance(value, dict)
    for key, item in value.items():
        if _reason(_unwrap(kind.key_type, key), key, "") is not None:
            return key, item, None
        if _reason(_unwrap(kind.value_type, item), item, "") is not None:
            return key, item, kind.value_type
    return "...", None, kind.value_type


def _reason(kind: Any, value: object, fallback: str) -> Any:
    """Return why `value` breaks `kind` (with its declared bounds), else `fallback`."""
    kind, extra = kind if isinstance(kind, tuple) else (kind, {})
    if isinstance(kind, (mi.FloatType, mi.IntType)):
        return _number_reason(kind, extra, value) or fallback or None
    if isinstance(kind, mi.BoolType):
        return None if type(value) is bool else f"{short_repr(value)} is not a boolean"
    if isinstance(kind, mi.EnumType):
        names = ", ".join(str(m.value) for m in kind.cls)
        ok = isinstance(value, str) and value in kind.cls._value2member_map_
        return None if ok else f"{short_repr(value)} is not one of {names}"
    if isinstance(kind, mi.StrType):
        return _text_reason(kind, extra, value) or fallback or None
    if isinstance(kind, (mi.TupleType, mi.VarTupleType, mi.ListType)):
        if not isinstance(value, list):
            return f"{short_repr(value)} is not a list"
        if isinstance(kind, mi.TupleType) and len(value) != len(kind.item_types):
            n = len(kind.item_types)
            phases = " (R, Y, B)" if n == 3 else ""
            return f"{short_repr(value)} is not a list of {n} values{phases}"
        if isinstance(kind, mi.VarTupleType):
            lo, hi = kind.min_length or 0, kind.max_length
            if len(value) < lo or (hi is not None and len(value) > hi):
                return f"has {len(value)} rows, not {lo} to {hi}"
    if isinstance(kind, mi.NamedTupleType):
        n = len(kind.fields)
        if not isinstance(value, list) or len(value) != n:
            return f"{short_repr(value)} is not a list of {n} values"
    if isinstance(kind, (mi.StructType, mi.DictType)):
        if not isinstance(value, dict):
            return f"{short_repr(value)} is not an object"
        if isinstance(kind, mi.DictType):
            lo, hi = kind.min_length or 0, kind.max_length
            if len(value) < lo or (hi is not None and len(value) > hi):
                return f"has {len(value)} keys, not {lo} to {hi}"
    return _lower(fallback) if fallback else None


def _bound_text(bound: float, unit: str) -> str:
    number = str(int(bound)) if float(bound).is_integer() else repr(bound)
    return f"{number} {unit}".rstrip()


def _number_reason(kind: Any, extra: dict[str, str], value: object) -> str | None:
    if isinstance(value, bool):
        return f"{value!r} is a boolean, not a number"
    if not isinstance(value, (int, float)):
        return f"{short_repr(value)} is not a number"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r} is not a finite number"
    if isinstance(kind, mi.IntType) and not isinstance(value, int):
        return f"{short_repr(value)} is not an integer"
    unit = extra.get("unit", "")
    if kind.ge is not None and value < kind.ge:
        return f"{short_repr(value)} is below {extra.get('lo') or _bound_text(kind.ge, unit)}"
    if kind.le is not None and value > kind.le:
        return f"{short_repr(value)} is above {extra.get('hi') or _bound_text(kind.le, unit)}"
    return None


def _text_reason(kind: Any, extra: dict[str, str], value: object) -> str | None:
    if not isinstance(value, str):
        return f"{short_repr(value)} is not a string"
    lo, hi = kind.min_length or 0, kind.max_length
    if hi is not None and len(value) > hi:
        if lo:
            return f"has {len(value)} characters, not {lo} to {hi}"
        return f"{short_repr(value)} is longer than {hi} characters"
    if len(value) < lo:
        return f"has {len(value)} characters, not {lo} to {hi}"
    if kind.pattern is not None and re.search(kind.pattern, value) is None:
        return f"{short_repr(value)} is not {extra.get('what') or 'valid'}"
    return None


def _label(cls: type[WireMessage] | None, path: tuple[str | int, ...]) -> str:
    """Return the field path of `path` in a payload of `cls`, naming a readings cell's column
    (``rows[3][3] (v)``) and the phase of a triple's item (``i_a[1] (Y)``)."""
    out = ""
    for k, step in enumerate(path):
        if isinstance(step, int):
            out += f"[{step}]"
            if cls is Readings and k == 2 and path[0] == "rows":
                out += f" ({READING_COLUMNS[step]})"
            elif cls is Summary and k == 1 and step < len(PHASES):
                out += f" ({PHASES[step]})"
        else:
            out += f".{step}" if out else str(step)
    return out
