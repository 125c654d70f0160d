"""Hostile clients on every wire (issue 13): framing a proxy could read differently (smuggling),
bytes that are not UTF-8, floods of frames, streams and messages beyond the limits, and SIGTERM
under load. Each case checks the server's answer and that it goes on serving. Loopback only, a
bounded number of connections, every wait bounded. Raw sockets and hand-built frames where a
library would refuse to send the bytes (hostile_clients.py); hpack (Debian's python3-hpack)
reads HTTP/2 answers. The whole file runs in seconds.

The WebSocket framing violations test_websocket.py already covers (unmasked, reserved bits, an
oversized or non-UTF-8 message, a continuation without a message) are not repeated here, nor
test_tls.py's plain HTTP and broken handshake on the HTTPS port."""

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from certificates import make_certificate
from grpc_stubs import infer_request, pb, pb_grpc
from hostile_clients import (ACK, CANCEL, COMPRESSION_ERROR, CONTINUATION, DATA, END_HEADERS, END_STREAM,
                             FLOW_CONTROL_ERROR, FLOOD_RSS_BOUND, FRAME_SIZE_ERROR, GOAWAY, HEADERS, PING,
                             PROTOCOL_ERROR, REFUSED_STREAM, RST_STREAM, SETTINGS, WINDOW_UPDATE, H2Connection,
                             exchange_http1, flood_without_reading, grpc_call, grpc_exchange,
                             read_http1_responses, request_block, rss_bytes, still_serving)
from http2_frames import PREFACE, frame, hpack_integer, hpack_literal
from server_fixture import BINARY, Server, curl, parse_ready_line
from server_metrics import wait_for, wait_until_in_flight
from ws_raw import RawWebSocket

MAX_BODY = 200000


