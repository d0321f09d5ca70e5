"""The feeder's alert conditions, re-evaluated on every sample (feeder, houses) or step (uplink).

Each condition is raised when its cause starts and cleared when it ends (grid.alert_kinds has
the list): sustained unbalance follows the planner's own detector, whose raise and release are
the feeder states' unbalance rule (grid.feeder_states.detector_limits); a phase overload is
raised when the feeder states call the phase overloaded and clears inside a small deadband
under the rating; a silent house clears when it reports again; many silent houses at once are
one `houses_offline` alert, not one per house.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from edge.alerts import AlertBook
from edge.outbox import Outbox
from edge.totals import PhaseTotals
from grid.alert_kinds import OVERLOAD_RELEASE_SHARE, AlertKind, houses_rolled_up
from grid.control import UnbalanceDetector
from grid.feeder_states import is_overloaded
from grid.messages import Severity, TopicKind
from grid.phasors import PHASES

UNBALANCE_KEY: Final = "unbalance"
HOUSES_OFFLINE_KEY: Final = "houses_offline"
HOUSE_KEY_PREFIXES: Final = ("offline:", "switch:", "phase:")
"""Condition keys that name a house after the prefix."""
NAMED_HOUSES: Final = 3
"""Houses a `houses_offline` message names before "and N more"."""


def unbalance_alert_active(
    was_open: bool, sustained: bool, quiet: bool, neutral_a: float | None, release_a: float
) -> bool:
    """Return whether the sustained-unbalance alert is raised, with the detector's hysteresis.

    Raised when the detector says the unbalance is sustained and the measured neutral current
    is not quiet; once raised, it holds until the smoothed neutral current [A] is below the
    detector's release [A] or the measured one has been quiet for the hold time (a feeder just
    balanced is not left alerting while the smoothed value catches up, minutes later). Across a
    restart it holds while the new detector has not yet measured.
    """
    if quiet:
        return False
    if sustained:
        return True
    if not was_open:
        return False
    return neutral_a is None or neutral_a >= release_a


def overload_alert_active(was_open: bool, current_a: float, rating_a: float) -> bool:
    """Return whether a phase's overload alert is raised: when the feeder states call the phase
    overloaded (above its rating [A]) to raise, above OVERLOAD_RELEASE_SHARE of it to hold."""
    if was_open:
        return current_a > OVERLOAD_RELEASE_SHARE * rating_a
    return is_overloaded((current_a,), rating_a)


def watch_feeder(
    book: AlertBook,
    now_s: float,
    totals: PhaseTotals,
    detector: UnbalanceDetector,
    rating_a: tuple[float, float, float],
) -> None:
    """Raise or clear sustained unbalance and each phase above its rating."""
    neutral = detector.neutral_a
    quiet = detector.quiet(now_s)
    if quiet:
        cleared = (
            f"Neutral current {totals.i_n_a:.1f} A: it fell below {detector.release_a:.1f} A "
            f"and has stayed under {detector.trigger_a:.1f} A for {detector.sustain_s:.0f} s."
        )
    else:
        cleared = (
            f"Neutral current {neutral or 0.0:.1f} A is below {detector.release_a:.1f} A again."
        )
    book.set(
        UNBALANCE_KEY,
        unbalance_alert_active(
            book.is_open(UNBALANCE_KEY),
            detector.sustained(now_s),
            quiet,
            neutral,
            detector.release_a,
        ),
        AlertKind.SUSTAINED_UNBALANCE,
        Severity.WARNING,
        f"Neutral current {neutral or 0.0:.1f} A has stayed above {detector.trigger_a:.1f} A "
        f"for {detector.sustain_s:.0f} s; the alert clears below {detector.release_a:.1f} A.",
        cleared=cleared,
    )
    for phase, current, rating in zip(PHASES, totals.i_a, rating_a, strict=True):
        key = f"overload:{phase}"
        book.set(
            key,
            overload_alert_active(book.is_open(key), current, rating),
            AlertKind.PHASE_OVERLOAD,
            Severity.CRITICAL,
            f"Phase {phase} carries {current:.0f} A, above its rating of {rating:.0f} A.",
            cleared=f"Phase {phase} is back to {current:.0f} A, within its rating of "
            f"{rating:.0f} A.",
        )


def watch_houses(
    book: AlertBook, house_ids: Sequence[str], online: Sequence[bool], stale_after_s: float
) -> None:
    """Raise or clear the silent-house alerts: one per house, or one for the feeder when many
    are silent at once (grid.alert_kinds.houses_rolled_up).

    While the feeder's alert is raised no house gets one of its own; a house alert raised
    before stays until its house reports again (HQ shows it under the feeder's). Alerts of
    houses that are no longer on the feeder are cleared.
    """
    silent = [h for h, up in zip(house_ids, online, strict=True) if not up]
    rolled_up = houses_rolled_up(len(silent), len(house_ids), book.is_open(HOUSES_OFFLINE_KEY))
    book.set(
        HOUSES_OFFLINE_KEY,
        rolled_up,
        AlertKind.HOUSES_OFFLINE,
        Severity.WARNING,
        f"{len(silent)} of {len(house_ids)} houses have not reported for {stale_after_s:.0f} s"
        f" ({_named(silent)}): the house bus, its access point or the street's supply?",
        cleared=f"Houses report again: {len(silent)} of {len(house_ids)} silent.",
    )
    for house, up in zip(house_ids, online, strict=True):
        key = f"offline:{house}"
        if up:
            book.clear(key, f"House {house} reports again.")
        elif not rolled_up:
            book.raise_(
                key,
                AlertKind.HOUSE_OFFLINE,
                Severity.WARNING,
                f"House {house} has not reported for {stale_after_s:.0f} s.",
                house,
            )
    on_feeder = set(house_ids)
    for key in sorted(book.open_keys):
        prefix = next((p for p in HOUSE_KEY_PREFIXES if key.startswith(p)), None)
        if prefix is not None and key.removeprefix(prefix) not in on_feeder:
            book.clear(key, f"House {key.removeprefix(prefix)} is no longer on this feeder.")


def _named(houses: Sequence[str]) -> str:
    """Return "H003, H007, H011 and 9 more" for a list of house ids."""
    shown = ", ".join(h.rsplit("-", 1)[-1] for h in houses[:NAMED_HOUSES])
    more = len(houses) - NAMED_HOUSES
    return shown + (f" and {more} more" if more > 0 else "")


class UplinkWatch:
    """HQ unreachable, and messages a full outbox (or disk) refused."""

    def __init__(self, unreachable_after_s: float) -> None:
        self.unreachable_after_s = unreachable_after_s
        self.dropped_reported = 0
        """Refused messages when the overflow alert was last raised."""

    def check(self, book: AlertBook, down_s: float, outbox: Outbox) -> None:
        """Raise or clear the uplink alerts; `down_s` is how long HQ has been unreachable [s]."""
        book.set(
            "hq_unreachable",
            down_s >= self.unreachable_after_s,
            AlertKind.HQ_UNREACHABLE,
            Severity.WARNING,
            "HQ is unreachable; the controller keeps balancing and holds its uplink in the outbox.",
            cleared="HQ is reachable again; the outbox is being sent.",
        )
        dropped = sum(outbox.dropped.values())
        if dropped > self.dropped_reported and not book.is_open("outbox_overflow"):
            self.dropped_reported = dropped
            book.raise_(
                "outbox_overflow",
                AlertKind.UPLINK_READINGS_DROPPED,
                Severity.WARNING,
                f"The outbox is full ({outbox.pending_bytes / 1e6:.1f} MB of "
                f"{outbox.max_bytes / 1e6:.1f} MB) and drops new messages, house readings "
                f"first: so far {dropped_text(outbox)}. The controller keeps balancing.",
            )
            return
        drained = down_s == 0.0 and outbox.pending_bytes < outbox.max_bytes // 2
        if drained and book.is_open("outbox_overflow"):
            self.dropped_reported = dropped
            book.clear("outbox_overflow", f"The outbox drained; dropped {dropped_text(outbox)}.")


def dropped_text(outbox: Outbox) -> str:
    """Return what the outbox refused, e.g. "12 readings batches (5400 rows), 3 summaries"."""
    d = outbox.dropped
    parts = [
        f"{d[TopicKind.READINGS]} readings batches ({outbox.dropped_rows} rows)",
        f"{d[TopicKind.SUMMARY]} summaries",
        f"{d[TopicKind.EVENT]} events",
        f"{d[TopicKind.ALERT]} alerts",
    ]
    return ", ".join(parts)
