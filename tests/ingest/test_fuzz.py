"""Fuzzed payloads: decoding never raises, and the worker dead-letters every bad message.

The mutations are sealed with the feeder key where they can be (a JSON object on a topic of a
feeder), so that they reach the validation behind the seal; the rest fail the seal."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, or_, select

from grid.messages import TopicKind, WireError, parse_topic
from grid.signing import seal_uplink
from grid.uplink import DeadLetter
from ingest.decode import Fleet, decode_uplink
from ingest.worker import IngestWorker
from sim.uplink_traffic import FeederTraffic, traffic_key
from store.schema import dead_letters, house_readings, uplink_batches
from tests.ingest.conftest import Publisher, wait_until

FEEDER = "KL-EKM-0007"
SOURCE = FeederTraffic.make(FEEDER, 6, boot=99)
VALID = [
    SOURCE.readings(5).to_json(),
    SOURCE.summary().to_json(),
    SOURCE.balancing_run("run-9").to_json(),
    SOURCE.switch_result().to_json(),
    SOURCE.alert("al-1").to_json(),
]
KINDS = ("readings", "summary", "event", "event", "alert")
BAD_TOPICS = (
    "sp/v1/bad feeder/readings",
    "sp/v1/KL--1/summary",
    "sp/v1/KL_1/event",
    "sp/v1/é/alert",
)
"""Topics the mutations put a message on instead of its feeder's."""

junk_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
"""Anything: an unknown field is refused whatever its value."""

wrong_values = st.one_of(
    st.booleans(),
    st.integers(min_value=2**60, max_value=2**70),
    st.dictionaries(st.sampled_from(["q", "zz"]), st.integers(), min_size=1, max_size=2),
)
"""Values no field of the seed messages accepts."""


NOW_S = SOURCE.ts_s
"""HQ's clock at arrival: the seed messages' time [epoch s]."""


def sealed(topic: str, body: bytes) -> bytes:
    """Return `body` sealed for its topic's feeder, or as it is when it cannot be sealed."""
    try:
        parsed = parse_topic(topic)
        return seal_uplink(parsed.kind, parsed.feeder, body, traffic_key(parsed.feeder))
    except WireError:
        return body


def decoded(topic: str, payload: bytes) -> object:
    return decode_uplink(topic, payload, fleet(), key_of=traffic_key, now_s=NOW_S)


@st.composite
def mutated(draw: st.DrawFn, feeder: str = FEEDER) -> tuple[str, bytes]:
    """Return (topic, sealed payload) of a valid message broken in one way."""
    topic, body = draw(mutated_body(feeder))
    return topic, sealed(topic, body)


@st.composite
def mutated_body(draw: st.DrawFn, feeder: str = FEEDER) -> tuple[str, bytes]:
    """Return (topic, payload) of a valid message broken in one way."""
    k = draw(st.integers(0, len(VALID) - 1))
    topic = f"sp/v1/{feeder}/{KINDS[k]}"
    obj = json.loads(VALID[k])
    how = draw(
        st.sampled_from(["drop", "extra", "retype", "truncate", "bytes", "nan", "topic", "house"])
    )
    if how == "drop":
        obj.pop(draw(st.sampled_from(sorted(set(obj) - {"cols"}))))  # cols has a default
    elif how == "extra":
        obj[draw(st.sampled_from(["zz", "extra", "Boot", "x1"]))] = draw(junk_values)
    elif how == "retype":
        obj[draw(st.sampled_from(sorted(obj)))] = draw(wrong_values)
    elif how == "truncate":
        raw = json.dumps(obj).encode()
        return topic, raw[: draw(st.integers(0, len(raw) - 1))]
    elif how == "bytes":
        return topic, draw(st.binary(min_size=0, max_size=200)).replace(b"{", b"[")
    elif how == "nan":
        return topic, json.dumps(obj).replace(str(obj["seq"]), "NaN", 1).encode()
    elif how == "topic":
        return draw(st.sampled_from(BAD_TOPICS)), json.dumps(obj).encode()
    elif KINDS[k] != "readings":
        obj.pop("seq")
    else:
        obj["rows"][0][1] = f"{feeder}-H999"
    return topic, json.dumps(obj, allow_nan=True).encode()


