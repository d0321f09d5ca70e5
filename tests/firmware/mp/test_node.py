"""Commands end to end on the node: every rejection path is acked, counted and moves nothing.

Run: micropython test_node.py PATH/TO/signing.json
"""

import json
import sys

import power
from fakes import remount
from rigs import EXP, KEY, Rig, check_ack, command
from runner import run

VECTORS_PATH = sys.argv[1]


def vector(name):
    with open(VECTORS_PATH) as f:
        for v in json.load(f):
            if v["name"] == name:
                return v
    raise KeyError(name)


def refused(rig, payload, reason, ph="R", ctr=None):
    """Send a command that must be refused: check the ack, the count and no relay operation."""
    pulses = len(rig.bank.pulses())
    operations = rig.relays.pulses
    before = rig.node.rejections.get(reason, 0)
    ack = rig.node.on_command(payload)
    check_ack(ack, False, reason, ph, ctr)
    assert len(rig.bank.pulses()) == pulses, "a refused command moved a relay"
    assert rig.relays.pulses == operations
    assert rig.node.rejections[reason] == before + 1
    return ack


def test_vector_commands_signed_by_grid_drive_the_node():
    rig = Rig("R", min_dwell_s=0)
    for name, to in (("cmd_r_to_y", "Y"), ("cmd_y_to_b", "B"), ("cmd_b_to_r", "R")):
        ack = rig.node.on_command(vector(name)["message"].encode())
        check_ack(ack, True, "", to)
        assert rig.bank.connected() == to
    assert rig.node.accepted == 3
    assert rig.node.rejections == {}
    assert len(rig.bank.pulses()) == 6


def test_accepted_command_acks_the_measured_phase():
    rig = Rig("R")
    ack = check_ack(rig.node.on_command(command(1, "R", "B")), True, "", "B", 1)
    assert ack["id"] == "c1"
    assert ack["ts"] == int(rig.clock.now_s())
    assert rig.switcher.state.ctr == 1


def test_bad_mac_forged_or_tampered():
    rig = Rig("R")
    good = command(1)
    tampered = good.replace(b'"to":"Y"', b'"to":"B"')
    refused(rig, tampered, "bad_mac", ctr=1)
    flipped = command(1, mac=("0" if good[-4:-3] != b"0" else "1") + "f" * 63)
    refused(rig, flipped, "bad_mac", ctr=1)
    refused(rig, command(1, key=b"SmartPhase-16-B!"), "bad_mac", ctr=1)
    refused(rig, vector("cmd_16_byte_key")["message"].encode(), "bad_mac", ctr=4)
    assert rig.switcher.state.ctr == 0, "a forged command must not use up a counter"


def test_replayed_counters():
    rig = Rig("R", min_dwell_s=0)
    check_ack(rig.node.on_command(command(5, "R", "Y")), True, "", "Y")
    refused(rig, command(5, "Y", "B", cmd_id="other"), "replayed", "Y", 5)
    refused(rig, command(4, "Y", "B"), "replayed", "Y", 4)
    refused(rig, vector("cmd_r_to_y")["message"].encode(), "replayed", "Y", 1)


def test_expired():
    rig = Rig("R")
    refused(rig, command(1, exp=int(rig.clock.now_s()) - 1), "expired")
    assert rig.switcher.state.ctr == 0
    rig.clock.advance_s(EXP - rig.clock.now_s())
    check_ack(rig.node.on_command(command(2)), True, "", "Y")  # valid up to and including exp


def test_clock_not_set():
    rig = Rig("R", wall_s=3600)  # the ESP32 before NTP
    refused(rig, command(1), "no_clock")


def test_wrong_from_phase_uses_up_the_counter():
    rig = Rig("R")
    refused(rig, command(3, "Y", "B"), "wrong_from_phase", "R", 3)
    assert rig.switcher.state.ctr == 3
    refused(rig, command(3, "R", "B", cmd_id="again"), "replayed", "R", 3)


def test_not_this_house():
    rig = Rig("R")
    refused(rig, command(1, house="KL-TVM-0042-H018"), "wrong_device", ctr=1)
    refused(rig, command(1, house="KL-TVM-0043-H017"), "wrong_device", ctr=1)


def test_malformed_commands():
    rig = Rig("R")
    good = command(1)
    cases = (
        good.replace(b'"to":"Y"', b'"to":"R"'),  # from == to
        good.replace(b'"to":"Y"', b'"to":"N"'),
        good.replace(b'"exp":1767225600', b'"exp":1767225600.5'),
        good.replace(b'"house":"KL-TVM-0042-H017"', b'"house":"KL-TVM-0042-H017/#"'),
        good.replace(b',"mac"', b',"extra":1,"mac"'),
        good.replace(b'"mac":"', b'"mac":"A'),
    )
    for payload in cases:
        refused(rig, payload, "malformed", ctr=1)
    pulses = len(rig.bank.pulses())
    for payload in (
        b"",
        b"not json",
        b"[1,2]",
        b'{"id":"c1","ctr":1.0}',
        b'{"ctr":1}',
        b"{" * 2000,
    ):
        assert rig.node.on_command(payload) is None, payload
    assert rig.node.rejections["malformed"] == len(cases) + 6
    assert len(rig.bank.pulses()) == pulses
    assert rig.switcher.state.ctr == 0


