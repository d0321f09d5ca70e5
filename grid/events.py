"""The `data` of each edge `event` kind (DESIGN §3), typed and validated (pure).

The edge builds these and sends `to_data()`; HQ parses them with `parse_event_data(kind, data)`,
which raises WireError naming the field (e.g. ``data.before.i_a[1]: 'x' is not a number``).

- balancing_run: ``{"run_id","trigger","result","before":{"i_a":[R,Y,B],"i_n_a","unbalance_pct"},
  "after":{...}|null,"moves":[{"house","from","to","result"}],"decided"?}``; `before` is
  measured when the run was decided (`decided`, epoch s), `after` when it ended (the event's ts)
- switch_result: ``{"house","from","to","result","origin","cmd_id"?,"run_id"?,"reason"?}``
- command_result: ``{"cmd_id","state","reason"?}``
- mode_change: ``{"mode","by"?,"cmd_id"?}``
- security_rejection: ``{"reason","house"?,"cmd_id"?}``
- lockout: ``{"house","locked","reason"?,"since"?,"until"?}``: a house kept out of balancing
  since an epoch time for a reason (e.g. ``ack_timeout``) until an epoch time (absent: until an
  operator unlocks it), or back in (`locked` false)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

from grid.messages import EventKind, JsonValue, Mode, WireError, check_house_id
from grid.phasors import Phase


class RunTrigger(StrEnum):
    """What started a balancing run."""

    AUTO = "auto"
    BALANCE_NOW = "balance_now"


class RunResult(StrEnum):
    """How a balancing run ended."""

    IMPROVED = "improved"
    NO_GAIN = "no_gain"
    PARTIAL = "partial"
    ROLLED_BACK = "rolled_back"


class SwitchResult(StrEnum):
    """The outcome of one switch."""

    APPLIED = "applied"
    REJECTED = "rejected"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


class SwitchOrigin(StrEnum):
    """Who asked for a switch: the edge's planner or an operator."""

    AUTO = "auto"
    MANUAL = "manual"


class CommandState(StrEnum):
    """The lifecycle of a command (DESIGN §7)."""

    REQUESTED = "requested"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    APPLIED = "applied"
    REJECTED = "rejected"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"

    @property
    def final(self) -> bool:
        """Return whether the command can move no further."""
        return self in _FINAL_STATES

    @property
    def rank(self) -> int:
        """Return the position in the lifecycle; a later state never goes back to an earlier."""
        return _RANK[self]


_FINAL_STATES = frozenset(
    {CommandState.APPLIED, CommandState.REJECTED, CommandState.FAILED, CommandState.ROLLED_BACK}
)
_RANK = {
    CommandState.REQUESTED: 0,
    CommandState.SENT: 1,
    CommandState.ACKNOWLEDGED: 2,
    CommandState.APPLIED: 3,
    CommandState.REJECTED: 3,
    CommandState.FAILED: 3,
    CommandState.ROLLED_BACK: 4,
}


@dataclass(frozen=True, slots=True)
class PhaseSnapshot:
    """Phase currents [A], neutral current [A] and current unbalance [%] at one moment."""

    i_a: tuple[float, float, float]
    i_n_a: float
    unbalance_pct: float | None

    def to_data(self) -> dict[str, JsonValue]:
        """Return the JSON object."""
        return {"i_a": list(self.i_a), "i_n_a": self.i_n_a, "unbalance_pct": self.unbalance_pct}


@dataclass(frozen=True, slots=True)
class RunMove:
    """One move of a balancing run and how it ended."""

    house: str
    from_phase: Phase
    to_phase: Phase
    result: SwitchResult

    def to_data(self) -> dict[str, JsonValue]:
        """Return the JSON object."""
        return {
            "house": self.house,
            "from": str(self.from_phase),
            "to": str(self.to_phase),
            "result": str(self.result),
        }


@dataclass(frozen=True, slots=True)
class BalancingRunData:
    """A balancing run with its before/after snapshot."""

    run_id: str
    trigger: RunTrigger
    result: RunResult
    before: PhaseSnapshot
    after: PhaseSnapshot | None
    moves: tuple[RunMove, ...]
    decided_s: float | None = None
    """When the run was decided and `before` measured [epoch s]; None when not recorded."""

    def to_data(self) -> dict[str, JsonValue]:
        """Return the event's data object."""
        data: dict[str, JsonValue] = {
            "run_id": self.run_id,
            "trigger": str(self.trigger),
            "result": str(self.result),
            "before": self.before.to_data(),
            "after": None if self.after is None else self.after.to_data(),
            "moves": [m.to_data() for m in self.moves],
        }
        if self.decided_s is not None:
            data["decided"] = self.decided_s
        return data


