"""A small MQTT 3.1.1 client with the API of umqtt.simple (what the ESP32 node needs).

CONNECT with a last will and credentials, PUBLISH at QoS 0 and 1 (waiting for PUBACK),
SUBSCRIBE, PINGREQ, and incoming PUBLISH at QoS 0 and 1 (PUBACK sent after the callback).
The socket comes from `connect_socket(host, port)` (tests pass a fake), by default a TCP
socket; with an ssl.SSLContext it is wrapped in TLS and the server name is checked. Any
broken connection raises OSError.
"""

import errno
import socket
import struct

CONNECT = 0x10
CONNACK = 0x20
PUBLISH = 0x30
PUBACK = 0x40
SUBSCRIBE = 0x82
SUBACK = 0x90
PINGREQ = 0xC0
PINGRESP = 0xD0
DISCONNECT = 0xE0


class MQTTError(OSError):
    """The broker refused the connection or a subscription."""


def _encode_str(s):
    if isinstance(s, str):
        s = s.encode()
    return struct.pack("!H", len(s)) + s


def _remaining_length(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def tcp_socket(host, port, timeout_s=30):
    """Return a TCP socket connected to host:port, with a timeout on every operation."""
    addr = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0][-1]
    sock = socket.socket()
    sock.settimeout(timeout_s)
    sock.connect(addr)
    return sock


