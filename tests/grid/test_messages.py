"""Wire messages: round trips, every rejection path (with the field it names), fuzzing."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grid.messages import (
    MESSAGE_TYPES,
    READING_COLUMNS,
    Alert,
    Committed,
    ControlCommand,
    Event,
    HouseAck,
    HouseCommand,
    HouseState,
    ReadingRow,
    Readings,
    RelayState,
    Status,
    Summary,
    Telemetry,
    Topic,
    TopicKind,
    WireError,
    WireMessage,
    check_feeder_id,
    check_house_id,
    decode,
    parse_topic,
    topic_for,
)
from grid.phasors import Phase

FEEDER = "KL-TVM-0042"
HOUSE = "KL-TVM-0042-H017"
MAC = "0123456789abcdef" * 4
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z [epoch s]


def _topic(kind: str, house: str | None = None) -> str:
    return f"sp/v1/{FEEDER}/h/{house}/{kind}" if house else f"sp/v1/{FEEDER}/{kind}"


def _row(k: int) -> list[Any]:
    return [T0 + k, f"{FEEDER}-H{k % 40:03d}", "RYB"[k % 3], 231.4, 4.2, 812.5, 120.0, 0.0]


SAMPLES: dict[str, dict[str, Any]] = {
    _topic("tele", HOUSE): {
        "ts": T0,
        "seq": 42,
        "v": 231.5,
        "i": 3.2,
        "p": -640.0,
        "q": 80.0,
        "pv": 1400.0,
        "ph": "Y",
        "relay": "ok",
    },
    _topic("cmd", HOUSE): {
        "id": "c0001",
        "house": HOUSE,
        "ctr": 7,
        "exp": 1_767_225_660,
        "from": "R",
        "to": "Y",
        "mac": MAC,
    },
    _topic("ack", HOUSE): {
        "id": "c0001",
        "house": HOUSE,
        "ctr": 7,
        "ok": True,
        "ph": "Y",
        "reason": "",
        "ts": 1_767_225_605,
        "mac": MAC,
    },
    _topic("state", HOUSE): {"online": True, "fw": "1.4.2"},
    _topic("summary"): {
        "boot": 1_767_000_000,
        "seq": 9,
        "ts": T0,
        "p_w": [12_400.0, 8_100.5, -2_300.0],
        "q_var": [1_200.0, 900.0, 300.0],
        "i_a": [54.1, 35.3, 10.2],
        "v_v": [228.9, 231.0, 236.4],
        "i_n_a": 38.7,
        "unbalance_pct": 61.2,
        "mode": "auto",
        "houses_online": 38,
        "houses_total": 40,
    },
    _topic("readings"): {
        "boot": 1_767_000_000,
        "seq": 10,
        "rows": [_row(k) for k in range(100)],
        "cols": list(READING_COLUMNS),
    },
    _topic("event"): {
        "boot": 1_767_000_000,
        "seq": 11,
        "ts": T0,
        "kind": "balancing_run",
        "data": {"moves": [{"house": HOUSE, "from": "R", "to": "Y"}], "gain_a": 12.5, "ok": True},
    },
    _topic("alert"): {
        "boot": 1_767_000_000,
        "seq": 12,
        "ts": T0,
        "alert_id": "a-77",
        "kind": "house_offline",
        "severity": "warning",
        "state": "raised",
        "message": "House KL-TVM-0042-H017 offline for 10 min — വീട് ഓഫ്‌ലൈൻ",
        "house": HOUSE,
    },
    _topic("status"): {"online": True, "boot": 1_767_000_000, "version": "0.1.0"},
    _topic("ctl"): {
        "id": "h0101",
        "feeder": FEEDER,
        "ctr": 101,
        "exp": 1_767_225_660,
        "action": "switch",
        "house": HOUSE,
        "from": "R",
        "to": "B",
        "mac": MAC,
    },
    _topic("committed"): {
        "boot": 1_767_000_000,
        "seq": 12,
        "feeder": FEEDER,
        "ctr": 1_767_000_000_123,
        "mac": MAC,
    },
}

EXTRA_SAMPLES: list[tuple[str, dict[str, Any]]] = [
    (_topic("status"), {"online": False}),
    (
        _topic("ctl"),
        {
            "id": "h0104",
            "feeder": FEEDER,
            "ctr": 104,
            "exp": 1_767_225_660,
            "action": "balance_now",
            "mac": MAC,
        },
    ),
    (
        _topic("ctl"),
        {
            "id": "h0102",
            "feeder": FEEDER,
            "ctr": 102,
            "exp": 1_767_225_660,
            "action": "config",
            "config": {"min_dwell_s": 1800, "hysteresis_pct": 7.5},
            "mac": MAC,
        },
    ),
    (
        _topic("ctl"),
        {
            "id": "h0103",
            "feeder": FEEDER,
            "ctr": 103,
            "exp": 1_767_225_660,
            "action": "set_mode",
            "mode": "manual",
            "mac": MAC,
        },
    ),
    (_topic("summary"), {**SAMPLES[_topic("summary")], "unbalance_pct": None}),
    (_topic("alert"), {k: v for k, v in SAMPLES[_topic("alert")].items() if k != "house"}),
]


def _bytes(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _field_of(topic: str, payload: bytes) -> str:
    with pytest.raises(WireError) as info:
        decode(topic, payload)
    assert str(info.value).startswith(info.value.field)
    return info.value.field


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "obj"),
    [*SAMPLES.items(), *EXTRA_SAMPLES],
    ids=[*(t.rsplit("/", 1)[1] for t in SAMPLES), *(f"extra{i}" for i in range(6))],
)
def test_round_trip(topic: str, obj: dict[str, Any]) -> None:
    message = decode(topic, _bytes(obj))
    assert isinstance(message, MESSAGE_TYPES[parse_topic(topic).kind])
    payload = message.to_json()
    assert decode(topic, payload) == message
    assert json.loads(payload) == obj
    assert payload == _bytes(json.loads(payload))  # compact


def test_every_message_type_has_a_sample() -> None:
    assert {parse_topic(t).kind for t in SAMPLES} == set(TopicKind)


def test_decoded_types_and_units() -> None:
    tele = decode(_topic("tele", HOUSE), _bytes(SAMPLES[_topic("tele", HOUSE)]))
    assert isinstance(tele, Telemetry)
    assert (tele.v_v, tele.p_w, tele.pv_w, tele.ph) == (231.5, -640.0, 1400.0, Phase.Y)
    readings = decode(_topic("readings"), _bytes(SAMPLES[_topic("readings")]))
    assert isinstance(readings, Readings)
    assert readings.rows[4] == ReadingRow(
        T0 + 4, f"{FEEDER}-H004", Phase.Y, 231.4, 4.2, 812.5, 120.0, 0.0
    )
    summary = decode(_topic("summary"), _bytes(SAMPLES[_topic("summary")]))
    assert isinstance(summary, Summary)
    assert summary.i_a == (54.1, 35.3, 10.2)


def test_integers_become_floats_where_the_field_is_a_float() -> None:
    obj = {**SAMPLES[_topic("tele", HOUSE)], "v": 230, "ts": 1_767_225_600}
    tele = decode(_topic("tele", HOUSE), _bytes(obj))
    assert isinstance(tele, Telemetry)
    assert type(tele.v_v) is float
    assert type(tele.ts_s) is float


def test_built_messages_serialize_compactly() -> None:
    tele = Telemetry(T0, 1, 230.0, 2.5, 500.0, 50.0, 0.0, Phase.B, RelayState.OK)
    assert tele.to_json() == (
        b'{"ts":1767225600.0,"seq":1,"v":230.0,"i":2.5,"p":500.0,"q":50.0,"pv":0.0,"ph":"B",'
        b'"relay":"ok"}'
    )
    assert Committed(5, 6, "KL-TVM-0042", 7, MAC).to_json() == (
        b'{"boot":5,"seq":6,"feeder":"KL-TVM-0042","ctr":7,"mac":"' + MAC.encode() + b'"}'
    )
    assert Status(online=False).to_json() == b'{"online":false}'
    assert HouseState(True, "1.0").to_json() == b'{"online":true,"fw":"1.0"}'


def test_config_is_read_only_and_sorted() -> None:
    ctl = decode(_topic("ctl"), _bytes(EXTRA_SAMPLES[2][1]))
    assert isinstance(ctl, ControlCommand)
    assert ctl.config is not None
    assert list(ctl.config) == ["hysteresis_pct", "min_dwell_s"]
    with pytest.raises(TypeError):
        ctl.config["x"] = 1.0  # type: ignore[index]


def test_to_json_refuses_what_decode_would_refuse() -> None:
    unsigned = HouseCommand("c1", HOUSE, 1, 1_767_225_660, Phase.R, Phase.Y)
    with pytest.raises(WireError) as info:
        unsigned.to_json()
    assert info.value.field == "mac"
    with pytest.raises(WireError) as info:
        Committed(-1, 0, "KL-TVM-0042", 1, MAC).to_json()
    assert info.value.field == "boot"
    row = ReadingRow(T0, HOUSE, Phase.R, math.nan, 1.0, 1.0, 1.0, 1.0)
    with pytest.raises(WireError) as info:
        Readings(1, 1, (row,)).to_json()
    assert info.value.field == "rows[0][3] (v)"


def test_readings_error_names_row_column_and_unit() -> None:
    obj = copy.deepcopy(SAMPLES[_topic("readings")])
    obj["rows"][3][3] = 812.0
    with pytest.raises(WireError) as info:
        decode(_topic("readings"), _bytes(obj))
    assert str(info.value) == "rows[3][3] (v): 812.0 is above 480 V"
    assert info.value.field == "rows[3][3] (v)"
    assert info.value.reason == "812.0 is above 480 V"


def test_readings_reports_the_first_bad_cell_in_row_order() -> None:
    obj = copy.deepcopy(SAMPLES[_topic("readings")])
    obj["rows"][7][7] = -1.0
    obj["rows"][9][3] = 999.0
    assert _field_of(_topic("readings"), _bytes(obj)) == "rows[7][7] (pv)"


# --- rejections: each names the field --------------------------------------------------------


def _with(topic: str, **changes: Any) -> tuple[str, bytes]:
    obj = copy.deepcopy(SAMPLES[topic])
    for key, value in changes.items():
        if value is _DROP:
            del obj[key]
        else:
            obj[key] = value
    return topic, _bytes(obj)


def _raw(topic: str, old: str, new: str) -> tuple[str, bytes]:
    text = _bytes(SAMPLES[topic]).decode()
    assert old in text
    return topic, text.replace(old, new, 1).encode()


def _rows(**cells: Any) -> tuple[str, bytes]:
    obj = copy.deepcopy(SAMPLES[_topic("readings")])
    for name, value in cells.items():
        r, c = (int(x) for x in name[1:].split("_"))
        obj["rows"][r][c] = value
    return _topic("readings"), _bytes(obj)


_DROP = object()
TELE = _topic("tele", HOUSE)
CMD = _topic("cmd", HOUSE)
ACK = _topic("ack", HOUSE)
SUMMARY = _topic("summary")
READINGS = _topic("readings")
EVENT = _topic("event")
ALERT = _topic("alert")
STATUS = _topic("status")
CTL = _topic("ctl")
COMMITTED = _topic("committed")

REJECTIONS: dict[str, tuple[tuple[str, bytes], str]] = {
    # ids
    "bad_house_id_double_dash": (_with(CMD, house="KL-TVM-0042--H017"), "house"),
    "bad_house_id_space": (_with(CMD, house="KL-TVM-0042-H 17"), "house"),
    "bad_house_id_too_long": (_with(CMD, house=f"{FEEDER}-H" + "7" * 40), "house"),
    "bad_feeder_id": (_with(CTL, feeder="KL_TVM_0042"), "feeder"),
    "bad_feeder_id_too_long": (_with(CTL, feeder="K" * 33), "feeder"),
    "bad_command_id": (_with(CMD, id="c|1"), "id"),
    "bad_house_id_in_row": (_rows(r2_1="KL-TVM-0042-"), "rows[2][1] (house)"),
    # non-finite numbers
    "nan": (_raw(TELE, '"v":231.5', '"v":NaN'), "v"),
    "infinity": (_raw(TELE, '"p":-640.0', '"p":Infinity'), "p"),
    "minus_infinity": (_raw(TELE, '"q":80.0', '"q":-Infinity'), "q"),
    "overflow_to_infinity": (_raw(TELE, '"pv":1400.0', '"pv":1e400'), "pv"),
    "nan_in_row": (_raw(READINGS, "231.4", "NaN"), "rows[0][3] (v)"),
    "nan_in_triple": (_raw(SUMMARY, "54.1", "NaN"), "i_a[0] (R)"),
    "nan_in_event_data": (_raw(EVENT, "12.5", "NaN"), "data.gain_a"),
    "nan_in_config": (
        (CTL, _bytes(EXTRA_SAMPLES[2][1]).replace(b"7.5", b"NaN")),
        "config.hysteresis_pct",
    ),
    # bool where a number is expected
    "bool_as_number": (_with(TELE, i=True), "i"),
    "bool_as_integer": (_with(COMMITTED, seq=False), "seq"),
    "bool_in_row": (_rows(r5_4=True), "rows[5][4] (i)"),
    # wrong types
    "string_as_number": (_with(TELE, v="231.5"), "v"),
    "float_as_integer": (_with(TELE, seq=42.0), "seq"),
    "float_counter": (_with(CMD, ctr=7.5), "ctr"),
    "number_as_bool": (_with(ACK, ok=1), "ok"),
    "unknown_phase": (_with(TELE, ph="N"), "ph"),
    "unknown_relay_state": (_with(TELE, relay="open"), "relay"),
    "unknown_mode": (_with(SUMMARY, mode="semi"), "mode"),
    "unknown_event_kind": (_with(EVENT, kind="reboot"), "kind"),
    "unknown_severity": (_with(ALERT, severity="fatal"), "severity"),
    "list_as_phase": (_with(TELE, ph=["R"]), "ph"),
    "uppercase_mac": (_with(CMD, mac=MAC.upper()), "mac"),
    "short_mac": (_with(ACK, mac=MAC[:-2]), "mac"),
    # out of range
    "voltage_above": (_with(TELE, v=480.5), "v"),
    "current_below": (_with(TELE, i=-0.1), "i"),
    "power_above": (_with(TELE, p=50_001.0), "p"),
    "reactive_below": (_with(TELE, q=-50_001.0), "q"),
    "pv_negative": (_with(TELE, pv=-1.0), "pv"),
    "ts_before_2001": (_with(TELE, ts=978_307_199.0), "ts"),
    "ts_after_2100": (_with(TELE, ts=4_102_444_801), "ts"),
    "seq_negative": (_with(TELE, seq=-1), "seq"),
    "seq_above_2_53": (_with(COMMITTED, seq=2**53 + 1), "seq"),
    "counter_zero": (_with(CMD, ctr=0), "ctr"),
    "exp_not_integer": (_with(CMD, exp=1_767_225_660.5), "exp"),
    "huge_integer": (_with(TELE, v=10**400), "v"),
    "huge_integer_in_row": (_rows(r6_5=-(10**400)), "rows[6][5] (p)"),
    "nan_hidden_from_min_max_in_row": (_rows(r5_5=math.nan), "rows[5][5] (p)"),
    "row_out_of_range": (_rows(r3_3=812.0), "rows[3][3] (v)"),
    "triple_out_of_range": (_with(SUMMARY, v_v=[230.0, 231.0, 481.0]), "v_v[2] (B)"),
    "unbalance_above": (_with(SUMMARY, unbalance_pct=250.0), "unbalance_pct"),
    "houses_online_above_total": (_with(SUMMARY, houses_online=41), "houses_online"),
    "message_too_long": (_with(ALERT, message="x" * 501), "message"),
    "message_empty": (_with(ALERT, message=""), "message"),
    "message_control_char": (_with(ALERT, message="line\nbreak"), "message"),
    "reason_not_snake_case": (_with(ACK, reason="Bad MAC"), "reason"),
    # unknown and missing fields
    "unknown_field": (_with(TELE, extra=1), "extra"),
    "unknown_field_in_signed": (_with(CMD, note="hi"), "note"),
    "missing_field": (_with(TELE, relay=_DROP), "relay"),
    "missing_mac": (_with(CMD, mac=_DROP), "mac"),
    "missing_nullable": (_with(SUMMARY, unbalance_pct=_DROP), "unbalance_pct"),
    "null_not_allowed": (_with(TELE, v=None), "v"),
    "duplicate_key": (_raw(TELE, '"seq":42', '"seq":42,"seq":43'), "seq"),
    # oversize payloads
    "oversize_tele": ((TELE, _bytes(SAMPLES[TELE])[:-1] + b"," + b" " * 1024 + b"}"), "payload"),
    "oversize_status": (_with(STATUS, version="1" * 300), "payload"),
    "too_many_rows": (
        (READINGS, _bytes({**SAMPLES[READINGS], "rows": [_row(k) for k in range(5001)]})),
        "rows",
    ),
    # readings structure
    "wrong_cols_order": (
        _with(READINGS, cols=["ts", "ph", "house", "v", "i", "p", "q", "pv"]),
        "cols",
    ),
    "wrong_cols_missing": (_with(READINGS, cols=["ts", "house", "ph", "v", "i", "p", "q"]), "cols"),
    "empty_rows": (_with(READINGS, rows=[]), "rows"),
    "short_row": (_rows(), "rows"),  # replaced below
    "row_not_list": (_with(READINGS, rows=[{"ts": T0}]), "rows[0]"),
    "triple_too_short": (_with(SUMMARY, p_w=[1.0, 2.0]), "p_w"),
    # houses of another feeder
    "row_house_of_other_feeder": (_rows(r4_1="KL-TVM-0043-H001"), "rows[4][1] (house)"),
    "row_house_prefix_only": (_rows(r4_1="KL-TVM-00421-H001"), "rows[4][1] (house)"),
    "cmd_house_of_other_feeder": (_with(CMD, house="KL-TVM-0043-H017"), "house"),
    "alert_house_of_other_feeder": (_with(ALERT, house="KL-EKM-0001-H001"), "house"),
    "ctl_house_of_other_feeder": (_with(CTL, house="KL-TVM-0043-H017"), "house"),
    # cross-field rules
    "cmd_from_equals_to": (_with(CMD, to="R"), "to"),
    "ctl_switch_from_equals_to": (_with(CTL, to="R"), "to"),
    "ctl_switch_missing_house": (_with(CTL, house=_DROP), "house"),
    "ctl_action_field_not_allowed": (_with(CTL, action="balance_now"), "house"),
    "ctl_set_mode_without_mode": (_with(CTL, action="set_mode", house=_DROP), "mode"),
    "ctl_unknown_action": (_with(CTL, action="reboot"), "action"),
    "ctl_unlock_with_phases": (_with(CTL, action="unlock"), "from"),
    "ctl_unlock_missing_house": (
        _with(CTL, action="unlock", house=_DROP, **{"from": _DROP, "to": _DROP}),
        "house",
    ),
    "ctl_unlock_house_of_other_feeder": (
        _with(CTL, action="unlock", house="KL-TVM-0043-H017", **{"from": _DROP, "to": _DROP}),
        "house",
    ),
    # event data bounds
    "event_data_not_object": (_with(EVENT, data=[1, 2]), "data"),
    "event_data_too_deep": (
        _with(EVENT, data={"a": {"b": {"c": {"d": {"e": 1}}}}}),
        "data.a.b.c.d",
    ),
    "event_data_too_many_values": (_with(EVENT, data={"x": list(range(600))}), "data.x[510]"),
    "event_data_long_string": (_with(EVENT, data={"note": "y" * 501}), "data.note"),
    "event_data_big_integer": (_with(EVENT, data={"n": 2**60}), "data.n"),
}
REJECTIONS["short_row"] = (
    (READINGS, _bytes({**SAMPLES[READINGS], "rows": [_row(0), _row(1)[:7]]})),
    "rows[1]",
)


@pytest.mark.parametrize(
    ("case", "expected_field"), list(REJECTIONS.values()), ids=list(REJECTIONS)
)
def test_rejection_names_the_field(case: tuple[str, bytes], expected_field: str) -> None:
    topic, payload = case
    assert _field_of(topic, payload) == expected_field


CONFIG_BASE = EXTRA_SAMPLES[2][1]


@pytest.mark.parametrize(
    ("config", "expected_field"),
    [
        ({}, "config"),
        ({f"k{i}": i for i in range(33)}, "config"),
        ({"Bad-Key": 1}, "Bad-Key"),
        ({"gain": 0.0005}, "gain"),
        ({"gain": 1e10}, "gain"),
        ({"gain": "1"}, "gain"),
        ({"gain": True}, "gain"),
        ({"nested": {"a": 1}}, "nested"),
    ],
    ids=[
        "empty",
        "too_many_keys",
        "bad_key",
        "four_decimals",
        "too_big",
        "string",
        "bool",
        "nested",
    ],
)
def test_config_rejections(config: dict[str, Any], expected_field: str) -> None:
    payload = _bytes({**CONFIG_BASE, "config": config})
    field = _field_of(CTL, payload)
    assert field == (expected_field if expected_field == "config" else f"config.{expected_field}")


def test_config_keeps_three_decimals_exactly() -> None:
    ctl = decode(CTL, _bytes({**CONFIG_BASE, "config": {"a": 2.675, "b": -0.001, "c": 4.0}}))
    assert isinstance(ctl, ControlCommand)
    assert dict(ctl.config or {}) == {"a": 2.675, "b": -0.001, "c": 4}


@pytest.mark.parametrize(
    ("payload", "reason_part"),
    [
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"online":true,"fw":"\xc3"}', "UTF-8"),
        (b'{"online":true,', "JSON"),
        (b"", "JSON"),
        (b'\xef\xbb\xbf{"online":true,"fw":"1"}', "JSON"),
        (b"[true]", "JSON object"),
        (b"null", "JSON object"),
        (b"[" * 100 + b"]" * 100, "JSON object"),
    ],
    ids=["bad_utf8", "truncated_utf8", "truncated_json", "empty", "bom", "array", "null", "nested"],
)
def test_invalid_payload_names_payload(payload: bytes, reason_part: str) -> None:
    with pytest.raises(WireError) as info:
        decode(_topic("state", HOUSE), payload)
    assert info.value.field == "payload"
    assert reason_part in info.value.reason


def test_deep_nesting_is_a_wire_error() -> None:
    payload = b"[" * 100_000 + b"]" * 100_000
    assert _field_of(READINGS, payload) == "payload"


# --- topics ----------------------------------------------------------------------------------


def test_parse_topic() -> None:
    assert parse_topic(f"sp/v1/{FEEDER}/h/{HOUSE}/tele") == Topic(FEEDER, TopicKind.TELE, HOUSE)
    assert parse_topic(f"sp/v1/{FEEDER}/readings") == Topic(FEEDER, TopicKind.READINGS)
    for kind in TopicKind:
        house = HOUSE if kind in {"tele", "cmd", "ack", "state"} else None
        topic = topic_for(kind, FEEDER, house)
        assert str(parse_topic(topic)) == topic


@pytest.mark.parametrize(
    ("topic", "expected_field"),
    [
        ("sp/v1/KL-TVM-0042/foo", "topic"),
        ("sp/v2/KL-TVM-0042/summary", "topic"),
        ("sp/v1/KL-TVM-0042", "topic"),
        ("sp/v1/KL-TVM-0042/summary/", "topic"),
        ("/sp/v1/KL-TVM-0042/summary", "topic"),
        ("sp/v1/KL-TVM-0042/tele", "topic"),
        ("sp/v1/KL-TVM-0042/h/KL-TVM-0042-H017/summary", "topic"),
        ("sp/v1/KL-TVM-0042/x/KL-TVM-0042-H017/tele", "topic"),
        ("sp/v1/KL-TVM-0042/h/KL-TVM-0042-H017/tele/extra", "topic"),
        ("sp/v1/+/summary", "topic.feeder"),
        ("sp/v1/KL-TVM-0042-/summary", "topic.feeder"),
        ("sp/v1//summary", "topic.feeder"),
        ("sp/v1/KL-TVM-0042/h/KL-TVM-0043-H017/tele", "topic.house"),
        ("sp/v1/KL-TVM-0042/h/#/tele", "topic.house"),
        ("sp/v1/" + "K" * 130 + "/summary", "topic"),
    ],
)
def test_unknown_topics_are_refused(topic: str, expected_field: str) -> None:
    with pytest.raises(WireError) as info:
        parse_topic(topic)
    assert info.value.field == expected_field
    assert _field_of(topic, b"{}") == expected_field


def test_topic_for_validates() -> None:
    assert topic_for(TopicKind.CTL, FEEDER) == "sp/v1/KL-TVM-0042/ctl"
    assert topic_for(TopicKind.CMD, FEEDER, HOUSE) == "sp/v1/KL-TVM-0042/h/KL-TVM-0042-H017/cmd"
    with pytest.raises(WireError, match="house_id"):
        topic_for(TopicKind.CMD, FEEDER)
    with pytest.raises(WireError, match="house_id"):
        topic_for(TopicKind.SUMMARY, FEEDER, HOUSE)
    with pytest.raises(WireError, match="house_id"):
        topic_for(TopicKind.TELE, FEEDER, "KL-TVM-0043-H001")
    with pytest.raises(WireError, match="feeder_id"):
        topic_for(TopicKind.SUMMARY, "KL TVM")


def test_id_checks() -> None:
    assert check_feeder_id("KL-TVM-0042") == "KL-TVM-0042"
    assert check_house_id("KL-TVM-0042-H017", "KL-TVM-0042") == "KL-TVM-0042-H017"
    for bad in ("", "-KL", "KL-", "KL--TVM", "KL/TVM", "KL-TVM-ൽ", "A" * 33, 42):
        with pytest.raises(WireError) as info:
            check_feeder_id(bad)
        assert info.value.field == "feeder_id"
    with pytest.raises(WireError) as info:
        check_house_id("KL-TVM-0042", "KL-TVM-0042")
    assert info.value.field == "house_id"


def test_decode_accepts_a_parsed_topic() -> None:
    topic = parse_topic(TELE)
    assert decode(topic, _bytes(SAMPLES[TELE])) == decode(TELE, _bytes(SAMPLES[TELE]))


# --- fuzzing ---------------------------------------------------------------------------------

ALL_TOPICS = sorted(SAMPLES)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([10**400, -(10**400), 2**53, 2**53 + 1])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


def _decode_or_wire_error(topic: str, payload: bytes) -> None:
    try:
        message = decode(topic, payload)
    except WireError:
        return
    assert isinstance(message, WireMessage)


@settings(max_examples=300, deadline=None)
@given(topic=st.sampled_from(ALL_TOPICS), payload=st.binary(max_size=2048))
def test_fuzz_arbitrary_bytes(topic: str, payload: bytes) -> None:
    _decode_or_wire_error(topic, payload)


@settings(max_examples=300, deadline=None)
@given(topic=st.sampled_from(ALL_TOPICS), value=json_values)
def test_fuzz_arbitrary_json(topic: str, value: object) -> None:
    _decode_or_wire_error(topic, json.dumps(value).encode())


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topic=st.sampled_from(ALL_TOPICS), data=st.data())
def test_fuzz_one_field_replaced(topic: str, data: st.DataObject) -> None:
    obj = copy.deepcopy(SAMPLES[topic])
    key = data.draw(st.sampled_from([*obj, "extra"]))
    obj[key] = data.draw(json_values)
    if topic == READINGS and data.draw(st.booleans()):
        r, c = data.draw(st.integers(0, 99)), data.draw(st.integers(0, 7))
        obj["rows"] = copy.deepcopy(SAMPLES[READINGS]["rows"])
        obj["rows"][r][c] = data.draw(json_values)
    _decode_or_wire_error(topic, json.dumps(obj).encode())


@settings(max_examples=200, deadline=None)
@given(topic=st.text(max_size=80), payload=st.binary(max_size=64))
def test_fuzz_topics(topic: str, payload: bytes) -> None:
    _decode_or_wire_error(topic, payload)


@settings(max_examples=200, deadline=None)
@given(
    ts=st.floats(978_307_200, 4_102_444_800),
    seq=st.integers(0, 2**53),
    v=st.floats(0, 480),
    i=st.floats(0, 200),
    p=st.floats(-50_000, 50_000),
    q=st.floats(-50_000, 50_000),
    pv=st.floats(0, 50_000),
    ph=st.sampled_from(list(Phase)),
    relay=st.sampled_from(["ok", "switching", "locked", "fault"]),
)
def test_fuzz_valid_telemetry_round_trips(
    ts: float, seq: int, v: float, i: float, p: float, q: float, pv: float, ph: Phase, relay: str
) -> None:
    obj = {
        "ts": ts,
        "seq": seq,
        "v": v,
        "i": i,
        "p": p,
        "q": q,
        "pv": pv,
        "ph": ph.value,
        "relay": relay,
    }
    message = decode(TELE, _bytes(obj))
    assert decode(TELE, message.to_json()) == message


def test_house_ack_and_event_keep_their_values() -> None:
    ack = decode(ACK, _bytes(SAMPLES[ACK]))
    assert isinstance(ack, HouseAck)
    assert (ack.ok, ack.ph, ack.reason, ack.ts_s) == (True, Phase.Y, "", 1_767_225_605)
    event = decode(EVENT, _bytes(SAMPLES[EVENT]))
    assert isinstance(event, Event)
    assert event.data["gain_a"] == 12.5
    alert = decode(ALERT, _bytes(SAMPLES[ALERT]))
    assert isinstance(alert, Alert)
    assert alert.house == HOUSE
