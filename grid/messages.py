"""Typed, validated wire messages of the MQTT protocol and their topics (DESIGN §3).

Every payload is compact UTF-8 JSON. `decode(topic, payload)` parses the topic once, dispatches
on its kind and returns a frozen, validated message; `to_json()` validates a message and
serializes it back. Every failure is one exception type, `WireError`, whose `field` is the path
of the culprit, e.g. ``rows[3][3] (v): 812.0 is above 480 V``.

Each message type declares its fields once: a dataclass field carries its wire key and its
validator (`_w(key, spec)`). A field whose default is None is optional on the wire (absent ⇔
None); every other field is required. Unknown fields are refused.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, Final, NamedTuple, Self, TypeAlias, cast

from grid.phasors import PHASES, Phase

ROOT: Final = "sp/v1"
"""Root of every SmartPhase topic."""

TS_MIN_S: Final = 978_307_200
"""Earliest accepted timestamp, 2001-01-01T00:00:00Z [epoch s]."""

TS_MAX_S: Final = 4_102_444_800
"""Latest accepted timestamp, 2100-01-01T00:00:00Z [epoch s]."""

SEQ_MAX: Final = 2**53
"""Largest sequence number, counter or boot id (exact in a double)."""

FEEDER_ID_MAX: Final = 32
"""Longest feeder id [characters]."""

HOUSE_ID_MAX: Final = 40
"""Longest house id [characters]."""

READINGS_MAX_ROWS: Final = 5000
"""Most rows in one `readings` message."""

READING_COLUMNS: Final = ("ts", "house", "ph", "v", "i", "p", "q", "pv")
"""The `cols` of every `readings` message, in this order."""

CONFIG_MAX_KEYS: Final = 32
"""Most keys in one `config` control command."""

CONFIG_SCALE: Final = 1000
"""Config values carry at most three decimals; signing uses value × CONFIG_SCALE."""

JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"


class WireError(ValueError):
    """A topic or payload that breaks the wire contract; `field` is the path of the culprit."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        """Return "field: reason"."""
        return f"{self.field}: {self.reason}" if self.field else self.reason

    def under(self, prefix: str) -> WireError:
        """Return this error with its field path placed under `prefix`."""
        if not self.field:
            path = prefix
        elif self.field.startswith("["):
            path = prefix + self.field
        else:
            path = f"{prefix}.{self.field}"
        return WireError(path, self.reason)


class TopicKind(StrEnum):
    """The last level of a topic: what the message is."""

    TELE = "tele"
    CMD = "cmd"
    ACK = "ack"
    STATE = "state"
    SUMMARY = "summary"
    READINGS = "readings"
    EVENT = "event"
    ALERT = "alert"
    STATUS = "status"
    CTL = "ctl"
    COMMITTED = "committed"


HOUSE_KINDS: Final = frozenset({TopicKind.TELE, TopicKind.CMD, TopicKind.ACK, TopicKind.STATE})
"""Kinds published under `sp/v1/{feeder}/h/{house}/`; the others sit under `sp/v1/{feeder}/`."""


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


# --- validators ----------------------------------------------------------------------------


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_PLAIN_KEY: Final = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def _key_label(key: object) -> str:
    """Return a JSON object key fit for a field path: as is when plain, else its short repr."""
    return key if isinstance(key, str) and _PLAIN_KEY.fullmatch(key) else _short(key)


def _bound_text(bound: float, unit: str) -> str:
    number = str(int(bound)) if float(bound).is_integer() else repr(bound)
    return f"{number} {unit}".rstrip()


class _Spec:
    """Validate one JSON value and convert it to its typed form; errors have a relative path."""

    __slots__ = ()

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return the typed value of a JSON value, or raise WireError."""
        raise NotImplementedError

    def dump(self, value: Any) -> object:
        """Return the JSON value of a typed value."""
        return value

    def parse_column(self, values: Sequence[object], feeder: str | None) -> Sequence[Any]:
        """Return the typed values of a column of JSON values, or raise WireError."""
        return [self.parse(value, feeder) for value in values]


