"""MQTT links for the controller: one paho connection serves one or many feeders' ports.

paho's network thread only enqueues: `on_message` appends the message to the queue of the
port of its feeder (the third topic level) and sets the shared wake event; the controllers
drain their ports from their own thread. Subscriptions are renewed on every connection. The
paho client itself is built by transport/ (TLS, credentials, reconnect, last will).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

import paho.mqtt.client as mqtt

from edge.links import Inbound
from transport import (
    Broker,
    ClientOptions,
    Will,
    as_broker,
    make_client,
    stop_client,
    unique_client_id,
)

log = logging.getLogger("edge.mqtt")

INFLIGHT = 100
"""QoS 1 messages a controller's connection has in flight at once (an outbox replay)."""


class MqttPort:
    """One feeder's view of a connection: its inbound queue and the shared publisher."""

    def __init__(
        self, connection: MqttConnection, subscriptions: Sequence[tuple[str, int]]
    ) -> None:
        self.connection = connection
        self.subscriptions = list(subscriptions)
        self._queue: deque[Inbound] = deque()

    @property
    def connected(self) -> bool:
        """Return whether the connection is up."""
        return self.connection.connected

    @property
    def epoch(self) -> int:
        """Return how many times the connection has been established."""
        return self.connection.epoch

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> bool:
        """Publish through the connection; False when it is down or refuses."""
        return self.connection.publish(topic, payload, qos=qos, retain=retain)

    def put(self, message: Inbound) -> None:
        """Queue a received message (called from paho's thread)."""
        self._queue.append(message)

    def drain(self) -> list[Inbound]:
        """Return and forget the queued messages, oldest first."""
        out: list[Inbound] = []
        while self._queue:
            out.append(self._queue.popleft())
        return out


class MqttConnection:
    """A paho MQTT 3.1.1 client whose messages go to the port of their feeder."""

    def __init__(
        self,
        broker: Broker | str,
        *,
        client_id: str | None = None,
        clean_session: bool = True,
        will: Will | None = None,
        wake: threading.Event | None = None,
    ) -> None:
        """`broker` with its TLS files and credentials (transport.broker_from_settings), or a
        URL; `will` is the retained death the broker publishes if the controller vanishes."""
        self.broker = as_broker(broker)
        options = ClientOptions(
            client_id or unique_client_id("sp-edge"),
            clean_session=clean_session,
            will=will,
            max_inflight=INFLIGHT,
        )
        self.client = make_client(self.broker, options)
        self.wake = wake or threading.Event()
        self.ports: dict[str, MqttPort] = {}
        self._connected = False
        self._epoch = 0
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def port(self, feeder_id: str, subscriptions: Sequence[tuple[str, int]]) -> MqttPort:
        """Return the port of a feeder, subscribed to `subscriptions` (add before `start`)."""
        port = MqttPort(self, subscriptions)
        self.ports[feeder_id] = port
        return port

    @property
    def connected(self) -> bool:
        """Return whether the client is connected."""
        return self._connected

    @property
    def epoch(self) -> int:
        """Return how many times the client has connected."""
        return self._epoch

    def publish(self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False) -> bool:
        """Publish; False when disconnected or paho refuses the message."""
        if not self._connected:
            return False
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        return info.rc == mqtt.MQTT_ERR_SUCCESS

    def start(self) -> None:
        """Connect in the background (retrying) and start paho's network thread."""
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect cleanly (no last will) and stop the network thread."""
        stop_client(self.client)
        self._connected = False

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the connection: %s", self.broker, reason)
            return
        topics = [sub for port in self.ports.values() for sub in port.subscriptions]
        if topics:
            client.subscribe(topics)
        self._epoch += 1
        self._connected = True
        self.wake.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self._connected = False
        log.warning("disconnected from %s (%s)", self.broker, reason)
        self.wake.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        parts = msg.topic.split("/", 3)
        port = self.ports.get(parts[2]) if len(parts) > 2 else None
        if port is not None:
            port.put(Inbound(msg.topic, bytes(msg.payload)))
            self.wake.set()
