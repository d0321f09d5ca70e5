"""The MQTT 3.1.1 client against a fake socket: the exact bytes of each packet, both ways."""

import mqtt
from fakes import FakeSocket
from runner import raises, run

CONNACK_OK = b"\x20\x02\x00\x00"


def connected(inbound=CONNACK_OK, **kwargs):
    sock = FakeSocket(inbound)
    client = mqtt.MQTTClient("n1", "broker", connect_socket=lambda host, port: sock, **kwargs)
    client.connect()
    return client, sock


def test_connect_with_will_and_credentials():
    sock = FakeSocket(CONNACK_OK)
    client = mqtt.MQTTClient(
        "n1", "broker", 8883, "u", "p", 60, connect_socket=lambda host, port: sock
    )
    client.set_last_will("t/s", b"off", retain=True, qos=1)
    assert client.connect() == 0
    assert sock.take() == (
        b"\x10\x1e\x00\x04MQTT\x04\xee\x00\x3c\x00\x02n1\x00\x03t/s\x00\x03off\x00\x01u\x00\x01p"
    )


def test_connect_plain_without_will():
    _, sock = connected(keepalive=30)
    assert sock.take() == b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x1e\x00\x02n1"


def test_connection_refused_raises():
    sock = FakeSocket(b"\x20\x02\x00\x05")
    client = mqtt.MQTTClient("n1", "broker", connect_socket=lambda host, port: sock)
    exc = raises(mqtt.MQTTError, client.connect)
    assert "5" in str(exc)
    assert isinstance(exc, OSError)


def test_publish_qos0():
    client, sock = connected()
    sock.take()
    client.publish("t", b"hi")
    assert sock.take() == b"\x30\x05\x00\x01thi"


def test_publish_qos1_retained_waits_for_its_puback_and_serves_a_command_meanwhile():
    client, sock = connected()
    sock.take()
    got = []
    client.set_callback(lambda topic, msg: got.append((topic, msg)))
    incoming = b"\x32\x07\x00\x01c\x00\x07go"  # PUBLISH QoS 1, topic "c", pid 7, "go"
    sock.feed(incoming + b"\x40\x02\x00\x01")
    client.publish("t", b"hi", retain=True, qos=1)
    assert got == [(b"c", b"go")]
    assert sock.take() == b"\x33\x07\x00\x01t\x00\x01hi" + b"\x40\x02\x00\x07"
    assert sock.inbound == b""


def test_subscribe_and_suback():
    client, sock = connected()
    sock.take()
    sock.feed(b"\x90\x03\x00\x01\x01")
    client.subscribe("c", qos=1)
    assert sock.take() == b"\x82\x06\x00\x01\x00\x01c\x01"
    sock.feed(b"\x90\x03\x00\x02\x80")
    raises(mqtt.MQTTError, client.subscribe, "d", 1)


def test_check_msg_does_not_block_and_dispatches():
    client, sock = connected()
    got = []
    client.set_callback(lambda topic, msg: got.append((topic, msg)))
    assert client.check_msg() is None
    payload = b"x" * 200
    body = b"\x00\x01c" + payload
    sock.feed(b"\x30\xcb\x01" + body)  # remaining length 203 in two bytes
    assert client.check_msg() == mqtt.PUBLISH
    assert got == [(b"c", payload)]
    sock.feed(b"\xd0\x00")
    assert client.check_msg() == mqtt.PINGRESP
    assert sock.blocking, "the socket is blocking again after check_msg"


def test_long_remaining_length():
    client, sock = connected()
    sock.take()
    client.publish("t", b"y" * 318)
    sent = sock.take()
    assert sent[:3] == b"\x30\xc1\x02"  # 321 = 0x41 + 2 × 128
    assert len(sent) == 3 + 321


def test_ping_and_disconnect():
    client, sock = connected()
    sock.take()
    client.ping()
    client.disconnect()
    assert sock.take() == b"\xc0\x00\xe0\x00"
    assert sock.closed


def test_closed_connection_raises_oserror():
    client, sock = connected()
    sock.feed(b"\x30")  # a packet cut short
    raises(OSError, client.wait_msg)
    sock.closed = True
    raises(OSError, client.publish, "t", b"x")


class _Tls:
    """A TLS stream over a socket: read, write, setblocking and close, but no settimeout."""

    def __init__(self, raw):
        self.raw = raw

    def read(self, n):
        return self.raw.read(n)

    def write(self, data):
        return self.raw.write(data)

    def setblocking(self, flag):
        self.raw.setblocking(flag)

    def close(self):
        self.raw.close()


class _Context:
    def __init__(self):
        self.hostnames = []

    def wrap_socket(self, sock, server_hostname=None):
        self.hostnames.append(server_hostname)
        return _Tls(sock)


def test_tls_wraps_the_socket_and_checks_the_server_name():
    sock = FakeSocket(CONNACK_OK)
    ctx = _Context()
    client = mqtt.MQTTClient("n1", "edge.local", ssl=ctx, connect_socket=lambda h, p: sock)
    client.connect()
    assert ctx.hostnames == ["edge.local"]
    assert client.check_msg() is None
    assert sock.blocking, "the timeout is set on the TCP socket under TLS"
    client.close()
    assert sock.closed


run(globals())