class _Number(_Spec):
    """A finite number in [lo, hi]; with `integer`, an integer; never a boolean."""

    __slots__ = ("hi", "hi_text", "integer", "lo", "lo_text")

    def __init__(
        self,
        lo: float,
        hi: float,
        unit: str = "",
        *,
        integer: bool = False,
        lo_text: str | None = None,
        hi_text: str | None = None,
    ) -> None:
        self.lo = lo
        self.hi = hi
        self.integer = integer
        self.lo_text = lo_text or _bound_text(lo, unit)
        self.hi_text = hi_text or _bound_text(hi, unit)

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return the number (float unless `integer`), or raise WireError."""
        kind = type(value)
        if kind is int:
            number = cast(int, value)
            if self.lo <= number <= self.hi:
                return number if self.integer else float(number)
            raise self._out_of_range(number)
        if kind is float:
            real = cast(float, value)
            if self.integer:
                raise WireError("", f"{_short(real)} is not an integer")
            if self.lo <= real <= self.hi:
                return real
            raise self._out_of_range(real)
        return self._parse_other(value, feeder)

    def parse_column(self, values: Sequence[object], feeder: str | None) -> Sequence[Any]:
        """Return the numbers of a column; one pass in C when all are plain and in range."""
        kinds = set(map(type, values))
        plain = kinds == {int} or (kinds <= {int, float} and not self.integer)
        reals = cast(Sequence[float], values)
        if plain and reals and self.lo <= min(reals) and max(reals) <= self.hi:
            if self.integer:
                return reals
            if math.isfinite(sum(reals)):  # a NaN can hide from min() and max()
                return reals if kinds == {float} else list(map(float, reals))
        return [self.parse(value, feeder) for value in values]

    def _parse_other(self, value: object, feeder: str | None) -> Any:
        if isinstance(value, bool):
            raise WireError("", f"{value!r} is a boolean, not a number")
        if isinstance(value, numbers.Integral):
            return self.parse(int(value), feeder)
        if isinstance(value, numbers.Real):
            return self.parse(float(value), feeder)
        raise WireError("", f"{_short(value)} is not a number")

    def _out_of_range(self, value: float) -> WireError:
        if isinstance(value, float) and not math.isfinite(value):
            return WireError("", f"{value!r} is not a finite number")
        if value < self.lo:
            return WireError("", f"{value!r} is below {self.lo_text}")
        return WireError("", f"{value!r} is above {self.hi_text}")


class _Nullable(_Spec):
    """A value of `inner`, or null."""

    __slots__ = ("inner",)

    def __init__(self, inner: _Spec) -> None:
        self.inner = inner

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return None for null, else the value of `inner`."""
        return None if value is None else self.inner.parse(value, feeder)

    def dump(self, value: Any) -> object:
        """Return None for None, else the JSON value of `inner`."""
        return None if value is None else self.inner.dump(value)


class _Bool(_Spec):
    """A JSON true or false."""

    __slots__ = ()

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return the boolean, or raise WireError."""
        if type(value) is bool:
            return value
        raise WireError("", f"{_short(value)} is not a boolean")


class _Choice(_Spec):
    """One value of a string enumeration."""

    __slots__ = ("members", "names")

    def __init__(self, enum: type[StrEnum]) -> None:
        self.members: dict[str, StrEnum] = {m.value: m for m in enum}
        self.names = ", ".join(self.members)

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return the enumeration member, or raise WireError."""
        try:
            return self.members[value]  # type: ignore[index]
        except (KeyError, TypeError):
            raise WireError("", f"{_short(value)} is not one of {self.names}") from None

    def parse_column(self, values: Sequence[object], feeder: str | None) -> Sequence[Any]:
        """Return the members of a column of values."""
        try:
            return list(map(self.members.__getitem__, cast(Sequence[str], values)))
        except (KeyError, TypeError):
            return [self.parse(value, feeder) for value in values]

    def dump(self, value: Any) -> object:
        """Return the member's string value."""
        return str(value)


class _Pattern(_Spec):
    """A string of at most `max_len` characters matching `pattern` in full."""

    __slots__ = ("max_len", "pattern", "what")

    def __init__(self, pattern: str, max_len: int, what: str) -> None:
        self.pattern = re.compile(pattern)
        self.max_len = max_len
        self.what = what

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return the string, or raise WireError."""
        if not isinstance(value, str):
            raise WireError("", f"{_short(value)} is not a string")
        if len(value) > self.max_len:
            raise WireError("", f"{_short(value)} is longer than {self.max_len} characters")
        if self.pattern.fullmatch(value) is None:
            raise WireError("", f"{_short(value)} is not {self.what}")
        return value

    def parse_column(self, values: Sequence[object], feeder: str | None) -> Sequence[Any]:
        """Return a column of strings, checking each distinct value once."""
        if set(map(type, values)) == {str}:
            for value in set(values):
                self.parse(value, feeder)
            return values
        return [self.parse(value, feeder) for value in values]


_ID_PATTERN: Final = r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
_ID_WHAT: Final = "segments of letters and digits joined by single '-'"


class _HouseId(_Pattern):
    """A house id; when the feeder is known, one of its houses (prefix `{feeder}-`)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_ID_PATTERN, HOUSE_ID_MAX, f"a house id ({_ID_WHAT})")

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return the house id, or raise WireError."""
        house = super().parse(value, feeder)
        if feeder is not None and not house.startswith(feeder + "-"):
            raise WireError("", f"{house!r} is not a house of feeder {feeder!r}")
        return house

    def parse_column(self, values: Sequence[object], feeder: str | None) -> Sequence[Any]:
        """Return a column of house ids, checking each distinct id once per process."""
        if set(map(type, values)) != {str}:
            return [self.parse(value, feeder) for value in values]
        for value in set(values).difference(_VALID_HOUSES.get(feeder, ())):
            self.parse(value, feeder)
            if len(_VALID_HOUSES) >= _VALID_HOUSES_MAX:
                _VALID_HOUSES.clear()
            known = _VALID_HOUSES.setdefault(feeder, set())
            if len(known) < _VALID_HOUSES_MAX:
                known.add(cast(str, value))
        return values


_VALID_HOUSES: dict[str | None, set[str]] = {}
"""House ids already found valid, by the feeder they were checked against (a pure cache)."""
_VALID_HOUSES_MAX: Final = 10_000
"""Most feeders, and most houses per feeder, the cache holds."""


_UNSAFE_TEXT: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Control characters, bidirectional overrides and unpaired surrogates; ZWJ/ZWNJ stay allowed."""


