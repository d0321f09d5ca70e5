"""Every SmartPhase MQTT client is built here: paho, MQTT 3.1.1, TLS, credentials, reconnect.

`make_client` returns a paho client configured for its broker and its role (client id, clean
or persistent session, last will, keepalive, inflight window, queue, manual ack), set to
connect on `loop_start()` and to reconnect by itself with a backoff from `reconnect_min_s` to
`reconnect_max_s`. The caller adds its callbacks, then starts it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from transport.broker import Broker, as_broker


@dataclass(frozen=True, slots=True)
class Will:
    """The last will the broker publishes when the client vanishes without a DISCONNECT."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """What one client is, beyond where it connects."""

    client_id: str
    """Fixed for a persistent session (and bound to the user name by deploy/mosquitto's field
    listeners); `unique_client_id(prefix)` for a throwaway one."""
    clean_session: bool = True
    """False keeps subscriptions and QoS 1 messages on the broker while the client is away."""
    will: Will | None = None
    keepalive_s: int = 30
    """Keepalive [s]; deploy/mosquitto refuses 0 and anything above 120."""
    max_inflight: int | None = None
    """QoS 1 messages in flight at once (paho's default 20 when None)."""
    max_queued: int | None = None
    """Outgoing messages paho queues while in flight or offline; 0 is unbounded (paho's
    default when None)."""
    manual_ack: bool = False
    """The caller acks each received QoS 1 message itself (after its commit)."""
    reconnect_min_s: int = 1
    """First delay before a reconnect [s], doubled after each failure ..."""
    reconnect_max_s: int = 30
    """... up to this [s]."""


def unique_client_id(prefix: str) -> str:
    """Return `prefix` and a random suffix: a client id no other client has."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_client(broker: Broker | str, options: ClientOptions) -> mqtt.Client:
    """Return a paho MQTT 3.1.1 client for `broker`, not yet connected.

    It connects in the background on `client.loop_start()` (retrying until the broker answers)
    and reconnects by itself with backoff. Stop it with `stop_client`.
    """
    broker = as_broker(broker)
    if not options.client_id and not options.clean_session:
        raise ValueError("a persistent session (clean_session false) needs a client id")
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=options.client_id,
        clean_session=options.clean_session,
        protocol=mqtt.MQTTv311,
        manual_ack=options.manual_ack,
    )
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls is not None:
        client.tls_set_context(broker.tls.context())
        client.tls_insecure_set(False)
    if options.will is not None:
        will = options.will
        client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
    if options.max_inflight is not None:
        client.max_inflight_messages_set(options.max_inflight)
    if options.max_queued is not None:
        client.max_queued_messages_set(options.max_queued)
    client.reconnect_delay_set(min_delay=options.reconnect_min_s, max_delay=options.reconnect_max_s)
    client.connect_async(broker.host, broker.port, keepalive=options.keepalive_s)
    return client


def stop_client(client: mqtt.Client) -> None:
    """Disconnect cleanly (no last will) and stop the network thread."""
    client.disconnect()
    client.loop_stop()