def test_interlocks_are_acked_and_use_up_the_counter():
    rig = Rig("R")
    check_ack(rig.node.on_command(command(1, "R", "Y")), True, "", "Y")
    refused(rig, command(2, "Y", "B"), "interlock_min_dwell", "Y", 2)
    assert rig.switcher.state.ctr == 2
    rig.clock.advance_s(1800)
    refused(rig, command(2, "Y", "B", cmd_id="again"), "replayed", "Y", 2)


def test_daily_cap_and_lockout_through_commands():
    rig = Rig("R", min_dwell_s=0)
    for ctr, (frm, to) in enumerate((("R", "Y"), ("Y", "B"), ("B", "R")), 1):
        check_ack(rig.node.on_command(command(ctr, frm, to)), True, "", to)
    refused(rig, command(4, "R", "Y"), "interlock_daily_cap", "R", 4)

    rig = Rig("R")
    rig.bank.stuck.add("Y")
    pulses = len(rig.bank.pulses())
    check_ack(rig.node.on_command(command(1, "R", "Y")), False, "interlock_feedback", "R")
    assert len(rig.bank.pulses()) == pulses + 3  # break, failed make, restore
    rig.clock.advance_s(86400)
    refused(rig, command(2, "R", "Y", exp=int(rig.clock.now_s()) + 60), "interlock_locked", "R")


def test_feedback_fault_and_no_voltage_refuse():
    rig = Rig("R")
    rig.bank.feedback_stuck_open.add("R")
    assert rig.switcher.status() == "fault"
    refused(rig, command(1, "R", "Y"), "interlock_feedback", "R")  # no phase reads closed
    rig.bank.feedback_stuck_open.clear()
    rig.bank.closed["Y"] = True  # two phases read closed
    refused(rig, command(2, "R", "Y"), "interlock_feedback", "R")
    rig = Rig("R", v_rms=0.0)
    refused(rig, command(1, "R", "Y"), "interlock_zero_cross", "R")


def test_duplicate_delivery_gets_the_same_ack_and_no_second_switch():
    rig = Rig("R")
    payload = command(1, "R", "Y")
    first = rig.node.on_command(payload)
    rig.clock.advance_s(2)
    again = rig.node.on_command(payload)
    assert again == first
    assert len(rig.bank.pulses()) == 2
    assert rig.node.rejections == {}


def test_a_replay_does_not_replace_the_ack_kept_for_redelivery():
    rig = Rig("R")
    payload = command(5, "R", "Y")
    first = rig.node.on_command(payload)
    refused(rig, command(5, "Y", "B", cmd_id="other"), "replayed", "Y", 5)
    assert rig.node.on_command(payload) == first


def test_counter_persists_across_a_reboot():
    rig = Rig("R", min_dwell_s=0)
    check_ack(rig.node.on_command(command(7, "R", "Y")), True, "", "Y")
    remount(rig.dev)
    rig.boot(min_dwell_s=0)
    assert rig.switcher.state.ctr == 7
    refused(rig, command(7, "Y", "B", cmd_id="after-reboot"), "replayed", "Y", 7)
    check_ack(rig.node.on_command(command(8, "Y", "B")), True, "", "B")


def test_telemetry_payload():
    rig = Rig("R")
    reading = power.Reading(v=230.04, i=5.12345, p=1100.06, q=-200.0, s=1200.0, pf=0.9, pv=12.26)
    first = rig.node.telemetry(reading)
    assert first == (
        b'{"ts":1767225000,"seq":0,"v":230.0,"i":5.123,"p":1100.1,"q":-200.0,'
        b'"pv":12.3,"ph":"R","relay":"ok"}'
    ), first
    second = json.loads(rig.node.telemetry(power.Reading(v=999.0, p=-90000.0)))
    assert second["seq"] == 1
    assert second["v"] == 480.0
    assert second["p"] == -50000.0
    rig.bank.feedback_stuck_open.add("R")
    assert json.loads(rig.node.telemetry(reading))["relay"] == "fault"


def test_state_payloads():
    rig = Rig("R")
    assert rig.node.state_payload(True) == b'{"online":true,"fw":"0.1.0"}'
    assert rig.node.state_payload(False) == b'{"online":false,"fw":"0.1.0"}'
    assert rig.node.topic("cmd") == "sp/v1/KL-TVM-0042/h/KL-TVM-0042-H017/cmd"


def test_node_refuses_a_short_key_or_a_foreign_house_id():
    rig = Rig("R")
    node_type = type(rig.node)
    for house, key in (("KL-TVM-0042-H017", KEY[:15]), ("KL-TVM-0043-H017", KEY)):
        try:
            node_type(rig.clock, house, "KL-TVM-0042", key, rig.switcher)
        except ValueError:
            continue
        raise AssertionError("accepted " + house)


run(globals())