class _Text(_Spec):
    """Free text of `min_len`..`max_len` characters without control characters."""

    __slots__ = ("max_len", "min_len")

    def __init__(self, max_len: int, min_len: int = 0) -> None:
        self.max_len = max_len
        self.min_len = min_len

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return the text, or raise WireError."""
        if not isinstance(value, str):
            raise WireError("", f"{_short(value)} is not a string")
        if not self.min_len <= len(value) <= self.max_len:
            raise WireError(
                "", f"has {len(value)} characters, not {self.min_len} to {self.max_len}"
            )
        if _UNSAFE_TEXT.search(value) is not None:
            raise WireError("", f"{_short(value)} holds control, bidi or surrogate characters")
        return value


class _Triple(_Spec):
    """Three values of `inner` in R, Y, B order."""

    __slots__ = ("inner",)

    def __init__(self, inner: _Spec) -> None:
        self.inner = inner

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return a 3-tuple, or raise WireError."""
        if not isinstance(value, list | tuple) or len(value) != 3:
            raise WireError("", f"{_short(value)} is not a list of 3 values (R, Y, B)")
        out = []
        for index, item in enumerate(value):
            try:
                out.append(self.inner.parse(item, feeder))
            except WireError as exc:
                raise exc.under(f"[{index}] ({PHASES[index]})") from None
        return tuple(out)

    def dump(self, value: Any) -> object:
        """Return a JSON list."""
        return [self.inner.dump(v) for v in value]


class _Exactly(_Spec):
    """A list equal to `expected`."""

    __slots__ = ("expected",)

    def __init__(self, expected: tuple[str, ...]) -> None:
        self.expected = list(expected)

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return the expected tuple, or raise WireError."""
        if value != self.expected:
            raise WireError("", f"{_short(value, 80)} is not exactly {self.expected}")
        return tuple(self.expected)

    def dump(self, value: Any) -> object:
        """Return a JSON list."""
        return list(value)


class _Rows(_Spec):
    """A list of 1..`max_rows` fixed-width rows, one validator per column."""

    __slots__ = ("make", "max_rows", "names", "specs")

    def __init__(
        self,
        columns: Sequence[tuple[str, _Spec]],
        make: Callable[[Sequence[Any]], tuple[Any, ...]],
        max_rows: int,
    ) -> None:
        self.names = tuple(name for name, _ in columns)
        self.specs = tuple(spec for _, spec in columns)
        self.make = make
        self.max_rows = max_rows

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return a tuple of typed rows, or raise WireError."""
        if not isinstance(value, list | tuple):
            raise WireError("", f"{_short(value)} is not a list")
        if not 1 <= len(value) <= self.max_rows:
            raise WireError("", f"has {len(value)} rows, not 1 to {self.max_rows}")
        width = len(self.specs)
        if set(map(type, value)) == {list} and set(map(len, value)) == {width}:
            try:
                columns = [
                    spec.parse_column(column, feeder)
                    for spec, column in zip(self.specs, zip(*value, strict=True), strict=True)
                ]
            except WireError:
                pass  # the row-by-row pass below names the first bad cell
            else:
                return tuple(map(self.make, zip(*columns, strict=True)))
        return self._parse_rows(value, feeder)

    def _parse_rows(self, value: Sequence[object], feeder: str | None) -> tuple[Any, ...]:
        width = len(self.specs)
        rows = []
        for r, row in enumerate(value):
            if not isinstance(row, list | tuple) or len(row) != width:
                raise WireError(f"[{r}]", f"{_short(row)} is not a list of {width} values")
            cells = []
            for c, spec in enumerate(self.specs):
                try:
                    cells.append(spec.parse(row[c], feeder))
                except WireError as exc:
                    raise exc.under(f"[{r}][{c}] ({self.names[c]})") from None
            rows.append(self.make(cells))
        return tuple(rows)

    def dump(self, value: Any) -> object:
        """Return a JSON list of lists."""
        return [
            [spec.dump(cell) for spec, cell in zip(self.specs, row, strict=True)] for row in value
        ]


