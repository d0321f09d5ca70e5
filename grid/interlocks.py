"""Which houses may be moved now: the switching constraints of DESIGN §6, as pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from grid.phasors import Phase


class Blocker(StrEnum):
    """Why a house may not be moved at this moment."""

    NOT_SWITCHABLE = "not_switchable"
    OFFLINE = "offline"
    LOCKED = "locked"
    UNVERIFIED = "unverified"
    MIN_DWELL = "min_dwell"
    DAILY_CAP = "daily_cap"


@dataclass(frozen=True, slots=True)
class SwitchLimits:
    """Constraints on switching (DESIGN §6 defaults)."""

    min_dwell_s: float = 1800.0
    """Minimum time a house stays on a phase after a switch [s]."""
    max_per_house_day: int = 3
    """Maximum switches of one house per local day."""
    max_moves_per_cycle: int = 3
    """Maximum moves the planner proposes in one control cycle."""
    budget_per_day: int | None = None
    """Maximum switches of the feeder per local day; None means one per house."""


@dataclass(frozen=True, slots=True)
class HouseState:
    """What the controller knows about one house when it plans."""

    house_id: str
    phase: Phase
    p_w: float = 0.0
    """Smoothed net active power [W], + import, − export."""
    q_var: float = 0.0
    """Smoothed reactive power [var]."""
    online: bool = True
    switchable: bool = True
    locked: bool = False
    """Locked out after a failed or rolled-back switch, or by an operator."""
    verified: bool = True
    """False while the last switch of this house is not yet confirmed by telemetry."""
    last_switch_s: float | None = None
    """Epoch time of the last switch [s], None if never switched."""
    switches_today: int = 0


def switch_blocker(house: HouseState, now_s: float, limits: SwitchLimits) -> Blocker | None:
    """Return the first rule that forbids moving `house` at `now_s`, or None if it may move."""
    if not house.switchable:
        return Blocker.NOT_SWITCHABLE
    if not house.online:
        return Blocker.OFFLINE
    if house.locked:
        return Blocker.LOCKED
    if not house.verified:
        return Blocker.UNVERIFIED
    if house.last_switch_s is not None and now_s - house.last_switch_s < limits.min_dwell_s:
        return Blocker.MIN_DWELL
    if house.switches_today >= limits.max_per_house_day:
        return Blocker.DAILY_CAP
    return None


def feeder_budget(limits: SwitchLimits, n_houses: int) -> int:
    """Return the feeder's daily switch budget."""
    return n_houses if limits.budget_per_day is None else limits.budget_per_day
