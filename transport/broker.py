"""Where a client connects: a broker URL parsed once, with its TLS files and credentials.

`mqtt://[user[:password]@]host[:port]` is plain TCP (port 1883 by default);
`mqtts://...` is TLS (port 8883 by default) with the server's certificate checked against a CA
bundle (the system store when none is given) and its name against the host, and optionally a
client certificate. The password is kept out of `repr`, `str` and every error message: what a
log may show is `Broker.url`, which never holds it.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final
from urllib.parse import SplitResult, unquote, urlsplit

if TYPE_CHECKING:
    from settings import Settings

SCHEMES: Final = {"mqtt": 1883, "mqtts": 8883}
"""The URL schemes a broker may have, and the default port of each."""
MIN_TLS: Final = ssl.TLSVersion.TLSv1_2
"""Oldest TLS version spoken to a broker (deploy/mosquitto requires 1.2)."""


class BrokerError(ValueError):
    """A broker URL or TLS file that cannot be used; the message names the setting and the part,
    never the password."""


@dataclass(frozen=True, slots=True)
class Tls:
    """The files of a TLS connection; their settings name them in errors."""

    ca_file: str | None = None
    """CA bundle the broker's certificate must chain to; None: the system store
    (SP_MQTT_CA_FILE)."""
    cert_file: str | None = None
    """Client certificate (PEM; may hold the key too), for a broker that asks for one
    (SP_MQTT_CERT_FILE)."""
    key_file: str | None = None
    """Private key of the client certificate (PEM, unencrypted) (SP_MQTT_KEY_FILE)."""

    def context(self) -> ssl.SSLContext:
        """Return a client context that verifies the broker's certificate and host name."""
        if self.key_file and not self.cert_file:
            raise BrokerError("SP_MQTT_KEY_FILE is set without SP_MQTT_CERT_FILE")
        try:
            context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise BrokerError(f"SP_MQTT_CA_FILE {self.ca_file}: {_why(exc)}") from None
        context.minimum_version = MIN_TLS
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        if self.cert_file:
            try:
                context.load_cert_chain(self.cert_file, self.key_file)
            except (OSError, ssl.SSLError) as exc:
                files = f"{self.cert_file}" + (f", {self.key_file}" if self.key_file else "")
                raise BrokerError(
                    f"SP_MQTT_CERT_FILE/SP_MQTT_KEY_FILE {files}: {_why(exc)}"
                ) from None
        return context


@dataclass(frozen=True, slots=True)
class Broker:
    """One broker as a client reaches it."""

    host: str
    port: int
    tls: Tls | None = None
    """TLS files for `mqtts`; None for plain `mqtt`."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    """Never logged, never in `repr` or `str`."""

    @property
    def url(self) -> str:
        """Return the URL without the password, for logs and banners."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{host}:{self.port}"

    def __str__(self) -> str:
        return self.url


def parse_broker_url(url: str, setting: str = "SP_MQTT_URL", tls: Tls | None = None) -> Broker:
    """Return the broker of `mqtt://` or `mqtts://[user[:password]@]host[:port]`.

    `tls` holds the TLS files of an `mqtts` URL (default: the system's CA store, no client
    certificate); a plain `mqtt` URL ignores it. An unusable URL raises BrokerError naming
    `setting` and the part that is wrong.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # e.g. an unbalanced '[' in the host
        raise BrokerError(f"{setting}: not a URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise BrokerError(
            f"{setting}: scheme {parts.scheme!r} is not mqtt:// (plain) or mqtts:// (TLS)"
        )
    if not parts.hostname:
        raise BrokerError(f"{setting}: the host is missing ({scheme}://host:port)")
    port = _port(parts, setting) or SCHEMES[scheme]
    if parts.path not in ("", "/"):
        raise BrokerError(f"{setting}: a broker URL has no path (found {parts.path!r})")
    if parts.query or parts.fragment:
        raise BrokerError(
            f"{setting}: a broker URL has no query or fragment; TLS files come from "
            "SP_MQTT_CA_FILE, SP_MQTT_CERT_FILE and SP_MQTT_KEY_FILE"
        )
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise BrokerError(f"{setting}: a password without a user name")
    return Broker(
        host=parts.hostname,
        port=port,
        tls=(tls or Tls()) if scheme == "mqtts" else None,
        username=username or None,
        password=password,
    )


def broker_from_settings(
    settings: Settings, url: str | None = None, setting: str = "SP_MQTT_URL"
) -> Broker:
    """Return the broker of `url` (default SP_MQTT_URL) with the TLS files of `settings`."""
    tls = Tls(settings.mqtt_ca_file, settings.mqtt_cert_file, settings.mqtt_key_file)
    return parse_broker_url(settings.mqtt_url if url is None else url, setting, tls)


def as_broker(broker: Broker | str) -> Broker:
    """Return `broker`, parsing a URL (TLS against the system store, no client certificate)."""
    return broker if isinstance(broker, Broker) else parse_broker_url(broker)


def _port(parts: SplitResult, setting: str) -> int | None:
    try:
        port = parts.port
    except ValueError:
        raw = parts.netloc.rpartition("@")[2].rpartition(":")[2]
        raise BrokerError(f"{setting}: port {raw!r} is not a TCP port (1-65535)") from None
    if port == 0:
        raise BrokerError(f"{setting}: port 0 is not a TCP port (1-65535)")
    return port


def _why(exc: OSError | ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    return exc.strerror or str(exc)
