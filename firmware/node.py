"""The house node: verify commands, switch, acknowledge, and build telemetry and state.

A command goes through these checks in order (as grid.signing.verify_house_command); the
first that fails is the ack's reason, with ok=false and no relay operation:

    malformed        the payload breaks the contract (acked when its id and ctr are readable)
    wrong_device     addressed to another house
    bad_mac          the MAC is not right for this house's key (compared in constant time)
    replayed         the counter is not above the last accepted one
    no_clock         the node's clock is not set, so expiry cannot be checked
    expired          the node's clock is past `exp`
    wrong_from_phase the house is not on the command's `from` phase
    interlock_*      an interlock of relay.Switcher refused or stopped the switch

A command that passes MAC, counter and expiry consumes its counter in flash before anything
else happens, so it can never be replayed, even if the switch is then refused. The exact
command acked last (same MAC), delivered again by MQTT QoS 1, gets the same ack again and
moves nothing.
"""

import signing
import wire

FW_VERSION = "0.1.0"


class HouseNode:
    """One house: its identity and key, its Switcher and the counts of what it refused."""

    def __init__(self, clock, house_id, feeder_id, key, switcher, fw=FW_VERSION):
        if not house_id.startswith(feeder_id + "-"):
            raise ValueError("the house id starts with its feeder id and '-'")
        if len(key) < signing.KEY_MIN:
            raise ValueError("the house key has at least 16 bytes")
        self.clock = clock
        self.house_id = house_id
        self.feeder_id = feeder_id
        self.key = key
        self.switcher = switcher
        self.fw = fw
        self.seq = 0
        self.accepted = 0
        self.rejections = {}  # reason -> count since start
        self._last_cmd = None  # (canonical bytes, mac) of the last command that used its counter
        self._last_ack = None

    def topic(self, kind):
        """Return this house's topic of `kind` (tele, cmd, ack, state)."""
        return wire.topic(self.feeder_id, self.house_id, kind)

    def _reject(self, reason):
        self.rejections[reason] = self.rejections.get(reason, 0) + 1

    def _verify(self, cmd, now_s):
        """Return the first failed check of a parsed command, or None; consume its counter."""
        if cmd["house"] != self.house_id:
            return "wrong_device"
        expected = signing.mac_hex(self.key, signing.command_bytes(cmd))
        if not signing.equal(expected, cmd["mac"]):
            return "bad_mac"
        state = self.switcher.state
        if cmd["ctr"] <= state.ctr:
            return "replayed"
        if now_s < wire.TS_MIN:
            return "no_clock"
        if now_s > cmd["exp"]:
            return "expired"
        state.ctr = cmd["ctr"]
        self.switcher.journal.save(state)
        if cmd["from"] != self.switcher.phase():
            return "wrong_from_phase"
        return None

    def on_command(self, payload):
        """Handle one `cmd` payload; return the ack payload to publish, or None."""
        now_s = self.clock.now_s()
        try:
            cmd = wire.parse_command(payload)
        except wire.CommandError as exc:
            self._reject("malformed")
            if exc.cmd_id is None or exc.ctr is None:
                return None
            return self._ack(exc.cmd_id, exc.ctr, False, "malformed")
        canonical = signing.command_bytes(cmd)
        if self._last_cmd == (canonical, cmd["mac"]):
            return self._last_ack
        before = self.switcher.state.ctr
        reason = self._verify(cmd, now_s)
        if reason is None:
            reason = self.switcher.switch(cmd["to"], now_s)
        if reason is None:
            self.accepted += 1
        else:
            self._reject(reason)
        ack = self._ack(cmd["id"], cmd["ctr"], reason is None, reason or "")
        if self.switcher.state.ctr != before:  # the command used its counter
            self._last_cmd = (canonical, cmd["mac"])
            self._last_ack = ack
        return ack

    def _ack(self, cmd_id, ctr, ok, reason):
        ts = int(self.clock.now_s())
        ph = self.switcher.phase()
        return wire.ack(self.key, cmd_id, self.house_id, ctr, ok, ph, reason, ts)

    def telemetry(self, reading):
        """Return the next telemetry payload for a power.Reading."""
        payload = wire.telemetry(
            self.clock.now_s(), self.seq, reading, self.switcher.phase(), self.switcher.status()
        )
        self.seq += 1
        return payload

    def state_payload(self, online):
        """Return the retained state payload: birth (online) or last will (offline)."""
        return wire.state(online, self.fw)
