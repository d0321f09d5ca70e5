"""Print the node's outgoing messages, one JSON line each, for grid/ to decode and verify.

Each line is {"topic": ..., "payload": ...}: birth and will state, telemetry, an accepted
ack, and one ack for every rejection reason the node can give.
"""

import json

import power
from rigs import Rig, command


def emit(topic, payload):
    print(json.dumps({"topic": topic, "payload": payload.decode()}))


def main():
    rig = Rig("R")
    node = rig.node
    emit(node.topic("state"), node.state_payload(True))
    emit(node.topic("state"), node.state_payload(False))
    reading = power.Reading(v=231.2, i=7.5, p=1650.4, q=-310.2, s=1734.0, pf=0.95, pv=1200.0)
    emit(node.topic("tele"), node.telemetry(reading))
    emit(node.topic("tele"), node.telemetry(power.Reading(v=229.0, i=9.0, p=-2000.0)))
    emit(node.topic("ack"), node.on_command(command(1, "R", "Y")))
    cases = (
        command(2, "Y", "B", mac="0" * 64),  # bad_mac
        command(1, "Y", "B", cmd_id="again"),  # replayed
        command(2, "Y", "B", exp=1767224000),  # expired
        command(3, "R", "B"),  # wrong_from_phase
        command(4, "Y", "B", house="KL-TVM-0042-H018"),  # wrong_device
        command(5, "Y", "B"),  # interlock_min_dwell
        command(6, "Y", "Y"),  # malformed
    )
    for payload in cases:
        emit(node.topic("ack"), node.on_command(payload))
    rig.bank.stuck.add("B")
    rig.clock.advance_s(1800)
    exp = int(rig.clock.now_s()) + 60
    emit(node.topic("ack"), node.on_command(command(7, "Y", "B", exp=exp)))  # interlock_feedback
    emit(node.topic("ack"), node.on_command(command(8, "Y", "B", exp=exp)))  # interlock_locked
    emit(node.topic("tele"), node.telemetry(reading))  # relay "locked"


main()
