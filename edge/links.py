"""What the controller needs of a message link (the house bus or the HQ uplink).

A link delivers inbound messages by queueing them (its network side only enqueues) and the
controller drains the queue from its own thread. `epoch` counts successful connections, so the
controller notices a reconnect even when it happened between two of its steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Inbound:
    """One received message."""

    topic: str
    payload: bytes


class Link(Protocol):
    """A publish/subscribe connection as the controller uses it."""

    @property
    def connected(self) -> bool:
        """Return whether the link is up now."""

    @property
    def epoch(self) -> int:
        """Return how many times the link has connected (0 before the first connection)."""

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> bool:
        """Hand a message to the link; return False when it cannot take it now."""

    def drain(self) -> list[Inbound]:
        """Return and forget the messages received since the last call, oldest first."""
