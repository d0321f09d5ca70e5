"""Per (feeder, boot) high-water marks of committed messages, for the `committed` replies.

The edge deletes outbox entries up to the mark, so a mark may only cover a seq when every seq
up to it is in the ledger. A worker sees its own commits; seqs committed by other workers
(shared subscription) or before it started are read from the ledger through `Ledger`.
An edge numbers the uplink messages of each boot from 1, so a mark starts at 0 and only ever
covers an unbroken run 1..mark; a message the broker lost keeps the mark below it until the
edge's outbox sends it again. Such a gap, when it is still open `gap_warn_s` after it appeared
and the ledger (read again) does not fill it, is reported once by `take_gaps`: a stock broker
drops messages beyond its queue, and the edge must resend them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol


class Ledger(Protocol):
    """What the marks need to know of the committed ledger."""

    def run_end(self, feeder: str, boot: int, after: int) -> int:
        """Return the last seq of the unbroken run of committed seqs after `after` (or `after`)."""


@dataclass(frozen=True, slots=True)
class SeqGap:
    """Seqs `first`..`last` of a feeder's boot missing below committed ones."""

    feeder: str
    boot: int
    first: int
    last: int
    open_s: float
    """How long the gap has been open [s]."""


@dataclass(slots=True)
class _Mark:
    hwm: int
    pending: set[int] = field(default_factory=set)
    gap_checked_s: float = 0.0
    gap_since_s: float | None = None
    """When the current gap (pending seqs above the mark) appeared."""
    reported_upto: int = 0
    """The highest seq already reported missing."""


class CommitMarks:
    """Advance contiguous high-water marks as commits land; say which marks to publish."""

    def __init__(
        self, ledger: Ledger, *, gap_recheck_s: float = 1.0, gap_warn_s: float = 5.0
    ) -> None:
        self._ledger = ledger
        self._marks: dict[tuple[str, int], _Mark] = {}
        self._gapped: set[tuple[str, int]] = set()
        """Boots with commits above a gap: rechecked against the ledger until it closes."""
        self._gaps: list[SeqGap] = []
        self.gap_recheck_s = gap_recheck_s
        self.gap_warn_s = gap_warn_s

    def take_gaps(self) -> list[SeqGap]:
        """Return the gaps found since the last call, each once."""
        gaps, self._gaps = self._gaps, []
        return gaps

    def mark(self, feeder: str, boot: int) -> int | None:
        """Return the current mark of a feeder's boot, or None if not seen."""
        m = self._marks.get((feeder, boot))
        return None if m is None else m.hwm

    def committed(
        self, keys: Iterable[tuple[str, int, int]], now_s: float
    ) -> dict[tuple[str, int], int]:
        """Take keys just committed (or found already committed); return marks to publish.

        A mark is returned whenever its boot had a commit in this call (so that an edge that
        missed a `committed` reply hears it again) or when a gap was filled from the ledger.
        """
        touched: set[tuple[str, int]] = set()
        for feeder, boot, seq in keys:
            fb = (feeder, boot)
            m = self._marks.get(fb)
            if m is None:
                m = self._marks[fb] = self._seed(feeder, boot, now_s)
            if seq > m.hwm:
                m.pending.add(seq)
            touched.add(fb)
        publish: dict[tuple[str, int], int] = {}
        for fb in touched | self._gapped:
            m = self._marks[fb]
            before = m.hwm
            self._advance(m)
            if m.pending and m.gap_since_s is None:
                m.gap_since_s = now_s
            if m.pending and now_s - m.gap_checked_s >= self.gap_recheck_s:
                m.gap_checked_s = now_s
                m.hwm = self._ledger.run_end(fb[0], fb[1], m.hwm)
                self._advance(m)
                self._note_gap(fb, m, now_s)
            if m.pending:
                self._gapped.add(fb)
            else:
                self._gapped.discard(fb)
                m.gap_since_s = None
            if m.hwm > 0 and (fb in touched or m.hwm != before):
                publish[fb] = m.hwm
        return publish

    def _note_gap(self, fb: tuple[str, int], m: _Mark, now_s: float) -> None:
        """Report a gap the ledger did not fill once it has been open `gap_warn_s`."""
        if not m.pending or m.gap_since_s is None or now_s - m.gap_since_s < self.gap_warn_s:
            return
        last = min(m.pending) - 1
        first = max(m.hwm, m.reported_upto) + 1
        if first > last:
            return
        m.reported_upto = last
        self._gaps.append(SeqGap(fb[0], fb[1], first, last, now_s - m.gap_since_s))

    def _seed(self, feeder: str, boot: int, now_s: float) -> _Mark:
        return _Mark(hwm=self._ledger.run_end(feeder, boot, 0), gap_checked_s=now_s)

    @staticmethod
    def _advance(m: _Mark) -> None:
        while m.hwm + 1 in m.pending:
            m.hwm += 1
        m.pending = {s for s in m.pending if s > m.hwm}
