"""transport/: broker URLs, TLS options, credentials kept out of sight, the client's options."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from edge.settings import EdgeSettings
from settings import Settings, SettingsError
from transport import (
    Broker,
    BrokerError,
    ClientOptions,
    Tls,
    Will,
    broker_from_settings,
    make_client,
    parse_broker_url,
    unique_client_id,
)

SECRET = "s3cr3t-p@ss"
"""A password that must never show: in a URL it is written percent-encoded."""
URL_SECRET = "s3cr3t-p%40ss"


def test_a_plain_url_gives_host_port_and_credentials() -> None:
    broker = parse_broker_url(f"mqtt://sp-ingest:{URL_SECRET}@10.10.0.1:8884")
    assert broker == Broker("10.10.0.1", 8884, None, "sp-ingest", SECRET)
    assert parse_broker_url("mqtt://127.0.0.1").port == 1883
    assert parse_broker_url("mqtt://broker.example/").username is None


def test_a_tls_url_verifies_against_its_ca_file() -> None:
    tls = Tls(ca_file="/etc/ca.crt", cert_file="/etc/c.crt", key_file="/etc/c.key")
    broker = parse_broker_url("mqtts://hq.example", tls=tls)
    assert (broker.host, broker.port, broker.tls) == ("hq.example", 8883, tls)
    assert parse_broker_url("MQTTS://[::1]:9883").tls == Tls()  # the system store
    assert parse_broker_url("mqtt://hq.example", tls=tls).tls is None  # plain ignores them


@pytest.mark.parametrize(
    ("url", "part"),
    [
        (f"http://u:{URL_SECRET}@host:1883", "scheme 'http'"),
        (f"tcp://u:{URL_SECRET}@host:1883", "scheme 'tcp'"),
        (f"host:{URL_SECRET}", "scheme 'host'"),
        (f"mqtt://u:{URL_SECRET}@:1883", "the host is missing"),
        ("mqtt://", "the host is missing"),
        (f"mqtt://u:{URL_SECRET}@host:abc", "port 'abc'"),
        (f"mqtt://u:{URL_SECRET}@host:70000", "port '70000'"),
        (f"mqtt://u:{URL_SECRET}@host:0", "port 0"),
        (f"mqtt://u:{URL_SECRET}@host:1883/sp/v1", "no path (found '/sp/v1')"),
        (f"mqtts://u:{URL_SECRET}@host:8883?ca=/x.crt", "no query or fragment"),
        (f"mqtt://:{URL_SECRET}@host:1883", "a password without a user name"),
    ],
)
def test_a_bad_url_names_the_part_and_never_the_password(url: str, part: str) -> None:
    with pytest.raises(BrokerError) as caught:
        parse_broker_url(url, "SP_EDGE_HQ_MQTT_URL")
    message = str(caught.value)
    assert message.startswith("SP_EDGE_HQ_MQTT_URL: ")
    assert part in message
    assert SECRET not in message
    assert URL_SECRET not in message


def test_settings_refuse_a_bad_broker_url_naming_it() -> None:
    env = {"SP_MQTT_URL": f"mqtt://u:{URL_SECRET}@host:88x"}
    with pytest.raises(SettingsError, match=r"^SP_MQTT_URL: port '88x'") as caught:
        Settings.from_env(env)
    assert URL_SECRET not in str(caught.value)
    with pytest.raises(SettingsError, match="SP_MQTT_KEY_FILE is set without SP_MQTT_CERT_FILE"):
        Settings.from_env({"SP_MQTT_KEY_FILE": "/etc/c.key"})


def test_credentials_are_not_in_repr_str_or_url() -> None:
    url = f"mqtts://KL-TVM-0042:{URL_SECRET}@hq.example:8883"
    broker = parse_broker_url(url)
    settings = Settings.from_env({"SP_MQTT_URL": url})
    edge = EdgeSettings(local_mqtt_url=url, hq_mqtt_url=url)
    for shown in (repr(broker), str(broker), broker.url, repr(settings), repr(edge)):
        assert SECRET not in shown
        assert URL_SECRET not in shown
    assert broker.url == "mqtts://KL-TVM-0042@hq.example:8883"
    assert str(parse_broker_url("mqtt://[::1]:1883")) == "mqtt://[::1]:1883"


def test_broker_from_settings_takes_the_tls_files_and_another_url() -> None:
    settings = Settings.from_env(
        {
            "SP_MQTT_URL": "mqtts://sp-ingest:pw@10.10.0.1:8884",
            "SP_MQTT_CA_FILE": "/etc/sp/ca.crt",
            "SP_MQTT_CERT_FILE": "/etc/sp/client.crt",
            "SP_MQTT_KEY_FILE": "/etc/sp/client.key",
        }
    )
    broker = broker_from_settings(settings)
    assert broker.tls == Tls("/etc/sp/ca.crt", "/etc/sp/client.crt", "/etc/sp/client.key")
    assert (broker.username, broker.password) == ("sp-ingest", "pw")
    edge = broker_from_settings(settings, "mqtt://sp-edge:x@127.0.0.1:1883", "SP_EDGE_LOCAL")
    assert (edge.port, edge.tls, edge.username) == (1883, None, "sp-edge")
    with pytest.raises(BrokerError, match=r"^SP_EDGE_LOCAL: scheme"):
        broker_from_settings(settings, "ws://127.0.0.1", "SP_EDGE_LOCAL")


def test_a_client_gets_its_credentials_will_session_and_windows() -> None:
    will = Will("sp/v1/KL-TVM-0042/status", b'{"online":false}')
    options = ClientOptions(
        "sp-edge-KL-TVM-0042",
        clean_session=False,
        will=will,
        keepalive_s=45,
        max_inflight=100,
        max_queued=0,
        manual_ack=True,
    )
    client = make_client(parse_broker_url(f"mqtt://KL-TVM-0042:{URL_SECRET}@hq:1884"), options)
    assert (client.username, client.password) == ("KL-TVM-0042", SECRET)
    assert client._client_id == b"sp-edge-KL-TVM-0042"
    assert client._clean_session is False
    assert client._manual_ack is True
    assert (client._host, client._port, client.keepalive) == ("hq", 1884, 45)
    assert client.max_inflight_messages == 100
    assert client.max_queued_messages == 0
    assert client._will is True
    assert (client._will_topic, client._will_payload) == (will.topic.encode(), will.payload)
    assert (client._will_qos, client._will_retain) == (1, True)
    assert client._ssl_context is None  # plain mqtt://
    assert client._reconnect_min_delay == 1
    assert client._reconnect_max_delay == 30


def test_a_default_client_is_anonymous_clean_and_without_a_will() -> None:
    client = make_client("mqtt://127.0.0.1:1883", ClientOptions(unique_client_id("t")))
    assert client.username is None
    assert client._clean_session is True
    assert client._will is False
    with pytest.raises(ValueError, match="persistent session"):
        make_client("mqtt://127.0.0.1", ClientOptions("", clean_session=False))


def test_unique_client_ids_differ() -> None:
    ids = {unique_client_id("sp-hq") for _ in range(50)}
    assert len(ids) == 50
    assert all(i.startswith("sp-hq-") for i in ids)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throwaway CA and a certificate it signed, with its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    directory = tmp_path_factory.mktemp("pki")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "2", "-subj", "/CN=SmartPhase transport test CA")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr",
        "-subj", "/CN=KL-TVM-0042")  # fmt: skip
    run("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "client.crt", "-days", "2")  # fmt: skip
    return directory


def test_tls_verifies_the_broker_with_the_given_ca(pki: Path) -> None:
    tls = Tls(str(pki / "ca.crt"), str(pki / "client.crt"), str(pki / "client.key"))
    client = make_client(parse_broker_url("mqtts://hq:8883", tls=tls), ClientOptions("t-tls"))
    context = client._ssl_context
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    assert client._tls_insecure is False
    subjects = [str(c["subject"]) for c in context.get_ca_certs()]
    assert len(subjects) == 1
    assert "SmartPhase transport test CA" in subjects[0]  # the given CA, not the system's


def test_tls_with_the_system_store_when_no_ca_is_given() -> None:
    client = make_client(parse_broker_url("mqtts://hq:8883"), ClientOptions("t-tls-system"))
    context = client._ssl_context
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_unusable_tls_files_are_named(pki: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.crt")
    cases = [
        (Tls(ca_file=missing), f"SP_MQTT_CA_FILE {missing}"),
        (Tls(str(pki / "ca.crt"), cert_file=missing), "SP_MQTT_CERT_FILE/SP_MQTT_KEY_FILE"),
        (Tls(str(pki / "ca.crt"), str(pki / "client.crt"), str(pki / "ca.key")), "client.crt"),
        (Tls(str(pki / "ca.crt"), key_file=str(pki / "client.key")), "without SP_MQTT_CERT"),
    ]
    for tls, named in cases:
        with pytest.raises(BrokerError, match=named):
            make_client(parse_broker_url("mqtts://hq", tls=tls), ClientOptions("t-bad"))