class _JsonObject(_Spec):
    """A JSON object of bounded depth, item count and string length, numbers finite."""

    __slots__ = ("max_depth", "max_items", "max_key", "max_str")

    def __init__(self, max_depth: int, max_items: int, max_str: int, max_key: int) -> None:
        self.max_depth = max_depth
        self.max_items = max_items
        self.max_str = max_str
        self.max_key = max_key

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return the object, or raise WireError."""
        if type(value) is not dict:
            raise WireError("", f"{_short(value)} is not an object")
        self._check(value, 1, [self.max_items])
        return value

    def _check(self, value: object, depth: int, budget: list[int]) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise WireError("", f"holds more than {self.max_items} values")
        if value is None or type(value) is bool:
            return
        if type(value) is int:
            if abs(value) > SEQ_MAX:
                raise WireError("", f"{_short(value)} is beyond ±2^53")
            return
        if type(value) is float:
            if not math.isfinite(value):
                raise WireError("", f"{value!r} is not a finite number")
            return
        if type(value) is str:
            _DATA_TEXT.parse(value, None)
            return
        if depth > self.max_depth:
            raise WireError("", f"nests deeper than {self.max_depth} levels")
        if type(value) is list:
            for index, item in enumerate(value):
                try:
                    self._check(item, depth + 1, budget)
                except WireError as exc:
                    raise exc.under(f"[{index}]") from None
            return
        if type(value) is dict:
            for key, item in value.items():
                label = _key_label(key)
                if not isinstance(key, str) or not 1 <= len(key) <= self.max_key:
                    raise WireError(label, f"is not a key of 1 to {self.max_key} characters")
                if _UNSAFE_TEXT.search(key) is not None:
                    raise WireError(label, "holds control, bidi or surrogate characters")
                try:
                    self._check(item, depth + 1, budget)
                except WireError as exc:
                    raise exc.under(label) from None
            return
        raise WireError("", f"{_short(value)} is not a JSON value")


_CONFIG_VALUE: Final = _Number(-1e9, 1e9)
_CONFIG_KEY: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")


def config_thousandths(value: float) -> int:
    """Return a config value as an integer count of thousandths (value × CONFIG_SCALE)."""
    return round(value * CONFIG_SCALE)


class _Config(_Spec):
    """A flat object of 1..32 snake_case keys to finite numbers with at most 3 decimals."""

    __slots__ = ()

    def parse(self, value: object, feeder: str | None) -> Any:
        """Return a read-only mapping sorted by key, or raise WireError."""
        if type(value) is not dict:
            raise WireError("", f"{_short(value)} is not an object")
        if not 1 <= len(value) <= CONFIG_MAX_KEYS:
            raise WireError("", f"has {len(value)} keys, not 1 to {CONFIG_MAX_KEYS}")
        for key in value:
            if not isinstance(key, str) or _CONFIG_KEY.fullmatch(key) is None:
                raise WireError(_key_label(key), "is not a snake_case key of at most 32 characters")
        out: dict[str, float] = {}
        for key in sorted(value):
            try:
                number = _CONFIG_VALUE.parse(value[key], feeder)
            except WireError as exc:
                raise exc.under(key) from None
            scaled = number * CONFIG_SCALE
            thousandths = round(scaled)
            if abs(scaled - thousandths) > 1e-6:
                raise WireError(key, f"{number!r} has more than 3 decimals")
            whole, rest = divmod(thousandths, CONFIG_SCALE)
            out[key] = whole if rest == 0 else thousandths / CONFIG_SCALE
        return MappingProxyType(out)

    def dump(self, value: Any) -> object:
        """Return a plain JSON object, keys sorted."""
        return dict(sorted(value.items()))


# --- shared field validators: declared once, used by every message ----------------------------

TS_S: Final = _Number(
    TS_MIN_S, TS_MAX_S, lo_text="2001-01-01 (978307200 s)", hi_text="2100-01-01 (4102444800 s)"
)
TS_INT_S: Final = _Number(
    TS_MIN_S,
    TS_MAX_S,
    integer=True,
    lo_text="2001-01-01 (978307200 s)",
    hi_text="2100-01-01 (4102444800 s)",
)
SEQ: Final = _Number(0, SEQ_MAX, integer=True, hi_text="2^53")
BOOT: Final = _Number(0, SEQ_MAX, integer=True, hi_text="2^53")
CTR: Final = _Number(1, SEQ_MAX, integer=True, hi_text="2^53")
V_V: Final = _Number(0, 480, "V")
I_A: Final = _Number(0, 200, "A")
P_W: Final = _Number(-50_000, 50_000, "W")
Q_VAR: Final = _Number(-50_000, 50_000, "var")
PV_W: Final = _Number(0, 50_000, "W")
PHASE_P_W: Final = _Number(-1e6, 1e6, "W")
PHASE_Q_VAR: Final = _Number(-1e6, 1e6, "var")
PHASE_I_A: Final = _Number(0, 5000, "A")
UNBALANCE_PCT: Final = _Number(0, 201, "%")  # max|I−avg|/avg ≤ 200 %; 1 % for rounding
HOUSE_COUNT: Final = _Number(0, 10_000, integer=True)
PHASE: Final = _Choice(Phase)
FEEDER: Final = _Pattern(_ID_PATTERN, FEEDER_ID_MAX, f"a feeder id ({_ID_WHAT})")
HOUSE: Final = _HouseId()
TOKEN: Final = _Pattern(r"[A-Za-z0-9_-]+", 32, "a token of letters, digits, '_' and '-'")
REASON: Final = _Pattern(r"[a-z0-9_]*", 32, "a snake_case reason")
NAME: Final = _Pattern(r"[a-z][a-z0-9_]*", 32, "a snake_case name")
VERSION: Final = _Pattern(r"[A-Za-z0-9][A-Za-z0-9._+-]*", 32, "a version string")
MAC: Final = _Pattern(r"[0-9a-f]{64}", 64, "64 lowercase hex digits (HMAC-SHA256)")
BOOL: Final = _Bool()
_DATA_TEXT: Final = _Text(500)


def _w(key: str, spec: _Spec) -> dict[str, tuple[str, _Spec]]:
    """Return dataclass field metadata: the wire key and validator of a message field."""
    return {"wire": (key, spec)}


def check_feeder_id(value: object) -> str:
    """Return `value` if it is a valid feeder id, else raise WireError("feeder_id", ...)."""
    try:
        return cast(str, FEEDER.parse(value, None))
    except WireError as exc:
        raise exc.under("feeder_id") from None


def check_house_id(value: object, feeder_id: str | None = None) -> str:
    """Return `value` if it is a valid house id (of `feeder_id` if given), else raise WireError."""
    try:
        return cast(str, HOUSE.parse(value, feeder_id))
    except WireError as exc:
        raise exc.under("house_id") from None


# --- messages --------------------------------------------------------------------------------


class WireMessage:
    """Base of every wire message: decode from and encode to compact JSON bytes."""

    __slots__ = ()

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
        return cast(Self, _SCHEMAS[cls].parse(_loads(payload), feeder))

    def to_json(self) -> bytes:
        """Return the message as compact UTF-8 JSON, refusing anything `from_json` would refuse."""
        schema = _SCHEMAS[type(self)]
        obj = schema.dump(self)
        schema.parse(obj, None)
        data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        payload = data.encode("utf-8")
        if len(payload) > self.MAX_BYTES:
            raise WireError(
                "payload",
                f"{len(payload)} bytes is above the {self.MAX_BYTES}-byte limit of {self.KIND}",
            )
        return payload

    def _check(self) -> None:
        """Raise WireError if fields contradict each other."""


class ReadingRow(NamedTuple):
    """One house reading in a `readings` batch, in the order of READING_COLUMNS."""

    ts_s: float  # [epoch s]
    house: str
    ph: Phase  # phase measured
    v_v: float  # [V]
    i_a: float  # [A]
    p_w: float  # net active power [W], + import, − export
    q_var: float  # [var]
    pv_w: float  # PV output [W]


READING_SPECS: Final = (TS_S, HOUSE, PHASE, V_V, I_A, P_W, Q_VAR, PV_W)
"""Validator of each column of READING_COLUMNS, shared with Telemetry."""


@dataclasses.dataclass(frozen=True, slots=True)
class Telemetry(WireMessage):
    """A house node's measurement (`tele`, house → edge)."""

    KIND: ClassVar[TopicKind] = TopicKind.TELE
    MAX_BYTES: ClassVar[int] = 1024

    ts_s: float = dataclasses.field(metadata=_w("ts", TS_S))  # [epoch s]
    seq: int = dataclasses.field(metadata=_w("seq", SEQ))
    v_v: float = dataclasses.field(metadata=_w("v", V_V))  # [V]
    i_a: float = dataclasses.field(metadata=_w("i", I_A))  # [A]
    p_w: float = dataclasses.field(metadata=_w("p", P_W))  # net [W], + import, − export
    q_var: float = dataclasses.field(metadata=_w("q", Q_VAR))  # [var]
    pv_w: float = dataclasses.field(metadata=_w("pv", PV_W))  # PV output [W]
    ph: Phase = dataclasses.field(metadata=_w("ph", PHASE))  # phase measured
    relay: RelayState = dataclasses.field(metadata=_w("relay", _Choice(RelayState)))


