"""Committed marks cover only an unbroken run of seqs from 1 (pure, with a ledger stand-in)."""

from __future__ import annotations

from ingest.marks import CommitMarks


class Ledger:
    """The committed seqs of each (feeder, boot), as the database would answer."""

    def __init__(self) -> None:
        self.seqs: dict[tuple[str, int], set[int]] = {}
        self.lookups = 0

    def add(self, feeder: str, boot: int, *seqs: int) -> list[tuple[str, int, int]]:
        self.seqs.setdefault((feeder, boot), set()).update(seqs)
        return [(feeder, boot, s) for s in seqs]

    def run_end(self, feeder: str, boot: int, after: int) -> int:
        self.lookups += 1
        have = self.seqs.get((feeder, boot), set())
        while after + 1 in have:
            after += 1
        return after


def test_marks_advance_over_an_unbroken_run_only() -> None:
    ledger = Ledger()
    marks = CommitMarks(ledger, gap_recheck_s=1.0)
    assert marks.committed(ledger.add("F", 1, 1, 2, 3), 0.0) == {("F", 1): 3}
    assert marks.committed(ledger.add("F", 1, 5, 6), 0.1) == {("F", 1): 3}  # 4 is missing
    assert marks.mark("F", 1) == 3
    assert marks.committed(ledger.add("F", 1, 4), 0.2) == {("F", 1): 6}


def test_a_run_that_starts_above_one_is_not_published() -> None:
    ledger = Ledger()
    marks = CommitMarks(ledger)
    assert marks.committed(ledger.add("F", 2, 216, 217), 0.0) == {}
    assert marks.mark("F", 2) == 0


def test_a_gap_closed_by_another_worker_is_read_from_the_ledger() -> None:
    ledger = Ledger()
    marks = CommitMarks(ledger, gap_recheck_s=1.0)
    marks.committed(ledger.add("F", 1, 1, 3), 0.0)
    ledger.add("F", 1, 2)  # committed elsewhere; this worker never sees it
    assert marks.committed([], 0.5) == {}  # not rechecked before the interval
    assert marks.committed([], 1.5) == {("F", 1): 3}
    before = ledger.lookups
    assert marks.committed([], 3.0) == {}  # no gap left: no more ledger reads
    assert ledger.lookups == before


def test_boots_and_feeders_are_separate() -> None:
    ledger = Ledger()
    marks = CommitMarks(ledger)
    published = marks.committed(
        ledger.add("F", 1, 1) + ledger.add("F", 2, 1, 2) + ledger.add("G", 1, 1), 0.0
    )
    assert published == {("F", 1): 1, ("F", 2): 2, ("G", 1): 1}


def test_a_gap_the_ledger_does_not_fill_is_reported_once_after_its_grace() -> None:
    ledger = Ledger()
    marks = CommitMarks(ledger, gap_recheck_s=1.0, gap_warn_s=5.0)
    marks.committed(ledger.add("F", 1, 1, 2, 3), 0.0)
    marks.committed(ledger.add("F", 1, 7, 8), 0.5)  # 4..6 dropped on the way
    assert marks.take_gaps() == []
    marks.committed(ledger.add("F", 1, 9), 2.0)  # rechecked, still open, but young
    assert marks.take_gaps() == []
    marks.committed([], 6.0)
    [gap] = marks.take_gaps()
    assert (gap.feeder, gap.boot, gap.first, gap.last, gap.open_s) == ("F", 1, 4, 6, 5.5)
    marks.committed(ledger.add("F", 1, 10), 8.0)
    marks.committed([], 12.0)
    assert marks.take_gaps() == []  # said once
    assert marks.mark("F", 1) == 3


def test_a_gap_another_worker_fills_is_never_reported() -> None:
    ledger = Ledger()
    marks = CommitMarks(ledger, gap_recheck_s=1.0, gap_warn_s=5.0)
    marks.committed(ledger.add("F", 1, 1, 3), 0.0)
    ledger.add("F", 1, 2)  # committed by another worker of the shared subscription
    marks.committed([], 6.0)
    marks.committed([], 12.0)
    assert marks.take_gaps() == []
    assert marks.mark("F", 1) == 3


def test_a_later_gap_of_the_same_boot_is_reported_on_its_own() -> None:
    ledger = Ledger()
    marks = CommitMarks(ledger, gap_recheck_s=1.0, gap_warn_s=5.0)
    marks.committed(ledger.add("F", 1, 1, 3), 0.0)
    marks.committed([], 6.0)
    assert [(g.first, g.last) for g in marks.take_gaps()] == [(2, 2)]
    marks.committed(ledger.add("F", 1, 2), 7.0)  # the edge resent it: the gap closes
    marks.committed(ledger.add("F", 1, 4, 8), 8.0)
    marks.committed([], 14.0)
    assert [(g.first, g.last) for g in marks.take_gaps()] == [(5, 7)]
