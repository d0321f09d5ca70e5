"""The feeder's alert conditions, re-evaluated on every sample (feeder, houses) or step (uplink)."""

from __future__ import annotations

from collections.abc import Sequence

from edge.alerts import AlertBook
from edge.outbox import Outbox
from edge.totals import PhaseTotals
from grid.control import UnbalanceDetector
from grid.messages import Severity
from grid.phasors import PHASES


def watch_feeder(
    book: AlertBook,
    now_s: float,
    totals: PhaseTotals,
    detector: UnbalanceDetector,
    rating_a: tuple[float, float, float],
) -> None:
    """Raise or clear sustained unbalance and each phase above its rating."""
    book.set(
        "unbalance",
        detector.sustained(now_s),
        "sustained_unbalance",
        Severity.WARNING,
        f"Neutral current {detector.neutral_a or 0.0:.1f} A has stayed above "
        f"{detector.trigger_a:.1f} A for {detector.sustain_s:.0f} s.",
    )
    for phase, current, rating in zip(PHASES, totals.i_a, rating_a, strict=True):
        book.set(
            f"overload:{phase}",
            current > rating,
            "phase_overload",
            Severity.CRITICAL,
            f"Phase {phase} carries {current:.0f} A, above its rating of {rating:.0f} A.",
        )


def watch_houses(
    book: AlertBook, house_ids: Sequence[str], online: Sequence[bool], stale_after_s: float
) -> None:
    """Raise or clear `house_offline` for every house."""
    for house, up in zip(house_ids, online, strict=True):
        book.set(
            f"offline:{house}",
            not up,
            "house_offline",
            Severity.WARNING,
            f"House {house} has not reported for {stale_after_s:.0f} s.",
            house,
        )


class UplinkWatch:
    """HQ unreachable, and readings thinned out of a full outbox."""

    def __init__(self, unreachable_after_s: float) -> None:
        self.unreachable_after_s = unreachable_after_s
        self.dropped_reported = 0

    def check(self, book: AlertBook, down_s: float, outbox: Outbox) -> None:
        """Raise or clear the uplink alerts; `down_s` is how long HQ has been unreachable [s]."""
        book.set(
            "hq_unreachable",
            down_s >= self.unreachable_after_s,
            "hq_unreachable",
            Severity.WARNING,
            "HQ is unreachable; the controller keeps balancing and holds its uplink in the outbox.",
        )
        if outbox.dropped_rows > self.dropped_reported:
            self.dropped_reported = outbox.dropped_rows
            book.raise_(
                "outbox_overflow",
                "uplink_readings_dropped",
                Severity.WARNING,
                "The outbox is full; the oldest house readings are being thinned.",
            )
            return
        drained = down_s == 0.0 and outbox.pending_bytes < outbox.max_bytes // 2
        if drained and book.is_open("outbox_overflow"):
            book.clear(
                "outbox_overflow",
                f"The outbox drained; {self.dropped_reported} house reading rows were dropped.",
            )