class HostileServerTest(unittest.TestCase):
    """One server with every listener (TLS too) for the cases that leave it serving."""

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory()
        cert, key = make_certificate(cls.directory.name)
        cls.server = Server("--https", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                            "--max-body", str(MAX_BODY),
                            models=["instant=sleep:0", "slow=sleep:300ms"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.directory.cleanup()


class Http1FramingTest(HostileServerTest):
    BODY = b'{"features": [1]}'
    NEXT = b"GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n"  # must never be answered

    def assert_refused_and_closed(self, head, status):
        request = b"POST /predict HTTP/1.1\r\nHost: t\r\n" + head + b"\r\n\r\n" + self.BODY
        responses = exchange_http1(self.server, request + self.NEXT)
        self.assertEqual([r[0] for r in responses], [status], (head, responses))
        self.assertEqual(responses[0][1].get("Connection"), "close", head)
        self.assertIn("error", json.loads(responses[0][2]))

    def test_transfer_encoding_with_content_length_is_400_and_closes(self):
        length = b"Content-Length: %d" % len(self.BODY)
        for coding in (b"identity", b"chunked, gzip", b"chunked", b"gzip"):
            self.assert_refused_and_closed(b"Transfer-Encoding: " + coding + b"\r\n" + length, 400)
            self.assert_refused_and_closed(length + b"\r\nTransfer-Encoding: " + coding, 400)
        still_serving(self, self.server)

    def test_unknown_transfer_coding_is_501_and_closes(self):
        for coding in (b"gzip, chunked", b"gzip\r\nTransfer-Encoding: chunked"):
            self.assert_refused_and_closed(b"Transfer-Encoding: " + coding, 501)

    def test_a_body_not_chunked_last_is_400_and_closes(self):
        # RFC 9112 section 6.3: the length of a body whose last coding is not chunked cannot be
        # known, whatever the codings are.
        for coding in (b"gzip", b"identity", b"chunked, gzip"):
            self.assert_refused_and_closed(b"Transfer-Encoding: " + coding, 400)

    def test_two_content_lengths_and_chunk_size_overflow(self):
        self.assert_refused_and_closed(b"Content-Length: 17\r\nContent-Length: 18", 400)
        request = (b"POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"1ffffffffffffffff\r\n" + self.BODY + b"\r\n0\r\n\r\n")
        responses = exchange_http1(self.server, request + self.NEXT)
        self.assertEqual([r[0] for r in responses], [400], responses)

    def test_http11_without_host_is_400_http10_without_is_fine(self):
        responses = exchange_http1(self.server, b"GET /v2/health/live HTTP/1.1\r\n\r\n" + self.NEXT)
        self.assertEqual([r[0] for r in responses], [400], responses)
        self.assertIn("Host", json.loads(responses[0][2])["error"])
        for hosts in (b"Host: a\r\nHost: b", b"Host: a b", b"Host: a/b"):
            responses = exchange_http1(self.server, b"GET /v2/health/live HTTP/1.1\r\n" + hosts + b"\r\n\r\n")
            self.assertEqual([r[0] for r in responses], [400], (hosts, responses))
        responses = exchange_http1(self.server, b"GET /v2/health/live HTTP/1.0\r\n\r\n")
        self.assertEqual([r[0] for r in responses], [200], responses)

    def test_absolute_form_targets_are_routed_by_their_path(self):
        responses = exchange_http1(self.server, b"GET http://elsewhere.example/v2/models/instant HTTP/1.1\r\n"
                                                b"Host: t\r\nConnection: close\r\n\r\n")
        self.assertEqual([r[0] for r in responses], [200], responses)
        self.assertEqual(json.loads(responses[0][2])["name"], "instant")

    def test_1000_pipelined_requests_are_answered_in_order(self):
        requests = b"".join(
            b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            for body in (json.dumps({"model": "instant", "features": [i]}).encode() for i in range(1000)))
        with socket.create_connection((self.server.host, self.server.port), timeout=10) as sock:
            sender = threading.Thread(target=sock.sendall, args=(requests,))
            sender.start()
            responses = read_http1_responses(sock, count=1000, timeout=30)
            sender.join(30)
        self.assertEqual(len(responses), 1000)
        self.assertEqual([json.loads(r[2])["predictions"][0] for r in responses], list(range(1000)))

    def test_deep_json_nesting_and_many_headers(self):
        body = b'{"features": ' + b"[" * 50000 + b"]" * 50000 + b"}"
        request = b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        with socket.create_connection((self.server.host, self.server.port), timeout=10) as sock:
            sock.sendall(request)
            status, _, answer = read_http1_responses(sock, count=1)[0]
        self.assertEqual(status, 400, answer)
        self.assertIn("error", json.loads(answer))
        headers = b"".join(b"X-Header-%d: value\r\n" % i for i in range(2000))
        responses = exchange_http1(self.server, b"GET /v2/health/live HTTP/1.1\r\nHost: t\r\n" + headers + b"\r\n")
        self.assertEqual([r[0] for r in responses], [431], responses)
        still_serving(self, self.server)


class Http2FramingTest(HostileServerTest):
    def test_smuggling_shapes_reset_the_stream_alone(self):
        connection = H2Connection(self.server.address)
        body = b'{"model": "instant", "features": [1]}'
        shapes = ((("content-length", "5"),), (("transfer-encoding", "chunked"),), (("connection", "keep-alive"),),
                  (("Content-Type", "application/json"),))
        try:
            for number, extra in enumerate(shapes):
                stream = 1 + 2 * number
                connection.send(frame(HEADERS, END_HEADERS, stream, request_block("POST", "/predict", extra)) +
                                frame(DATA, END_STREAM, stream, body))
                frames = connection.frames(lambda f: f[2] == stream and (f[0] == RST_STREAM or f[1] & END_STREAM)
                                           or f[0] == GOAWAY)
                self.assertEqual((frames[-1][0], frames[-1][2]), (RST_STREAM, stream), extra)
            # The connection still serves a well-formed request.
            stream = 1 + 2 * len(shapes)
            connection.send(frame(HEADERS, END_HEADERS, stream, request_block("POST", "/predict")) +
                            frame(DATA, END_STREAM, stream, body))
            frames = connection.frames(lambda f: f[2] == stream and f[0] == DATA and f[1] & END_STREAM)
            self.assertEqual(json.loads(frames[-1][3])["predictions"], [1])
        finally:
            connection.close()


class Utf8InErrorsTest(HostileServerTest):
    """A client's bytes quoted in an error never make the error invalid JSON, on any wire."""

    def assert_json_error(self, body, what):
        try:
            answer = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            self.fail(f"{what}: not UTF-8 JSON ({error}): {body!r}")
        self.assertIn("error", answer, what)
        return answer

    def test_http1_paths(self):
        for target in (b"/v2/models/%FF%FE", b"/v2/models/%FF%FE/infer", b"/v2/models/instant/versions/%C0%AF",
                       b"/no/such/\xff\xfe", b"/v2/models/\xff\xfe"):
            method = b"POST" if target.endswith(b"infer") else b"GET"
            responses = exchange_http1(self.server, method + b" " + target + b" HTTP/1.1\r\nHost: t\r\n"
                                       b"Connection: close\r\nContent-Length: 0\r\n\r\n")
            self.assertEqual(len(responses), 1, target)
            self.assertIn(responses[0][0], (400, 404), target)
            answer = self.assert_json_error(responses[0][2], target)
            if target.startswith(b"/v2/models/%FF"):
                self.assertIn("\ufffd\ufffd", answer["error"])

    def test_http2_path(self):
        done = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "--max-time", "10",
                               self.server.url + "/v2/models/%FF%FE"], capture_output=True, timeout=15)
        self.assertIn("\ufffd", self.assert_json_error(done.stdout, "h2")["error"])

    def test_websocket_model_names_that_are_not_utf8(self):
        ws = RawWebSocket(self.server.host, self.server.port)
        try:
            # Binary: a model name of bytes ff fe; the error message is UTF-8 (docs/api.md).
            name = b"\xff\xfe"
            ws.send_frame(0x2, struct.pack("<BBHIIQ", 1, 0, len(name), 1, 1, 9) + name + struct.pack("<f", 1))
            opcode, reply = ws.recv_frame()
            self.assertEqual(opcode, 0x2)
            status, request_id = reply[1], struct.unpack("<Q", reply[8:16])[0]
            self.assertEqual((status, request_id), (5, 9))  # NOT_FOUND
            self.assertIn("\ufffd", reply[24:].decode("utf-8"))
            # Text: the JSON reader refuses escapes that decode to something other than UTF-8.
            ws.send_frame(0x1, b'{"id": 7, "model": "\\udc00", "features": [1]}')
            opcode, reply = ws.recv_frame()
            self.assert_json_error(reply, "ws text")
        finally:
            ws.close()

    def test_grpc_strings_that_are_not_utf8(self):
        # model_name (field 1) as bytes ff fe: not a proto3 string, so not a ModelInferRequest.
        message = b"\x0a\x02\xff\xfe"
        status, text = grpc_call(self.server.addresses["grpc"], "ModelInfer", message)
        self.assertEqual(status, "3", text)  # INVALID_ARGUMENT
        status, _ = grpc_call(self.server.addresses["grpc"], "ModelMetadata", message)
        self.assertEqual(status, "3")


class GrpcHostileTest(HostileServerTest):
    def test_malformed_and_truncated_protobuf_is_invalid_argument(self):
        address = self.server.addresses["grpc"]
        whole = infer_request().SerializeToString()
        for message in (whole[:len(whole) // 2], b"\xff" * 16, b"\x0a\xff\xff\xff\xff\x0f"):
            status, text = grpc_call(address, "ModelInfer", message)
            self.assertEqual(status, "3", (message, text))
        # A message cut short by the end of the request stream.
        status, _ = grpc_call(address, "ModelInfer", whole[:10], declared=len(whole))
        self.assertEqual(status, "3")

    def test_a_length_prefix_over_the_limit_is_refused_from_the_prefix(self):
        # 4 GiB declared, 16 bytes sent, the stream left open: the answer cannot wait for the rest.
        status, text = grpc_call(self.server.addresses["grpc"], "ModelInfer", b"x" * 16,
                                 declared=0xFFFFFFFF, end=False)
        self.assertEqual(status, "8", text)  # RESOURCE_EXHAUSTED

    def test_compressed_flag_without_an_encoding(self):
        message = infer_request().SerializeToString()
        status, text = grpc_call(self.server.addresses["grpc"], "ModelInfer", message, flag=1)
        self.assertEqual(status, "13", text)  # INTERNAL, as gRPC's own servers answer
        fields = grpc_exchange(self.server.addresses["grpc"], "ModelInfer", message, flag=1,
                               extra=(("grpc-encoding", "snappy"),))
        self.assertEqual(fields.get("grpc-status"), "12")  # UNIMPLEMENTED: an encoding not read here
        self.assertEqual(fields.get("grpc-accept-encoding"), "identity, deflate, gzip")  # what to use

    def test_the_server_still_answers_grpc(self):
        with grpc.insecure_channel(self.server.addresses["grpc"]) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            self.assertEqual(list(stub.ModelInfer(infer_request(), timeout=10).outputs[0].contents.fp32_contents),
                             [6.5])


class Http2HostileTest(HostileServerTest):
    def test_date_on_answers(self):
        done = curl("-sS", "-D", "-", "-o", "/dev/null", "--http2-prior-knowledge", self.server.url + "/v2")
        self.assertIn("HTTP/2 200", done.stdout)
        self.assertRegex(done.stdout, r"(?m)^date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT")

    def test_100_continue(self):
        started = time.monotonic()
        done = curl("-v", "--http2-prior-knowledge", "--expect100-timeout", "8", "-H", "Expect: 100-continue",
                    self.server.url + "/predict", data='{"model": "instant", "features": [2]}')
        self.assertLess(time.monotonic() - started, 6, "curl waited out its expect timeout")
        self.assertIn("HTTP/2 100", done.stderr)
        self.assertEqual(json.loads(done.stdout)["predictions"], [2])

    def test_a_body_declared_over_the_limit_is_refused_before_it_is_sent(self):
        with tempfile.NamedTemporaryFile() as body:
            body.write(b"x" * (100 * MAX_BODY))
            body.flush()
            done = curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code} %{size_upload}",
                        "--data-binary", "@" + body.name, self.server.url + "/predict")
        status, uploaded = done.stdout.split()
        self.assertEqual(status, "413", done.stderr)
        self.assertLess(int(uploaded), 100 * MAX_BODY, "the whole body was sent before the answer")
        still_serving(self, self.server)

    def test_a_stream_beyond_the_limit_is_refused_alone(self):
        connection = H2Connection(self.server.address)
        try:
            settings = connection.frames(lambda f: f[0] == SETTINGS and f[1] & ACK)
            advertised = dict(struct.unpack(">HI", payload[i:i + 6]) for t, flags, _, payload in settings
                              if t == SETTINGS and not flags & ACK for i in range(0, len(payload), 6))
            limit = advertised[3]
            self.assertEqual(limit, 128)
            # Every allowed stream open (bodies not sent), then one more.
            streams = [1 + 2 * i for i in range(limit + 1)]
            connection.send(b"".join(frame(HEADERS, END_HEADERS, s, request_block("POST", "/predict"))
                                     for s in streams))
            refused = connection.frames(lambda f: f[0] in (RST_STREAM, GOAWAY))
            self.assertEqual([(f[0], f[2], f[3]) for f in refused if f[0] in (RST_STREAM, GOAWAY)],
                             [(RST_STREAM, streams[-1], struct.pack(">I", REFUSED_STREAM))])
            # The open streams are served as usual.
            connection.send(frame(DATA, END_STREAM, 1, b'{"model": "instant", "features": [4]}'))
            answer = connection.frames(lambda f: f[2] == 1 and f[0] == DATA and f[1] & END_STREAM)
            self.assertEqual(json.loads(b"".join(f[3] for f in answer if f[0] == DATA and f[2] == 1))["predictions"],
                             [4])
        finally:
            connection.close()

    def test_connection_errors_end_in_goaway_with_their_code(self):
        get = request_block("GET", "/v2")
        cases = {
            "WINDOW_UPDATE of 0": (frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0)), PROTOCOL_ERROR),
            "connection window past 2^31-1": (frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 0x7FFFFFFF)) * 2,
                                              FLOW_CONTROL_ERROR),
            "DATA on stream 0": (frame(DATA, 0, 0, b"x"), PROTOCOL_ERROR),
            "HEADERS on an even stream": (frame(HEADERS, END_HEADERS | END_STREAM, 2, get), PROTOCOL_ERROR),
            "INITIAL_WINDOW_SIZE past 2^31-1": (frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 0x80000000)),
                                                FLOW_CONTROL_ERROR),
            "a frame over MAX_FRAME_SIZE": (frame(PING, 0, 0, b"\0" * 20000), FRAME_SIZE_ERROR),
            "an HPACK index of 0": (frame(HEADERS, END_HEADERS | END_STREAM, 1, b"\x80"), COMPRESSION_ERROR),
        }
        for name, (data, code) in cases.items():
            connection = H2Connection(self.server.address)
            try:
                connection.frames(lambda f: f[0] == SETTINGS and f[1] & ACK)
                connection.send(data)
                frames = connection.frames(lambda f: f[0] == GOAWAY, timeout=5)
                self.assertTrue(frames and frames[-1][0] == GOAWAY, name)
                self.assertEqual(struct.unpack(">I", frames[-1][3][4:8])[0], code, name)
            finally:
                connection.close()
        still_serving(self, self.server)

    def test_rapid_reset_leaves_the_server_responsive(self):
        connection = H2Connection(self.server.address)
        try:
            burst = b"".join(frame(HEADERS, END_HEADERS | END_STREAM, s, request_block("GET", "/v2/models/slow/ready")) +
                             frame(RST_STREAM, 0, s, struct.pack(">I", CANCEL))
                             for s in range(1, 2 * 2000, 2))
            try:
                connection.send(burst)
            except (BrokenPipeError, ConnectionResetError):
                pass  # told to calm down
        finally:
            connection.close()
        started = time.monotonic()
        still_serving(self, self.server)
        self.assertLess(time.monotonic() - started, 5)

    def assert_connection_ends(self, connection, data):
        """Sends `data` (ignoring a server that hangs up meanwhile) and expects the server to end
        the connection, with GOAWAY or at once, within the bound."""
        started = time.monotonic()
        try:
            connection.send(data)
        except (BrokenPipeError, ConnectionResetError):
            return
        frames = connection.frames(lambda f: f[0] == GOAWAY, timeout=5)
        if not frames or frames[-1][0] != GOAWAY:
            try:
                connection.sock.settimeout(5)
                self.assertEqual(connection.sock.recv(65536), b"", frames[-3:])
            except ConnectionResetError:
                pass
        self.assertLess(time.monotonic() - started, 5)

    def test_continuation_flood(self):
        connection = H2Connection(self.server.address)
        try:
            flood = frame(HEADERS, 0, 1, request_block("GET", "/v2")) + b"".join(
                frame(CONTINUATION, 0, 1, hpack_literal("x-flood", "a" * 16)) for _ in range(20000))
            self.assert_connection_ends(connection, flood)
        finally:
            connection.close()
        still_serving(self, self.server)

    @unittest.skipIf(os.environ.get("PREDICTWIRE_SANITIZED") == "1",
                     "ASan's quarantine keeps up to 256 MiB of freed memory resident, past this "
                     "test's RSS bound")
    def test_settings_and_ping_floods_from_a_client_that_never_reads(self):
        floods = {
            "SETTINGS": b"".join(frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535)) for _ in range(1000)),
            "PING": b"".join(frame(PING, 0, 0, struct.pack(">Q", i)) for i in range(1000)),
        }
        for name, flood in floods.items():
            before = rss_bytes(self.server)
            connection = H2Connection(self.server.address)
            connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            try:
                sent = flood_without_reading(connection.sock, flood)
                self.assertLess(rss_bytes(self.server) - before, FLOOD_RSS_BOUND, (name, sent))
            finally:
                connection.close()
            still_serving(self, self.server)

    def test_hpack_bomb(self):
        connection = H2Connection(self.server.address)
        try:
            # One 4 KB field into the dynamic table (literal with incremental indexing, within the
            # default 4096-byte table), then 200 one-byte references to it: 800 KB of header list
            # from 4 KB of input.
            insert = b"\x40" + hpack_integer(6, 7, 0) + b"x-bomb" + hpack_integer(4000, 7, 0) + b"a" * 4000
            block = request_block("GET", "/v2") + insert + b"\xbe" * 200
            connection.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, block))
            frames = connection.frames(lambda f: f[2] == 1 and f[0] in (HEADERS, RST_STREAM) or f[0] == GOAWAY)
            # Answered 431 like any header list over 16 KiB; the connection carries on.
            self.assertEqual(frames[-1][0], HEADERS, frames[-1])
            self.assertEqual(connection.headers(frames[-1][3])[":status"], "431")
        finally:
            connection.close()
        still_serving(self, self.server)


