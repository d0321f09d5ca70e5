"""The SQLite outbox: numbering, confirmation, resending, bounds, and kill -9 safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edge.outbox import Entry, Outbox
from grid.messages import ReadingRow, Readings, TopicKind
from grid.phasors import Phase
from tests.edge.fakes import NOON, FakeClock

ROOT = Path(__file__).resolve().parents[2]


def text(seq: int) -> bytes:
    return f'{{"seq":{seq}}}'.encode()


def readings(boot: int, seq: int, rows: int) -> bytes:
    row = ReadingRow(NOON, "KL-TST-0001-H001", Phase.R, 230.0, 4.0, 900.0, 50.0, 0.0)
    return Readings(boot=boot, seq=seq, rows=(row,) * rows).to_json()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_seq_counts_from_1_per_boot_and_boots_only_grow(tmp_path: Path, clock: FakeClock) -> None:
    box = Outbox(tmp_path / "o.db", clock=clock)
    assert [box.append(TopicKind.EVENT, text) for _ in range(3)] == [1, 2, 3]
    first = box.boot
    box.close()
    clock.now -= 3600.0  # the clock went back (no RTC, no NTP yet)
    again = Outbox(tmp_path / "o.db", clock=clock)
    assert again.boot > first
    assert again.append(TopicKind.EVENT, text) == 1
    assert [(e.boot, e.seq) for e in again.entries()] == [
        (first, 1),
        (first, 2),
        (first, 3),
        (again.boot, 1),
    ]
    assert again.entries()[-1].payload == text(1)


def test_committed_deletes_up_to_the_mark_of_its_boot_only(
    tmp_path: Path, clock: FakeClock
) -> None:
    old = Outbox(tmp_path / "o.db", clock=clock)
    for _ in range(4):
        old.append(TopicKind.EVENT, text)
    old.close()
    box = Outbox(tmp_path / "o.db", clock=clock)
    for _ in range(4):
        box.append(TopicKind.EVENT, text)
    assert box.committed(box.boot, 2) == 2
    assert box.committed(box.boot + 1, 99) == 0
    assert [(e.boot == old.boot, e.seq) for e in box.entries()] == [
        (True, 1), (True, 2), (True, 3), (True, 4), (False, 3), (False, 4),
    ]  # fmt: skip
    assert box.committed(old.boot, 4) == 4
    assert [e.seq for e in box.entries()] == [3, 4]


def test_pump_sends_in_order_resends_after_timeout_and_stops_when_refused(
    tmp_path: Path, clock: FakeClock
) -> None:
    box = Outbox(tmp_path / "o.db", clock=clock, resend_after_s=30.0)
    for _ in range(5):
        box.append(TopicKind.EVENT, text)
    sent: list[int] = []

    def up(entry: Entry) -> bool:
        sent.append(entry.seq)
        return True

    assert box.pump(up, clock.now) == 5
    assert box.pump(up, clock.now + 10) == 0
    box.append(TopicKind.EVENT, text)
    assert box.pump(up, clock.now + 10) == 1  # new entries go at once
    box.committed(box.boot, 2)
    assert box.pump(up, clock.now + 31) == 3  # 3, 4, 5 unconfirmed for 30 s; 6 is still young
    assert sent == [1, 2, 3, 4, 5, 6, 3, 4, 5]

    refused: list[int] = []

    def down_after_one(entry: Entry) -> bool:
        refused.append(entry.seq)
        return len(refused) == 1

    box.replay()
    assert box.pump(down_after_one, clock.now + 40) == 1
    box.replay()
    assert box.pump(up, clock.now + 41) == 4
    assert sent[-4:] == [3, 4, 5, 6]


def test_over_its_share_each_kind_is_refused_without_a_seq_alerts_last(
    tmp_path: Path, clock: FakeClock
) -> None:
    box = Outbox(tmp_path / "o.db", clock=clock, max_bytes=20_000)
    boot = box.boot
    kept: list[int] = []
    for _ in range(40):
        seq = box.append(TopicKind.READINGS, lambda seq: readings(boot, seq, 20), rows=20)
        if seq is not None:
            kept.append(seq)
    assert kept == list(range(1, len(kept) + 1))  # a refused message takes no seq
    assert box.pending_bytes <= 0.7 * 20_000
    refused = 40 - len(kept)
    assert box.dropped[TopicKind.READINGS] == refused > 0
    assert box.dropped_rows == 20 * refused
    summary = b'{"summary":"' + b"s" * 300 + b'"}'
    while box.append(TopicKind.SUMMARY, lambda seq: summary) is not None:
        pass
    assert box.pending_bytes <= 0.9 * 20_000
    assert box.append(TopicKind.ALERT, lambda seq: b'{"alert":1}') == len(box.entries())
    assert box.dropped[TopicKind.SUMMARY] == 1
    assert box.dropped[TopicKind.ALERT] == 0
    assert [e.seq for e in box.entries()] == list(range(1, len(box.entries()) + 1))
    box.committed(boot, len(kept))  # what HQ commits makes room again
    assert box.append(TopicKind.READINGS, lambda seq: readings(boot, seq, 20), rows=20)


def test_a_full_disk_refuses_the_message_and_frees_space_when_committed(
    tmp_path: Path, clock: FakeClock
) -> None:
    box = Outbox(tmp_path / "o.db", clock=clock)
    box._db.execute("PRAGMA max_page_count = 40")  # the file cannot grow: a full disk
    boot = box.boot
    seqs = [
        box.append(TopicKind.EVENT, lambda seq: b'{"e":"' + b"x" * 4000 + b'"}') for _ in range(60)
    ]
    taken = [s for s in seqs if s is not None]
    assert taken == list(range(1, len(taken) + 1))
    assert box.dropped[TopicKind.EVENT] == 60 - len(taken) > 0
    assert box.committed(boot, len(taken)) == len(taken)
    assert box.append(TopicKind.EVENT, lambda seq: b'{"e":1}') == len(taken) + 1


CHILD = textwrap.dedent(
    """
    import sys
    from edge.outbox import Outbox
    from grid.messages import TopicKind
    box = Outbox(sys.argv[1])
    print("boot", box.boot, flush=True)
    while True:
        seq = box.append(TopicKind.EVENT, lambda s: b'{"n":%d,"pad":"%s"}' % (s, b"p" * (s % 50)))
        print(seq, flush=True)
    """
)


def test_kill_9_while_appending_loses_no_appended_entry(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    acknowledged: dict[int, int] = {}
    for round_ in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
        )
        assert child.stdout is not None
        boot = int(child.stdout.readline().split()[1])
        last = 0
        for line in child.stdout:
            last = int(line)
            if last >= 150 + 40 * round_:
                break
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        acknowledged[boot] = last
    box = Outbox(path)
    by_boot: dict[int, list[Entry]] = {}
    for entry in box.entries():
        by_boot.setdefault(entry.boot, []).append(entry)
    assert set(acknowledged) <= set(by_boot)
    for boot, last in acknowledged.items():
        entries = by_boot[boot]
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))  # in order, no hole
        assert len(entries) >= last  # every append that returned is on disk
        for e in entries:
            assert e.payload == b'{"n":%d,"pad":"%s"}' % (e.seq, b"p" * (e.seq % 50))
