"""A house node on fake relays and synthetic mains, talking to a real MQTT broker.

Run: micropython e2e_node.py HOST PORT FEEDER HOUSE KEY_HEX SECONDS
It prints "pulses=N" (relay coil pulses so far) after every command it handles.
"""

import sys

import clock
import mqtt
import node
import persist
import relay
import sampler
import service
from fakes import MOUNT, CurrentAdc, FakeRelayBank, MainsAdc, fresh_flash


class Cal:
    mains_hz = 50
    spc = 40
    cycles = 10
    v_gain = 0.0217
    v_offset = None
    i_gain = 0.00142
    i_offset = None
    i_lag = 0.0
    i_floor = 0.05


def main():
    host, port, feeder, house, key_hex, seconds = sys.argv[1:7]
    clk = clock.Clock()
    bank = FakeRelayBank(clk, "R")
    v_adc = MainsAdc(clk, bank)
    meter = sampler.Meter(clk, v_adc, CurrentAdc(clk, 8.0, 25.0), Cal())
    zero_cross = sampler.ZeroCross(clk, v_adc, meter.rate_hz, lambda: meter.v_offset)
    relays = relay.PhaseRelays(clk, bank.set_pins, bank.reset_pins, bank.feedback_pins)
    fresh_flash()
    journal = persist.Journal(MOUNT + "/state")
    switcher = relay.Switcher(clk, relays, zero_cross, journal, journal.load(), relay.Limits())
    house_node = node.HouseNode(clk, house, feeder, bytes.fromhex(key_hex), switcher)

    handle = house_node.on_command

    def on_command(payload):
        ack = handle(payload)
        print("pulses=" + str(relays.pulses))
        return ack

    house_node.on_command = on_command

    def client():
        return mqtt.MQTTClient(house, host, int(port), keepalive=10, timeout_s=5)

    svc = service.NodeService(house_node, meter, client, clk, tele_period_s=1, keepalive_s=10)
    start = clk.ticks_ms()
    svc.run(stop=lambda: clk.ticks_diff(clk.ticks_ms(), start) > int(seconds) * 1000)


main()