@dataclasses.dataclass(frozen=True, slots=True)
class HouseCommand(WireMessage):
    """A signed phase switch for one house (`cmd`, edge → house)."""

    KIND: ClassVar[TopicKind] = TopicKind.CMD
    MAX_BYTES: ClassVar[int] = 1024

    cmd_id: str = dataclasses.field(metadata=_w("id", TOKEN))
    house: str = dataclasses.field(metadata=_w("house", HOUSE))
    ctr: int = dataclasses.field(metadata=_w("ctr", CTR))  # strictly increasing per house
    exp_s: int = dataclasses.field(metadata=_w("exp", TS_INT_S))  # last valid second [epoch s]
    from_phase: Phase = dataclasses.field(metadata=_w("from", PHASE))
    to_phase: Phase = dataclasses.field(metadata=_w("to", PHASE))
    mac: str = dataclasses.field(default="", metadata=_w("mac", MAC))  # lowercase hex

    def _check(self) -> None:
        """Refuse a switch to the phase the house is on."""
        if self.from_phase == self.to_phase:
            raise WireError("to", f"{self.to_phase!s} equals from")


@dataclasses.dataclass(frozen=True, slots=True)
class HouseAck(WireMessage):
    """A house's signed answer to a command, with the phase it measures (`ack`)."""

    KIND: ClassVar[TopicKind] = TopicKind.ACK
    MAX_BYTES: ClassVar[int] = 1024

    cmd_id: str = dataclasses.field(metadata=_w("id", TOKEN))
    house: str = dataclasses.field(metadata=_w("house", HOUSE))
    ctr: int = dataclasses.field(metadata=_w("ctr", CTR))  # the command's counter
    ok: bool = dataclasses.field(metadata=_w("ok", BOOL))
    ph: Phase = dataclasses.field(metadata=_w("ph", PHASE))  # phase measured after the command
    reason: str = dataclasses.field(metadata=_w("reason", REASON))  # e.g. "bad_mac", "" if ok
    ts_s: int = dataclasses.field(metadata=_w("ts", TS_INT_S))  # [epoch s]
    mac: str = dataclasses.field(default="", metadata=_w("mac", MAC))  # lowercase hex


