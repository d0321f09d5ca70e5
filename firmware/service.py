"""The node's run loop: stay connected, publish state and telemetry, answer commands.

The MQTT callback only puts the payload in a short inbox; `step()` takes commands from it
after `check_msg()` returns, so no command is handled inside the client's packet loop. A
broken connection is closed and retried with a growing back-off; the relays are latching and
nothing here touches them, so a lost link or a reboot leaves the house on its phase.
"""

import node as node_module
import persist
import relay
import wire

INBOX_MAX = 8


def make_node(cfg, clock, relays, zero_cross):
    """Return the HouseNode of `cfg` with its Switcher and the state loaded from flash."""
    journal = persist.Journal(cfg.state_dir)
    state = journal.load()
    limits = relay.Limits(
        cfg.min_dwell_s,
        cfg.max_per_day,
        cfg.tz_offset_s,
        cfg.dead_time_ms,
        cfg.settle_ms,
        cfg.zc_timeout_ms,
        cfg.lead_us,
        cfg.undo_window_s,
    )
    switcher = relay.Switcher(clock, relays, zero_cross, journal, state, limits)
    return node_module.HouseNode(clock, cfg.house_id, cfg.feeder_id, cfg.key, switcher)


class NodeService:
    """Drive one HouseNode over MQTT; `client_factory()` returns an unconnected MQTTClient."""

    def __init__(
        self,
        node,
        meter,
        client_factory,
        clock,
        tele_period_s=10,
        keepalive_s=60,
        backoff_max_s=60,
        on_reconnect=None,
        log=print,
    ):
        self.node = node
        self.meter = meter
        self.client_factory = client_factory
        self.clock = clock
        self.tele_period_ms = int(tele_period_s * 1000)
        self.ping_ms = keepalive_s * 500
        self.backoff_max_s = backoff_max_s
        self.on_reconnect = on_reconnect
        self.log = log
        self.client = None
        self.inbox = []
        self.dropped = 0  # commands dropped because the inbox was full
        self.backoff_s = 1
        now = clock.ticks_ms()
        self.retry_at = now
        self.tele_at = now
        self.sent_at = now
        self.topics = {kind: node.topic(kind) for kind in ("tele", "cmd", "ack", "state")}

    def _on_message(self, topic, msg):
        if len(self.inbox) < INBOX_MAX:
            self.inbox.append(msg)
        else:
            self.dropped += 1

    def connect(self):
        """Connect, subscribe to the command topic and publish the retained birth state."""
        client = self.client_factory()
        client.set_callback(self._on_message)
        state_topic = self.topics["state"]
        client.set_last_will(state_topic, self.node.state_payload(False), retain=True, qos=1)
        self.client = client  # closed by _drop if anything below fails
        client.connect(clean_session=True)
        client.subscribe(self.topics["cmd"], qos=1)
        client.publish(state_topic, self.node.state_payload(True), retain=True, qos=1)
        self.sent_at = self.clock.ticks_ms()
        self.backoff_s = 1
        self.log("mqtt: connected")

    def _drop(self, exc):
        self.log("mqtt: connection lost: " + repr(exc))
        if self.client is not None:
            try:
                self.client.close()
            except OSError as close_exc:
                self.log("mqtt: close failed: " + repr(close_exc))
        self.client = None
        self.retry_at = self.clock.ticks_add(self.clock.ticks_ms(), self.backoff_s * 1000)
        self.backoff_s = min(self.backoff_s * 2, self.backoff_max_s)

    def _due(self, at):
        return self.clock.ticks_diff(self.clock.ticks_ms(), at) >= 0

    def _publish(self, kind, payload, qos=0):
        self.client.publish(self.topics[kind], payload, qos=qos)
        self.sent_at = self.clock.ticks_ms()

    def step(self):
        """Do one round of work; return False when there was nothing to do."""
        if self.client is None:
            if not self._due(self.retry_at):
                return False
            try:
                if self.on_reconnect is not None:
                    self.on_reconnect()
                self.connect()
            except OSError as exc:
                self._drop(exc)
            return True
        busy = False
        try:
            busy = self.client.check_msg() is not None
            while self.inbox:
                ack = self.node.on_command(self.inbox.pop(0))
                if ack is not None:
                    self._publish("ack", ack, qos=1)
                busy = True
            if self._due(self.tele_at):
                self.tele_at = self.clock.ticks_add(self.tele_at, self.tele_period_ms)
                if self._due(self.tele_at):  # a period behind after a stall: no burst
                    self.tele_at = self.clock.ticks_add(self.clock.ticks_ms(), self.tele_period_ms)
                reading = self.meter.read()
                if self.clock.now_s() >= wire.TS_MIN:
                    self._publish("tele", self.node.telemetry(reading))
                busy = True
            if self.clock.ticks_diff(self.clock.ticks_ms(), self.sent_at) >= self.ping_ms:
                self.client.ping()
                self.sent_at = self.clock.ticks_ms()
        except OSError as exc:
            self._drop(exc)
            busy = True
        return busy

    def run(self, wdt=None, idle_ms=10, stop=None):
        """Run steps until `stop()` returns True (never, by default), feeding the watchdog."""
        while stop is None or not stop():
            if not self.step():
                self.clock.sleep_ms(idle_ms)
            if wdt is not None:
                wdt.feed()
