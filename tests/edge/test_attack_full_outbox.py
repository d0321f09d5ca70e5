"""Finding 15: balancing never depends on the outbox having room.

HQ is away and the outbox fills: every kind is capped, house readings go first, summaries next,
events and alerts last, and the alert says what was dropped. When the disk itself is full (the
outbox file cannot grow), the controller keeps balancing and its outbox takes messages again as
soon as HQ's marks free space.
"""

from __future__ import annotations

from pathlib import Path

from grid.messages import TopicKind
from grid.phasors import Phase
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import Scenario, fast_settings


def test_every_kind_is_capped_readings_first_and_what_was_dropped_is_said(
    tmp_path: Path,
) -> None:
    limit = 30_000
    s = Scenario(tmp_path, UNBALANCED, settings=fast_settings(outbox_max_bytes=limit))
    s.hq.set_connected(False)
    s.run(3600, dt=2.0)
    outbox = s.controller.outbox
    assert outbox.pending_bytes <= limit
    assert outbox.dropped[TopicKind.READINGS] > outbox.dropped[TopicKind.SUMMARY] > 0
    assert outbox.dropped[TopicKind.EVENT] == outbox.dropped[TopicKind.ALERT] == 0
    kinds = {e.kind for e in outbox.entries()}
    assert {TopicKind.EVENT, TopicKind.ALERT} <= kinds  # the moves and alerts are kept
    assert s.house("H007").phase is Phase.Y  # balancing went on
    s.hq.set_connected(True)
    s.tick()
    (raised,) = [a for a in s.uplink(TopicKind.ALERT) if a.kind == "uplink_readings_dropped"]
    assert "readings batches" in raised.message
    assert "summaries" in raised.message
    assert "keeps balancing" in raised.message


def test_a_full_disk_neither_stops_balancing_nor_the_sending_that_frees_it(
    tmp_path: Path,
) -> None:
    s = Scenario(tmp_path, UNBALANCED)
    outbox = s.controller.outbox
    pages = outbox._db.execute("PRAGMA page_count").fetchone()[0]
    outbox._db.execute(f"PRAGMA max_page_count = {pages + 4}")  # the disk is full
    s.hq.set_connected(False)
    s.run(300, dt=2.0)  # every step appends; most of it cannot be stored
    assert s.house("H007").phase is Phase.Y  # balanced all the same
    assert sum(outbox.dropped.values()) > 0
    stored = outbox.entries()
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))  # no hole in the seqs
    s.hq.set_connected(True)
    s.tick()
    s.commit(outbox.boot, stored[-1].seq)  # HQ's mark frees the space
    s.tick()
    dropped = sum(outbox.dropped.values())
    s.run(20)
    assert sum(outbox.dropped.values()) == dropped  # taken again
    assert outbox.pending > 0
