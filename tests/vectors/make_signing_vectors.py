"""Build tests/vectors/signing.json, the signing vectors shared with the house-node firmware.

Each vector is {"name", "key_hex", "message", "canonical", "mac"}: `message` is the compact JSON
exactly as sent (with its mac), `canonical` the string the MAC covers, `mac` HMAC-SHA256 in
lowercase hex. Keys and times are fixed, so the file only changes when the contract does.

Regenerate from the repository root: python -m tests.vectors.make_signing_vectors
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grid.messages import ControlAction, ControlCommand, HouseAck, HouseCommand, Mode
from grid.phasors import Phase
from grid.signing import canonical_bytes, sign

VECTORS_PATH = Path(__file__).with_name("signing.json")

HOUSE_KEY = bytes(range(32))
"""Key of house KL-TVM-0042-H017 in the vectors (32 bytes 00..1f)."""

FEEDER_KEY = bytes(range(0xA0, 0xC0))
"""Key of feeder KL-TVM-0042 in the vectors (32 bytes a0..bf)."""

SHORT_KEY = b"SmartPhase-16-B!"
"""The shortest accepted key (16 bytes)."""

LONG_KEY = bytes(range(0x30, 0x80))
"""A key longer than the SHA-256 block (80 bytes), which HMAC hashes first."""

FEEDER = "KL-TVM-0042"
HOUSE = "KL-TVM-0042-H017"
EXP_S = 1_767_225_600  # 2026-01-01T00:00:00Z
TS_S = 1_767_225_540  # one minute earlier


def _cmd(cmd_id: str, ctr: int, from_phase: Phase, to_phase: Phase) -> HouseCommand:
    return HouseCommand(cmd_id, HOUSE, ctr, EXP_S, from_phase, to_phase)


def _ctl(cmd_id: str, ctr: int, action: ControlAction, **fields: Any) -> ControlCommand:
    return ControlCommand(cmd_id, FEEDER, ctr, EXP_S, action, **fields)


CASES: tuple[tuple[str, bytes, HouseCommand | HouseAck | ControlCommand], ...] = (
    ("cmd_r_to_y", HOUSE_KEY, _cmd("c0001", 1, Phase.R, Phase.Y)),
    ("cmd_y_to_b", HOUSE_KEY, _cmd("c0002", 2, Phase.Y, Phase.B)),
    ("cmd_b_to_r", HOUSE_KEY, _cmd("c0003", 3, Phase.B, Phase.R)),
    ("cmd_16_byte_key", SHORT_KEY, _cmd("c0004", 4, Phase.R, Phase.B)),
    ("cmd_80_byte_key", LONG_KEY, _cmd("c0005", 5, Phase.B, Phase.Y)),
    ("ack_ok", HOUSE_KEY, HouseAck("c0001", HOUSE, 1, True, Phase.Y, "", TS_S)),
    (
        "ack_rejected",
        HOUSE_KEY,
        HouseAck("c0002", HOUSE, 2, False, Phase.R, "wrong_from_phase", TS_S),
    ),
    (
        "ctl_set_mode_manual",
        FEEDER_KEY,
        _ctl("h0101", 101, ControlAction.SET_MODE, mode=Mode.MANUAL),
    ),
    ("ctl_set_mode_auto", FEEDER_KEY, _ctl("h0102", 102, ControlAction.SET_MODE, mode=Mode.AUTO)),
    (
        "ctl_switch",
        FEEDER_KEY,
        _ctl(
            "h0103",
            103,
            ControlAction.SWITCH,
            house=HOUSE,
            from_phase=Phase.R,
            to_phase=Phase.B,
        ),
    ),
    ("ctl_balance_now", FEEDER_KEY, _ctl("h0104", 104, ControlAction.BALANCE_NOW)),
    (
        "ctl_config",
        FEEDER_KEY,
        _ctl(
            "h0105",
            105,
            ControlAction.CONFIG,
            config={
                "min_dwell_s": 1800,
                "max_switches_per_day": 3,
                "hysteresis_pct": 7.5,
                "min_gain_a": 0.25,
                "neutral_bias_a": -1.125,
            },
        ),
    ),
    ("ctl_unlock", FEEDER_KEY, _ctl("h0106", 106, ControlAction.UNLOCK, house=HOUSE)),
)
"""(name, key, unsigned message) of every vector."""


def build_vectors() -> list[dict[str, str]]:
    """Return the signing vectors of the current code."""
    vectors = []
    for name, key, unsigned in CASES:
        signed = sign(unsigned, key)
        vectors.append(
            {
                "name": name,
                "key_hex": key.hex(),
                "message": signed.to_json().decode("utf-8"),
                "canonical": canonical_bytes(signed).decode("utf-8"),
                "mac": signed.mac,
            }
        )
    return vectors


def render(vectors: list[dict[str, str]]) -> str:
    """Return the vectors as the text of signing.json."""
    return json.dumps(vectors, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Write signing.json next to this script."""
    VECTORS_PATH.write_text(render(build_vectors()), encoding="utf-8")
    print(f"wrote {len(CASES)} vectors to {VECTORS_PATH}")


if __name__ == "__main__":
    main()
