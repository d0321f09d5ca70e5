"""The MQTT publisher of HQ → edge commands (QoS 1), with the broker's answer translated.

One paho client per dashboard process, connected in the background and reconnecting by itself.
`publish` never queues a message while the broker is unreachable: a command that waited in a
client queue could reach the controller long after the operator gave up on it.
"""

from __future__ import annotations

import logging
import threading
from enum import StrEnum
from typing import Any

import paho.mqtt.client as mqtt

from transport import Broker, ClientOptions, as_broker, make_client, stop_client, unique_client_id

log = logging.getLogger("hq.publisher")

DEFAULT_PUBACK_TIMEOUT_S = 3.0
"""How long `publish` waits for the broker's PUBACK [s]."""


class PublishOutcome(StrEnum):
    """What became of one publish."""

    SENT = "sent"
    """The broker acknowledged the message (PUBACK)."""
    NOT_CONNECTED = "broker_unreachable"
    """The client was not connected; nothing was queued."""
    REFUSED = "publish_refused"
    """paho refused the message (queue full or another client error)."""
    NO_PUBACK = "awaiting_broker"
    """Handed to the broker, but no PUBACK within the timeout; it may still arrive."""


class CommandPublisher:
    """A paho MQTT 3.1.1 client that publishes commands at QoS 1 and waits for the PUBACK."""

    def __init__(
        self,
        broker: Broker | str,
        *,
        client_id: str | None = None,
        puback_timeout_s: float = DEFAULT_PUBACK_TIMEOUT_S,
    ) -> None:
        """`broker` with its TLS files and credentials (transport.broker_from_settings), or a
        URL; a clean session, under a client id of its own unless one is given."""
        self.broker = as_broker(broker)
        self.client = make_client(
            self.broker, ClientOptions(client_id or unique_client_id("sp-hq"))
        )
        self.puback_timeout_s = puback_timeout_s
        self._connected = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect

    @property
    def connected(self) -> bool:
        """Return whether the client is connected to the broker."""
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background (retrying) and start paho's network thread."""
        self.client.loop_start()

    def wait_connected(self, timeout_s: float) -> bool:
        """Return whether the client is connected, waiting up to `timeout_s` [s]."""
        return self._connected.wait(timeout_s)

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        stop_client(self.client)
        self._connected.clear()

    def publish(self, topic: str, payload: bytes) -> PublishOutcome:
        """Publish at QoS 1 (not retained) and wait for the PUBACK."""
        if not self.connected:
            return PublishOutcome.NOT_CONNECTED
        info = self.client.publish(topic, payload, qos=1, retain=False)
        if info.rc == mqtt.MQTT_ERR_NO_CONN:
            return PublishOutcome.NOT_CONNECTED
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            log.warning("publish to %s refused: %s", topic, mqtt.error_string(info.rc))
            return PublishOutcome.REFUSED
        try:
            info.wait_for_publish(self.puback_timeout_s)
        except (RuntimeError, ValueError) as exc:
            log.warning("publish to %s failed: %s", topic, exc)
            return PublishOutcome.REFUSED
        return PublishOutcome.SENT if info.is_published() else PublishOutcome.NO_PUBACK

    def _on_connect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker %s refused the connection: %s", self.broker, reason)
            return
        self._connected.set()

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self._connected.clear()
        log.warning("disconnected from %s (%s)", self.broker, reason)