@dataclass(frozen=True, slots=True)
class SwitchResultData:
    """The outcome of one switch of a house."""

    house: str
    from_phase: Phase
    to_phase: Phase
    result: SwitchResult
    origin: SwitchOrigin
    cmd_id: str | None = None
    run_id: str | None = None
    reason: str = ""

    def to_data(self) -> dict[str, JsonValue]:
        """Return the event's data object."""
        data: dict[str, JsonValue] = {
            "house": self.house,
            "from": str(self.from_phase),
            "to": str(self.to_phase),
            "result": str(self.result),
            "origin": str(self.origin),
        }
        return _with_optional(data, cmd_id=self.cmd_id, run_id=self.run_id, reason=self.reason)


@dataclass(frozen=True, slots=True)
class CommandResultData:
    """A step of an operator command's lifecycle at the edge."""

    cmd_id: str
    state: CommandState
    reason: str = ""

    def to_data(self) -> dict[str, JsonValue]:
        """Return the event's data object."""
        return _with_optional({"cmd_id": self.cmd_id, "state": str(self.state)}, reason=self.reason)


@dataclass(frozen=True, slots=True)
class ModeChangeData:
    """The feeder's control mode changed."""

    mode: Mode
    by: str | None = None
    cmd_id: str | None = None

    def to_data(self) -> dict[str, JsonValue]:
        """Return the event's data object."""
        return _with_optional({"mode": str(self.mode)}, by=self.by, cmd_id=self.cmd_id)


@dataclass(frozen=True, slots=True)
class SecurityRejectionData:
    """A command refused by a signature, counter, expiry or phase check."""

    reason: str
    house: str | None = None
    cmd_id: str | None = None

    def to_data(self) -> dict[str, JsonValue]:
        """Return the event's data object."""
        return _with_optional({"reason": self.reason}, house=self.house, cmd_id=self.cmd_id)


@dataclass(frozen=True, slots=True)
class LockoutData:
    """A house locked out of balancing, or back in."""

    house: str
    locked: bool
    reason: str = ""
    """Why, e.g. the failed or rolled-back switch's reason ("ack_timeout", "did_not_help")."""
    since_s: float | None = None
    """When the lockout began [epoch s]."""
    until_s: float | None = None
    """When it ends by itself [epoch s]; None: when an operator unlocks the house."""

    def to_data(self) -> dict[str, JsonValue]:
        """Return the event's data object."""
        data: dict[str, JsonValue] = {"house": self.house, "locked": self.locked}
        if self.reason:
            data["reason"] = self.reason
        if self.since_s is not None:
            data["since"] = self.since_s
        if self.until_s is not None:
            data["until"] = self.until_s
        return data


EventData: TypeAlias = (
    BalancingRunData
    | SwitchResultData
    | CommandResultData
    | ModeChangeData
    | SecurityRejectionData
    | LockoutData
)


def _with_optional(data: dict[str, JsonValue], **optional: str | None) -> dict[str, JsonValue]:
    data.update({k: v for k, v in optional.items() if v})
    return data


class _Reader:
    """Read typed fields from one JSON object, naming the path of a bad one."""

    def __init__(self, data: Mapping[str, Any], path: str, allowed: set[str]) -> None:
        if not isinstance(data, Mapping):
            raise WireError(path, "is not an object")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise WireError(f"{path}.{unknown[0]}", "is not a known field")
        self.data, self.path = data, path

    def raw(self, key: str, *, optional: bool = False) -> Any:
        if key not in self.data or self.data[key] is None:
            if optional:
                return None
            raise WireError(f"{self.path}.{key}", "is missing")
        return self.data[key]

    def text(self, key: str, *, optional: bool = False, max_len: int = 64) -> str | None:
        value = self.raw(key, optional=optional)
        if value is None:
            return None
        if not isinstance(value, str) or not 0 < len(value) <= max_len:
            if optional and value == "":
                return None
            raise WireError(f"{self.path}.{key}", f"is not a string of 1 to {max_len} characters")
        return value

    def choice(self, key: str, enum: type[StrEnum]) -> Any:
        value = self.raw(key)
        try:
            return enum(value)
        except ValueError:
            names = ", ".join(m.value for m in enum)
            raise WireError(f"{self.path}.{key}", f"{value!r} is not one of {names}") from None

    def number(self, key: str, *, optional: bool = False) -> float | None:
        value = self.raw(key, optional=optional)
        if value is None:
            return None
        return _finite(value, f"{self.path}.{key}")

    def house(self, key: str, feeder: str | None, *, optional: bool = False) -> str | None:
        value = self.raw(key, optional=optional)
        if value is None:
            return None
        try:
            return check_house_id(value, feeder)
        except WireError as exc:
            raise exc.under(f"{self.path}.{key}") from None