def fleet() -> Fleet:
    return Fleet({FEEDER: frozenset(SOURCE.houses)})


def test_valid_seed_messages_are_accepted_sealed_and_refused_unsealed() -> None:
    for k, body in enumerate(VALID):
        topic = f"sp/v1/{FEEDER}/{KINDS[k]}"
        assert not isinstance(decoded(topic, sealed(topic, body)), DeadLetter)
        unsealed = decoded(topic, body)
        assert isinstance(unsealed, DeadLetter)
        assert (unsealed.forged, unsealed.key) == (True, None)
        other = seal_uplink(TopicKind(KINDS[k]), FEEDER, body, traffic_key("KL-EKM-0008"))
        assert isinstance(decoded(topic, other), DeadLetter)  # another feeder's key


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_decode_never_raises_and_refuses_every_mutation(message: tuple[str, bytes]) -> None:
    topic, payload = message
    result = decoded(topic, payload)
    assert isinstance(result, DeadLetter), (topic, payload)
    assert result.reason


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80), st.binary(max_size=300))
def test_decode_survives_arbitrary_topics_and_bytes(topic: str, payload: bytes) -> None:
    assert isinstance(decoded(topic, payload), DeadLetter)
    assert isinstance(decoded(topic, sealed(topic, payload)), DeadLetter)


@pytest.mark.mqtt
@pytest.mark.slow
def test_worker_dead_letters_ten_thousand_fuzzed_payloads_and_keeps_good_traffic(
    engine: Engine, worker: IngestWorker, publisher: Publisher, traffic: FeederTraffic
) -> None:
    feeder = traffic.feeder
    sent_bad = 0
    sent_good = 0

    def counts() -> tuple[int, int, int]:
        """Return this test's dead letters (not other clients' of a shared broker), and the
        feeder's good messages and reading rows."""
        d = dead_letters.c
        ours = or_(d.topic.like(f"sp/v1/{feeder}/%"), d.topic.in_(BAD_TOPICS))
        with engine.connect() as conn:
            dead = conn.execute(select(func.count()).where(ours)).scalar_one()
            good = conn.execute(
                select(func.count()).where(
                    uplink_batches.c.feeder_id == feeder, uplink_batches.c.kind != "dead"
                )
            ).scalar_one()
            rows = conn.execute(
                select(func.count()).where(house_readings.c.feeder_id == feeder)
            ).scalar_one()
        return int(dead), int(good), int(rows)

    baseline_dead = counts()[0]

    @settings(
        max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(st.lists(mutated(feeder), min_size=100, max_size=100))
    def burst(bad: list[tuple[str, bytes]]) -> None:
        nonlocal sent_bad, sent_good
        for topic, payload in bad:
            publisher.client.publish(topic, payload, qos=1)
        sent_bad += len(bad)
        publisher.message(traffic, traffic.readings(10))
        sent_good += 1

    burst()
    assert sent_bad == 10_000
    wait_until(
        lambda: counts()[0] - baseline_dead >= sent_bad and counts()[1] == sent_good,
        120,
        "all payloads",
    )
    dead, good, rows = counts()
    assert dead - baseline_dead == sent_bad
    assert (good, rows) == (sent_good, sent_good * 10)
    assert worker.metrics.connected._value.get() == 1

    def metric_matches_the_store() -> bool:
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(dead_letters)).scalar_one()
        return math.isclose(worker.metrics.dead_letters._value.get(), stored)

    wait_until(metric_matches_the_store, 10, "dead-letter metric = every dead letter stored")
