"""HMAC-SHA256 from hashlib.sha256 and the canonical bytes of commands and acks (DESIGN §7).

MicroPython has no hmac module, so the MAC is built from RFC 2104 by hand. The canonical
strings are those of grid/signing.py, field for field:

    cmd|{id}|{house}|{ctr}|{exp}|{from}|{to}
    ack|{id}|{house}|{ctr}|{ok 1/0}|{ph}|{reason}|{ts}

tests/vectors/signing.json proves both sides produce the same bytes and MACs.
"""

import hashlib

BLOCK = 64
"""Block size of SHA-256, the length HMAC pads its key to [bytes]."""

KEY_MIN = 16
"""Shortest accepted key [bytes]."""

_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def hmac_sha256(key, msg):
    """Return HMAC-SHA256(key, msg) as 32 bytes."""
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key + bytes(BLOCK - len(key))
    inner = hashlib.sha256(bytes(_IPAD[b] for b in key))
    inner.update(msg)
    outer = hashlib.sha256(bytes(_OPAD[b] for b in key))
    outer.update(inner.digest())
    return outer.digest()


def mac_hex(key, msg):
    """Return HMAC-SHA256(key, msg) as 64 lowercase hex digits."""
    if len(key) < KEY_MIN:
        raise ValueError("a signing key has at least 16 bytes")
    return hmac_sha256(key, msg).hex()


def equal(a, b):
    """Return True if two str or bytes values are equal, in constant time for equal lengths."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    diff = len(a) ^ len(b)
    if diff:
        b = a
    for n in range(len(a)):
        diff |= a[n] ^ b[n]
    return diff == 0


def command_bytes(cmd):
    """Return the bytes a command's MAC covers; `cmd` is a dict of parsed wire fields."""
    parts = (
        "cmd",
        cmd["id"],
        cmd["house"],
        str(cmd["ctr"]),
        str(cmd["exp"]),
        cmd["from"],
        cmd["to"],
    )
    return "|".join(parts).encode()


def ack_bytes(cmd_id, house, ctr, ok, ph, reason, ts):
    """Return the bytes an ack's MAC covers."""
    parts = (
        "ack",
        cmd_id,
        house,
        str(ctr),
        "1" if ok else "0",
        ph,
        reason,
        str(ts),
    )
    return "|".join(parts).encode()
