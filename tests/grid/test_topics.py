"""Topics (DESIGN §3): subscription filters with their QoS, and the one place topics are spelt."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grid.topics import (
    QOS,
    RETAINED,
    TopicKind,
    WireError,
    all_house_ids,
    check_house_id,
    parse_topic,
    topic_filter,
    topic_for,
)
from sim.broker import topic_matches

ROOT_DIR = Path(__file__).resolve().parents[2]
FEEDER = "KL-TVM-0042"
HOUSE = "KL-TVM-0042-H017"

DESIGN_QOS = {
    "tele": 0,
    "cmd": 1,
    "ack": 1,
    "state": 1,
    "summary": 1,
    "readings": 1,
    "event": 1,
    "alert": 1,
    "status": 1,
    "ctl": 1,
    "committed": 1,
}
"""The QoS column of DESIGN §3's topic table."""


def test_qos_and_retained_follow_the_design_table() -> None:
    assert {str(kind): qos for kind, qos in QOS.items()} == DESIGN_QOS
    assert {str(kind) for kind in RETAINED} == {"state", "status"}


@pytest.mark.parametrize("kind", list(TopicKind))
def test_a_filter_covers_its_topics_and_no_other_kind(kind: TopicKind) -> None:
    house = HOUSE if kind in {"tele", "cmd", "ack", "state"} else None
    for feeder in (FEEDER, "+"):
        topic_filter_, qos = topic_filter(kind, feeder)
        assert qos == DESIGN_QOS[kind]
        assert topic_matches(topic_filter_, topic_for(kind, FEEDER, house))
        if feeder != "+":
            neighbour = "KL-TVM-0043-H001" if house else None
            assert not topic_matches(topic_filter_, topic_for(kind, "KL-TVM-0043", neighbour))
        for other in TopicKind:
            if other is kind:
                continue
            other_house = HOUSE if other in {"tele", "cmd", "ack", "state"} else None
            assert not topic_matches(topic_filter_, topic_for(other, FEEDER, other_house))


def test_filters_spell_the_design_topics() -> None:
    assert topic_filter(TopicKind.TELE, FEEDER) == ("sp/v1/KL-TVM-0042/h/+/tele", 0)
    assert topic_filter(TopicKind.CMD) == ("sp/v1/+/h/+/cmd", 1)
    assert topic_filter(TopicKind.READINGS) == ("sp/v1/+/readings", 1)
    assert topic_filter(TopicKind.COMMITTED, FEEDER) == ("sp/v1/KL-TVM-0042/committed", 1)


@pytest.mark.parametrize("feeder", ["#", "KL TVM", "", "KL-TVM-0042/+"])
def test_a_filter_of_a_bad_feeder_is_refused(feeder: str) -> None:
    with pytest.raises(WireError) as info:
        topic_filter(TopicKind.SUMMARY, feeder)
    assert info.value.field == "feeder_id"


def test_a_newline_does_not_end_an_id() -> None:
    with pytest.raises(WireError) as info:
        parse_topic(f"sp/v1/{FEEDER}\n/summary")
    assert info.value.field == "topic.feeder"


def _topic_literals(path: Path) -> list[int]:
    """Return the lines of `path` holding a string literal that starts a SmartPhase topic."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.startswith("sp/v1/"):
                lines.append(node.lineno)
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and str(first.value).startswith("sp/v1"):
                lines.append(node.lineno)
    return lines


def test_no_code_outside_grid_topics_spells_a_topic() -> None:
    found = {}
    for path in sorted(ROOT_DIR.glob("*/**/*.py")):
        rel = path.relative_to(ROOT_DIR)
        if rel.parts[0] in {".venv", "tests", "firmware", "var"} or rel == Path("grid/topics.py"):
            continue
        lines = _topic_literals(path)
        if lines:
            found[str(rel)] = lines
    assert found == {}


_ID_TEXT = st.text(alphabet="KLTVM0123-\nൽ ", max_size=14)


@settings(max_examples=400, deadline=None)
@given(houses=st.sets(_ID_TEXT, max_size=6), feeder=st.sampled_from([None, "KL", "KL-TVM"]))
def test_all_house_ids_agrees_with_checking_each(houses: set[str], feeder: str | None) -> None:
    def valid(house: str) -> bool:
        try:
            check_house_id(house, feeder)
        except WireError:
            return False
        return True

    assert all_house_ids(houses, feeder) == all(map(valid, houses))


def test_all_house_ids_refuses_a_long_one() -> None:
    assert all_house_ids({FEEDER + "-H" + "1" * 27}, FEEDER)
    assert not all_house_ids({FEEDER + "-H" + "1" * 28}, FEEDER)
