"""How long a house whose switch failed or was rolled back stays out of balancing (pure)."""

from __future__ import annotations

from edge.settings import EdgeSettings
from grid.timezones import format_ist


def cooldown_s(settings: EdgeSettings, lockouts: int) -> float | None:
    """Return the cool-down of a house's `lockouts`-th lockout in a row [s].

    The first lasts `lockout_cooldown_s`, each further one twice the one before, up to
    `lockout_max_cooldown_s`; None when the cool-down is 0 (only an operator's unlock).
    """
    base = settings.lockout_cooldown_s
    if base <= 0:
        return None
    doublings = min(max(lockouts - 1, 0), 32)
    return float(min(base * 2.0**doublings, max(settings.lockout_max_cooldown_s, base)))


def until_text(until_s: float | None) -> str:
    """Return when a lockout ends, for an alert's message, in Indian Standard Time."""
    if until_s is None:
        return "until an operator unlocks it"
    return "until " + format_ist(until_s, "%Y-%m-%d %H:%M IST")