class MQTTClient:
    """MQTT 3.1.1 client: connect, publish, subscribe, check_msg/wait_msg, ping, disconnect."""

    def __init__(
        self,
        client_id,
        server,
        port=1883,
        user=None,
        password=None,
        keepalive=60,
        ssl=None,
        timeout_s=30,
        connect_socket=None,
    ):
        self.client_id = client_id
        self.server = server
        self.port = port
        self.user = user
        self.password = password
        self.keepalive = keepalive
        self.ssl = ssl
        self.timeout_s = timeout_s
        self.connect_socket = connect_socket
        self.sock = None  # the stream MQTT reads and writes (TLS over `raw` with ssl)
        self.raw = None  # the TCP socket, which carries the timeout (TLS sockets have none)
        self.cb = None
        self.pid = 0
        self.lw_topic = None
        self.lw_msg = None
        self.lw_qos = 0
        self.lw_retain = False

    # --- bytes on the socket ---------------------------------------------------------------

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.read(n - len(data))
            if not chunk:
                raise OSError("connection closed by the broker")
            data += chunk
        return data

    def _write(self, data):
        view = memoryview(data)
        while view:
            sent = self.sock.write(view)
            if not sent:
                raise OSError("connection closed while writing")
            view = view[sent:]

    def _send(self, first, body):
        self._write(bytes([first]) + _remaining_length(len(body)) + body)

    def _recv_length(self):
        n = 0
        shift = 0
        while True:
            byte = self._read(1)[0]
            n |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return n
            shift += 7
            if shift > 21:
                raise OSError("malformed remaining length")

    def _next_pid(self):
        self.pid = self.pid % 0xFFFF + 1
        return self.pid

    # --- the umqtt.simple API ----------------------------------------------------------------

    def set_callback(self, f):
        """Call f(topic: bytes, msg: bytes) for every incoming PUBLISH."""
        self.cb = f

    def set_last_will(self, topic, msg, retain=False, qos=0):
        """Set the will the broker publishes if this client vanishes."""
        self.lw_topic = topic
        self.lw_msg = msg
        self.lw_qos = qos
        self.lw_retain = retain

    def connect(self, clean_session=True):
        """Open the socket, send CONNECT and return the CONNACK session-present flag."""
        opener = self.connect_socket or (lambda host, port: tcp_socket(host, port, self.timeout_s))
        self.raw = self.sock = opener(self.server, self.port)
        if self.ssl is not None:
            self.sock = self.ssl.wrap_socket(self.raw, server_hostname=self.server)
        flags = 0x02 if clean_session else 0
        payload = _encode_str(self.client_id)
        if self.lw_topic:
            flags |= 0x04 | (self.lw_qos & 3) << 3 | (0x20 if self.lw_retain else 0)
            payload += _encode_str(self.lw_topic) + _encode_str(self.lw_msg)
        if self.user is not None:
            flags |= 0x80
            payload += _encode_str(self.user)
            if self.password is not None:
                flags |= 0x40
                payload += _encode_str(self.password)
        header = _encode_str("MQTT") + bytes([4, flags]) + struct.pack("!H", self.keepalive)
        self._send(CONNECT, header + payload)
        reply = self._read(4)
        if reply[0] != CONNACK or reply[1] != 2:
            raise MQTTError("no CONNACK")
        if reply[3] != 0:
            raise MQTTError("connection refused, code " + str(reply[3]))
        return reply[2] & 1

    def disconnect(self):
        """Send DISCONNECT (the broker drops the will) and close the socket."""
        try:
            self._send(DISCONNECT, b"")
        finally:
            self.close()

    def close(self):
        """Close the socket without DISCONNECT (the broker publishes the will)."""
        if self.sock is not None:
            self.sock.close()
            if self.raw is not self.sock:
                self.raw.close()
            self.sock = self.raw = None

    def ping(self):
        """Send PINGREQ; the PINGRESP is read by check_msg/wait_msg."""
        self._send(PINGREQ, b"")

    def publish(self, topic, msg, retain=False, qos=0):
        """Publish; at QoS 1 wait for the PUBACK, handing other packets to the callback."""
        body = _encode_str(topic)
        pid = 0
        if qos:
            pid = self._next_pid()
            body += struct.pack("!H", pid)
        self._send(PUBLISH | qos << 1 | (1 if retain else 0), body + msg)
        while qos:
            kind, got, _ = self._wait_packet()
            if kind == PUBACK and got == pid:
                return

    def subscribe(self, topic, qos=0):
        """Subscribe to `topic` and wait for the SUBACK."""
        pid = self._next_pid()
        self._send(SUBSCRIBE, struct.pack("!H", pid) + _encode_str(topic) + bytes([qos]))
        while True:
            kind, got, code = self._wait_packet()
            if kind == SUBACK and got == pid:
                if code == 0x80:
                    raise MQTTError("subscription refused")
                return

    def wait_msg(self):
        """Read and handle one packet, blocking; return its type."""
        return self._wait_packet()[0]

    def check_msg(self):
        """Handle one packet if one is waiting; return its type, or None without blocking."""
        self.sock.setblocking(False)
        try:
            first = self.sock.read(1)
        except OSError as exc:
            if exc.args[0] not in (errno.EAGAIN, errno.ETIMEDOUT):  # nothing waiting
                raise
            first = None
        finally:
            self.raw.settimeout(self.timeout_s)  # blocking again, with the timeout
        if first is None:
            return None
        if first == b"":
            raise OSError("connection closed by the broker")
        return self._handle(first[0])[0]

    # --- incoming packets --------------------------------------------------------------------

    def _wait_packet(self):
        return self._handle(self._read(1)[0])

    def _handle(self, first):
        """Read the rest of a packet whose first byte is `first`; return (type, pid, code)."""
        n = self._recv_length()
        body = self._read(n) if n else b""
        kind = first & 0xF0
        if kind == PUBLISH:
            qos = (first >> 1) & 3
            tlen = struct.unpack("!H", body[:2])[0]
            topic = body[2 : 2 + tlen]
            pos = 2 + tlen
            pid = 0
            if qos:
                pid = struct.unpack("!H", body[pos : pos + 2])[0]
                pos += 2
            if self.cb is not None:
                self.cb(topic, body[pos:])
            if qos == 1:
                self._send(PUBACK, struct.pack("!H", pid))
            return PUBLISH, pid, 0
        if kind in (PUBACK, SUBACK):
            pid = struct.unpack("!H", body[:2])[0]
            return kind, pid, body[2] if kind == SUBACK else 0
        if kind == PINGRESP:
            return PINGRESP, 0, 0
        raise OSError("unexpected packet type " + str(first >> 4))
