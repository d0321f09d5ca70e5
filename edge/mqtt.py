"""MQTT links for the controller: one paho connection serves one or many feeders' ports.

paho's network thread only enqueues: `on_message` appends the message to the queue of the
port of its feeder (the third topic level) and sets the shared wake event; the controllers
drain their ports from their own thread. Subscriptions are renewed on every connection.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Sequence
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.links import Inbound

log = logging.getLogger("edge.mqtt")


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


def broker_client(
    url: str, client_id: str, *, clean_session: bool = True, ca_file: str | None = None
) -> tuple[mqtt.Client, SplitResult]:
    """Return a paho 3.1.1 client for `mqtt://` or `mqtts://[user:password@]host:port`.

    Credentials come from the URL, TLS (with `ca_file`, else the system store) from `mqtts`;
    reconnects back off from 1 to 30 s. The parsed URL is returned for `connect_to`.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"{url!r} is not mqtt://host:port or mqtts://host:port")
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
    )
    if parts.username:
        client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
    if parts.scheme == "mqtts":
        client.tls_set(ca_certs=ca_file)
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client, parts


def connect_to(client: mqtt.Client, url: SplitResult) -> None:
    """Connect in the background (retrying) and start paho's network thread."""
    port = url.port or (8883 if url.scheme == "mqtts" else 1883)
    client.connect_async(url.hostname or "127.0.0.1", port, keepalive=30)
    client.loop_start()


class MqttConnection:
    """A paho MQTT 3.1.1 client whose messages go to the port of their feeder."""

    def __init__(
        self,
        url: str,
        *,
        client_id: str | None = None,
        clean_session: bool = True,
        ca_file: str | None = None,
        will: tuple[str, bytes] | None = None,
        wake: threading.Event | None = None,
    ) -> None:
        self.client, self.url = broker_client(
            url,
            client_id or f"sp-edge-{uuid.uuid4().hex[:12]}",
            clean_session=clean_session,
            ca_file=ca_file,
        )
        self.wake = wake or threading.Event()
        self.ports: dict[str, MqttPort] = {}
        self._connected = False
        self._epoch = 0
        if will is not None:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        self.client.max_inflight_messages_set(100)
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
        connect_to(self.client, self.url)

    def stop(self) -> None:
        """Disconnect cleanly (no last will) and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()
        self._connected = False

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the connection: %s", self.url.netloc, reason)
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
        log.warning("disconnected from %s (%s)", self.url.netloc, reason)
        self.wake.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        parts = msg.topic.split("/", 3)
        port = self.ports.get(parts[2]) if len(parts) > 2 else None
        if port is not None:
            port.put(Inbound(msg.topic, bytes(msg.payload)))
            self.wake.set()
