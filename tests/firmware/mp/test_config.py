"""Site settings and the ESP32 wiring, with a fake `machine` module standing in for the board."""

import sys

import config
import relay
import service
from fakes import MOUNT, FakeClock, FakeRelayBank, fresh_flash
from runner import raises, run


class Site:
    """A site_config module."""

    HOUSE_ID = "KL-TVM-0042-H017"
    FEEDER_ID = "KL-TVM-0042"
    KEY_HEX = "00" * 32
    MQTT_HOST = "edge.local"
    V_GAIN = 0.02


def site(**changes):
    class Changed(Site):
        pass

    for name, value in changes.items():
        setattr(Changed, name, value)
    return Changed


def test_site_values_override_defaults():
    cfg = config.load(Site)
    assert cfg.house_id == "KL-TVM-0042-H017"
    assert cfg.v_gain == 0.02
    assert cfg.i_gain == 0.00142
    assert cfg.min_dwell_s == 1800
    assert cfg.max_per_day == 3
    assert cfg.key == bytes(32)


def test_example_config_names_are_all_known():
    import config_example  # noqa: PLC0415

    names = [n for n in dir(config_example) if n.isupper()]
    known = [n for n, _ in config.FIELDS]
    assert names
    for name in names:
        assert name in known, name


def test_mistakes_are_refused():
    raises(ValueError, config.load, site(V_GIAN=0.02))
    raises(ValueError, config.load, site(HOUSE_ID="KL-TVM-0043-H017"))
    raises(ValueError, config.load, site(KEY_HEX="00" * 15))
    raises(ValueError, config.load, site(SPC=42))
    raises(ValueError, config.load, site(PIN_SET=(1, 2)))


class _Pin:
    OUT = 1
    IN = 0
    PULL_UP = 2

    def __init__(self, n, mode=None, pull=None, value=None):
        self.n = n
        self.mode = mode
        self.pull = pull
        self.level = value

    def value(self, v=None):
        if v is None:
            return 1 if self.mode == _Pin.IN else self.level
        self.level = v
        return None


class _ADC:
    ATTN_11DB = 3

    def __init__(self, pin, atten=None):
        self.pin = pin
        self.atten = atten

    def read_u16(self):
        return 32768


class _Machine:
    Pin = _Pin
    ADC = _ADC


def test_hardware_wires_the_pin_map():
    sys.modules["machine"] = _Machine
    import hardware  # noqa: PLC0415

    cfg = config.load(site(PV_FITTED=True))
    meter, relays, zero_cross = hardware.build(cfg, FakeClock())
    assert meter.v_adc.adc.pin.n == 36
    assert meter.i_adc.adc.pin.n == 39
    assert meter.pv_adc.adc.pin.n == 34
    assert meter.v_adc.adc.atten == _ADC.ATTN_11DB
    assert meter.v_adc.read() == 32768
    assert [p.n for p in relays.set_pins] == [25, 27, 32]
    assert [p.n for p in relays.reset_pins] == [26, 14, 33]
    assert [p.n for p in relays.feedback_pins] == [18, 19, 21]
    assert all(p.level == 0 for p in relays.set_pins + relays.reset_pins)
    assert all(p.pull == _Pin.PULL_UP for p in relays.feedback_pins)
    assert relays.closed() == [], "pulled-up inputs read open"
    assert zero_cross.period_us == 500


def test_make_node_reads_the_phase_and_keeps_the_state_on_flash():
    fresh_flash()
    cfg = config.load(site(STATE_DIR=MOUNT + "/state", MIN_DWELL_S=900))
    clock = FakeClock()
    bank = FakeRelayBank(clock, "B")
    relays = relay.PhaseRelays(clock, bank.set_pins, bank.reset_pins, bank.feedback_pins)
    house = service.make_node(cfg, clock, relays, None)
    assert house.house_id == "KL-TVM-0042-H017"
    assert house.switcher.phase() == "B"
    assert house.switcher.limits.min_dwell_s == 900
    assert house.switcher.limits.tz_offset_s == 19800
    again = service.make_node(cfg, clock, relays, None)
    assert again.switcher.state.phase == "B"
    assert bank.log == []


run(globals())
