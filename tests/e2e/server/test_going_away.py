"""What a server behind a balancer does for its connections: a drain that reports not ready at
once and keeps serving for --drain-delay, connections asked to go at --max-connection-age
without losing a request, keepalive pings that find a peer that is gone, and grpc.health.v1."""

import json
import os
import signal
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
import grpc  # noqa: E402
import h2.config  # noqa: E402
import h2.connection  # noqa: E402
import h2.events  # noqa: E402
from hostile_clients import metric, metrics, wait_for  # noqa: E402
from server_fixture import Server, curl  # noqa: E402
from ws_raw import RawWebSocket  # noqa: E402

PREDICT = json.dumps({"features": [1, 2]}).encode()


def health_request(service=""):
    """A grpc.health.v1.HealthCheckRequest: field 1, the service name (protobuf by hand)."""
    name = service.encode()
    return b"\x0a" + bytes([len(name)]) + name if name else b""


def health_status(message):
    """The status of a HealthCheckResponse: field 1, a varint (0 when absent)."""
    return message[1] if message[:1] == b"\x08" else 0


SERVING, NOT_SERVING, SERVICE_UNKNOWN = 1, 2, 3


def keep_alive_request(connection, host):
    """One POST /predict on an open keep-alive socket; returns (status, headers, body)."""
    connection.sendall(b"POST /predict HTTP/1.1\r\nHost: " + host.encode() +
                       b"\r\nContent-Type: application/json\r\nContent-Length: " +
                       str(len(PREDICT)).encode() + b"\r\n\r\n" + PREDICT)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            raise ConnectionError("closed before an answer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:]}
    while len(body) < int(headers["content-length"]):
        body += connection.recv(4096)
    return int(lines[0].split()[1]), headers, body


class DrainTest(unittest.TestCase):
    def test_not_ready_at_once_then_serving_through_the_delay_then_gone(self):
        server = Server("--drain-delay", "3s", models=["m=sleep:0"]).start()
        try:
            channel = grpc.insecure_channel(server.addresses["grpc"])
            check = channel.unary_unary("/grpc.health.v1.Health/Check")
            watch = channel.unary_stream("/grpc.health.v1.Health/Watch")
            self.assertEqual(health_status(check(health_request(), timeout=10)), SERVING)
            watched = watch(health_request("m"), timeout=30)
            self.assertEqual(health_status(next(watched)), SERVING)
            self.assertEqual(curl(f"{server.url}/v2/health/ready", "-o", "/dev/null", "-w",
                                  "%{http_code}").stdout, "200")
            signalled = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            # Not ready at once, on every route a balancer or an orchestrator asks; alive still.
            self.assertEqual(health_status(next(watched)), NOT_SERVING)
            self.assertEqual(curl(f"{server.url}/v2/health/ready", "-o", "/dev/null", "-w",
                                  "%{http_code}").stdout, "400")
            self.assertEqual(curl(f"{server.url}/v2/health/live", "-o", "/dev/null", "-w",
                                  "%{http_code}").stdout, "200")
            self.assertEqual(health_status(check(health_request(), timeout=10)), NOT_SERVING)
            # Serving goes on through the delay, new connections included.
            answered = 0
            while time.monotonic() - signalled < 2:
                done = curl(f"{server.url}/predict", data=PREDICT.decode())
                self.assertEqual(json.loads(done.stdout)["predictions"], [3], done.stderr)
                answered += 1
                time.sleep(0.1)
            self.assertGreater(answered, 5)
            # Then the watcher's call ends (the connection is asked to go) and the process exits.
            with self.assertRaises(grpc.RpcError) as ended:
                next(watched)
            self.assertEqual(ended.exception.code(), grpc.StatusCode.UNAVAILABLE)
            _, server.stderr = server.process.communicate(timeout=20)
            self.assertEqual(server.process.returncode, 0, server.stderr)
            self.assertGreaterEqual(time.monotonic() - signalled, 3)
            channel.close()
        finally:
            server.stop()


class ConnectionAgeTest(unittest.TestCase):
    def test_each_wire_is_asked_to_go_past_its_age_and_loses_nothing(self):
        with Server("--max-connection-age", "2s", "--max-connection-age-grace", "5s",
                    models=["m=sleep:0"]) as server:
            # HTTP/1.1 keep-alive: requests go on until an answer says Connection: close, then
            # the server closes; every request was answered.
            connection = socket.create_connection((server.host, server.port), timeout=10)
            answers, started = [], time.monotonic()
            while True:
                status, headers, body = keep_alive_request(connection, server.address)
                answers.append((status, tuple(json.loads(body)["predictions"])))
                if headers.get("connection") == "close":
                    break
                self.assertLess(time.monotonic() - started, 10, "never asked to go")
                time.sleep(0.2)
            aged = time.monotonic() - started
            self.assertGreaterEqual(aged, 1.5)  # 2 s, give or take 10%, swept once a second
            self.assertEqual(connection.recv(1), b"")  # then closed
            connection.close()
            self.assertEqual(set(answers), {(200, (3,))})

            # WebSocket: an idle connection gets Close 1001, whose reason says what to do.
            ws = RawWebSocket(server.host, server.port)
            started = time.monotonic()
            opcode, payload = ws.recv_frame()
            while opcode == 0x9:  # pings come first when the interval is shorter
                opcode, payload = ws.recv_frame()
            self.assertEqual(opcode, 0x8)
            self.assertEqual(struct.unpack("!H", payload[:2])[0], 1001)
            self.assertIn(b"send again", payload[2:])
            self.assertGreaterEqual(time.monotonic() - started, 1.5)
            ws.close()

            # HTTP/2: GOAWAY, and the stream it lets finish is answered.
            sock = socket.create_connection((server.host, server.port), timeout=10)
            client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
            client.initiate_connection()
            sock.sendall(client.data_to_send())
            started, goaway = time.monotonic(), None
            while goaway is None:
                for event in client.receive_data(sock.recv(65536)):
                    if isinstance(event, h2.events.ConnectionTerminated):
                        goaway = event
                sock.sendall(client.data_to_send())
            self.assertEqual(goaway.error_code, 0)  # NO_ERROR: a graceful goodbye
            self.assertGreaterEqual(time.monotonic() - started, 1.5)
            sock.close()


class KeepaliveTest(unittest.TestCase):
    def test_a_quiet_websocket_is_pinged_and_kept_while_it_answers(self):
        with Server("--ws-ping-interval", "1s", models=["m=sleep:0"]) as server:
            ws = RawWebSocket(server.host, server.port)
            pings, started = 0, time.monotonic()
            while time.monotonic() - started < 5:
                opcode, payload = ws.recv_frame()
                self.assertEqual(opcode, 0x9, "only pings on a quiet connection")
                ws.send_frame(0xA, payload)  # pong
                pings += 1
            self.assertGreaterEqual(pings, 2)
            ws.send_frame(0x1, PREDICT)  # still open, and serving
            opcode, payload = ws.recv_frame()
            while opcode == 0x9:
                opcode, payload = ws.recv_frame()
            self.assertEqual(json.loads(payload)["predictions"], [3])
            ws.close()
            self.assertEqual(metric(metrics(server), "predictwire_connections_defended_total",
                                    listener="http", reason="ping_timeout"), 0)

    def test_a_websocket_that_answers_no_ping_is_closed_within_two_intervals(self):
        with Server("--ws-ping-interval", "1s", models=["m=sleep:0"]) as server:
            ws = RawWebSocket(server.host, server.port)
            started = time.monotonic()
            frames = []
            while True:  # read what comes, answer nothing
                try:
                    frames.append(ws.recv_frame()[0])
                except ConnectionError:
                    break
            gone = time.monotonic() - started
            self.assertIn(0x9, frames)
            self.assertLess(gone, 6)  # quiet 1 s, a ping, 1 s unanswered; swept once a second
            self.assertTrue(wait_for(lambda: metric(
                metrics(server), "predictwire_connections_defended_total", listener="http",
                reason="ping_timeout") == 1, 5))
            ws.close()

    def test_http2_with_a_stream_open_is_pinged(self):
        with Server("--http2-ping-interval", "1s", models=["slow=sleep:3s"]) as server:
            sock = socket.create_connection((server.host, server.port), timeout=10)
            client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
            client.initiate_connection()
            stream = client.get_next_available_stream_id()
            client.send_headers(stream, [(":method", "POST"), (":path", "/predict"),
                                         (":scheme", "http"), (":authority", server.address),
                                         ("content-type", "application/json")])
            client.send_data(stream, json.dumps({"model": "slow", "features": [1]}).encode(),
                             end_stream=True)
            sock.sendall(client.data_to_send())
            pings, answered = 0, False
            while not answered:
                for event in client.receive_data(sock.recv(65536)):
                    if isinstance(event, h2.events.PingReceived):
                        pings += 1  # h2 acknowledges it
                    if isinstance(event, h2.events.StreamEnded):
                        answered = True
                sock.sendall(client.data_to_send())
            self.assertGreaterEqual(pings, 1)
            sock.close()


if __name__ == "__main__":
    unittest.main()