def _finite(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WireError(path, f"{value!r} is not a number")
    if not math.isfinite(value):
        raise WireError(path, f"{value!r} is not finite")
    return float(value)


def _snapshot(value: object, path: str) -> PhaseSnapshot:
    r = _Reader(value, path, {"i_a", "i_n_a", "unbalance_pct"})  # type: ignore[arg-type]
    currents = r.raw("i_a")
    if not isinstance(currents, list) or len(currents) != 3:
        raise WireError(f"{path}.i_a", "is not a list of three currents")
    i_a = tuple(_finite(v, f"{path}.i_a[{k}]") for k, v in enumerate(currents))
    i_n = r.number("i_n_a")
    assert i_n is not None
    return PhaseSnapshot((i_a[0], i_a[1], i_a[2]), i_n, r.number("unbalance_pct", optional=True))


def _move(value: object, path: str, feeder: str | None) -> RunMove:
    r = _Reader(value, path, {"house", "from", "to", "result"})  # type: ignore[arg-type]
    house = r.house("house", feeder)
    assert house is not None
    return RunMove(
        house, r.choice("from", Phase), r.choice("to", Phase), r.choice("result", SwitchResult)
    )


def parse_event_data(
    kind: EventKind, data: Mapping[str, Any], feeder: str | None = None
) -> EventData:
    """Return the typed data of an event of `kind`, or raise WireError naming the field."""
    if kind is EventKind.BALANCING_RUN:
        keys = {"run_id", "trigger", "result", "before", "after", "moves", "decided"}
        r = _Reader(data, "data", keys)
        moves = r.raw("moves")
        if not isinstance(moves, list):
            raise WireError("data.moves", "is not a list")
        after = r.raw("after", optional=True)
        return BalancingRunData(
            run_id=r.text("run_id") or "",
            trigger=r.choice("trigger", RunTrigger),
            result=r.choice("result", RunResult),
            before=_snapshot(r.raw("before"), "data.before"),
            after=None if after is None else _snapshot(after, "data.after"),
            moves=tuple(_move(m, f"data.moves[{k}]", feeder) for k, m in enumerate(moves)),
            decided_s=r.number("decided", optional=True),
        )
    if kind is EventKind.SWITCH_RESULT:
        keys = {"house", "from", "to", "result", "origin", "cmd_id", "run_id", "reason"}
        r = _Reader(data, "data", keys)
        return SwitchResultData(
            house=r.house("house", feeder) or "",
            from_phase=r.choice("from", Phase),
            to_phase=r.choice("to", Phase),
            result=r.choice("result", SwitchResult),
            origin=r.choice("origin", SwitchOrigin),
            cmd_id=r.text("cmd_id", optional=True),
            run_id=r.text("run_id", optional=True),
            reason=r.text("reason", optional=True, max_len=200) or "",
        )
    if kind is EventKind.COMMAND_RESULT:
        r = _Reader(data, "data", {"cmd_id", "state", "reason"})
        return CommandResultData(
            cmd_id=r.text("cmd_id") or "",
            state=r.choice("state", CommandState),
            reason=r.text("reason", optional=True, max_len=200) or "",
        )
    if kind is EventKind.MODE_CHANGE:
        r = _Reader(data, "data", {"mode", "by", "cmd_id"})
        return ModeChangeData(
            mode=r.choice("mode", Mode),
            by=r.text("by", optional=True),
            cmd_id=r.text("cmd_id", optional=True),
        )
    if kind is EventKind.LOCKOUT:
        r = _Reader(data, "data", {"house", "locked", "reason", "since", "until"})
        locked = r.raw("locked")
        if not isinstance(locked, bool):
            raise WireError("data.locked", f"{locked!r} is not a boolean")
        return LockoutData(
            house=r.house("house", feeder) or "",
            locked=locked,
            reason=r.text("reason", optional=True, max_len=200) or "",
            since_s=r.number("since", optional=True),
            until_s=r.number("until", optional=True),
        )
    r = _Reader(data, "data", {"reason", "house", "cmd_id"})
    return SecurityRejectionData(
        reason=r.text("reason", max_len=200) or "",
        house=r.house("house", feeder, optional=True),
        cmd_id=r.text("cmd_id", optional=True),
    )
