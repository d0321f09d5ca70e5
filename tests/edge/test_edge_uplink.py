"""The uplink through the outbox: HQ away for an hour, replay in order, delete only when committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from grid.messages import Status, TopicKind
from tests.edge.conftest import UNBALANCED
from tests.edge.fakes import Scenario, fast_settings, unsealed


def published_keys(s: Scenario, since: int = 0) -> list[tuple[int, int]]:
    """Return (boot, seq) of every edge→HQ message published after index `since`, resends too."""
    keys = []
    for message in s.uplink(resends=True)[since:]:
        if not isinstance(message, Status):
            keys.append((message.boot, message.seq))
    return keys


def test_hq_unreachable_for_an_hour_then_replay_in_order(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED)
    s.hq.set_connected(False)
    s.run(3600, dt=2.0)
    assert s.hq.published == []
    assert s.house("H007").phase.value == "Y"  # balancing went on without HQ
    outbox = s.controller.outbox
    boot = outbox.boot
    pending = outbox.pending
    assert pending >= 2 * 360  # an hour of summaries and readings batches, and the events
    assert [e.seq for e in outbox.entries()] == list(range(1, pending + 1))

    s.hq.set_connected(True)
    s.tick()
    first_topic, birth, _, retained = s.hq.published[0]
    assert first_topic.endswith("/status")
    assert retained
    assert Status.from_json(unsealed(birth)) == Status(online=True, boot=boot, version="0.1.0")
    sent = published_keys(s)
    assert sent == [(boot, seq) for seq in range(1, len(sent) + 1)]  # in order, no gap
    while len(published_keys(s)) < pending:
        s.tick()
    assert published_keys(s)[:pending] == [(boot, seq) for seq in range(1, pending + 1)]
    kinds = {str(k) for k in (e.kind for e in outbox.entries())}
    assert kinds == {"summary", "readings", "event", "alert"}
    alerts = s.alerts()
    assert ("hq_unreachable", "raised", None) in alerts
    assert alerts[-1] == ("hq_unreachable", "cleared", None)
    assert outbox.pending >= pending  # nothing is deleted before HQ commits it

    half = pending // 2
    s.commit(boot, half)
    s.tick()
    assert outbox.entries()[0].seq == half + 1
    before = len(s.hq.published)
    s.run(40)  # past the resend timeout: what is not committed goes again, the rest does not
    again = {seq for _, seq in published_keys(s, before)}
    assert min(again) == half + 1
    last = outbox.entries()[-1].seq
    s.commit(boot, last)
    s.tick()
    assert all(e.seq > last for e in outbox.entries())  # only what was appended since


def test_older_boot_is_kept_and_replayed_under_its_own_boot(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED)
    s.hq.set_connected(False)
    s.run(30)
    old_boot = s.controller.outbox.boot
    old = s.controller.outbox.pending
    s.restart()
    new_boot = s.controller.outbox.boot
    assert new_boot > old_boot
    s.run(20)
    s.hq.set_connected(True)
    s.tick()
    keys = published_keys(s)
    assert keys[:old] == [(old_boot, seq) for seq in range(1, old + 1)]
    assert keys[old] == (new_boot, 1)
    s.commit(new_boot, 5)  # HQ's mark of the new boot leaves the old boot alone
    s.tick()
    assert sum(e.boot == old_boot for e in s.controller.outbox.entries()) == old
    s.commit(old_boot, old)
    s.tick()
    assert all(e.boot == new_boot and e.seq > 5 for e in s.controller.outbox.entries())


def test_offline_status_on_a_clean_stop(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED)
    s.run(3)
    s.controller.close()
    topic, payload, qos, retain = s.hq.published[-1]
    assert topic == "sp/v1/KL-TST-0001/status"
    assert (Status.from_json(unsealed(payload)), qos, retain) == (Status(online=False), 1, True)


def test_committed_of_another_feeder_or_malformed_changes_nothing(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED)
    s.run(12)
    pending = s.controller.outbox.pending
    s.hq.deliver("sp/v1/KL-TST-0009/committed", b'{"boot":1,"seq":99}')
    s.hq.deliver("sp/v1/KL-TST-0001/committed", b"not json")
    s.controller.step()
    assert s.controller.outbox.pending >= pending
    assert s.controller.stats.malformed == 0


def test_full_outbox_refuses_readings_first_with_a_counted_alert(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, settings=fast_settings(outbox_max_bytes=40_000))
    s.hq.set_connected(False)
    s.run(600, dt=2.0)
    outbox = s.controller.outbox
    assert outbox.dropped_rows > 0
    assert outbox.dropped[TopicKind.READINGS] > 0
    assert outbox.pending_bytes <= 40_000
    entries = outbox.entries()
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))  # no seq is lost
    s.hq.set_connected(True)
    for _ in range(5):
        s.tick()
        s.commit(outbox.boot, max((e.seq for e in outbox.entries()), default=1))
    s.tick()
    raised, cleared = [a for a in s.alerts() if a[0] == "uplink_readings_dropped"]
    assert (raised[1], cleared[1]) == ("raised", "cleared")
    (message,) = [
        a.message
        for a in s.uplink(TopicKind.ALERT)
        if a.state == "cleared" and a.kind == "uplink_readings_dropped"
    ]
    assert f"({outbox.dropped_rows} rows)" in message


def test_summary_uses_the_transformer_meter_when_fresh(tmp_path: Path) -> None:
    s = Scenario(tmp_path, UNBALANCED, meter=True)
    s.run(2)
    assert s.meter is not None
    reading = s.meter_reading()
    summary = s.uplink(TopicKind.SUMMARY)[-1]
    assert summary.i_n_a == pytest.approx(reading.i_n_a, abs=0.01)
    assert summary.p_w == pytest.approx(reading.p_w)
    s.meter.reading = None  # meter gone: the houses' sums stand in
    s.run(10)
    assert s.uplink(TopicKind.SUMMARY)[-1].p_w == pytest.approx(reading.p_w)