class TlsHostileTest(HostileServerTest):
    """The gRPC-over-TLS port, as test_tls.py checks the HTTPS one."""

    def exchange(self, data):
        host, port = self.server.addresses["grpcs"].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(data)
            received = b""
            try:
                while chunk := sock.recv(65536):
                    received += chunk
            except ConnectionResetError:
                pass
        return received

    def test_plain_text_on_the_tls_port(self):
        for plain in (PREFACE + frame(SETTINGS, 0, 0, b""), b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"):
            answer = self.exchange(plain)
            self.assertTrue(answer.startswith(b"HTTP/1.1 400"), answer[:100])
            self.assertIn(b"HTTPS", answer)

    def test_a_garbage_client_hello(self):
        for hello in (b"\x16\x03\x01\x00\x05hello" + os.urandom(64), b"\x16\x03\x01\xff\xff" + b"\x00" * 4096):
            answer = self.exchange(hello)
            self.assertTrue(answer == b"" or answer[0] == 0x15, answer[:20])  # nothing, or an alert
        with open(os.path.join(self.directory.name, "cert.pem"), "rb") as cert:
            credentials = grpc.ssl_channel_credentials(root_certificates=cert.read())
        with grpc.secure_channel(self.server.addresses["grpcs"], credentials,
                                 options=[("grpc.ssl_target_name_override", "localhost")]) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            self.assertTrue(stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live)


class WebSocketHostileTest(HostileServerTest):
    def raw(self):
        return RawWebSocket(self.server.host, self.server.port)

    def test_control_frames_fragmented_or_oversized(self):
        ws = self.raw()
        ws.send_frame(0x9, b"ping", fin=False)  # a fragmented ping
        self.assertEqual(ws.recv_close_code(), 1002)
        ws.close()
        ws = self.raw()
        ws.send_frame(0x9, b"p" * 126)  # control payloads are at most 125 bytes
        self.assertEqual(ws.recv_close_code(), 1002)
        ws.close()

    def test_utf8_split_across_fragments_with_a_ping_between(self):
        ws = self.raw()
        try:
            message = '{"id": 5, "model": "instant", "features": [1], "note": "é"}'.encode()
            split = message.index(b"\xc3") + 1  # inside the two bytes of é
            ws.send_frame(0x1, message[:split], fin=False)
            ws.send_frame(0x9, b"between")  # a control frame may come between fragments
            ws.send_frame(0x0, message[split:])
            replies = dict(ws.recv_frame() for _ in range(2))
            self.assertEqual(replies[0xA], b"between")
            self.assertEqual(json.loads(replies[0x1])["predictions"], [1])
        finally:
            ws.close()

    def test_a_2_to_the_63_length(self):
        ws = self.raw()
        ws.sock.sendall(struct.pack("!BBQ", 0x82, 0x80 | 127, 1 << 63) + os.urandom(4))
        self.assertIn(ws.recv_close_code(), (1002, 1009))
        ws.close()
        ws = self.raw()
        ws.sock.sendall(struct.pack("!BBQ", 0x82, 0x80 | 127, (1 << 63) - 1) + os.urandom(4))
        self.assertEqual(ws.recv_close_code(), 1009)
        ws.close()

    def test_ping_flood_while_never_reading(self):
        ws = self.raw()
        ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        ping = (struct.pack("!BB", 0x89, 0x80 | 125) + b"\x00" * 4 + b"p" * 125) * 1000
        before = rss_bytes(self.server)
        try:
            sent = flood_without_reading(ws.sock, ping)
            self.assertLess(rss_bytes(self.server) - before, FLOOD_RSS_BOUND, sent)
        finally:
            ws.close()
        still_serving(self, self.server)


def accepts(server):
    """Whether the server's HTTP port takes a new connection."""
    try:
        socket.create_connection((server.host, server.port), timeout=2).close()
        return True
    except OSError:
        return False


def http1_outcome(responses):
    """("answered", predictions) for a 200, ("refused", status) for a 503, else what came."""
    if len(responses) == 1 and responses[0][0] == 200:
        return ("answered", json.loads(responses[0][2])["predictions"])
    if len(responses) == 1 and responses[0][0] == 503:
        return ("refused", 503)
    return ("dropped", responses)


def http1_pipelined_outcome(responses):
    """The outcome of a request pipelined behind another: its own response, or none after a
    first response that said Connection: close (RFC 9112 section 9.6: the server read no
    further, the client may retry)."""
    if len(responses) == 2:
        return http1_outcome(responses[1:])
    if len(responses) == 1 and responses[0][1].get("Connection", "").lower() == "close":
        return ("refused", "connection: close")
    return ("dropped", responses)


def h2_outcomes(connection, streams, before):
    """Reads the connection to its end; the outcome of each of the first `streams` requests
    (stream 1 + 2 * value): answered, refused (above the GOAWAY's last stream id, or
    REFUSED_STREAM) or dropped."""
    frames = connection.frames(lambda f: False, timeout=30)
    last_stream = None
    answers, resets = {}, {}
    for frame_type, flags, stream, payload in frames:
        if frame_type == GOAWAY:
            last_stream = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
        elif frame_type == HEADERS and stream:
            answers.setdefault(stream, {}).update(connection.headers(payload))
        elif frame_type == DATA and stream:
            answers.setdefault(stream, {}).setdefault("body", b"")
            answers[stream]["body"] += payload
        elif frame_type == RST_STREAM:
            resets[stream] = int.from_bytes(payload[:4], "big")
    outcomes = []
    for value in range(streams):
        stream = 1 + 2 * value
        answer = answers.get(stream, {})
        if answer.get(":status") == "200" and "body" in answer:
            outcome = ("answered", json.loads(answer["body"])["predictions"])
        elif answer.get(":status") == "503" or resets.get(stream) == REFUSED_STREAM or (
                last_stream is not None and stream > last_stream and stream not in answers):
            outcome = ("refused", answer.get(":status") or resets.get(stream) or f"goaway {last_stream}")
        else:
            outcome = ("dropped", (answer, resets.get(stream), last_stream))
        outcomes.append(("before" if value < before else "after", value, outcome))
    return outcomes


def websocket_outcomes(ws, count, before):
    """Reads the connection to its close; the outcome of ids 0 to count - 1: answered, refused
    (code 14, or not answered before a close 1001 that came before it was read) or dropped."""
    replies, close_code = {}, None
    while close_code is None:
        try:
            opcode, payload = ws.recv_frame()
        except (OSError, ConnectionError):
            break
        if opcode == 0x8:
            close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        elif opcode == 0x1:
            reply = json.loads(payload)
            replies[reply.get("id")] = reply
    outcomes = []
    for value in range(count):
        reply = replies.get(value)
        if reply is not None and "predictions" in reply:
            outcome = ("answered", reply["predictions"])
        elif reply is not None and reply.get("code") == 14:
            outcome = ("refused", 14)
        elif reply is None and value >= before and close_code == 1001:
            outcome = ("refused", "close 1001 first")
        else:
            outcome = ("dropped", (reply, close_code))
        outcomes.append(("before" if value < before else "after", value, outcome))
    return outcomes


def grpc_outcome(call):
    """answered with its predictions; refused when UNAVAILABLE says the connection is going away
    or the server shutting down, or the connection was refused; otherwise dropped (what a connection lost under a call gives)."""
    try:
        return ("answered", [round(v) for v in call.result().outputs[0].contents.fp32_contents])
    except grpc.RpcError as error:
        details = error.details() or ""
        if error.code() == grpc.StatusCode.UNAVAILABLE and any(
                said in details for said in ("the connection is going away", "the server is shutting down",
                                             "Connection refused")):
            return ("refused", details)
        return ("dropped", (error.code().name, details))


class StopUnderLoadTest(unittest.TestCase):
    """SIGTERM while every wire has requests in flight, some running and some queued, and more
    arrive on the open connections during the drain. Every request sent before the signal is
    answered; each one sent after it is answered or refused in its protocol's clear way; none is
    dropped in silence. The requests before the signal are counted in flight on /metrics before
    it is sent, so the test knows exactly which they are.

    What "refused in its protocol's clear way" means: a WebSocket error of code 14 (UNAVAILABLE)
    or the close 1001 before the request was read; an HTTP/2 stream above the last stream id of
    the server's GOAWAY (RFC 9113 section 6.8: not processed, safe to retry); a gRPC call ended
    UNAVAILABLE saying the connection is going away, or refused at connect (the client's retry
    on a new connection after the GOAWAY), never a connection that dropped under it."""

    # Two requests a wire before the signal, eight in all, on four workers: half run while the
    # other half wait, so the drain must answer queued requests as well as running ones.
    MODEL = "slow=sleep:1500ms,instances=4"
    BEFORE = 2

    def test_every_request_is_answered_or_clearly_refused(self):
        server = Server(models=[self.MODEL]).start()
        try:
            outcomes = self.run_stop(server)
        finally:
            server.stop()
        self.assertEqual(server.process.returncode, 0, server.stderr)
        self.assertNotIn("still open after the drain timeout", server.stderr)
        for wire in ("http1", "http2", "websocket", "grpc"):
            before = [o for o in outcomes[wire] if o[0] == "before"]
            self.assertEqual(len(before), self.BEFORE, (wire, outcomes[wire]))
            for when, request, outcome in outcomes[wire]:
                if when == "before":
                    self.assertEqual(outcome, ("answered", [request]), (wire, request, outcomes[wire]))
                else:
                    self.assertIn(outcome[0], ("answered", "refused"), (wire, request, outcomes[wire]))
                    if outcome[0] == "answered":
                        self.assertEqual(outcome[1], [request], (wire, request))

    def run_stop(self, server):
        """Sends the requests, the signal and the requests after it; returns, by wire, each
        request's (when: before or after the signal, its value, its outcome)."""
        body = lambda value: json.dumps({"model": "slow", "features": [value]}).encode()
        # HTTP/1.1: a connection per request.
        http1 = []
        for value in range(self.BEFORE):
            sock = socket.create_connection((server.host, server.port), timeout=30)
            sock.sendall(b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body(value))
                         + body(value))
            http1.append((value, sock))
        # HTTP/2: streams 1 and 3 of one connection.
        h2 = H2Connection(server.address)
        for value in range(self.BEFORE):
            h2.send(frame(HEADERS, END_HEADERS, 1 + 2 * value, request_block("POST", "/predict")) +
                    frame(DATA, END_STREAM, 1 + 2 * value, body(value)))
        # WebSocket: ids 0 and 1 on one connection.
        ws = RawWebSocket(server.host, server.port)
        for value in range(self.BEFORE):
            ws.send_frame(0x1, json.dumps({"id": value, "model": "slow", "features": [value]}).encode())
        # gRPC: two calls on one channel.
        channel = grpc.insecure_channel(server.addresses["grpc"])
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        grpc_calls = [(value, stub.ModelInfer.future(infer_request("slow", [float(value)]), timeout=30))
                      for value in range(self.BEFORE)]
        for protocol in ("http1", "http2", "websocket", "grpc"):
            wait_until_in_flight(server, protocol, self.BEFORE)

        server.process.send_signal(signal.SIGTERM)

        # During the drain, one more request on each open connection (on HTTP/1.1, pipelined
        # behind the first connection's request).
        after = self.BEFORE
        http1[0][1].sendall(b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n"
                            % len(body(after)) + body(after))
        h2.send(frame(HEADERS, END_HEADERS, 1 + 2 * after, request_block("POST", "/predict")) +
                frame(DATA, END_STREAM, 1 + 2 * after, body(after)))
        try:
            ws.send_frame(0x1, json.dumps({"id": after, "model": "slow", "features": [after]}).encode())
        except OSError:
            pass  # closed already: its close frame, read below, says why
        grpc_calls.append((after, stub.ModelInfer.future(infer_request("slow", [float(after)]), timeout=30)))

        outcomes = {"http1": [], "http2": [], "websocket": [], "grpc": []}
        for value, sock in http1:
            responses = read_http1_responses(sock, timeout=30)  # to the server's close
            sock.close()
            outcomes["http1"].append(("before", value, http1_outcome(responses[:1])))
            if value == 0:
                outcomes["http1"].append(("after", after, http1_pipelined_outcome(responses)))
        outcomes["http2"] = h2_outcomes(h2, self.BEFORE + 1, self.BEFORE)
        h2.close()
        outcomes["websocket"] = websocket_outcomes(ws, self.BEFORE + 1, self.BEFORE)
        ws.close()
        for value, call in grpc_calls:
            outcomes["grpc"].append(("before" if value < self.BEFORE else "after", value, grpc_outcome(call)))
        channel.close()
        _, server.stderr = server.process.communicate(timeout=30)
        return outcomes

    def test_a_websocket_asked_to_go_answers_what_is_in_flight_and_says_what_to_send_again(self):
        server = Server(models=["slow=sleep:1s"]).start()
        try:
            ws = RawWebSocket(server.host, server.port)
            ws.send_frame(0x1, b'{"id": 1, "features": [3]}')
            wait_until_in_flight(server, "websocket", 1)
            server.process.send_signal(signal.SIGTERM)
            # The server stops listening, then drains: request 1 still runs.
            self.assertTrue(wait_for(lambda: not accepts(server), 10), "still listening after SIGTERM")
            ws.send_frame(0x1, b'{"id": 2, "features": [3]}')
            replies = []
            while not replies or replies[-1][0] != 0x8:
                replies.append(ws.recv_frame())
                self.assertLessEqual(len(replies), 3, replies)
            ws.close()
            _, server.stderr = server.process.communicate(timeout=20)
            self.assertEqual(server.process.returncode, 0, server.stderr)
        finally:
            server.stop()
        # Request 1 is answered; request 2, sent after the server began to go, is not read (it
        # never ran), and the Close 1001 that follows the last answer tells the client to send
        # it again on a new connection. Sent so soon after the listener closed, it may rarely
        # reach the connection before the connection hears of the stop: then it is answered.
        self.assertEqual(replies[-1][0], 0x8, replies)
        answers = {answer["id"]: answer for answer in (json.loads(payload) for _, payload in replies[:-1])}
        self.assertIn(len(answers), (1, 2), replies)
        self.assertEqual(answers[1]["predictions"], [3])
        if 2 in answers:
            self.assertEqual(answers[2]["predictions"], [3])
        self.assertEqual(struct.unpack("!H", replies[-1][1][:2])[0], 1001)
        self.assertIn(b"send again", replies[-1][1][2:])

    def test_an_idle_grpc_channel_does_not_delay_the_stop(self):
        server = Server(models=["m=sleep:0"]).start()
        try:
            channel = grpc.insecure_channel(server.addresses["grpc"])
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            self.assertTrue(stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live)
            h2 = H2Connection(server.address)  # an idle h2c connection too
            h2.frames(lambda f: f[0] == SETTINGS and f[1] & ACK)
            started = time.monotonic()
            self.assertEqual(server.stop(signal.SIGTERM), 0, server.stderr)
            # Held up, the stop would wait out the 10 s drain timeout; it takes milliseconds.
            self.assertLess(time.monotonic() - started, 5, "idle HTTP/2 connections held up the stop")
            self.assertNotIn("still open after the drain timeout", server.stderr)
            h2.close()
            channel.close()
        finally:
            server.stop()


