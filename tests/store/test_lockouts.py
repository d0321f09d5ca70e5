"""Lockouts and runs as the edge reports them, stored and read back for the feeder page: why,
since and until when a house is locked out, when a run decided, and the readings at that time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from grid.events import (
    BalancingRunData,
    LockoutData,
    PhaseSnapshot,
    RunMove,
    RunResult,
    RunTrigger,
    SwitchResult,
)
from grid.messages import Alert, AlertState, Event, EventKind, Severity, TopicKind, topic_for
from grid.phasors import Phase
from grid.signing import seal_uplink
from grid.uplink import Uplink
from ingest.decode import Fleet, decode_uplink
from sim.uplink_traffic import traffic_key
from store import queries as q
from store.writer import WriteBatch, write_batch
from tests.store.seed import (
    T0,
    add_feeder,
    add_feeder_readings,
    add_house,
    add_house_readings,
    house_reading,
    summary,
)

FEEDER = "KL-TVM-0001"
H1, H2 = f"{FEEDER}-H001", f"{FEEDER}-H002"
NOW = T0 + timedelta(hours=10)
SEQ = count(1)


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """Return a connection in a transaction with one feeder and two houses."""
    with engine.begin() as connection:
        add_feeder(connection, FEEDER, last_seen=NOW)
        add_house(connection, H1, FEEDER, "R")
        add_house(connection, H2, FEEDER, "Y")
        yield connection


def store(conn: Connection, kind: TopicKind, message: Any) -> None:
    """Write one edge message as the ingest worker does: decode it, then write it."""
    sealed = seal_uplink(kind, FEEDER, message.to_json(), traffic_key(FEEDER))
    uplink = decode_uplink(
        topic_for(kind, FEEDER),
        sealed,
        Fleet({FEEDER: frozenset({H1, H2})}),
        key_of=traffic_key,
        now_s=max(NOW.timestamp(), getattr(message, "ts_s", 0.0)),  # when it arrives
    )
    assert isinstance(uplink, Uplink), uplink
    write_batch(conn, WriteBatch(uplinks=[uplink], received_at=NOW))


def event(conn: Connection, kind: EventKind, data: Any, at: float) -> None:
    store(conn, TopicKind.EVENT, Event(boot=1, seq=next(SEQ), ts_s=at, kind=kind, data=data))


def houses(conn: Connection) -> dict[str, q.FeederHouse]:
    return {h.house_id: h for h in q.feeder_houses(conn, FEEDER, NOW)}


def test_a_lockout_shows_why_since_and_until_when_and_an_unlock_clears_it(
    conn: Connection,
) -> None:
    since, until = NOW - timedelta(minutes=3), NOW + timedelta(hours=6)
    lock = LockoutData(H1, True, "did_not_help", since.timestamp(), until.timestamp())
    event(conn, EventKind.LOCKOUT, lock.to_data(), since.timestamp())
    h = houses(conn)[H1]
    assert (h.locked, h.locked_reason, h.locked_since, h.locked_until) == (
        True, "did_not_help", since, until,
    )  # fmt: skip
    assert not houses(conn)[H2].locked
    event(conn, EventKind.LOCKOUT, LockoutData(H1, False).to_data(), NOW.timestamp())
    h = houses(conn)[H1]
    assert (h.locked, h.locked_reason, h.locked_since, h.locked_until) == (False, None, None, None)


def test_a_lockout_without_an_end_waits_for_an_operator(conn: Connection) -> None:
    lock = LockoutData(H2, True, "relay_feedback", NOW.timestamp())
    event(conn, EventKind.LOCKOUT, lock.to_data(), NOW.timestamp())
    h = houses(conn)[H2]
    assert (h.locked, h.locked_reason, h.locked_until) == (True, "relay_feedback", None)


def test_the_lockout_alert_and_the_lockout_event_agree(conn: Connection) -> None:
    at = NOW.timestamp()
    lock = LockoutData(H1, True, "ack_timeout", at, at + 600)
    event(conn, EventKind.LOCKOUT, lock.to_data(), at)
    raised = Alert(boot=1, seq=next(SEQ), ts_s=at, alert_id="a1", kind="switch_rolled_back",
                   severity=Severity.WARNING, state=AlertState.RAISED,
                   message="rolled back; locked out", house=H1)  # fmt: skip
    store(conn, TopicKind.ALERT, raised)
    assert houses(conn)[H1].locked_reason == "ack_timeout"
    event(conn, EventKind.LOCKOUT, LockoutData(H1, False).to_data(), at + 600)
    cleared = Alert(boot=1, seq=next(SEQ), ts_s=at + 600, alert_id="a1",
                    kind="switch_rolled_back", severity=Severity.WARNING,
                    state=AlertState.CLEARED, message="back", house=H1)  # fmt: skip
    store(conn, TopicKind.ALERT, cleared)
    assert not houses(conn)[H1].locked


def test_a_run_keeps_when_it_was_decided(conn: Connection) -> None:
    decided = NOW - timedelta(minutes=4)
    snap = PhaseSnapshot((50.0, 30.0, 20.0), 26.5, 50.0)
    run = BalancingRunData(
        "r-7", RunTrigger.AUTO, RunResult.ROLLED_BACK, snap, snap,
        (RunMove(H1, Phase.R, Phase.B, SwitchResult.ROLLED_BACK),),
        decided_s=decided.timestamp(),
    )  # fmt: skip
    event(conn, EventKind.BALANCING_RUN, run.to_data(), NOW.timestamp())
    stored = q.balancing_run(conn, "r-7")
    assert stored is not None
    assert (stored.decided_at, stored.ts) == (decided, NOW)


def test_readings_at_a_moment_are_the_latest_before_it(conn: Connection) -> None:
    at = NOW - timedelta(minutes=4)
    add_house_readings(
        conn,
        [
            house_reading(at - timedelta(seconds=20), H1, FEEDER, p=900.0, pv=300.0),
            house_reading(at + timedelta(seconds=10), H1, FEEDER, p=5000.0),  # after: not it
            house_reading(at - timedelta(minutes=10), H2, FEEDER, p=700.0),  # too old
        ],
    )
    add_feeder_readings(
        conn,
        [
            summary(at - timedelta(seconds=30), FEEDER, p_r=7000.0),
            summary(at - timedelta(seconds=5), FEEDER, p_r=8000.0),
            summary(at + timedelta(seconds=5), FEEDER, p_r=9000.0),
        ],
    )
    readings = q.house_readings_at(conn, [H1, H2, H1], at)
    assert list(readings) == [H1]
    assert (readings[H1].p, readings[H1].pv) == (900.0, 300.0)
    point = q.feeder_reading_at(conn, FEEDER, at)
    assert point is not None
    assert (point.ts, point.p_r) == (at - timedelta(seconds=5), 8000.0)
    assert q.feeder_reading_at(conn, FEEDER, at - timedelta(hours=1)) is None
    assert q.feeder_extent(conn, FEEDER) == (at - timedelta(seconds=30), at + timedelta(seconds=5))
    assert q.feeder_extent(conn, "KL-TVM-0999") is None


def test_the_chart_reads_the_phase_rating_of_the_transformer(conn: Connection) -> None:
    assert q.feeder_rated_a(conn, FEEDER) == pytest.approx(100_000 / 690)  # 100 kVA
    assert q.feeder_rated_a(conn, "KL-TVM-0999") is None
