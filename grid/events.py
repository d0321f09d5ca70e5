"""The `data` of each edge `event` kind (DESIGN §3), typed and validated on msgspec (pure).

Each kind's data is a frozen `msgspec.Struct` (EVENT_DATA_TYPES): the edge builds one and sends
`to_data()`; HQ reads it back with `parse_event_data(kind, data, feeder)`, which raises WireError
naming the field (e.g. ``data.before.i_a[1]: 'x' is not a number``). The kind is the event's own
`kind` field, beside `data` and not in it, so each kind maps to its type rather than to a tag
inside the object.

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

import sys
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, Final, TypeAlias

import msgspec

from grid.messages import EventKind, JsonValue, Mode, WireError, field_error, to_builtin
from grid.phasors import Phase
from grid.topics import HouseId, house_of_other_feeder


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

Finite = Annotated[float, msgspec.Meta(ge=-sys.float_info.max, le=sys.float_info.max)]
"""A finite number (a bound every NaN and infinity fails)."""
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
"""A run id, command id or operator name: 1 to 64 characters."""
Why = Annotated[str, msgspec.Meta(max_length=200)]
"""A reason: at most 200 characters."""


class _Data(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of each kind's data: optional fields at their default are left out on the wire."""

    def to_data(self) -> dict[str, JsonValue]:
        """Return the JSON object."""
        data: dict[str, JsonValue] = msgspec.to_builtins(self, enc_hook=to_builtin)
        return data

    def _check(self, feeder: str | None) -> None:
        """Raise WireError (path under the data) for a house of another feeder."""
        house = getattr(self, "house", None)
        problem = None if house is None else house_of_other_feeder(house, feeder)
        if problem is not None:
            raise WireError("house", problem)


class PhaseSnapshot(_Data, frozen=True, omit_defaults=False):
    """Phase currents [A], neutral current [A] and current unbalance [%] at one moment."""

    i_a: tuple[Finite, Finite, Finite]
    i_n_a: Finite
    unbalance_pct: Finite | None = None


class RunMove(_Data, frozen=True):
    """One move of a balancing run and how it ended."""

    house: HouseId
    from_phase: Phase = msgspec.field(name="from")
    to_phase: Phase = msgspec.field(name="to")
    result: SwitchResult


class BalancingRunData(_Data, frozen=True, omit_defaults=False):
    """A balancing run with its before/after snapshot (`after` is written even when null)."""

    run_id: Id
    trigger: RunTrigger
    result: RunResult
    before: PhaseSnapshot
    after: PhaseSnapshot | None
    moves: tuple[RunMove, ...]
    decided_s: Finite | None = msgspec.field(default=None, name="decided")
    """When the run was decided and `before` measured [epoch s]; None when not recorded."""

    def to_data(self) -> dict[str, JsonValue]:
        """Return the event's data object; `decided` only when recorded."""
        data = super().to_data()
        if self.decided_s is None:
            del data["decided"]
        return data

    def _check(self, feeder: str | None) -> None:
        """Raise WireError for a move of a house of another feeder."""
        for k, move in enumerate(self.moves):
            try:
                move._check(feeder)
            except WireError as exc:
                raise exc.under(f"moves[{k}]") from None


class SwitchResultData(_Data, frozen=True):
    """The outcome of one switch of a house."""

    house: HouseId
    from_phase: Phase = msgspec.field(name="from")
    to_phase: Phase = msgspec.field(name="to")
    result: SwitchResult
    origin: SwitchOrigin
    cmd_id: Id | None = None
    run_id: Id | None = None
    reason: Why = ""


class CommandResultData(_Data, frozen=True):
    """A step of an operator command's lifecycle at the edge."""

    cmd_id: Id
    state: CommandState
    reason: Why = ""


class ModeChangeData(_Data, frozen=True):
    """The feeder's control mode changed."""

    mode: Mode
    by: Id | None = None
    cmd_id: Id | None = None


class SecurityRejectionData(_Data, frozen=True):
    """A command refused by a signature, counter, expiry or phase check."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    house: HouseId | None = None
    cmd_id: Id | None = None


class LockoutData(_Data, frozen=True):
    """A house locked out of balancing, or back in."""

    house: HouseId
    locked: bool
    reason: Why = ""
    """Why, e.g. the failed or rolled-back switch's reason ("ack_timeout", "did_not_help")."""
    since_s: Finite | None = msgspec.field(default=None, name="since")
    """When the lockout began [epoch s]."""
    until_s: Finite | None = msgspec.field(default=None, name="until")
    """When it ends by itself [epoch s]; None: when an operator unlocks the house."""


EventData: TypeAlias = (
    BalancingRunData
    | SwitchResultData
    | CommandResultData
    | ModeChangeData
    | SecurityRejectionData
    | LockoutData
)

EVENT_DATA_TYPES: Final[Mapping[EventKind, type[_Data]]] = MappingProxyType(
    {
        EventKind.BALANCING_RUN: BalancingRunData,
        EventKind.SWITCH_RESULT: SwitchResultData,
        EventKind.COMMAND_RESULT: CommandResultData,
        EventKind.MODE_CHANGE: ModeChangeData,
        EventKind.SECURITY_REJECTION: SecurityRejectionData,
        EventKind.LOCKOUT: LockoutData,
    }
)
"""The type of the `data` of each event kind."""


def parse_event_data(
    kind: EventKind, data: Mapping[str, Any], feeder: str | None = None
) -> EventData:
    """Return the typed data of an event of `kind`, or raise WireError naming the field."""
    target = EVENT_DATA_TYPES[kind]
    try:
        parsed = msgspec.convert(data, target)
    except msgspec.ValidationError as exc:
        raise field_error(target, data, str(exc)).under("data") from None
    try:
        parsed._check(feeder)
    except WireError as exc:
        raise exc.under("data") from None
    return parsed  # type: ignore[return-value]
