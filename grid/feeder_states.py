"""The feeder states: what each one means, its thresholds, colours and severity order (pure).

One definition for every place that shows or acts on a feeder's state: the map and its legend,
the wall, the feeder page, the edge's unbalance detector and the reports. A feeder is in the
first state that applies:

1. offline — it is not online, or its latest summary is older than `OFFLINE_AFTER_S`;
2. manual — an operator has it in manual mode (the controller only executes operator moves);
3. overloaded — a phase carries more than the transformer's rated phase current;
4. unbalanced — the neutral current is at least `NEUTRAL_LIMIT_SHARE` (20 %) of the rated
   phase current;
5. balanced — otherwise.

Why the neutral current against the rating, and not the current unbalance in per cent: an
unbalance matters to the transformer through the current it puts in the neutral (heating of the
neutral conductor and the transformer, extra copper loss, the neutral point's voltage shift that
lifts the light phases' voltages) and through the heaviest phase nearing its rating. Both scale
with how loaded the feeder is, and a per-cent figure does not: 40 % unbalance at 15 % loading is
a few amperes nobody needs to act on. With one phase heavier than the other two, the neutral
current is 1.5 × unbalance × loading of the rated current, so the 20 % limit is reached by 20 %
unbalance only above two-thirds loading, and at 25 % loading only by 53 % unbalance, while a
heavily loaded feeder is flagged from a smaller unbalance, when its neutral and its heaviest
phase have less room. The overload state covers a phase beyond its rating.

The edge's detector uses the same limit on its smoothed neutral current, with a release at
`NEUTRAL_RELEASE_SHARE` (15 %) so that it does not chatter around the limit (`detector_limits`).
Currents are phase and neutral magnitudes [A]; the rated phase current is kVA·1000 / (3 × 230 V)
(`grid.metrics.rated_current_a`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from grid.metrics import rated_current_a

FeederStatus = Literal["offline", "manual", "overloaded", "unbalanced", "balanced"]
"""A feeder's state; FEEDER_STATUSES gives the order in which they are decided."""

FEEDER_STATUSES: Final[tuple[FeederStatus, ...]] = (
    "offline", "manual", "overloaded", "unbalanced", "balanced",
)  # fmt: skip
"""Every state, the first that applies wins."""

SEVERITY: Final[tuple[FeederStatus, ...]] = (
    "overloaded", "unbalanced", "offline", "manual", "balanced",
)  # fmt: skip
"""States from the one that most needs attention; a map cluster takes its worst member's colour."""

NEEDS_ATTENTION: Final[frozenset[FeederStatus]] = frozenset({"overloaded", "unbalanced", "offline"})
"""States a wall lists under "Needs attention" (manual is a choice, balanced is fine)."""

PHASE_COLORS: Final = {"R": "#d32f2f", "Y": "#f9a825", "B": "#1565c0", "N": "#757575"}
"""One colour per phase and the neutral (R red, Y amber, B blue, neutral grey), on every chart,
card and report."""

OFFLINE_AFTER_S: Final = 60.0
"""A feeder not heard from for longer than this is offline [s]."""

NEUTRAL_LIMIT_SHARE: Final = 0.20
"""Neutral current, as a share of the rated phase current, from which a feeder is unbalanced."""

NEUTRAL_RELEASE_SHARE: Final = 0.15
"""Smoothed neutral current, as a share of the rated phase current, below which the edge's
detector lets an unbalance go (hysteresis under NEUTRAL_LIMIT_SHARE)."""

REFERENCE_KVA: Final = 100.0
"""Rating the edge's detector assumes until it is told its own: the smallest transformer of the
fleet [kVA], so that an unrated controller acts no later than the map's rule for a larger one."""


def neutral_limit_a(rated_a: float) -> float:
    """Return the neutral current from which a feeder of rated phase current `rated_a` is
    unbalanced [A]."""
    if not rated_a > 0:
        raise ValueError(f"rated_a: must be a positive current, got {rated_a!r}")
    return NEUTRAL_LIMIT_SHARE * rated_a


def is_overloaded(currents_a: Iterable[float | None], rated_a: float) -> bool:
    """Return whether any phase current [A] is above the rated phase current [A]; unknown
    (None) currents count as not overloaded."""
    return any(i is not None and i > rated_a for i in currents_a)


def is_unbalanced(i_n_a: float | None, rated_a: float) -> bool:
    """Return whether the neutral current [A] matters to a transformer of rated phase current
    `rated_a` [A]: at least NEUTRAL_LIMIT_SHARE of it. An unknown neutral is not unbalanced."""
    return i_n_a is not None and i_n_a >= neutral_limit_a(rated_a)


def feeder_state(
    *,
    online: bool,
    fresh: bool,
    mode: str,
    currents_a: Iterable[float | None],
    i_n_a: float | None,
    rated_a: float,
) -> FeederStatus:
    """Return a feeder's state, the first of FEEDER_STATUSES that applies.

    Parameters
    ----------
    online : whether the feeder's controller is connected (its retained status).
    fresh : whether its latest summary is at most OFFLINE_AFTER_S old.
    mode : "auto" or "manual".
    currents_a : phase current magnitudes R, Y, B of the latest summary [A] (None: unknown).
    i_n_a : neutral current magnitude of the latest summary [A] (None: unknown).
    rated_a : the transformer's rated phase current [A].
    """
    if not (online and fresh):
        return "offline"
    if mode == "manual":
        return "manual"
    if is_overloaded(currents_a, rated_a):
        return "overloaded"
    if is_unbalanced(i_n_a, rated_a):
        return "unbalanced"
    return "balanced"


@dataclass(frozen=True, slots=True)
class DetectorLimits:
    """The edge detector's thresholds on the smoothed neutral current [A]."""

    trigger_a: float
    """At or above this, unbalance is present."""
    release_a: float
    """Below this, unbalance is gone."""


def detector_limits(rated_a: float) -> DetectorLimits:
    """Return the edge detector's thresholds for a transformer of rated phase current [A]."""
    return DetectorLimits(neutral_limit_a(rated_a), NEUTRAL_RELEASE_SHARE * rated_a)


DEFAULT_DETECTOR: Final = detector_limits(rated_current_a(REFERENCE_KVA))
"""The detector's thresholds at REFERENCE_KVA (29.0 A and 21.7 A)."""


# --- how the states show ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateLook:
    """How one state shows: its fill colour and the text colour on that fill. Its name and its
    meaning are words of the interface (components.strings, reports.strings)."""

    state: FeederStatus
    color: str
    ink: str


STATE_LOOKS: Final[dict[FeederStatus, StateLook]] = {
    look.state: look
    for look in (
        StateLook("balanced", "#2e7d32", "#ffffff"),
        StateLook("unbalanced", "#f9a825", "#1b1b1b"),
        StateLook("overloaded", "#c62828", "#ffffff"),
        StateLook("manual", "#1565c0", "#ffffff"),
        StateLook("offline", "#757575", "#ffffff"),
    )
}
"""Every state in legend order (best first); SEVERITY orders them by need of attention."""


def loading_to_reach_limit(unbalance: float) -> float:
    """Return the loading (average phase current over the rated one) from which a feeder whose
    one phase is heavier than the other two by `unbalance` (current unbalance, max deviation
    over the average) is unbalanced: its neutral is then 1.5 × unbalance × loading of the rating.
    Both are shares (0.2 = 20 %)."""
    if not unbalance > 0:
        raise ValueError(f"unbalance: must be a positive share, got {unbalance!r}")
    return NEUTRAL_LIMIT_SHARE / (1.5 * unbalance)
