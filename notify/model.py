"""The plain values notification decisions are made of: alerts as routing sees them, routes,
recipients, what was told before, and the notices due now.

A recipient is a user ("user:asha") or a channel of SP_NOTIFY_URLS ("channel:ops"); its key is
what the outbox and the notices store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from store.schema import ALERT_SEVERITIES, NOTIFY_LEVELS

LEVELS: Final = NOTIFY_LEVELS
LEVEL_TITLES: Final = {1: "Section (AE)", 2: "Sub-division (AEE)", 3: "Division (EE)"}
"""The KSEB chain an unacknowledged alert climbs."""

DEFAULT_DELAY_MIN: Final = {1: 15, 2: 60, 3: 60}
"""How long each level has to acknowledge before the next level is told [min]."""

ANY_DISTRICT: Final = "*"
"""A route's district that matches every district and HQ's own alerts (no feeder)."""

SEVERITY_RANK: Final = {name: k for k, name in enumerate(ALERT_SEVERITIES)}
"""critical 0 < warning 1 < info 2: lower is worse."""

Reason = Literal["new", "escalated", "repeat"]
REASONS: Final = ("new", "escalated", "repeat")


def user_key(username: str) -> str:
    """Return the recipient key of a user."""
    return f"user:{username}"


def channel_key(name: str) -> str:
    """Return the recipient key of a channel of SP_NOTIFY_URLS."""
    return f"channel:{name}"


def recipient_label(key: str) -> str:
    """Return "asha" for "user:asha", "#ops" for "channel:ops", the key otherwise."""
    kind, _, name = key.partition(":")
    return name if kind == "user" else f"#{name}" if kind == "channel" else key


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """An active alert with where it is: what routing, inhibition and messages need."""

    alert_id: str
    kind: str
    severity: str
    state: str
    message: str
    raised_at: datetime
    feeder_id: str | None = None
    house_id: str | None = None
    parent_id: str | None = None
    district: str | None = None
    """None for HQ's own alerts (no feeder)."""
    section: str | None = None
    feeder_name: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """Alerts of a district (and section office), at or above a severity, of a kind, go to a
    user or a channel at a level of the chain."""

    route_id: int
    district: str
    level: int
    recipient: str
    """A recipient key: "user:asha" or "channel:ops"."""
    section: str | None = None
    min_severity: str | None = None
    kind: str | None = None
    delay_min: int | None = None

    @property
    def delay_s(self) -> float:
        """Return how long this level has to acknowledge before the next is told [s]."""
        minutes = DEFAULT_DELAY_MIN[self.level] if self.delay_min is None else self.delay_min
        return 60.0 * minutes


@dataclass(frozen=True, slots=True)
class Told:
    """Earlier notices: `recipient` was told of `alert_id` at `level`, last at `told_at` (and
    first at `first_at`, when it was told more than once)."""

    alert_id: str
    recipient: str
    level: int
    told_at: datetime
    first_at: datetime | None = None

    @property
    def first(self) -> datetime:
        """Return when this recipient was first told at this level."""
        return self.told_at if self.first_at is None else self.first_at


@dataclass(frozen=True, slots=True)
class Notice:
    """A recipient is to be told of an alert, at a level, for a reason, from `due_at` on."""

    alert: AlertFacts
    recipient: str
    level: int
    reason: Reason
    due_at: datetime
    waited_s: float = 0.0
    """For an escalation: how long the level below left it unacknowledged [s]."""


@dataclass(frozen=True, slots=True)
class Batch:
    """What one message to one recipient tells: its notices, worst first."""

    recipient: str
    notices: tuple[Notice, ...]
    held: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()
    """(alert id, ((kind, how many), ...)) of the alerts inhibited under the ones told."""

    @property
    def level(self) -> int:
        """Return the highest level of its notices."""
        return max(n.level for n in self.notices)

    @property
    def severity(self) -> str:
        """Return the worst severity of its alerts."""
        return min((n.alert.severity for n in self.notices), key=lambda s: SEVERITY_RANK.get(s, 9))
