"""The run loop: birth and will, commands through the inbox, telemetry, reconnects."""

import json

import sampler
import service
from fakes import CurrentAdc
from rigs import Rig, command
from runner import run

STATE = "sp/v1/KL-TVM-0042/h/KL-TVM-0042-H017/state"
CMD = "sp/v1/KL-TVM-0042/h/KL-TVM-0042-H017/cmd"
ACK = "sp/v1/KL-TVM-0042/h/KL-TVM-0042-H017/ack"
TELE = "sp/v1/KL-TVM-0042/h/KL-TVM-0042-H017/tele"


class FakeBroker:
    """What the fake clients did, and what the broker will do to them."""

    def __init__(self):
        self.published = []  # (topic, msg, retain, qos)
        self.subscribed = []
        self.will = None
        self.incoming = []
        self.down = False
        self.attempts = 0
        self.connects = 0
        self.closed = 0

    def client(self):
        return FakeClient(self)

    def of(self, topic):
        return [p for p in self.published if p[0] == topic]


class FakeClient:
    """The umqtt.simple API over a FakeBroker."""

    def __init__(self, broker):
        self.broker = broker
        self.cb = None

    def _check(self):
        if self.broker.down:
            raise OSError(113)  # EHOSTUNREACH

    def set_callback(self, f):
        self.cb = f

    def set_last_will(self, topic, msg, retain=False, qos=0):
        self.broker.will = (topic, msg, retain, qos)

    def connect(self, clean_session=True):
        self.broker.attempts += 1
        self._check()
        self.broker.connects += 1

    def subscribe(self, topic, qos=0):
        self._check()
        self.broker.subscribed.append((topic, qos))

    def publish(self, topic, msg, retain=False, qos=0):
        self._check()
        self.broker.published.append((topic, msg, retain, qos))

    def check_msg(self):
        self._check()
        if not self.broker.incoming:
            return None
        topic, msg = self.broker.incoming.pop(0)
        self.cb(topic.encode(), msg)
        return 0x30

    def ping(self):
        self._check()

    def close(self):
        self.broker.closed += 1


class _Cal:
    mains_hz = 50
    spc = 40
    cycles = 10
    v_gain = 0.0217
    v_offset = None
    i_gain = 0.00142
    i_offset = None
    i_lag = 0.0
    i_floor = 0.05


def setup(**limits):
    rig = Rig("R", **limits)
    meter = sampler.Meter(rig.clock, rig.adc, CurrentAdc(rig.clock, 6, 20), _Cal())
    broker = FakeBroker()
    svc = service.NodeService(rig.node, meter, broker.client, rig.clock, 10, 60, log=lambda s: 0)
    return rig, broker, svc


def test_birth_will_and_subscription():
    _, broker, svc = setup()
    svc.step()
    assert broker.will == (STATE, b'{"online":false,"fw":"0.1.0"}', True, 1)
    assert broker.subscribed == [(CMD, 1)]
    assert broker.published[0] == (STATE, b'{"online":true,"fw":"0.1.0"}', True, 1)


def test_command_is_acked_at_qos1_after_the_callback_returns():
    rig, broker, svc = setup()
    svc.step()
    broker.incoming.append((CMD, command(1, "R", "Y")))
    svc.step()
    acks = broker.of(ACK)
    assert len(acks) == 1
    assert acks[0][3] == 1
    assert json.loads(acks[0][1])["ok"] is True
    assert rig.bank.connected() == "Y"
    assert svc.inbox == []


def test_telemetry_every_period():
    rig, broker, svc = setup()
    svc.step()
    svc.step()
    teles = broker.of(TELE)
    assert len(teles) == 1
    tele = json.loads(teles[0][1])
    assert tele["seq"] == 0
    assert tele["ph"] == "R"
    assert tele["relay"] == "ok"
    assert abs(tele["v"] - 230.0) < 0.5
    assert abs(tele["i"] - 6.0) < 0.05
    assert abs(tele["p"] - 1380 * 0.9397) < 5
    assert abs(tele["q"] - 1380 * 0.3420) < 5
    assert teles[0][3] == 0
    for _ in range(5):
        svc.step()
    assert len(broker.of(TELE)) == 1
    rig.clock.advance_s(10)
    svc.step()
    assert len(broker.of(TELE)) == 2
    rig.clock.advance_s(95)  # a long stall: one reading, not a burst
    svc.step()
    svc.step()
    assert len(broker.of(TELE)) == 3


def test_no_telemetry_while_the_clock_is_not_set():
    rig, broker, svc = setup()
    rig.clock.wall0 = 3600
    svc.step()
    svc.step()
    assert broker.of(TELE) == []


def test_lost_link_backs_off_and_leaves_the_relays_alone():
    rig, broker, svc = setup()
    svc.step()
    broker.down = True
    svc.step()
    assert svc.client is None
    assert broker.closed == 1
    for _ in range(40):  # 20 s without a broker
        rig.clock.advance_s(0.5)
        svc.step()
    assert broker.attempts == 1 + 4, "retries after 1, 2, 4 and 8 s"
    assert rig.bank.pulses() == []
    assert rig.bank.connected() == "R"
    broker.down = False
    rig.clock.advance_s(16)
    svc.step()
    assert broker.connects == 2
    assert broker.of(STATE)[-1][1] == b'{"online":true,"fw":"0.1.0"}'
    assert svc.backoff_s == 1


def test_inbox_is_bounded():
    _, _, svc = setup()
    svc.step()
    for k in range(service.INBOX_MAX + 3):
        svc._on_message(CMD.encode(), command(k + 1))
    assert len(svc.inbox) == service.INBOX_MAX
    assert svc.dropped == 3


def test_run_stops_and_feeds_the_watchdog():
    _, _, svc = setup()
    fed = []

    class Wdt:
        def feed(self):
            fed.append(1)

    svc.run(wdt=Wdt(), stop=lambda: len(fed) >= 5)
    assert len(fed) == 5


run(globals())
