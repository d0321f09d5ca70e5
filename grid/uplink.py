"""Decoded edge→HQ messages as the store writes them: a storable `Uplink` or a `DeadLetter`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from grid.events import EventData
from grid.messages import Alert, Event, Readings, Status, Summary, TopicKind

LedgerKey: TypeAlias = tuple[str, int, int]
"""(feeder_id, boot, seq) of an edge→HQ message."""

UplinkMessage: TypeAlias = Summary | Readings | Event | Alert | Status


@dataclass(frozen=True, slots=True)
class Uplink:
    """A valid message from a provisioned feeder, ready to store."""

    feeder: str
    kind: TopicKind
    message: UplinkMessage
    event_data: EventData | None = None
    digest: str | None = None
    """SHA-256 hex of the payload as the edge built it (without its seal), when received."""

    @property
    def key(self) -> LedgerKey | None:
        """Return the ledger key, or None for a status message (it carries no seq)."""
        msg = self.message
        if isinstance(msg, Status):
            return None
        return (self.feeder, msg.boot, msg.seq)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that cannot be stored as data, with why."""

    topic: str
    payload: bytes
    reason: str
    key: LedgerKey | None = None
    unknown_origin: bool = False
    """The feeder or a house is not provisioned (worth a fresh look at the fleet)."""
    forged: bool = False
    """Not what the feeder's edge sent: a missing or wrong seal, or other content under a
    (feeder, boot, seq) already stored. A security alert at HQ."""
