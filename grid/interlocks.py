"""Which houses may be moved now: the switching constraints of DESIGN §6, as pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from grid.events import SwitchResult
from grid.phasors import Phase

MIN_MOVE_CURRENT_A: Final = 2.0
"""Least expected current of a house worth a move [A] (460 W at 230 V). Moved between two
phases it shifts the neutral by up to √3 × 2 = 3.5 A, above the planner's 1 A switch cost, and
each of the two phase totals by 460 W, above the edge's 300 W verification floor."""


NODE_DWELL_REFUSAL: Final = "interlock_min_dwell"
"""The reason a house node gives for refusing a switch within its minimum dwell."""
NODE_DAILY_CAP_REFUSAL: Final = "interlock_daily_cap"
"""The reason a house node gives for refusing a switch over its daily cap."""


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
    min_move_current_a: float = MIN_MOVE_CURRENT_A
    """Least expected current of a house worth moving [A] (see `worth_moving`)."""


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
    locked_until_s: float | None = None
    """When the lockout ends by itself [epoch s]; None: only an operator ends it."""
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
    if house.locked and (house.locked_until_s is None or now_s < house.locked_until_s):
        return Blocker.LOCKED
    if not house.verified:
        return Blocker.UNVERIFIED
    if house.last_switch_s is not None and now_s - house.last_switch_s < limits.min_dwell_s:
        return Blocker.MIN_DWELL
    if house.switches_today >= limits.max_per_house_day:
        return Blocker.DAILY_CAP
    return None


def relay_operations(result: SwitchResult, reason: str, limits: SwitchLimits) -> int | None:
    """Return how many switches an outcome counts for the house's day, as its node counts them.

    A counted outcome (not None) also starts the house's dwell again at its time, as the node's
    does: an applied move counts 1; a move and its rollback 2 (the node undid it); a failed
    switch 1 (the node tried); a node's refusal for its dwell 0 (its dwell is not over) and for
    its daily cap the whole cap. Any other refusal left the relay alone: None.
    """
    if result is SwitchResult.APPLIED:
        return 1
    if result is SwitchResult.ROLLED_BACK:
        return 2
    if result is SwitchResult.FAILED:
        return 1
    return {NODE_DWELL_REFUSAL: 0, NODE_DAILY_CAP_REFUSAL: limits.max_per_house_day}.get(reason)


def feeder_budget(limits: SwitchLimits, n_houses: int) -> int:
    """Return the feeder's daily switch budget."""
    return n_houses if limits.budget_per_day is None else limits.budget_per_day


def worth_moving(
    expected_current_a: npt.ArrayLike,
    min_current_a: float = MIN_MOVE_CURRENT_A,
    verify_tol_a: float = 0.0,
) -> npt.NDArray[np.bool_]:
    """Return which houses draw enough current for a move to matter and to be verified.

    Parameters
    ----------
    expected_current_a : the magnitude of each house's expected net current over the
        planning horizon (e.g. the weighted RMS over the forecast points) [A].
    min_current_a : least current whose move matters for the neutral
        (`SwitchLimits.min_move_current_a`) [A].
    verify_tol_a : the tolerance of the edge's totals check, as a current [A]: a move of a
        house drawing less leaves both phase totals within the measurement noise, so it could
        not be told from no move at all.

    Returns
    -------
    A bool mask, True where the house may be moved as far as its size goes.
    """
    current = np.abs(np.asarray(expected_current_a, dtype=np.float64))
    return np.asarray(current >= max(min_current_a, verify_tol_a), dtype=np.bool_)
