"""The MQTT topics of SmartPhase (DESIGN §3): ids, topic strings, subscription filters, QoS (pure).

Every topic sits under `sp/v1/{feeder}/`; a house's own topics under `sp/v1/{feeder}/h/{house}/`:

- `topic_for(kind, feeder, house=None)` builds a topic, validating the ids;
- `parse_topic(topic)` reads one back (feeder, kind, house) or raises WireError;
- `topic_filter(kind, feeder="+")` gives the subscription filter of a kind, for one feeder or
  all, with the QoS the kind is sent at (`QOS`).

Feeder and house ids are segments of ASCII letters and digits joined by single '-'; a house id
starts with its feeder's id and '-'. `WireError`, the one error type of the wire contract, is
defined here because the ids and topics are its first users; grid.messages re-exports it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Mapping
from enum import StrEnum
from itertools import repeat
from types import MappingProxyType
from typing import Annotated, Final

import msgspec

from grid.errors import FieldError

ROOT: Final = "sp/v1"
"""Root of every SmartPhase topic."""

FEEDER_ID_MAX: Final = 32
"""Longest feeder id [characters]."""

HOUSE_ID_MAX: Final = 40
"""Longest house id [characters]."""

TOPIC_MAX: Final = 128
"""Longest topic accepted [characters]."""


class WireError(FieldError):
    """A topic or payload that breaks the wire contract; `field` is the path of the culprit,
    e.g. ``rows[3][3] (v)`` with the reason ``812.0 is above 480 V``."""

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

QOS: Final[Mapping[TopicKind, int]] = MappingProxyType(
    {kind: 0 if kind is TopicKind.TELE else 1 for kind in TopicKind}
)
"""The MQTT QoS each kind is published and subscribed at: telemetry 0, everything else 1."""

RETAINED: Final = frozenset({TopicKind.STATE, TopicKind.STATUS})
"""Kinds published retained (a birth message, replaced by the last will)."""


# --- ids -------------------------------------------------------------------------------------

_ID: Final = r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
ID_PATTERN: Final = rf"^{_ID}\Z"
"""A feeder or house id: segments of ASCII letters and digits joined by single '-'."""
_ID_WHAT: Final = "segments of letters and digits joined by single '-'"
_ID_RE: Final = re.compile(ID_PATTERN)

FeederId = Annotated[
    str,
    msgspec.Meta(
        pattern=ID_PATTERN,
        min_length=1,
        max_length=FEEDER_ID_MAX,
        description=f"a feeder id ({_ID_WHAT})",
    ),
]
"""A feeder id on the wire, e.g. ``KL-TVM-0042``."""

HouseIdLength = Annotated[str, msgspec.Meta(min_length=1, max_length=HOUSE_ID_MAX)]
"""A house id's length alone, for a column of them checked together by `all_house_ids`."""

HouseId = Annotated[
    str,
    msgspec.Meta(
        pattern=ID_PATTERN,
        min_length=1,
        max_length=HOUSE_ID_MAX,
        description=f"a house id ({_ID_WHAT})",
    ),
]
"""A house id on the wire, e.g. ``KL-TVM-0042-H017``; it starts with its feeder's id and '-'."""