@dataclasses.dataclass(frozen=True, slots=True)
class HouseState(WireMessage):
    """A house node's retained birth / last-will state (`state`)."""

    KIND: ClassVar[TopicKind] = TopicKind.STATE
    MAX_BYTES: ClassVar[int] = 256

    online: bool = dataclasses.field(metadata=_w("online", BOOL))
    fw: str = dataclasses.field(metadata=_w("fw", VERSION))


@dataclasses.dataclass(frozen=True, slots=True)
class Summary(WireMessage):
    """The edge's 10-second feeder summary (`summary`, edge → HQ); lists are R, Y, B."""

    KIND: ClassVar[TopicKind] = TopicKind.SUMMARY
    MAX_BYTES: ClassVar[int] = 2048

    boot: int = dataclasses.field(metadata=_w("boot", BOOT))
    seq: int = dataclasses.field(metadata=_w("seq", SEQ))
    ts_s: float = dataclasses.field(metadata=_w("ts", TS_S))  # [epoch s]
    p_w: tuple[float, float, float] = dataclasses.field(metadata=_w("p_w", _Triple(PHASE_P_W)))
    q_var: tuple[float, float, float] = dataclasses.field(
        metadata=_w("q_var", _Triple(PHASE_Q_VAR))
    )
    i_a: tuple[float, float, float] = dataclasses.field(metadata=_w("i_a", _Triple(PHASE_I_A)))
    v_v: tuple[float, float, float] = dataclasses.field(metadata=_w("v_v", _Triple(V_V)))
    i_n_a: float = dataclasses.field(metadata=_w("i_n_a", PHASE_I_A))  # neutral current [A]
    unbalance_pct: float | None = dataclasses.field(
        metadata=_w("unbalance_pct", _Nullable(UNBALANCE_PCT))
    )  # current unbalance [%], null when I_avg < 5 A
    mode: Mode = dataclasses.field(metadata=_w("mode", _Choice(Mode)))
    houses_online: int = dataclasses.field(metadata=_w("houses_online", HOUSE_COUNT))
    houses_total: int = dataclasses.field(metadata=_w("houses_total", HOUSE_COUNT))

    def _check(self) -> None:
        """Refuse more houses online than provisioned."""
        if self.houses_online > self.houses_total:
            raise WireError(
                "houses_online", f"{self.houses_online} is above houses_total {self.houses_total}"
            )


