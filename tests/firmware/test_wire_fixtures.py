"""The captured wire payloads (tests/fixtures/wire) on both sides of the contract.

Every fixture decodes with grid's msgspec decoders: a valid one is accepted (and encodes back
to the same JSON), an invalid one is refused with its recorded error text. The house messages
(tele, cmd, ack, state) also decode with firmware/wire.py on the MicroPython unix port, which
must agree: the same fields for a valid payload, a refusal naming the same field for an invalid
one. The other kinds are HQ's and the edge's: the node neither sends nor reads them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from grid.messages import WireError, decode, to_builtin
from grid.signing import split_seal
from grid.topics import HOUSE_KINDS, TopicKind, parse_topic
from ingest.decode import UPLINK_KINDS
from tests.firmware.test_on_micropython import _run_mp, micropython  # noqa: F401

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wire"
NAMES = sorted(p.name for p in FIXTURES.glob("*.json"))

FIRMWARE_FIELD: dict[str, str] = {"invalid.tele.nan.json": "payload"}
"""Where the firmware names another field than grid: NaN is not JSON, and MicroPython's reader
refuses the whole payload (grid's reads it to name the field)."""


def _fixture(name: str) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return fixture


def test_every_message_type_has_a_valid_fixture_and_house_kinds_invalid_ones() -> None:
    valid = {parse_topic(_fixture(n)["topic"]).kind for n in NAMES if not n.startswith("invalid")}
    assert valid == set(TopicKind)
    invalid = {parse_topic(_fixture(n)["topic"]).kind for n in NAMES if n.startswith("invalid")}
    assert invalid >= HOUSE_KINDS | {TopicKind.READINGS}


@pytest.mark.parametrize("name", NAMES)
def test_grid_decodes_every_fixture(name: str) -> None:
    fixture = _fixture(name)
    payload = fixture["payload"].encode("utf-8")
    if "error" in fixture:
        with pytest.raises(WireError) as info:
            decode(fixture["topic"], payload)
        assert str(info.value) == fixture["error"]
        return
    topic = parse_topic(fixture["topic"])
    if topic.kind in UPLINK_KINDS:  # stored as HQ reads it: the seal opened
        assert split_seal(payload) is None
    message = decode(topic, payload)
    assert json.loads(message.to_json()) == json.loads(payload)


@pytest.fixture(scope="module")
def firmware_results(micropython: str) -> dict[str, dict[str, Any]]:  # noqa: F811
    """Return what firmware/wire.py makes of every fixture, by file name."""
    output = _run_mp(micropython, "decode_fixtures.py", str(FIXTURES))
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines, output
    return {line["name"]: line for line in lines}


@pytest.mark.micropython
@pytest.mark.parametrize("name", NAMES)
def test_the_firmware_agrees_with_grid(name: str, firmware_results: dict[str, Any]) -> None:
    fixture = _fixture(name)
    topic = parse_topic(fixture["topic"])
    result = firmware_results[name]
    if topic.kind not in HOUSE_KINDS:
        assert result == {"name": name, "skipped": str(topic.kind)}
        return
    try:
        message = decode(topic, fixture["payload"].encode("utf-8"))
    except WireError as exc:
        assert "fields" not in result, result
        expected = FIRMWARE_FIELD.get(name, exc.field.split(".")[0].split("[")[0])
        assert result["error"] == expected
        return
    assert "error" not in result, result
    assert result["fields"] == msgspec.to_builtins(message, enc_hook=to_builtin)
