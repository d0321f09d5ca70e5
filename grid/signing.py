"""Command signing, end to end (DESIGN §7): canonical bytes, HMAC-SHA256 and verification.

The MAC is HMAC-SHA256 over the UTF-8 bytes of a message-type tag and the message's fields
joined by "|" in a fixed order per type; see `canonical_bytes`. Canonical strings hold only
ids, tokens, phase letters and integers, never floats, so CPython and the MicroPython
firmware build identical bytes. HQ signs `ctl` and `committed` with the feeder key, the edge
signs `cmd` with the house key, and the house signs its `ack` with the same house key.

A receiver checks, in this order: addressed to it, MAC (constant time), counter above the last
one it stored, not expired, and the current phase equals the command's "from". An edge takes a
`committed` mark only when it also covers no seq beyond the highest it has sent.

Edge→HQ messages are sealed rather than signed field by field: `seal_uplink` appends the MAC of
the exact payload bytes as a last "mac" field, and `open_uplink` gives those bytes back only
when the MAC is right for the feeder key, so HQ stores only what the edge sent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeVar

import msgspec

from grid.messages import (
    Committed,
    ControlAction,
    ControlCommand,
    HouseAck,
    HouseCommand,
    TopicKind,
    WireError,
    config_thousandths,
)
from grid.phasors import Phase

KEY_MIN_BYTES: Final = 16
"""Shortest accepted key [bytes]."""

SHA256_BLOCK_BYTES: Final = 64
"""Block size of SHA-256, the HMAC key-padding length [bytes]."""

SignedMessage = TypeVar("SignedMessage", bound=HouseCommand | HouseAck | ControlCommand | Committed)


class Rejection(StrEnum):
    """Why a receiver refuses a signed message."""

    WRONG_DEVICE = "wrong_device"
    BAD_MAC = "bad_mac"
    REPLAYED = "replayed"
    EXPIRED = "expired"
    WRONG_FROM_PHASE = "wrong_from_phase"
    BEYOND_SENT = "beyond_sent"
    """A `committed` mark above the highest seq the edge has sent of that boot."""


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


def _committed_parts(mark: Committed) -> list[str]:
    return [
        "committed",
        _text(mark.feeder, "feeder"),
        _integer(mark.boot, "boot"),
        _integer(mark.seq, "seq"),
        _integer(mark.ctr, "ctr"),
    ]


def canonical_bytes(msg: HouseCommand | HouseAck | ControlCommand | Committed) -> bytes:
    """Return the bytes a message's MAC covers; raise WireError if a field cannot be signed.

    Formats (booleans as 1/0, config values as integer thousandths, config keys sorted)::

        cmd|{id}|{house}|{ctr}|{exp}|{from}|{to}
        ack|{id}|{house}|{ctr}|{ok}|{ph}|{reason}|{ts}
        ctl|{id}|{feeder}|{ctr}|{exp}|set_mode|{mode}
        ctl|{id}|{feeder}|{ctr}|{exp}|switch|{house}|{from}|{to}
        ctl|{id}|{feeder}|{ctr}|{exp}|balance_now
        ctl|{id}|{feeder}|{ctr}|{exp}|config|{key}={value×1000}|...
        ctl|{id}|{feeder}|{ctr}|{exp}|unlock|{house}
        committed|{feeder}|{boot}|{seq}|{ctr}
    """
    if isinstance(msg, HouseCommand):
        parts = _command_parts(msg)
    elif isinstance(msg, HouseAck):
        parts = _ack_parts(msg)
    elif isinstance(msg, Committed):
        parts = _committed_parts(msg)
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
    return msgspec.structs.replace(msg, mac=mac_hex(key, canonical_bytes(msg)))


def sign_ack(ack: HouseAck, key: bytes) -> HouseAck:
    """Return the house's ack with its `mac` set for the house key."""
    return sign(ack, key)


def mac_matches(msg: HouseCommand | HouseAck | ControlCommand | Committed, key: bytes) -> bool:
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


def verify_committed(
    mark: Committed,
    *,
    key: bytes,
    feeder_id: str,
    last_counter: int,
    highest_seq: int,
) -> Verdict:
    """Return the edge controller's verdict on HQ's `committed` mark.

    Parameters
    ----------
    key : the feeder key [bytes, ≥ 16].
    feeder_id : this controller's feeder; the mark must be addressed to it.
    last_counter : the highest counter of a mark accepted so far (0 before the first).
    highest_seq : the highest seq this edge has sent of the mark's boot (0 for none): a mark
        above it would delete what HQ cannot have stored.
    """
    if mark.feeder != feeder_id:
        return Verdict(Rejection.WRONG_DEVICE)
    if not mac_matches(mark, key):
        return Verdict(Rejection.BAD_MAC)
    if mark.ctr <= last_counter:
        return Verdict(Rejection.REPLAYED)
    if mark.seq > highest_seq:
        return Verdict(Rejection.BEYOND_SENT)
    return ACCEPTED


# --- sealed edge→HQ payloads ------------------------------------------------------------------

_SEAL_HEAD: Final = b',"mac":"'
_SEAL_TAIL: Final = b'"}'
SEAL_BYTES: Final = len(_SEAL_HEAD) + 64 + len(_SEAL_TAIL)
"""Length of the seal at the end of a sealed payload, `,"mac":"…"}` [bytes]."""
_HEX: Final = frozenset(b"0123456789abcdef")


def _uplink_mac(kind: TopicKind, feeder: str, body: bytes, key: bytes) -> str:
    """Return the MAC of an uplink payload: HMAC-SHA256 over `uplink|{feeder}|{kind}|` and the
    payload's bytes, as 64 lowercase hex digits (fed in two parts: the payload is not copied)."""
    head = f"uplink|{_text(feeder, 'feeder')}|{kind}|".encode()
    mac = hmac.new(_check_key(key), head, "sha256")
    mac.update(body)
    return mac.hexdigest()


def seal_uplink(kind: TopicKind, feeder: str, body: bytes, key: bytes) -> bytes:
    """Return an edge→HQ payload (a compact JSON object) with its MAC as a last "mac" field.

    The MAC covers the topic's kind, the feeder and the exact bytes of `body`; `body` is not
    re-encoded, so floats need no canonical form.
    """
    if len(body) < 3 or body[:1] != b"{" or body[-1:] != b"}":
        raise WireError("payload", "cannot be sealed (a non-empty JSON object)")
    mac = _uplink_mac(kind, feeder, body, key)
    return body[:-1] + _SEAL_HEAD + mac.encode("ascii") + _SEAL_TAIL


def split_seal(payload: bytes) -> tuple[bytes, str] | None:
    """Return (body, mac) of a sealed payload without checking the MAC, or None if unsealed."""
    if len(payload) < SEAL_BYTES + 3 or payload[-2:] != _SEAL_TAIL:
        return None
    head = len(payload) - SEAL_BYTES
    mac = payload[head + len(_SEAL_HEAD) : -len(_SEAL_TAIL)]
    if payload[head : head + len(_SEAL_HEAD)] != _SEAL_HEAD or not _HEX.issuperset(mac):
        return None
    return payload[:head] + b"}", mac.decode("ascii")


def open_uplink(kind: TopicKind, feeder: str, payload: bytes, key: bytes) -> bytes | None:
    """Return the body of a sealed payload when its MAC is right for `key`, else None."""
    parts = split_seal(payload)
    if parts is None:
        return None
    body, mac = parts
    try:
        expected = _uplink_mac(kind, feeder, body, key)
    except WireError:
        return None
    return body if hmac.compare_digest(expected, mac) else None


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
