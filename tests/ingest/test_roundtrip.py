"""Round trip through the real broker into SQLite and PostgreSQL for every uplink type."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, insert, select

from grid.events import CommandState
from grid.messages import AlertState, Committed, Mode, TopicKind, topic_for
from grid.signing import verify_committed
from ingest.worker import IngestWorker
from sim.uplink_traffic import FeederTraffic, traffic_key
from store.schema import (
    alerts,
    balancing_runs,
    commands,
    dead_letters,
    events,
    feeder_readings,
    feeder_state,
    feeders,
    house_readings,
    houses,
    switch_events,
    uplink_batches,
)
from tests.ingest.conftest import Publisher, wait_until

pytestmark = pytest.mark.mqtt


def count(engine: Engine, table: object, *where: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())  # type: ignore[arg-type]


def test_every_uplink_type_lands_in_its_table(
    engine: Engine, worker: IngestWorker, publisher: Publisher, traffic: FeederTraffic
) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(commands).values(
                cmd_id="c-1",
                feeder_id=traffic.feeder,
                house_id=traffic.houses[0],
                action="switch",
                params={"from": "R", "to": "Y"},
                state="sent",
                requested_by="op1",
                requested_at=now,
                updated_at=now,
            )
        )
    sent = [
        traffic.readings(100),
        traffic.readings(50),
        traffic.summary(),
        traffic.balancing_run("run-1"),
        traffic.switch_result(cmd_id="c-1"),
        traffic.command_result("c-1", CommandState.APPLIED),
        traffic.mode_change(Mode.MANUAL),
        traffic.alert("a-1"),
        traffic.alert("a-1", AlertState.CLEARED),
        traffic.status(),
    ]
    for message in sent:
        publisher.message(traffic, message)
    f = traffic.feeder
    wait_until(
        lambda: count(engine, uplink_batches, uplink_batches.c.feeder_id == f) == 9, 10, "ledger"
    )
    wait_until(lambda: count(engine, feeders, feeders.c.boot == traffic.boot) == 1, 10, "status")
    assert count(engine, house_readings, house_readings.c.feeder_id == f) == 150
    assert count(engine, feeder_readings, feeder_readings.c.feeder_id == f) == 1
    assert count(engine, feeder_state, feeder_state.c.feeder_id == f) == 1
    assert count(engine, events, events.c.feeder_id == f) == 4
    assert count(engine, switch_events, switch_events.c.feeder_id == f) == 1
    with engine.connect() as conn:
        run = conn.execute(select(balancing_runs).where(balancing_runs.c.feeder_id == f)).one()
        assert (run.before_i_n, run.after_i_n, run.result) == (38.0, 15.5, "improved")
        assert run.moves[0]["house"] == traffic.houses[0]
        assert (
            conn.execute(select(commands.c.state).where(commands.c.cmd_id == "c-1")).scalar()
            == "applied"
        )
        alert = conn.execute(select(alerts).where(alerts.c.alert_id == "a-1")).one()
        assert alert.state == "cleared"
        assert alert.cleared_at is not None
        moved = conn.execute(select(houses.c.phase).where(houses.c.house_id == traffic.houses[0]))
        assert moved.scalar() == "Y"  # the applied switch R → Y is the house's live phase
        feeder = conn.execute(select(feeders).where(feeders.c.feeder_id == f)).one()
        assert feeder.mode == "manual"
        assert feeder.online
        rows = conn.execute(
            select(house_readings)
            .where(house_readings.c.feeder_id == f)
            .order_by(house_readings.c.ts)
        ).all()
    published = sorted(
        (r.house, round(r.ts_s, 6), str(r.ph), r.v_v, r.i_a, r.p_w, r.q_var, r.pv_w)
        for m in sent[:2]
        for r in m.rows  # type: ignore[attr-defined]
    )
    stored = sorted(
        (r.house_id, round(r.ts.timestamp(), 6), r.phase, r.v, r.i, r.p, r.q, r.pv) for r in rows
    )
    assert stored == published
    assert count(engine, dead_letters, dead_letters.c.topic.like(f"%{f}%")) == 0


def test_replaying_committed_messages_writes_nothing(
    engine: Engine, worker: IngestWorker, publisher: Publisher, traffic: FeederTraffic
) -> None:
    sent = [
        traffic.readings(100),
        traffic.summary(),
        traffic.balancing_run("run-r"),
        traffic.alert("a-r"),
    ]
    for message in sent:
        publisher.message(traffic, message)
    f = traffic.feeder
    wait_until(
        lambda: count(engine, uplink_batches, uplink_batches.c.feeder_id == f) == 4,
        10,
        "first pass",
    )
    before = {
        t.name: count(engine, t, t.c.feeder_id == f)
        for t in (house_readings, feeder_readings, events, balancing_runs)
    }
    for message in sent:
        publisher.message(traffic, message)
    wait_until(lambda: worker.metrics.duplicates._value.get() >= 4, 10, "replay seen")
    after = {
        t.name: count(engine, t, t.c.feeder_id == f)
        for t in (house_readings, feeder_readings, events, balancing_runs)
    }
    assert (
        after
        == before
        == {"house_readings": 100, "feeder_readings": 1, "events": 1, "balancing_runs": 1}
    )


def test_committed_mark_reaches_the_edge(
    engine: Engine, worker: IngestWorker, publisher: Publisher, traffic: FeederTraffic
) -> None:
    marks: list[Committed] = []
    topic = topic_for(TopicKind.COMMITTED, traffic.feeder)
    publisher.client.on_message = lambda _c, _u, msg: marks.append(Committed.from_json(msg.payload))
    publisher.client.subscribe(topic, qos=1)
    for _ in range(5):
        publisher.message(traffic, traffic.readings(20))
    wait_until(lambda: any(m.seq == 5 for m in marks), 10, "committed seq 5")
    assert all(m.boot == traffic.boot and m.feeder == traffic.feeder for m in marks)
    last = 0
    for mark in marks:  # signed with the feeder key, each counter above the one before
        verdict = verify_committed(
            mark,
            key=traffic_key(traffic.feeder),
            feeder_id=traffic.feeder,
            last_counter=last,
            highest_seq=5,
        )
        assert verdict.accepted, verdict
        last = mark.ctr
    assert set(json.loads(marks[-1].to_json())) == {"boot", "seq", "feeder", "ctr", "mac"}
