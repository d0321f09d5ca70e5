"""Findings 14 and 16 against the real ingest worker and broker (SQLite and PostgreSQL).

14: a message stamped far in the future (ts = 4e9) made a stopped feeder show live until then
and would have silenced the watchdog: it is refused as a dead letter with the reason, and a
feeder counts as silent by when its summaries arrived, whatever time they say.
16: oversized payloads were stored whole as dead letters; a dead letter keeps its first bytes
with the size and digest of the whole.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from sqlalchemy import Engine, select

from grid.messages import TopicKind, topic_for
from ingest.decode import MAX_AHEAD_S, MAX_PAYLOAD_BYTES, Fleet, decode_uplink
from ingest.worker import IngestWorker
from sim.uplink_traffic import FeederTraffic, traffic_key
from store.queries import feeder_map
from store.schema import dead_letters, feeder_state, feeders, uplink_batches
from store.watchdog import sweep_offline_feeders
from store.writer import DEAD_LETTER_KEEP_BYTES, WriteBatch, write_batch
from tests.ingest.conftest import Publisher, provision, wait_until

FUTURE_S = 4e9
"""2096-10-02: the issue's timestamp [epoch s]."""


@pytest.mark.mqtt
def test_a_far_future_summary_is_a_dead_letter_and_shows_nothing(
    engine: Engine, worker: IngestWorker, publisher: Publisher, traffic: FeederTraffic
) -> None:
    future = msgspec.structs.replace(traffic.summary(), ts_s=FUTURE_S)
    publisher.message(traffic, future)
    f = traffic.feeder
    with engine.connect() as conn:

        def ledger_kind() -> object:
            return conn.execute(
                select(uplink_batches.c.kind).where(uplink_batches.c.feeder_id == f)
            ).scalar()

        wait_until(lambda: ledger_kind() == "dead", 10, "the ledger to cover it")
        ours = dead_letters.c.topic == traffic.topic(future)  # not other clients' of the broker
        (reason,) = conn.execute(select(dead_letters.c.reason).where(ours)).scalars()
        state = conn.execute(select(feeder_state).where(feeder_state.c.feeder_id == f)).first()
        last_seen = conn.execute(select(feeders.c.last_seen).where(feeders.c.feeder_id == f))
        assert last_seen.scalar() is None
    assert reason.startswith("ts: ")
    assert f"ahead of HQ's clock (at most {MAX_AHEAD_S:.0f} s)" in reason
    assert state is None  # the map shows no "balanced" from it


def test_a_feeder_is_silent_by_when_its_summaries_arrived(engine: Engine) -> None:
    traffic = FeederTraffic.make("KL-TVM-0777", 3, boot=5)
    provision(engine, traffic)
    arrived = datetime(2026, 3, 16, 6, 30, tzinfo=UTC)
    summary = msgspec.structs.replace(
        traffic.summary(), ts_s=(arrived + timedelta(seconds=MAX_AHEAD_S - 5)).timestamp()
    )  # ahead, but within the skew HQ accepts
    payload = traffic.payload(summary)
    uplink = decode_uplink(
        topic_for(TopicKind.SUMMARY, traffic.feeder),
        payload,
        Fleet({traffic.feeder: frozenset(traffic.houses)}),
        key_of=traffic_key,
        now_s=arrived.timestamp(),
    )
    with engine.begin() as conn:
        write_batch(conn, WriteBatch(uplinks=[uplink], received_at=arrived))  # type: ignore[list-item]
    later = arrived + timedelta(seconds=61)
    with engine.begin() as conn:
        (row,) = feeder_map(conn, later)
        sweep = sweep_offline_feeders(conn, later)
    assert row.state == "offline"
    assert sweep.raised == (traffic.feeder,)


@pytest.mark.mqtt
def test_an_oversized_payload_keeps_a_prefix_with_its_size_and_digest(
    engine: Engine, worker: IngestWorker, publisher: Publisher, traffic: FeederTraffic
) -> None:
    topic = topic_for(TopicKind.READINGS, traffic.feeder)
    payloads = [bytes([65 + k]) * (MAX_PAYLOAD_BYTES * 3) for k in range(3)]
    for payload in payloads:
        publisher.send(topic, payload)
    with engine.connect() as conn:

        def letters() -> list[tuple[bytes, int, str]]:
            stmt = select(
                dead_letters.c.payload, dead_letters.c.payload_bytes, dead_letters.c.digest
            ).where(dead_letters.c.topic == topic)  # not other clients' of the broker
            return [
                (bytes(p), int(n), str(d))
                for p, n, d in conn.execute(stmt.order_by(dead_letters.c.letter_id))
            ]

        wait_until(lambda: len(letters()) == 3, 20, "three dead letters")
        stored = letters()
    for payload, (prefix, size, digest) in zip(payloads, stored, strict=True):
        assert prefix == payload[:DEAD_LETTER_KEEP_BYTES]
        assert size == len(payload)
        assert digest == hashlib.sha256(payload).hexdigest()
