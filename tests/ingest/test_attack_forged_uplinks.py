"""Finding 9: forged uplinks cannot pre-empt a feeder's real messages at HQ.

The real ingest worker on the real broker (SQLite and PostgreSQL). An attacker who can publish
under a feeder's name sends its next (boot, seq) first: without the feeder key the forgeries
fail their seal and the real messages are stored; with a stolen key the forgery is stored, but
the real message that follows under the same key is not dropped as a duplicate: it is kept as
a dead letter and the feeder's `uplink_forged` alert is raised. A plain resend stays a
duplicate.
"""

from __future__ import annotations

import msgspec
import pytest
from sqlalchemy import Engine, func, select

from grid.signing import seal_uplink
from ingest.worker import IngestWorker
from sim.uplink_traffic import FeederTraffic
from store.schema import alerts, dead_letters, feeder_readings, house_readings, uplink_batches
from tests.ingest.conftest import Publisher, wait_until

pytestmark = pytest.mark.mqtt


def count(engine: Engine, *where: object, table: object = uplink_batches) -> int:
    with engine.connect() as conn:
        stmt = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
        return int(conn.execute(stmt).scalar_one())


def forged_alerts(engine: Engine, feeder: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(alerts.c.state, alerts.c.severity).where(
                alerts.c.kind == "uplink_forged", alerts.c.feeder_id == feeder
            )
        )
        return [(str(state), str(severity)) for state, severity in rows]


def test_unsealed_forgeries_are_dead_letters_and_the_real_messages_are_stored(
    engine: Engine, worker: IngestWorker, publisher: Publisher, traffic: FeederTraffic
) -> None:
    first, summary, second = traffic.readings(30), traffic.summary(), traffic.readings(30)
    real = [first, summary, second]
    fakes = [msgspec.structs.replace(first, rows=first.rows[:1]), summary, second]
    for fake in fakes:  # the attacker is first, with the same boot and seqs, unsealed
        publisher.send(traffic.topic(fake), fake.to_json())
    for message in real:
        publisher.message(traffic, message)
    f = traffic.feeder
    wait_until(lambda: count(engine, uplink_batches.c.feeder_id == f) == 3, 10, "the ledger")
    wait_until(lambda: worker.metrics.forged._value.get() == 3, 10, "three forgeries")
    assert count(engine, house_readings.c.feeder_id == f, table=house_readings) == 60
    assert count(engine, feeder_readings.c.feeder_id == f, table=feeder_readings) == 1
    reasons = count(engine, dead_letters.c.reason.like("seal: %"), table=dead_letters)
    assert reasons == 3
    assert forged_alerts(engine, f) == [("open", "critical")]  # one alert, not one per message


def test_a_conflicting_copy_under_a_stored_key_is_kept_and_raises_an_alert(
    engine: Engine, worker: IngestWorker, publisher: Publisher, traffic: FeederTraffic
) -> None:
    real = traffic.readings(30)
    forged = msgspec.structs.replace(real, rows=tuple(r._replace(p_w=-9999.0) for r in real.rows))
    publisher.message(traffic, forged)  # sealed with the feeder's key: a stolen key, or a bug
    f = traffic.feeder
    wait_until(lambda: count(engine, uplink_batches.c.feeder_id == f) == 1, 10, "the forgery")
    publisher.message(traffic, real)
    publisher.message(traffic, real)  # the edge's resend of it
    wait_until(lambda: worker.metrics.forged._value.get() == 2, 10, "the conflicts")
    with engine.connect() as conn:
        letters = conn.execute(
            select(dead_letters.c.reason, dead_letters.c.payload).where(
                dead_letters.c.topic == traffic.topic(real)
            )
        ).all()
    assert len(letters) == 2
    assert all(reason.startswith(f"conflict: ({f}, {traffic.boot}, 1)") for reason, _ in letters)
    assert all(payload == real.to_json() for _, payload in letters)  # kept, not dropped
    assert forged_alerts(engine, f) == [("open", "critical")]


def test_a_resend_is_a_plain_duplicate(
    engine: Engine, worker: IngestWorker, publisher: Publisher, traffic: FeederTraffic
) -> None:
    message = traffic.readings(30)
    for _ in range(3):
        publisher.message(traffic, message)
    wait_until(lambda: worker.metrics.duplicates._value.get() == 2, 10, "two duplicates")
    assert worker.metrics.forged._value.get() == 0
    ours = dead_letters.c.topic == traffic.topic(message)  # not other clients' of the broker
    assert count(engine, ours, table=dead_letters) == 0
    assert forged_alerts(engine, traffic.feeder) == []
    key = seal_uplink(message.KIND, traffic.feeder, message.to_json(), b"k" * 32)
    publisher.send(traffic.topic(message), key)  # sealed with a key that is not the feeder's
    wait_until(lambda: worker.metrics.forged._value.get() == 1, 10, "the forgery")
    assert forged_alerts(engine, traffic.feeder) == [("open", "critical")]
