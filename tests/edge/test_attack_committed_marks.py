"""Finding 8: whoever can publish on HQ's broker cannot empty an edge's outbox.

The edge controller (with the fakes of tests/edge) holds an hour of uplink while HQ is away;
`committed` marks then arrive as an attacker would send them: the issue's unsigned
`{"boot": B, "seq": 2^53}`, a mark with a made-up MAC, one signed with another feeder's key, a
signed mark above the highest seq the edge has sent (HQ's ledger poisoned) and an old signed
mark replayed. Only HQ's own mark, over what the edge sent, deletes anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from grid.messages import Committed, TopicKind, topic_for
from grid.signing import sign
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import Scenario, feeder_key


def held(tmp_path: Path) -> Scenario:
    """Return a feeder whose outbox holds ten minutes of uplink HQ never stored."""
    s = Scenario(tmp_path, UNBALANCED)
    s.hq.set_connected(False)
    s.run(600, dt=2.0)
    s.hq.set_connected(True)
    return s


def deliver(s: Scenario, payload: bytes) -> None:
    s.hq.deliver(topic_for(TopicKind.COMMITTED, s.feeder), payload)
    s.tick()


def rejections(s: Scenario) -> list[str]:
    return [str(e["reason"]) for e in s.events("security_rejection")]


def test_forged_and_unsigned_marks_delete_nothing(tmp_path: Path) -> None:
    s = held(tmp_path)
    outbox = s.controller.outbox
    before = [e.key for e in outbox.entries()]
    assert len(before) > 100
    boot = outbox.boot
    deliver(s, json.dumps({"boot": boot, "seq": 2**53}).encode())  # the message
    made_up = Committed(boot, 2**53, s.feeder, 2**52, "0" * 64).to_json()
    deliver(s, made_up)
    other_key = sign(Committed(boot, 2**53, s.feeder, 2**52), feeder_key("KL-TST-0002"))
    deliver(s, other_key.to_json())
    assert [e.key for e in outbox.entries()][: len(before)] == before
    assert rejections(s) == ["committed_malformed", "committed_bad_mac"]  # one report a minute
    assert s.controller.uplink.refused_marks["committed_bad_mac"] == 2


def test_a_signed_mark_above_what_the_edge_sent_deletes_nothing(tmp_path: Path) -> None:
    s = held(tmp_path)
    outbox = s.controller.outbox
    before = [e.key for e in outbox.entries()]
    sent = outbox.highest_seq(outbox.boot)
    deliver(s, s.mark(outbox.boot, sent + 1000))  # HQ's ledger holds seqs the edge never sent
    assert [e.key for e in outbox.entries()][: len(before)] == before
    assert rejections(s) == ["committed_beyond_sent"]


def test_only_a_fresh_signed_mark_over_what_was_sent_deletes_and_a_replay_does_nothing(
    tmp_path: Path,
) -> None:
    s = held(tmp_path)
    outbox = s.controller.outbox
    boot = outbox.boot
    old = s.mark(boot, 10)
    deliver(s, s.mark(boot, 50))
    assert min(e.seq for e in outbox.entries() if e.boot == boot) == 51
    pending = outbox.pending
    deliver(s, old)  # an older counter, however much it covers: not taken
    replay = Committed.from_json(old)
    deliver(s, sign(msgspec.structs.replace(replay, seq=200), feeder_key(s.feeder)).to_json())
    assert outbox.pending >= pending
    assert min(e.seq for e in outbox.entries() if e.boot == boot) == 51
    assert rejections(s) == []  # an old mark is harmless: not a security event
    assert s.controller.uplink.refused_marks["replayed"] == 2