@dataclasses.dataclass(frozen=True, slots=True)
class Readings(WireMessage):
    """A batch of house readings (`readings`, edge → HQ)."""

    KIND: ClassVar[TopicKind] = TopicKind.READINGS
    MAX_BYTES: ClassVar[int] = 512 * 1024

    boot: int = dataclasses.field(metadata=_w("boot", BOOT))
    seq: int = dataclasses.field(metadata=_w("seq", SEQ))
    rows: tuple[ReadingRow, ...] = dataclasses.field(
        metadata=_w(
            "rows",
            _Rows(
                tuple(zip(READING_COLUMNS, READING_SPECS, strict=True)),
                ReadingRow._make,
                READINGS_MAX_ROWS,
            ),
        )
    )
    cols: tuple[str, ...] = dataclasses.field(
        default=READING_COLUMNS, metadata=_w("cols", _Exactly(READING_COLUMNS))
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Event(WireMessage):
    """Something the edge did (`event`, edge → HQ), with kind-specific `data`."""

    KIND: ClassVar[TopicKind] = TopicKind.EVENT
    MAX_BYTES: ClassVar[int] = 16 * 1024

    boot: int = dataclasses.field(metadata=_w("boot", BOOT))
    seq: int = dataclasses.field(metadata=_w("seq", SEQ))
    ts_s: float = dataclasses.field(metadata=_w("ts", TS_S))  # [epoch s]
    kind: EventKind = dataclasses.field(metadata=_w("kind", _Choice(EventKind)))
    data: Mapping[str, JsonValue] = dataclasses.field(
        metadata=_w("data", _JsonObject(max_depth=4, max_items=512, max_str=500, max_key=64))
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Alert(WireMessage):
    """An alert raised or cleared at the edge (`alert`, edge → HQ)."""

    KIND: ClassVar[TopicKind] = TopicKind.ALERT
    MAX_BYTES: ClassVar[int] = 4096

    boot: int = dataclasses.field(metadata=_w("boot", BOOT))
    seq: int = dataclasses.field(metadata=_w("seq", SEQ))
    ts_s: float = dataclasses.field(metadata=_w("ts", TS_S))  # [epoch s]
    alert_id: str = dataclasses.field(metadata=_w("alert_id", TOKEN))
    kind: str = dataclasses.field(metadata=_w("kind", NAME))  # e.g. "phase_overload"
    severity: Severity = dataclasses.field(metadata=_w("severity", _Choice(Severity)))
    state: AlertState = dataclasses.field(metadata=_w("state", _Choice(AlertState)))
    message: str = dataclasses.field(metadata=_w("message", _Text(500, min_len=1)))
    house: str | None = dataclasses.field(default=None, metadata=_w("house", HOUSE))


@dataclasses.dataclass(frozen=True, slots=True)
class Status(WireMessage):
    """The edge controller's retained birth / last-will status (`status`)."""

    KIND: ClassVar[TopicKind] = TopicKind.STATUS
    MAX_BYTES: ClassVar[int] = 256

    online: bool = dataclasses.field(metadata=_w("online", BOOL))
    boot: int | None = dataclasses.field(default=None, metadata=_w("boot", BOOT))
    version: str | None = dataclasses.field(default=None, metadata=_w("version", VERSION))


@dataclasses.dataclass(frozen=True, slots=True)
class Committed(WireMessage):
    """HQ's high-water mark of one boot's messages committed to the database (`committed`),
    signed with the feeder key like `ctl` (grid.signing.verify_committed)."""

    KIND: ClassVar[TopicKind] = TopicKind.COMMITTED
    MAX_BYTES: ClassVar[int] = 256

    boot: int = dataclasses.field(metadata=_w("boot", BOOT))
    seq: int = dataclasses.field(metadata=_w("seq", SEQ))
    feeder: str = dataclasses.field(metadata=_w("feeder", FEEDER))
    ctr: int = dataclasses.field(metadata=_w("ctr", CTR))  # strictly increasing per feeder
    mac: str = dataclasses.field(default="", metadata=_w("mac", MAC))  # lowercase hex


@dataclasses.dataclass(frozen=True, slots=True)
class ControlCommand(WireMessage):
    """A signed operator command to a feeder's edge controller (`ctl`, HQ → edge).

    The action fields present are exactly those of CONTROL_ACTION_FIELDS[action].
    """

    KIND: ClassVar[TopicKind] = TopicKind.CTL
    MAX_BYTES: ClassVar[int] = 4096

    cmd_id: str = dataclasses.field(metadata=_w("id", TOKEN))
    feeder: str = dataclasses.field(metadata=_w("feeder", FEEDER))
    ctr: int = dataclasses.field(metadata=_w("ctr", CTR))  # strictly increasing per feeder
    exp_s: int = dataclasses.field(metadata=_w("exp", TS_INT_S))  # last valid second [epoch s]
    action: ControlAction = dataclasses.field(metadata=_w("action", _Choice(ControlAction)))
    mode: Mode | None = dataclasses.field(default=None, metadata=_w("mode", _Choice(Mode)))
    house: str | None = dataclasses.field(default=None, metadata=_w("house", HOUSE))
    from_phase: Phase | None = dataclasses.field(default=None, metadata=_w("from", PHASE))
    to_phase: Phase | None = dataclasses.field(default=None, metadata=_w("to", PHASE))
    config: Mapping[str, float] | None = dataclasses.field(
        default=None, metadata=_w("config", _Config())
    )
    mac: str = dataclasses.field(default="", metadata=_w("mac", MAC))  # lowercase hex

    def _check(self) -> None:
        """Refuse action fields the action does not take, or lacks, and a switch in place."""
        needed = CONTROL_ACTION_FIELDS[self.action]
        for f in _SCHEMAS[ControlCommand].fields:
            if not f.optional:
                continue
            present = getattr(self, f.attr) is not None
            if present and f.key not in needed:
                raise WireError(f.key, f"is not a field of action {self.action}")
            if not present and f.key in needed:
                raise WireError(f.key, f"is missing (required by action {self.action})")
        if self.action is ControlAction.SWITCH and self.from_phase == self.to_phase:
            raise WireError("to", f"{self.to_phase!s} equals from")
        if self.house is not None and not self.house.startswith(self.feeder + "-"):
            raise WireError("house", f"{self.house!r} is not a house of feeder {self.feeder!r}")


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


# --- schema: the field table of each message type, built from its dataclass fields -----------


@dataclasses.dataclass(frozen=True, slots=True)
class _WireField:
    key: str
    attr: str
    spec: _Spec
    optional: bool


class _Schema:
    """Parse and dump one message type from the wire keys and validators of its fields."""

    __slots__ = ("fields", "keys", "kind", "make")

    def __init__(self, cls: type[WireMessage]) -> None:
        self.kind = cls.KIND
        self.make: Callable[..., WireMessage] = cls
        self.fields = tuple(
            _WireField(f.metadata["wire"][0], f.name, f.metadata["wire"][1], f.default is None)
            for f in dataclasses.fields(cast(Any, cls))
        )
        self.keys = frozenset(f.key for f in self.fields)

    def parse(self, obj: object, feeder: str | None) -> WireMessage:
        """Return the message built from a decoded JSON object, or raise WireError."""
        if type(obj) is not dict:
            raise WireError("payload", f"is not a JSON object but {type(obj).__name__}")
        if not self.keys.issuperset(obj):
            unknown = sorted(k for k in obj if k not in self.keys)
            raise WireError(_key_label(unknown[0]), f"is not a field of {self.kind}")
        values: dict[str, Any] = {}
        for f in self.fields:
            if f.key in obj:
                try:
                    values[f.attr] = f.spec.parse(obj[f.key], feeder)
                except WireError as exc:
                    raise exc.under(f.key) from None
            elif not f.optional:
                raise WireError(f.key, "is missing")
        message = self.make(**values)
        message._check()
        return message

    def dump(self, message: WireMessage) -> dict[str, object]:
        """Return the JSON object of a message; optional fields that are None are left out."""
        out: dict[str, object] = {}
        for f in self.fields:
            value = getattr(message, f.attr)
            if value is None and f.optional:
                continue
            out[f.key] = f.spec.dump(value)
        return out


_SCHEMAS: Final[Mapping[type[WireMessage], _Schema]] = MappingProxyType(
    {cls: _Schema(cls) for cls in MESSAGE_TYPES.values()}
)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise WireError(_key_label(key), "appears more than once")
            seen.add(key)
    return obj


def _loads(payload: bytes) -> object:
    """Return the JSON value of UTF-8 bytes, or raise WireError("payload", ...)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WireError("payload", f"is not valid UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except WireError:
        raise
    except json.JSONDecodeError as exc:
        raise WireError("payload", f"is not valid JSON ({exc.msg} at {exc.pos})") from None
    except (ValueError, RecursionError) as exc:
        raise WireError("payload", f"is not valid JSON ({_short(str(exc), 80)})") from None


# --- topics ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Topic:
    """A parsed SmartPhase topic: feeder, kind and, for house topics, the house."""

    feeder: str
    kind: TopicKind
    house: str | None = None

    def __str__(self) -> str:
        """Return the topic string."""
        return topic_for(self.kind, self.feeder, self.house)


_TOPIC_MAX: Final = 128
_KINDS: Final[Mapping[str, TopicKind]] = MappingProxyType({k.value: k for k in TopicKind})


def parse_topic(topic: str) -> Topic:
    """Return the parsed topic, or raise WireError for anything not a SmartPhase topic."""
    if len(topic) > _TOPIC_MAX:
        raise WireError("topic", f"is longer than {_TOPIC_MAX} characters")
    parts = topic.split("/")
    if len(parts) not in (4, 6) or f"{parts[0]}/{parts[1]}" != ROOT:
        raise WireError("topic", f"{_short(topic, 80)} is not under {ROOT}/{{feeder}}/")
    kind = _KINDS.get(parts[-1])
    house_level = len(parts) == 6
    if house_level and parts[3] != "h":
        raise WireError("topic", f"{_short(topic, 80)} is not a house topic (…/h/{{house}}/…)")
    if kind is None or (kind in HOUSE_KINDS) != house_level:
        raise WireError("topic", f"{_short(topic, 80)} has no known kind at its level")
    try:
        feeder = FEEDER.parse(parts[2], None)
    except WireError as exc:
        raise exc.under("topic.feeder") from None
    house = None
    if house_level:
        try:
            house = HOUSE.parse(parts[4], feeder)
        except WireError as exc:
            raise exc.under("topic.house") from None
    return Topic(feeder, kind, house)


def topic_for(kind: TopicKind, feeder: str, house: str | None = None) -> str:
    """Return the topic of `kind` for a feeder, or for one of its houses for house kinds."""
    check_feeder_id(feeder)
    if kind in HOUSE_KINDS:
        if house is None:
            raise WireError("house_id", f"is required for a {kind} topic")
        check_house_id(house, feeder)
        return f"{ROOT}/{feeder}/h/{house}/{kind}"
    if house is not None:
        raise WireError("house_id", f"is not part of a {kind} topic")
    return f"{ROOT}/{feeder}/{kind}"


def decode(topic: str | Topic, payload: bytes) -> Message:
    """Return the typed message of a topic and payload, or raise WireError."""
    parsed = topic if isinstance(topic, Topic) else parse_topic(topic)
    return cast(Message, MESSAGE_TYPES[parsed.kind].from_json(payload, feeder=parsed.feeder))