class ProtocolErrorMetricsTest(unittest.TestCase):
    def test_refusals_are_counted(self):
        with Server(models=["m=sleep:0"]) as server:
            exchange_http1(server, b"POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n")
            ws = RawWebSocket(server.host, server.port)
            ws.send_frame(0x1, b"{}", masked=False)
            self.assertEqual(ws.recv_close_code(), 1002)
            ws.close()
            connection = H2Connection(server.address)
            try:
                connection.send(b"".join(frame(HEADERS, END_HEADERS, 1 + 2 * i, request_block("POST", "/predict"))
                                         for i in range(129)))
                connection.frames(lambda f: f[0] == RST_STREAM)
            finally:
                connection.close()
            metrics = curl(server.url + "/metrics").stdout
        for protocol, reason in (("http1", "malformed"), ("websocket", "violation"), ("http2", "refused_stream")):
            self.assertIn(f'predictwire_protocol_errors_total{{protocol="{protocol}",reason="{reason}"}} 1\n',
                          metrics)


class EphemeralPortsTest(unittest.TestCase):
    def test_http_port_0_puts_the_other_listeners_on_free_ports(self):
        # Only --http given: gRPC must not take the fixed 8001, so two servers run side by side.
        processes = []
        try:
            for _ in range(2):
                process = subprocess.Popen([BINARY, "serve", "--http", "127.0.0.1:0", "--model", "m=sleep:0"],
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                processes.append(process)
                line = process.stdout.readline()
                addresses = parse_ready_line(line)
                self.assertIsNotNone(addresses, process.stderr.read() if process.poll() else line)
                for address in addresses.values():
                    self.assertNotIn(":8001", address)
                self.assertRegex(addresses.get("grpc", ""), r"^127\.0\.0\.1:\d+$")
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
                process.communicate(timeout=20)


if __name__ == "__main__":
    unittest.main()