def short_repr(value: object, limit: int = 40) -> str:
    """Return the repr of a value cut to `limit` characters, for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def id_problem(value: object, what: str, max_len: int) -> str | None:
    """Return why `value` is not a valid id (`what`: "a feeder id", "a house id"), or None."""
    if not isinstance(value, str):
        return f"{short_repr(value)} is not a string"
    if len(value) > max_len:
        return f"{short_repr(value)} is longer than {max_len} characters"
    if _ID_RE.match(value) is None:
        return f"{short_repr(value)} is not {what} ({_ID_WHAT})"
    return None


def house_of_other_feeder(house: str, feeder: str | None) -> str | None:
    """Return why `house` is not a house of `feeder` (when given), or None."""
    if feeder is not None and not house.startswith(feeder + "-"):
        return f"{house!r} is not a house of feeder {feeder!r}"
    return None


_NOT_ID_CHARS: Final = str.maketrans("", "", string.ascii_letters + string.digits + "-\n")
"""Deletes every character an id may hold (and the newline joining ids): what remains is not."""


def all_house_ids(houses: Collection[str], feeder: str | None = None) -> bool:
    """Return True when every string of `houses` is a house id (of `feeder` when given).

    The ids are checked together by string methods on their newline-joined text: a readings
    batch checks its distinct houses so, and looks for the culprit row by row only when this
    says no.
    """
    if feeder is not None and not all(map(str.startswith, houses, repeat(feeder + "-"))):
        return False
    text = "\n".join(houses)
    return (
        all(houses)
        and max(map(len, houses), default=0) <= HOUSE_ID_MAX
        and not text.translate(_NOT_ID_CHARS)
        and text.count("\n") == max(len(houses) - 1, 0)
        and "--" not in text
        and "\n-" not in text
        and "-\n" not in text
        and not text.startswith("-")
        and not text.endswith("-")
    )


def check_feeder_id(value: object) -> str:
    """Return `value` if it is a valid feeder id, else raise WireError("feeder_id", ...)."""
    problem = id_problem(value, "a feeder id", FEEDER_ID_MAX)
    if problem is not None:
        raise WireError("feeder_id", problem)
    return value  # type: ignore[return-value]


def check_house_id(value: object, feeder_id: str | None = None) -> str:
    """Return `value` if it is a valid house id (of `feeder_id` if given), else raise WireError."""
    problem = id_problem(value, "a house id", HOUSE_ID_MAX) or house_of_other_feeder(
        value,  # type: ignore[arg-type]
        feeder_id,
    )
    if problem is not None:
        raise WireError("house_id", problem)
    return value  # type: ignore[return-value]


# --- topics ----------------------------------------------------------------------------------


class Topic(msgspec.Struct, frozen=True):
    """A parsed SmartPhase topic: feeder, kind and, for house topics, the house."""

    feeder: str
    kind: TopicKind
    house: str | None = None

    def __str__(self) -> str:
        """Return the topic string."""
        return topic_for(self.kind, self.feeder, self.house)


_KINDS: Final[Mapping[str, TopicKind]] = MappingProxyType({k.value: k for k in TopicKind})
_TOPIC_RE: Final = re.compile(rf"{ROOT}/({_ID})/(?:h/({_ID})/)?([a-z]+)\Z")
"""A well-formed topic in one match: feeder, house (or None) and kind."""


def parse_topic(topic: str) -> Topic:
    """Return the parsed topic, or raise WireError for anything not a SmartPhase topic."""
    match = _TOPIC_RE.match(topic)
    if match is not None and len(topic) <= TOPIC_MAX:
        feeder, house, name = match.groups()
        kind = _KINDS.get(name)
        if (
            kind is not None
            and (kind in HOUSE_KINDS) == (house is not None)
            and len(feeder) <= FEEDER_ID_MAX
            and (house is None or (len(house) <= HOUSE_ID_MAX and house.startswith(feeder + "-")))
        ):
            return Topic(feeder, kind, house)
    return _refuse_topic(topic)


def _refuse_topic(topic: str) -> Topic:
    """Raise the WireError saying why `topic` is not a SmartPhase topic (or return it parsed)."""
    if len(topic) > TOPIC_MAX:
        raise WireError("topic", f"is longer than {TOPIC_MAX} characters")
    parts = topic.split("/")
    if len(parts) not in (4, 6) or f"{parts[0]}/{parts[1]}" != ROOT:
        raise WireError("topic", f"{short_repr(topic, 80)} is not under {ROOT}/{{feeder}}/")
    kind = _KINDS.get(parts[-1])
    house_level = len(parts) == 6
    if house_level and parts[3] != "h":
        raise WireError("topic", f"{short_repr(topic, 80)} is not a house topic (…/h/{{house}}/…)")
    if kind is None or (kind in HOUSE_KINDS) != house_level:
        raise WireError("topic", f"{short_repr(topic, 80)} has no known kind at its level")
    feeder = parts[2]
    problem = id_problem(feeder, "a feeder id", FEEDER_ID_MAX)
    if problem is not None:
        raise WireError("topic.feeder", problem)
    house = None
    if house_level:
        house = parts[4]
        problem = id_problem(house, "a house id", HOUSE_ID_MAX) or house_of_other_feeder(
            house, feeder
        )
        if problem is not None:
            raise WireError("topic.house", problem)
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


def topic_filter(kind: TopicKind, feeder: str = "+") -> tuple[str, int]:
    """Return the subscription filter of `kind` and its QoS, for one feeder or every one ("+").

    A house kind's filter covers every house of the feeder(s): ``sp/v1/{feeder}/h/+/{kind}``.
    """
    if feeder != "+":
        check_feeder_id(feeder)
    if kind in HOUSE_KINDS:
        return f"{ROOT}/{feeder}/h/+/{kind}", QOS[kind]
    return f"{ROOT}/{feeder}/{kind}", QOS[kind]
