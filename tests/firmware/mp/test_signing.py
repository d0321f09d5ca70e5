"""HMAC-SHA256 and canonical bytes of the firmware against tests/vectors/signing.json.

Run: micropython test_signing.py PATH/TO/signing.json
"""

import json
import sys

import signing
import wire
from runner import raises, run

VECTORS_PATH = sys.argv[1]


def vectors(prefix=""):
    with open(VECTORS_PATH) as f:
        every = json.load(f)
    return [v for v in every if v["name"].startswith(prefix)]


def test_all_thirteen_vectors_are_read():
    names = [v["name"] for v in vectors()]
    assert len(names) >= 13, names
    assert len(vectors("cmd_")) == 5
    assert len(vectors("ack_")) == 2
    assert len(vectors("ctl_")) == 6


def test_every_vector_mac_reproduced_from_its_canonical_bytes():
    for v in vectors():
        key = bytes.fromhex(v["key_hex"])
        mac = signing.mac_hex(key, v["canonical"].encode())
        assert mac == v["mac"], v["name"] + ": " + mac


def test_command_vectors_canonical_bytes_built_from_the_message():
    for v in vectors("cmd_"):
        cmd = wire.parse_command(v["message"].encode())
        assert signing.command_bytes(cmd) == v["canonical"].encode(), v["name"]
        key = bytes.fromhex(v["key_hex"])
        expected = signing.mac_hex(key, signing.command_bytes(cmd))
        assert signing.equal(expected, cmd["mac"]), v["name"]


def test_ack_vectors_rebuilt_byte_for_byte():
    for v in vectors("ack_"):
        msg = json.loads(v["message"])
        payload = wire.ack(
            bytes.fromhex(v["key_hex"]),
            msg["id"],
            msg["house"],
            msg["ctr"],
            msg["ok"],
            msg["ph"],
            msg["reason"],
            msg["ts"],
        )
        assert payload == v["message"].encode(), payload
        canonical = signing.ack_bytes(
            msg["id"], msg["house"], msg["ctr"], msg["ok"], msg["ph"], msg["reason"], msg["ts"]
        )
        assert canonical == v["canonical"].encode(), v["name"]


def test_rfc4231_case_1():
    mac = signing.hmac_sha256(b"\x0b" * 20, b"Hi There").hex()
    assert mac == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"


def test_rfc4231_case_6_key_longer_than_a_block():
    key = b"\xaa" * 131
    msg = b"Test Using Larger Than Block-Size Key - Hash Key First"
    mac = signing.hmac_sha256(key, msg).hex()
    assert mac == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"


def test_short_key_refused():
    raises(ValueError, signing.mac_hex, b"fifteen bytes!!", b"x")


def test_equal_compares_whole_values():
    mac = "a" * 64
    assert signing.equal(mac, "a" * 64)
    assert not signing.equal(mac, "a" * 63 + "b")
    assert not signing.equal(mac, "b" + "a" * 63)
    assert not signing.equal(mac, "a" * 63)
    assert not signing.equal(mac, "")
    assert signing.equal(b"\x00\x01", b"\x00\x01")


run(globals())
