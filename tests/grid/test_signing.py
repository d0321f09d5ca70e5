"""Command signing: shared vectors, canonical strings, tampering, every rejection, boundaries."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grid.messages import (
    Committed,
    ControlAction,
    ControlCommand,
    HouseAck,
    HouseCommand,
    Mode,
    TopicKind,
    WireError,
    decode,
    topic_for,
)
from grid.phasors import Phase
from grid.signing import (
    ACCEPTED,
    SEAL_BYTES,
    Rejection,
    Verdict,
    canonical_bytes,
    hmac_sha256_from_sha256,
    mac_hex,
    mac_matches,
    open_uplink,
    seal_uplink,
    sign,
    sign_ack,
    split_seal,
    verify_ack,
    verify_committed,
    verify_control_command,
    verify_house_command,
)

VECTORS_DIR = Path(__file__).resolve().parents[1] / "vectors"


def _load_vector_maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_signing_vectors", VECTORS_DIR / "make_signing_vectors.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _load_vector_maker()
VECTORS: list[dict[str, str]] = json.loads((VECTORS_DIR / "signing.json").read_text("utf-8"))

FEEDER = "KL-TVM-0042"
HOUSE = "KL-TVM-0042-H017"
HOUSE_KEY = bytes(range(32))
FEEDER_KEY = bytes(range(0xA0, 0xC0))
EXP_S = 1_767_225_600
NOW_S = 1_767_225_500.0

CMD = sign(HouseCommand("c0042", HOUSE, 8, EXP_S, Phase.R, Phase.Y), HOUSE_KEY)
ACK = sign_ack(HouseAck("c0042", HOUSE, 8, True, Phase.Y, "", EXP_S - 30), HOUSE_KEY)
CTL_SWITCH = sign(
    ControlCommand(
        "h0007",
        FEEDER,
        12,
        EXP_S,
        ControlAction.SWITCH,
        house=HOUSE,
        from_phase=Phase.B,
        to_phase=Phase.R,
    ),
    FEEDER_KEY,
)


def _verify_cmd(cmd: HouseCommand = CMD, **overrides: Any) -> Verdict:
    kwargs: dict[str, Any] = {
        "key": HOUSE_KEY,
        "device_id": HOUSE,
        "last_counter": 7,
        "now_s": NOW_S,
        "current_phase": Phase.R,
        **overrides,
    }
    return verify_house_command(cmd, **kwargs)


def _verify_ctl(ctl: ControlCommand = CTL_SWITCH, **overrides: Any) -> Verdict:
    kwargs: dict[str, Any] = {
        "key": FEEDER_KEY,
        "feeder_id": FEEDER,
        "last_counter": 11,
        "now_s": NOW_S,
        "current_phase_of": {HOUSE: Phase.B}.get,
        **overrides,
    }
    return verify_control_command(ctl, **kwargs)


# --- shared vectors --------------------------------------------------------------------------


def test_vectors_file_is_reproduced_exactly() -> None:
    text = (VECTORS_DIR / "signing.json").read_text("utf-8")
    assert MAKER.render(MAKER.build_vectors()) == text


def test_vectors_cover_every_phase_ack_outcome_and_ctl_action() -> None:
    messages = [json.loads(v["message"]) for v in VECTORS]
    cmds = [m for m in messages if "house" in m and "from" in m and "action" not in m]
    assert {m["from"] for m in cmds} == {"R", "Y", "B"}
    assert {m["to"] for m in cmds} == {"R", "Y", "B"}
    assert {m["ok"] for m in messages if "ok" in m} == {True, False}
    assert {m["action"] for m in messages if "action" in m} == set(ControlAction)
    assert {len(bytes.fromhex(v["key_hex"])) for v in VECTORS} >= {16, 32, 80}


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_matches(vector: dict[str, str]) -> None:
    key = bytes.fromhex(vector["key_hex"])
    payload = vector["message"].encode("utf-8")
    message = json.loads(payload)
    kind = "cmd" if "from" in message and "action" not in message else None
    kind = kind or ("ack" if "ok" in message else "ctl")
    house = message["house"] if kind in ("cmd", "ack") else None
    decoded = decode(topic_for(TopicKind(kind), FEEDER, house), payload)
    assert isinstance(decoded, HouseCommand | HouseAck | ControlCommand)
    assert canonical_bytes(decoded).decode("utf-8") == vector["canonical"]
    assert decoded.mac == vector["mac"] == message["mac"]
    assert hmac_sha256_from_sha256(key, vector["canonical"].encode()).hex() == vector["mac"]
    assert mac_matches(decoded, key)
    assert decoded.to_json() == payload


# --- canonical strings -----------------------------------------------------------------------


def test_canonical_formats() -> None:
    assert canonical_bytes(CMD) == b"cmd|c0042|KL-TVM-0042-H017|8|1767225600|R|Y"
    assert canonical_bytes(ACK) == b"ack|c0042|KL-TVM-0042-H017|8|1|Y||1767225570"
    nack = msgspec.structs.replace(ACK, ok=False, ph=Phase.R, reason="bad_mac")
    assert canonical_bytes(nack) == b"ack|c0042|KL-TVM-0042-H017|8|0|R|bad_mac|1767225570"
    assert canonical_bytes(CTL_SWITCH) == (
        b"ctl|h0007|KL-TVM-0042|12|1767225600|switch|KL-TVM-0042-H017|B|R"
    )
    base = ControlCommand("h1", FEEDER, 1, EXP_S, ControlAction.BALANCE_NOW)
    assert canonical_bytes(base) == b"ctl|h1|KL-TVM-0042|1|1767225600|balance_now"
    set_mode = msgspec.structs.replace(base, action=ControlAction.SET_MODE, mode=Mode.MANUAL)
    assert canonical_bytes(set_mode) == b"ctl|h1|KL-TVM-0042|1|1767225600|set_mode|manual"
    config = msgspec.structs.replace(
        base, action=ControlAction.CONFIG, config={"z_gain": -0.5, "a_dwell_s": 1800, "m": 2.675}
    )
    assert canonical_bytes(config) == (
        b"ctl|h1|KL-TVM-0042|1|1767225600|config|a_dwell_s=1800000|m=2675|z_gain=-500"
    )
    unlock = msgspec.structs.replace(base, action=ControlAction.UNLOCK, house=HOUSE)
    assert canonical_bytes(unlock) == b"ctl|h1|KL-TVM-0042|1|1767225600|unlock|" + HOUSE.encode()


def test_canonical_refuses_what_cannot_be_signed_unambiguously() -> None:
    with pytest.raises(WireError, match="id"):
        canonical_bytes(msgspec.structs.replace(CMD, cmd_id="a|b"))
    with pytest.raises(WireError, match="ctr"):
        canonical_bytes(msgspec.structs.replace(CMD, ctr=8.0))  # type: ignore[arg-type]
    with pytest.raises(WireError, match="ts"):
        canonical_bytes(msgspec.structs.replace(ACK, ts_s=True))
    with pytest.raises(WireError, match="config"):
        canonical_bytes(
            ControlCommand("h1", FEEDER, 1, EXP_S, ControlAction.CONFIG, config={"a=1|b": 2})
        )


def test_sign_sets_a_lowercase_hex_mac_and_keeps_the_rest() -> None:
    unsigned = msgspec.structs.replace(CMD, mac="")
    signed = sign(unsigned, HOUSE_KEY)
    assert signed == CMD
    assert msgspec.structs.replace(signed, mac="") == unsigned
    assert len(signed.mac) == 64
    assert signed.mac == signed.mac.lower()
    assert signed.mac == mac_hex(HOUSE_KEY, canonical_bytes(unsigned))


# --- tampering -------------------------------------------------------------------------------

CMD_TAMPERS: dict[str, dict[str, Any]] = {
    "id": {"cmd_id": "c0043"},
    "house": {"house": "KL-TVM-0042-H018"},
    "ctr": {"ctr": 9},
    "exp": {"exp_s": EXP_S + 1},
    "from": {"from_phase": Phase.B},
    "to": {"to_phase": Phase.B},
    "mac": {"mac": CMD.mac[:-1] + ("0" if CMD.mac[-1] != "0" else "1")},
}
ACK_TAMPERS: dict[str, dict[str, Any]] = {
    "id": {"cmd_id": "c0043"},
    "house": {"house": "KL-TVM-0042-H018"},
    "ctr": {"ctr": 9},
    "ok": {"ok": False},
    "ph": {"ph": Phase.R},
    "reason": {"reason": "x"},
    "ts": {"ts_s": ACK.ts_s + 1},
}
CTL_TAMPERS: dict[str, dict[str, Any]] = {
    "id": {"cmd_id": "h0008"},
    "feeder": {"feeder": "KL-TVM-0043"},
    "ctr": {"ctr": 13},
    "exp": {"exp_s": EXP_S - 1},
    "house": {"house": "KL-TVM-0042-H001"},
    "from": {"from_phase": Phase.Y},
    "to": {"to_phase": Phase.Y},
    "action": {"action": ControlAction.BALANCE_NOW, "house": None, "from_phase": None},
}


@pytest.mark.parametrize(
    ("message", "key", "changes"),
    [
        *((CMD, HOUSE_KEY, c) for c in CMD_TAMPERS.values()),
        *((ACK, HOUSE_KEY, c) for c in ACK_TAMPERS.values()),
        *((CTL_SWITCH, FEEDER_KEY, c) for c in CTL_TAMPERS.values()),
    ],
    ids=[
        *(f"cmd-{n}" for n in CMD_TAMPERS),
        *(f"ack-{n}" for n in ACK_TAMPERS),
        *(f"ctl-{n}" for n in CTL_TAMPERS),
    ],
)
def test_tampering_any_field_breaks_the_mac(
    message: HouseCommand | HouseAck | ControlCommand, key: bytes, changes: dict[str, Any]
) -> None:
    assert mac_matches(message, key)
    assert not mac_matches(msgspec.structs.replace(message, **changes), key)


def test_config_values_are_covered_by_the_mac() -> None:
    ctl = sign(
        ControlCommand("h1", FEEDER, 1, EXP_S, ControlAction.CONFIG, config={"gain": 1.5}),
        FEEDER_KEY,
    )
    for config in ({"gain": 1.501}, {"gain": 15}, {"gaim": 1.5}, {"gain": 1.5, "x": 0}):
        assert not mac_matches(msgspec.structs.replace(ctl, config=config), FEEDER_KEY)


def test_a_message_signed_with_another_key_or_type_is_refused() -> None:
    assert not mac_matches(CMD, FEEDER_KEY)
    # the same fields under another type tag cannot reuse the MAC
    ack_like = HouseAck(CMD.cmd_id, CMD.house, CMD.ctr, True, Phase.Y, "", EXP_S, mac=CMD.mac)
    assert not mac_matches(ack_like, HOUSE_KEY)


# --- house command verification --------------------------------------------------------------


def test_house_command_accepted() -> None:
    verdict = _verify_cmd()
    assert verdict == ACCEPTED
    assert verdict.accepted
    assert verdict.reason is None


@pytest.mark.parametrize(
    ("cmd", "overrides", "reason"),
    [
        (CMD, {"device_id": "KL-TVM-0042-H018"}, Rejection.WRONG_DEVICE),
        (msgspec.structs.replace(CMD, to_phase=Phase.B), {}, Rejection.BAD_MAC),
        (CMD, {"key": FEEDER_KEY}, Rejection.BAD_MAC),
        (msgspec.structs.replace(CMD, mac=""), {}, Rejection.BAD_MAC),
        (msgspec.structs.replace(CMD, mac="Ω" * 64), {}, Rejection.BAD_MAC),
        (CMD, {"last_counter": 8}, Rejection.REPLAYED),
        (CMD, {"last_counter": 100}, Rejection.REPLAYED),
        (CMD, {"now_s": EXP_S + 1}, Rejection.EXPIRED),
        (CMD, {"current_phase": Phase.Y}, Rejection.WRONG_FROM_PHASE),
    ],
    ids=[
        "wrong_device",
        "tampered",
        "wrong_key",
        "unsigned",
        "non_ascii_mac",
        "replayed_equal",
        "replayed_lower",
        "expired",
        "wrong_from_phase",
    ],
)
def test_house_command_rejections(
    cmd: HouseCommand, overrides: dict[str, Any], reason: Rejection
) -> None:
    verdict = _verify_cmd(cmd, **overrides)
    assert not verdict.accepted
    assert verdict.reason is reason
    assert str(verdict.reason) == reason.value


def test_house_command_checks_run_in_order() -> None:
    everything_wrong = msgspec.structs.replace(CMD, mac="0" * 64)
    wrong = {"last_counter": 99, "now_s": EXP_S + 99, "current_phase": Phase.B}
    assert _verify_cmd(everything_wrong, device_id="X-1", **wrong).reason is Rejection.WRONG_DEVICE
    assert _verify_cmd(everything_wrong, **wrong).reason is Rejection.BAD_MAC
    assert _verify_cmd(CMD, **wrong).reason is Rejection.REPLAYED
    assert _verify_cmd(CMD, now_s=EXP_S + 99, current_phase=Phase.B).reason is Rejection.EXPIRED


@pytest.mark.parametrize(
    ("last_counter", "accepted"),
    [(0, True), (6, True), (7, True), (8, False), (9, False)],
)
def test_counter_boundary(last_counter: int, accepted: bool) -> None:
    # CMD.ctr == 8: accepted only while it is strictly above the stored counter
    assert _verify_cmd(last_counter=last_counter).accepted is accepted


@pytest.mark.parametrize(
    ("now_s", "accepted"),
    [
        (EXP_S - 1, True),
        (EXP_S - 0.001, True),
        (EXP_S, True),
        (EXP_S + 0.001, False),
        (EXP_S + 1, False),
    ],
)
def test_expiry_boundary(now_s: float, accepted: bool) -> None:
    # `exp` is the last valid second, inclusive
    verdict = _verify_cmd(now_s=now_s)
    assert verdict.accepted is accepted
    assert accepted or verdict.reason is Rejection.EXPIRED


def test_every_from_phase() -> None:
    for from_phase in Phase:
        to_phase = Phase.from_index((from_phase.ordinal + 1) % 3)
        cmd = sign(
            msgspec.structs.replace(CMD, from_phase=from_phase, to_phase=to_phase), HOUSE_KEY
        )
        for current in Phase:
            verdict = _verify_cmd(cmd, current_phase=current)
            assert verdict.accepted is (current == from_phase)


# --- control command verification ------------------------------------------------------------


def test_control_command_accepted() -> None:
    assert _verify_ctl() == ACCEPTED
    assert _verify_ctl(current_phase_of=None) == ACCEPTED


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"feeder_id": "KL-TVM-0043"}, Rejection.WRONG_DEVICE),
        ({"key": HOUSE_KEY}, Rejection.BAD_MAC),
        ({"last_counter": 12}, Rejection.REPLAYED),
        ({"now_s": EXP_S + 1}, Rejection.EXPIRED),
        ({"current_phase_of": {HOUSE: Phase.Y}.get}, Rejection.WRONG_FROM_PHASE),
        ({"current_phase_of": {}.get}, Rejection.WRONG_FROM_PHASE),
    ],
    ids=["wrong_device", "bad_mac", "replayed", "expired", "wrong_from_phase", "unknown_house"],
)
def test_control_command_rejections(overrides: dict[str, Any], reason: Rejection) -> None:
    assert _verify_ctl(**overrides).reason is reason


@pytest.mark.parametrize(
    "unsigned",
    [
        ControlCommand("h2", FEEDER, 20, EXP_S, ControlAction.SET_MODE, mode=Mode.AUTO),
        ControlCommand("h3", FEEDER, 21, EXP_S, ControlAction.BALANCE_NOW),
        ControlCommand("h4", FEEDER, 22, EXP_S, ControlAction.CONFIG, config={"min_dwell_s": 60}),
        ControlCommand("h5", FEEDER, 23, EXP_S, ControlAction.UNLOCK, house=HOUSE),
    ],
    ids=["set_mode", "balance_now", "config", "unlock"],
)
def test_control_actions_without_a_from_phase(unsigned: ControlCommand) -> None:
    ctl = sign(unsigned, FEEDER_KEY)
    never: Callable[[str], Phase | None] = lambda house: None  # noqa: E731
    assert _verify_ctl(ctl, current_phase_of=never) == ACCEPTED
    assert _verify_ctl(ctl, last_counter=ctl.ctr).reason is Rejection.REPLAYED
    assert not mac_matches(msgspec.structs.replace(ctl, cmd_id="other"), FEEDER_KEY)


# --- ack verification ------------------------------------------------------------------------


def test_ack_verification() -> None:
    assert verify_ack(ACK, key=HOUSE_KEY, house_id=HOUSE) == ACCEPTED
    assert verify_ack(ACK, key=HOUSE_KEY, house_id=HOUSE, command=CMD) == ACCEPTED
    verdict = verify_ack(ACK, key=HOUSE_KEY, house_id="KL-TVM-0042-H018")
    assert verdict.reason is Rejection.WRONG_DEVICE
    forged = msgspec.structs.replace(ACK, ph=Phase.B)
    assert verify_ack(forged, key=HOUSE_KEY, house_id=HOUSE).reason is Rejection.BAD_MAC
    later = sign(msgspec.structs.replace(CMD, cmd_id="c0043", ctr=9), HOUSE_KEY)
    old_ack = verify_ack(ACK, key=HOUSE_KEY, house_id=HOUSE, command=later)
    assert old_ack.reason is Rejection.REPLAYED


def test_negative_ack_round_trips_signed() -> None:
    nack = sign_ack(
        HouseAck("c0042", HOUSE, 8, False, Phase.R, Rejection.WRONG_FROM_PHASE, EXP_S), HOUSE_KEY
    )
    decoded = decode(topic_for(TopicKind.ACK, FEEDER, HOUSE), nack.to_json())
    assert decoded == nack
    assert isinstance(decoded, HouseAck)
    assert verify_ack(decoded, key=HOUSE_KEY, house_id=HOUSE, command=CMD) == ACCEPTED


# --- keys and the firmware's HMAC ------------------------------------------------------------


def test_keys_must_be_bytes_of_at_least_16() -> None:
    with pytest.raises(ValueError, match="16"):
        sign(CMD, b"short-key-15-by")
    with pytest.raises(TypeError):
        sign(CMD, "a string key of more than 16 chars")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="16"):
        _verify_cmd(key=b"")
    assert mac_matches(sign(CMD, b"k" * 16), b"k" * 16)


@settings(max_examples=300, deadline=None)
@given(key=st.binary(max_size=200), msg=st.binary(max_size=300))
def test_hmac_from_sha256_equals_stdlib(key: bytes, msg: bytes) -> None:
    expected = hmac.new(key, msg, hashlib.sha256).digest()
    assert hmac_sha256_from_sha256(key, msg) == expected


@pytest.mark.parametrize("key_len", [0, 16, 63, 64, 65, 128])
def test_hmac_from_sha256_at_block_boundaries(key_len: int) -> None:
    key = bytes(range(key_len))
    assert hmac_sha256_from_sha256(key, b"sp") == hmac.new(key, b"sp", hashlib.sha256).digest()


def test_hmac_from_sha256_rfc4231_case_2() -> None:
    digest = hmac_sha256_from_sha256(b"Jefe", b"what do ya want for nothing?")
    assert digest.hex() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


@settings(max_examples=200, deadline=None)
@given(
    cmd_id=st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True),
    ctr=st.integers(1, 2**53),
    exp=st.integers(978_307_200, 4_102_444_800),
    phases=st.permutations(list(Phase)),
)
def test_signed_commands_round_trip_and_verify(
    cmd_id: str, ctr: int, exp: int, phases: list[Phase]
) -> None:
    cmd = sign(HouseCommand(cmd_id, HOUSE, ctr, exp, phases[0], phases[1]), HOUSE_KEY)
    decoded = decode(topic_for(TopicKind.CMD, FEEDER, HOUSE), cmd.to_json())
    assert decoded == cmd
    assert isinstance(decoded, HouseCommand)
    verdict = _verify_cmd(decoded, last_counter=ctr - 1, now_s=exp, current_phase=phases[0])
    assert verdict == ACCEPTED


# --- committed marks and sealed uplinks ------------------------------------------------------

MARK_KEY = bytes(range(0xA0, 0xC0))


def _mark(seq: int = 12, ctr: int = 5, feeder: str = "KL-TVM-0042") -> Committed:
    return sign(Committed(boot=7, seq=seq, feeder=feeder, ctr=ctr), MARK_KEY)


def test_committed_canonical_string_and_verdicts() -> None:
    mark = _mark()
    assert canonical_bytes(mark) == b"committed|KL-TVM-0042|7|12|5"
    assert mark.mac == mac_hex(MARK_KEY, b"committed|KL-TVM-0042|7|12|5")

    def verdict(
        m: Committed, *, last: int = 4, highest: int = 12, feeder: str = "KL-TVM-0042"
    ) -> Rejection | None:
        return verify_committed(
            m, key=MARK_KEY, feeder_id=feeder, last_counter=last, highest_seq=highest
        ).reason

    assert verdict(mark) is None
    assert verdict(mark, feeder="KL-TVM-0043") is Rejection.WRONG_DEVICE
    assert verdict(msgspec.structs.replace(mark, seq=13), highest=99) is Rejection.BAD_MAC
    assert verdict(mark, last=5) is Rejection.REPLAYED
    assert verdict(mark, highest=11) is Rejection.BEYOND_SENT  # HQ cannot have stored seq 12
    forged = msgspec.structs.replace(_mark(seq=2**53), mac="0" * 64)
    assert verdict(forged, highest=2**53) is Rejection.BAD_MAC


def test_a_seal_covers_the_exact_bytes_the_kind_and_the_feeder() -> None:
    body = b'{"boot":1,"seq":2,"ts":1767225600.0}'
    sealed = seal_uplink(TopicKind.SUMMARY, "KL-TVM-0042", body, MARK_KEY)
    assert len(sealed) == len(body) - 1 + SEAL_BYTES  # the seal replaces the closing brace
    assert json.loads(sealed)["mac"] == mac_hex(MARK_KEY, b"uplink|KL-TVM-0042|summary|" + body)
    assert open_uplink(TopicKind.SUMMARY, "KL-TVM-0042", sealed, MARK_KEY) == body
    assert split_seal(sealed) == (body, json.loads(sealed)["mac"])
    assert open_uplink(TopicKind.EVENT, "KL-TVM-0042", sealed, MARK_KEY) is None
    assert open_uplink(TopicKind.SUMMARY, "KL-TVM-0043", sealed, MARK_KEY) is None
    assert open_uplink(TopicKind.SUMMARY, "KL-TVM-0042", sealed, bytes(32)) is None
    tampered = sealed.replace(b'"seq":2', b'"seq":3')
    assert open_uplink(TopicKind.SUMMARY, "KL-TVM-0042", tampered, MARK_KEY) is None
    assert open_uplink(TopicKind.SUMMARY, "KL-TVM-0042", body, MARK_KEY) is None
    with pytest.raises(WireError):
        seal_uplink(TopicKind.SUMMARY, "KL-TVM-0042", b"{}", MARK_KEY)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_opening_any_bytes_never_raises(payload: bytes) -> None:
    assert open_uplink(TopicKind.READINGS, "KL-TVM-0042", payload, MARK_KEY) is None
