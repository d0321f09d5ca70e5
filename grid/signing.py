"""Command signing, end to end (DESIGN §7): canonical bytes, HMAC-SHA256 and verification.

The MAC is HMAC-SHA256 over the UTF-8 bytes of a message-type tag and the message's fields
joined by "|" in a fixed order per type; see `canonical_bytes`. Canonical strings hold only
ids, tokens, phase letters and integers, never floats, so CPython and the MicroPython
firmware build identical bytes. HQ signs `ctl` with the feeder key, the edge signs `cmd` with
the house key, and the house signs its `ack` with the same house key.

A receiver checks, in this order: addressed to it, MAC (constant time), counter above the last
one it stored, not expired, and the current phase equals the command's "from".
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeVar

from grid.messages import (
    ControlAction,
    ControlCommand,
    HouseAck,
    HouseCommand,
    WireError,
    config_thousandths,
)
from grid.phasors import Phase

KEY_MIN_BYTES: Final = 16
"""Shortest accepted key [bytes]."""

SHA256_BLOCK_BYTES: Final = 64
"""Block size of SHA-256, the HMAC key-padding length [bytes]."""

SignedMessage = TypeVar("SignedMessage", bound=HouseCommand | HouseAck | ControlCommand)


class Rejection(StrEnum):
    """Why a receiver refuses a signed message."""

    WRONG_DEVICE = "wrong_device"
    BAD_MAC = "bad_mac"
    REPLAYED = "replayed"
    EXPIRED = "expired"
    WRONG_FROM_PHASE = "wrong_from_phase"


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a verification: accepted, or the first rejection reason found."""

    reason: Rejection | None = None

    @property
    def accepted(self) -> bool:
        """Return True when the message passed every check."""
        return self.reason is None


ACCEPTED: Final = Verdict()
"""The verdict of a message that passed every check."""


# --- canonical strings -----------------------------------------------------------------------


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or "|" in value or "=" in value:
        raise WireError(name, f"{value!r} cannot be signed (a string without '|' or '=')")
    return value


def _integer(value: object, name: str) -> str:
    if type(value) is not int:
        raise WireError(name, f"{value!r} cannot be signed (an integer)")
    return str(value)


def _command_parts(cmd: HouseCommand) -> list[str]:
    return [
        "cmd",
        _text(cmd.cmd_id, "id"),
        _text(cmd.house, "house"),
        _integer(cmd.ctr, "ctr"),
        _integer(cmd.exp_s, "exp"),
        _text(cmd.from_phase, "from"),
        _text(cmd.to_phase, "to"),
    ]


def _ack_parts(ack: HouseAck) -> list[str]:
    if type(ack.ok) is not bool:
        raise WireError("ok", f"{ack.ok!r} cannot be signed (a boolean)")
    return [
        "ack",
        _text(ack.cmd_id, "id"),
        _text(ack.house, "house"),
        _integer(ack.ctr, "ctr"),
        "1" if ack.ok else "0",
        _text(ack.ph, "ph"),
        _text(ack.reason, "reason"),
        _integer(ack.ts_s, "ts"),
    ]


def _config_parts(config: Mapping[str, float] | None) -> list[str]:
    if not config:
        raise WireError("config", "cannot be signed (a non-empty object)")
    return [f"{_text(key, 'config')}={config_thousandths(config[key])}" for key in sorted(config)]


_CONTROL_ACTION_PARTS: Final[Mapping[ControlAction, Callable[[ControlCommand], list[str]]]] = (
    MappingProxyType(
        {
            ControlAction.SET_MODE: lambda ctl: [_text(ctl.mode, "mode")],
            ControlAction.SWITCH: lambda ctl: [
                _text(ctl.house, "house"),
                _text(ctl.from_phase, "from"),
                _text(ctl.to_phase, "to"),
            ],
            ControlAction.BALANCE_NOW: lambda ctl: [],
            ControlAction.CONFIG: lambda ctl: _config_parts(ctl.config),
            ControlAction.UNLOCK: lambda ctl: [_text(ctl.house, "house")],
        }
    )
)
"""The action fields of each control action, in canonical order."""


def _control_parts(ctl: ControlCommand) -> list[str]:
    return [
        "ctl",
        _text(ctl.cmd_id, "id"),
        _text(ctl.feeder, "feeder"),
        _integer(ctl.ctr, "ctr"),
        _integer(ctl.exp_s, "exp"),
        _text(ctl.action, "action"),
        *_CONTROL_ACTION_PARTS[ctl.action](ctl),
    ]


def canonical_bytes(msg: HouseCommand | HouseAck | ControlCommand) -> bytes:
    """Return the bytes a message's MAC covers; raise WireError if a field cannot be signed.

    Formats (booleans as 1/0, config values as integer thousandths, config keys sorted)::

        cmd|{id}|{house}|{ctr}|{exp}|{from}|{to}
        ack|{id}|{house}|{ctr}|{ok}|{ph}|{reason}|{ts}
        ctl|{id}|{feeder}|{ctr}|{exp}|set_mode|{mode}
        ctl|{id}|{feeder}|{ctr}|{exp}|switch|{house}|{from}|{to}
        ctl|{id}|{feeder}|{ctr}|{exp}|balance_now
        ctl|{id}|{feeder}|{ctr}|{exp}|config|{key}={value×1000}|...
        ctl|{id}|{feeder}|{ctr}|{exp}|unlock|{house}
    """
    if isinstance(msg, HouseCommand):
        parts = _command_parts(msg)
    elif isinstance(msg, HouseAck):
        parts = _ack_parts(msg)
    else:
        parts = _control_parts(msg)
    return "|".join(parts).encode("utf-8")


