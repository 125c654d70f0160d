"""Clients for the hostile suites (test_hostile_protocols.py, test_hostile_connections.py): raw
HTTP/1.1 exchanges, a raw HTTP/2 (and gRPC) connection that sends hand-built frames and reads
frames back, the flood helpers, and the server's /proc figures and metrics. Loopback only; every
read is bounded in time."""

import socket
import struct
import time

import hpack

from http2_frames import PREFACE, frame, hpack_literal
from server_fixture import curl
# metric and wait_for are the tests' from here too: a missing sample is an error, not a zero.
from server_metrics import metric, scrape, wait_for  # noqa: F401

# HTTP/2 frame types and error codes (RFC 9113).
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
PROTOCOL_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR = 1, 3, 6, 7, 8, 9


def read_http1_responses(sock, count=None, timeout=10):
    """HTTP/1.1 responses as (status, headers, body) until `count` or the server closes."""
    sock.settimeout(timeout)
    data, responses = b"", []
    while count is None or len(responses) < count:
        while b"\r\n\r\n" in data:
            head, _, rest = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            length = int(headers.get("Content-Length", 0))
            if len(rest) < length:
                break
            responses.append((int(lines[0].split()[1]), headers, rest[:length]))
            data = rest[length:]
            if count is not None and len(responses) == count:
                return responses
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    return responses


def exchange_http1(server, request, timeout=10):
    """Sends `request` on a new connection; returns every response before the server closes."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        sock.sendall(request)
        return read_http1_responses(sock, timeout=timeout)


class H2Connection:
    """A raw h2c (or gRPC) connection: hand-built frames out, frames read back and their header
    blocks decoded."""

    def __init__(self, address, settings=b""):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0, settings))
        self.data = b""
        self.decoder = hpack.Decoder()
        self.decoder.max_allowed_table_size = 65536

    def send(self, data):
        self.sock.sendall(data)

    def frames(self, until, timeout=10):
        """Reads frames as (type, flags, stream, payload) until `until(frame)` is true or the
        connection ends; returns them all."""
        self.sock.settimeout(timeout)
        received = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while len(self.data) >= 9 and len(self.data) >= 9 + int.from_bytes(self.data[:3], "big"):
                length = int.from_bytes(self.data[:3], "big")
                header, payload = self.data[:9], self.data[9:9 + length]
                self.data = self.data[9 + length:]
                stream = int.from_bytes(header[5:9], "big") & 0x7FFFFFFF
                received.append((header[3], header[4], stream, payload))
                if header[3] == SETTINGS and not header[4] & ACK:
                    self.send(frame(SETTINGS, ACK, 0, b""))
                if until(received[-1]):
                    return received
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            self.data += chunk
        return received

    def headers(self, payload):
        """The fields of a HEADERS frame's block (nghttp2 sends no padding or priority). Every
        block must be decoded, in order, for the dynamic table to stay right."""
        return dict(self.decoder.decode(payload, raw=False))

    def close(self):
        self.sock.close()


def request_block(method, path, extra=()):
    # :method and :scheme from HPACK's static table (RFC 7541 appendix A) where it has them.
    methods = {"GET": b"\x82", "POST": b"\x83"}
    block = methods[method] + b"\x86" + hpack_literal(":path", path) + hpack_literal(":authority", "t")
    for name, value in extra:
        block += hpack_literal(name, value)
    return block


def proc_status(pid, field):
    """A /proc/PID/status figure in bytes (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def metrics(server):
    """One scrape of the server's /metrics (server_metrics.scrape: a failed one is an error)."""
    return scrape(server)


def rss_bytes(server):
    return proc_status(server.process.pid, "VmRSS")


def flood_without_reading(sock, chunk, seconds=5, most=64 << 20):
    """Sends `chunk` again and again on a socket whose owner never reads, until the server stops
    reading too (the send blocks), it hangs up, `most` bytes or `seconds` pass."""
    sock.settimeout(0.5)
    sent, deadline = 0, time.monotonic() + seconds
    try:
        while sent < most and time.monotonic() < deadline:
            sock.sendall(chunk)
            sent += len(chunk)
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass
    return sent


# A connection may queue this much unsent output (kOutputHighWaterBytes, 4 MiB) before the server
# stops reading from it; with socket buffers and allocator slack, a flood costs well under this.
FLOOD_RSS_BOUND = 48 << 20


def still_serving(test, server):
    done = curl(server.url + "/v2/health/live", "-o", "/dev/null", "-w", "%{http_code}", timeout=10)
    test.assertEqual(done.stdout, "200", done.stderr)


def grpc_headers(method, extra=()):
    return request_block("POST", "/inference.GRPCInferenceService/" + method,
                         (("content-type", "application/grpc"), ("te", "trailers")) + tuple(extra))


def grpc_call(address, method, message, flag=0, declared=None, extra=(), end=True):
    """One raw gRPC call: `message` with a prefix of `flag` and `declared` length (its own by
    default). Returns (grpc-status, grpc-message) from the trailers."""
    fields = grpc_exchange(address, method, message, flag, declared, extra, end)
    return fields.get("grpc-status"), fields.get("grpc-message")


def grpc_exchange(address, method, message, flag=0, declared=None, extra=(), end=True):
    """grpc_call's exchange; returns every response header and trailer field."""
    connection = H2Connection(address)
    try:
        length = len(message) if declared is None else declared
        connection.send(frame(HEADERS, END_HEADERS, 1, grpc_headers(method, extra)) +
                        frame(DATA, END_STREAM if end else 0, 1, struct.pack(">BI", flag, length) + message))
        fields = {}
        for frame_type, flags, stream, payload in connection.frames(
                lambda f: f[2] == 1 and (f[0] == RST_STREAM or f[1] & END_STREAM and f[0] in (HEADERS, DATA))):
            if frame_type == HEADERS and stream == 1:
                fields.update(connection.headers(payload))
        return fields
    finally:
        connection.close()
