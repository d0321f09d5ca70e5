"""A house node on fake hardware: relays, mains, clock and flash, rebuilt as a reboot does."""

import json

import node
import persist
import relay
import sampler
import signing
from fakes import MOUNT, FakeClock, FakeRelayBank, MainsAdc, fresh_flash

HOUSE = "KL-TVM-0042-H017"
FEEDER = "KL-TVM-0042"
KEY = bytes(range(32))  # the house key of tests/vectors/signing.json
EXP = 1767225600  # the vectors' expiry, ten minutes after fakes.WALL0 [epoch s]


class Rig:
    """A switcher on fake relays, its clock, and the flash its journal lives on."""

    def __init__(self, phase="R", wall_s=None, v_rms=230.0, hz=50, dev=None, **limits):
        self.clock = FakeClock() if wall_s is None else FakeClock(wall_s)
        self.bank = FakeRelayBank(self.clock, phase)
        self.adc = MainsAdc(self.clock, self.bank, v_rms=v_rms, hz=hz)
        self.dev = fresh_flash() if dev is None else dev
        self.boot(**limits)

    def boot(self, **limits):
        """Build relays, zero-cross detector, journal and switcher as a fresh start does."""
        clock = self.clock
        bank = self.bank
        self.zc = sampler.ZeroCross(clock, self.adc, 2000, lambda: 32768)
        self.relays = relay.PhaseRelays(
            clock, bank.set_pins, bank.reset_pins, bank.feedback_pins, pulse_ms=40
        )
        self.journal = persist.Journal(MOUNT + "/state")
        state = self.journal.load()
        self.switcher = relay.Switcher(
            clock, self.relays, self.zc, self.journal, state, relay.Limits(**limits)
        )
        self.node = node.HouseNode(clock, HOUSE, FEEDER, KEY, self.switcher)

    def switch(self, to):
        return self.switcher.switch(to, self.clock.now_s())

    def set_wall(self, wall_s):
        self.clock.us = int((wall_s - self.clock.wall0) * 1_000_000)


def command(ctr, frm="R", to="Y", cmd_id=None, house=HOUSE, exp=EXP, key=KEY, mac=None):
    """Return a signed command payload, fields in the contract's order."""
    cmd = {"id": cmd_id or "c" + str(ctr), "house": house, "ctr": ctr, "exp": exp}
    cmd["from"] = frm
    cmd["to"] = to
    if mac is None:
        mac = signing.mac_hex(key, signing.command_bytes(cmd))
    order = ("id", "house", "ctr", "exp", "from", "to")
    parts = ['"' + k + '":' + json.dumps(cmd[k]) for k in order]
    return ("{" + ",".join(parts) + ',"mac":"' + mac + '"}').encode()


def check_ack(payload, ok, reason, ph, ctr=None, key=KEY):
    """Parse an ack payload, check its keys, MAC and fields; return it as a dict."""
    assert payload is not None, "no ack"
    text = payload.decode()
    assert text.startswith('{"id":'), text
    ack = json.loads(payload)
    keys = ("id", "house", "ctr", "ok", "ph", "reason", "ts", "mac")
    assert sorted(ack) == sorted(keys), text
    assert ack["house"] == HOUSE
    canonical = signing.ack_bytes(
        ack["id"], ack["house"], ack["ctr"], ack["ok"], ack["ph"], ack["reason"], ack["ts"]
    )
    assert ack["mac"] == signing.mac_hex(key, canonical), "ack MAC"
    assert ack["ok"] is ok, text
    assert ack["reason"] == reason, text
    assert ack["ph"] == ph, text
    if ctr is not None:
        assert ack["ctr"] == ctr, text
    return ack