# --- MAC ---------------------------------------------------------------------------------------


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes):
        raise TypeError(f"a signing key is bytes, not {type(key).__name__}")
    if len(key) < KEY_MIN_BYTES:
        raise ValueError(f"a signing key has at least {KEY_MIN_BYTES} bytes, not {len(key)}")
    return key


def mac_hex(key: bytes, canonical: bytes) -> str:
    """Return HMAC-SHA256(key, canonical) as 64 lowercase hex digits."""
    return hmac.new(_check_key(key), canonical, hashlib.sha256).hexdigest()


def sign(msg: SignedMessage, key: bytes) -> SignedMessage:
    """Return the message with its `mac` set for `key`."""
    return dataclasses.replace(msg, mac=mac_hex(key, canonical_bytes(msg)))


def sign_ack(ack: HouseAck, key: bytes) -> HouseAck:
    """Return the house's ack with its `mac` set for the house key."""
    return sign(ack, key)


def mac_matches(msg: HouseCommand | HouseAck | ControlCommand, key: bytes) -> bool:
    """Return True if the message's `mac` is right for `key`, compared in constant time."""
    _check_key(key)
    try:
        expected = mac_hex(key, canonical_bytes(msg))
    except WireError:
        return False
    return hmac.compare_digest(expected.encode("ascii"), msg.mac.encode("utf-8", "replace"))


# --- verification ----------------------------------------------------------------------------


def _addressed_signed_fresh(
    msg: HouseCommand | ControlCommand,
    *,
    addressed: bool,
    key: bytes,
    last_counter: int,
    now_s: float,
) -> Rejection | None:
    """Return the first failed check of a command, in order: device, MAC, counter, expiry."""
    if not addressed:
        return Rejection.WRONG_DEVICE
    if not mac_matches(msg, key):
        return Rejection.BAD_MAC
    if msg.ctr <= last_counter:
        return Rejection.REPLAYED
    if now_s > msg.exp_s:
        return Rejection.EXPIRED
    return None


def verify_house_command(
    cmd: HouseCommand,
    *,
    key: bytes,
    device_id: str,
    last_counter: int,
    now_s: float,
    current_phase: Phase,
) -> Verdict:
    """Return the house node's verdict on a command.

    Parameters
    ----------
    key : the house key [bytes, ≥ 16].
    device_id : this house's id; the command must be addressed to it.
    last_counter : the highest counter accepted so far (0 before the first command).
    now_s : the current time [epoch s]; the command is valid up to and including `exp`.
    current_phase : the phase the house is on now; it must equal the command's "from".
    """
    rejection = _addressed_signed_fresh(
        cmd, addressed=cmd.house == device_id, key=key, last_counter=last_counter, now_s=now_s
    )
    if rejection is not None:
        return Verdict(rejection)
    if cmd.from_phase != current_phase:
        return Verdict(Rejection.WRONG_FROM_PHASE)
    return ACCEPTED


def verify_control_command(
    ctl: ControlCommand,
    *,
    key: bytes,
    feeder_id: str,
    last_counter: int,
    now_s: float,
    current_phase_of: Callable[[str], Phase | None] | None = None,
) -> Verdict:
    """Return the edge controller's verdict on a control command.

    Parameters
    ----------
    key : the feeder key [bytes, ≥ 16].
    feeder_id : this controller's feeder; the command must be addressed to it.
    last_counter : the highest counter accepted so far (0 before the first command).
    now_s : the current time [epoch s]; the command is valid up to and including `exp`.
    current_phase_of : for a switch, returns the phase a house is on now (None if unknown,
        which is a rejection); when not given the edge leaves the from-phase check to the house.
    """
    rejection = _addressed_signed_fresh(
        ctl, addressed=ctl.feeder == feeder_id, key=key, last_counter=last_counter, now_s=now_s
    )
    if rejection is not None:
        return Verdict(rejection)
    if (
        ctl.action is ControlAction.SWITCH
        and current_phase_of is not None
        and (ctl.house is None or current_phase_of(ctl.house) != ctl.from_phase)
    ):
        return Verdict(Rejection.WRONG_FROM_PHASE)
    return ACCEPTED


def verify_ack(
    ack: HouseAck,
    *,
    key: bytes,
    house_id: str,
    command: HouseCommand | None = None,
) -> Verdict:
    """Return the edge's verdict on a house's ack.

    The ack must come from `house_id`, carry a good MAC for the house key and, when the
    outstanding `command` is given, answer it (same id and counter) or it counts as replayed.
    """
    if ack.house != house_id:
        return Verdict(Rejection.WRONG_DEVICE)
    if not mac_matches(ack, key):
        return Verdict(Rejection.BAD_MAC)
    if command is not None and (ack.cmd_id != command.cmd_id or ack.ctr != command.ctr):
        return Verdict(Rejection.REPLAYED)
    return ACCEPTED


# --- HMAC from SHA-256 alone, as the firmware builds it ---------------------------------------


def hmac_sha256_from_sha256(key: bytes, msg: bytes) -> bytes:
    """Return HMAC-SHA256(key, msg) built only on hashlib.sha256 (RFC 2104 ipad/opad)."""
    if len(key) > SHA256_BLOCK_BYTES:
        key = hashlib.sha256(key).digest()
    key = key + bytes(SHA256_BLOCK_BYTES - len(key))
    inner_key = bytes(b ^ 0x36 for b in key)
    outer_key = bytes(b ^ 0x5C for b in key)
    inner = hashlib.sha256(inner_key + msg).digest()
    return hashlib.sha256(outer_key + inner).digest()
