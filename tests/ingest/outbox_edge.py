"""A stand-in for the edge's uplink outbox: publish, keep until `committed` covers, resend."""

from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from grid.messages import Committed, TopicKind, WireMessage, topic_for
from sim.uplink_traffic import FeederTraffic


class OutboxEdge:
    """Streams a feeder's messages at QoS 1 and resends whatever HQ has not committed."""

    def __init__(self, mqtt_url: str, traffic: FeederTraffic, resend_after_s: float = 3.0) -> None:
        self.traffic = traffic
        self.resend_after_s = resend_after_s
        self.outbox: dict[int, tuple[str, bytes, float]] = {}
        self.published: list[int] = []
        self.rows_published = 0
        self.lock = threading.Lock()
        url = urlsplit(mqtt_url)
        self.client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"sp-test-edge-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
        )
        self.client.max_inflight_messages_set(100)
        self.client.on_message = self._on_committed
        self.client.connect(url.hostname or "127.0.0.1", url.port or 1883)
        self.client.subscribe(topic_for(TopicKind.COMMITTED, traffic.feeder), qos=1)
        self.client.loop_start()

    def _on_committed(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        mark = Committed.from_json(msg.payload)
        if mark.boot != self.traffic.boot:
            return
        with self.lock:
            for seq in [s for s in self.outbox if s <= mark.seq]:
                del self.outbox[seq]

    def publish(self, message: WireMessage) -> None:
        """Put a message in the outbox and send it."""
        seq = int(message.seq)  # type: ignore[attr-defined]
        topic, payload = self.traffic.topic(message), self.traffic.payload(message)
        with self.lock:
            self.outbox[seq] = (topic, payload, time.monotonic())
        self.published.append(seq)
        self.client.publish(topic, payload, qos=1)

    def resend_stale(self) -> int:
        """Send again every entry older than the resend delay; return how many."""
        now = time.monotonic()
        with self.lock:
            stale = [
                (s, t, p)
                for s, (t, p, at) in sorted(self.outbox.items())
                if now - at > self.resend_after_s
            ]
            for seq, topic, payload in stale:
                self.outbox[seq] = (topic, payload, now)
        for _seq, topic, payload in stale:
            self.client.publish(topic, payload, qos=1)
        return len(stale)

    def pending(self) -> int:
        """Return how many messages HQ has not confirmed."""
        with self.lock:
            return len(self.outbox)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()
