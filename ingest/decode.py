"""Turn an edge→HQ MQTT message into what the store writes, or a dead letter (pure).

`decode_uplink(topic, payload, fleet, key_of=..., now_s=...)` never raises: a message is either
an `Uplink` (sealed with its feeder's key, typed, validated, from a provisioned feeder and
houses, stamped no later than HQ's clock allows) or a `DeadLetter` with the reason. A dead
letter the edge sealed keeps the (feeder, boot, seq) key when it can be read, so that the
ledger still covers it and the edge's outbox can move on; a message from an unprovisioned
feeder or house, or of a feeder whose key HQ lacks, keeps no key, so that the edge sends it
again and it is stored once HQ knows its origin; a message without a right seal is forged: it
keeps no key, never touches the ledger and raises a security alert.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Final

from grid.events import EventData, parse_event_data
from grid.messages import (
    SEQ_MAX,
    Alert,
    Event,
    Readings,
    Status,
    Summary,
    Topic,
    TopicKind,
    WireError,
    decode,
    parse_topic,
)
from grid.signing import open_uplink
from grid.uplink import DeadLetter, LedgerKey, Uplink, UplinkMessage
from settings import INGEST_MAX_AHEAD_S

UPLINK_KINDS: Final = (
    TopicKind.SUMMARY,
    TopicKind.READINGS,
    TopicKind.EVENT,
    TopicKind.ALERT,
    TopicKind.STATUS,
)
"""The edge→HQ topic kinds the ingest worker subscribes to."""

MAX_PAYLOAD_BYTES: Final = 1024 * 1024
"""Anything larger is refused before it is parsed."""

MAX_AHEAD_S: Final = INGEST_MAX_AHEAD_S
"""Furthest a message's time may be ahead of HQ's clock at its arrival by default [s]: edge
clocks are kept by NTP, and a time beyond would make a stopped feeder look live until then."""

KeyOf = Callable[[str], bytes | None]
"""Returns the signing key of a feeder, or None when HQ has none."""


@dataclass(frozen=True, slots=True)
class Fleet:
    """The provisioned feeders and the houses of each."""

    houses: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Houses of every provisioned feeder, by feeder id."""

    def knows_feeder(self, feeder: str) -> bool:
        """Return whether the feeder is provisioned."""
        return feeder in self.houses


def decode_uplink(
    topic: str,
    payload: bytes,
    fleet: Fleet,
    *,
    key_of: KeyOf,
    now_s: float,
    max_ahead_s: float = MAX_AHEAD_S,
) -> Uplink | DeadLetter:
    """Return the storable message, or the dead letter saying why not.

    `key_of` gives each feeder's signing key; `now_s` is when the message arrived [epoch s];
    a message whose time is more than `max_ahead_s` after it is refused.
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        return DeadLetter(topic, payload, f"payload: {len(payload)} bytes is oversized")
    try:
        parsed = parse_topic(topic)
    except WireError as exc:
        return DeadLetter(topic, payload, f"unknown topic: {exc}")
    if parsed.kind not in UPLINK_KINDS:
        return DeadLetter(topic, payload, f"topic: {parsed.kind} is not an edge→HQ message")
    if not fleet.knows_feeder(parsed.feeder):
        return DeadLetter(
            topic,
            payload,
            f"unknown feeder {parsed.feeder!r}",
            unknown_origin=True,
        )
    key = key_of(parsed.feeder)
    if key is None:
        return DeadLetter(
            topic, payload, f"no signing key for feeder {parsed.feeder!r}", unknown_origin=True
        )
    body = open_uplink(parsed.kind, parsed.feeder, payload, key)
    if body is None:
        return DeadLetter(
            topic, payload, f"seal: missing or wrong for feeder {parsed.feeder!r}", forged=True
        )
    try:
        message = decode(parsed, body)
        assert isinstance(message, (Summary, Readings, Event, Alert, Status))
        event_data = None
        if isinstance(message, Event):
            event_data = parse_event_data(message.kind, message.data, parsed.feeder)
    except WireError as exc:
        return DeadLetter(topic, payload, str(exc), _salvage_key(parsed, body))
    ahead = _ahead_s(message, now_s, max_ahead_s)
    if ahead is not None:
        return DeadLetter(
            topic,
            payload,
            f"ts: {ahead:.0f} s ahead of HQ's clock (at most {max_ahead_s:.0f} s)",
            _key(parsed.feeder, message),
        )
    unknown = _unknown_house(message, event_data, fleet.houses[parsed.feeder])
    if unknown is not None:
        return DeadLetter(
            topic,
            payload,
            f"unknown house {unknown!r} of feeder {parsed.feeder!r}",
            unknown_origin=True,
        )
    digest = hashlib.sha256(body).hexdigest()
    return Uplink(parsed.feeder, parsed.kind, message, event_data, digest)


def _ahead_s(message: UplinkMessage, now_s: float, max_ahead_s: float) -> float | None:
    """Return how far the message's newest time is ahead of `now_s` when beyond `max_ahead_s`."""
    if isinstance(message, Readings):
        newest: float | None = max(map(itemgetter(0), message.rows), default=None)
    elif isinstance(message, Status):
        newest = None
    else:
        newest = message.ts_s
    if newest is None or newest - now_s <= max_ahead_s:
        return None
    return newest - now_s


def _key(feeder: str, message: UplinkMessage) -> LedgerKey | None:
    if isinstance(message, Status):
        return None
    return (feeder, message.boot, message.seq)


def _unknown_house(
    message: UplinkMessage, event_data: EventData | None, houses: frozenset[str]
) -> str | None:
    if isinstance(message, Readings):
        seen = set(map(itemgetter(1), message.rows))
        missing = seen - houses
        return min(missing) if missing else None
    if isinstance(message, Alert) and message.house is not None and message.house not in houses:
        return message.house
    house = getattr(event_data, "house", None)
    if house is not None and house not in houses:
        return str(house)
    return None


def _salvage_key(topic: Topic, payload: bytes) -> LedgerKey | None:
    """Return (feeder, boot, seq) of a payload that failed validation, if it has them."""
    if topic.kind is TopicKind.STATUS:
        return None
    try:
        obj = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    boot, seq = obj.get("boot"), obj.get("seq")
    if type(boot) is int and type(seq) is int and 0 <= boot <= SEQ_MAX and 0 <= seq <= SEQ_MAX:
        return (topic.feeder, boot, seq)
    return None
