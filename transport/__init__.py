"""The one place MQTT clients are built (DESIGN §1): broker URLs, TLS, credentials, sessions.

`broker_from_settings(settings)` reads SP_MQTT_URL with SP_MQTT_CA_FILE, SP_MQTT_CERT_FILE and
SP_MQTT_KEY_FILE; `make_client(broker, ClientOptions(...))` returns the paho client of one role.
"""

from transport.broker import (
    Broker,
    BrokerError,
    Tls,
    as_broker,
    broker_from_settings,
    parse_broker_url,
)
from transport.client import ClientOptions, Will, make_client, stop_client, unique_client_id

__all__ = [
    "Broker",
    "BrokerError",
    "ClientOptions",
    "Tls",
    "Will",
    "as_broker",
    "broker_from_settings",
    "make_client",
    "parse_broker_url",
    "stop_client",
    "unique_client_id",
]
