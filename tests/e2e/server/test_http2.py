"""HTTP/2 cleartext with prior knowledge (h2c) on the HTTP port, driven by clients nobody here
wrote: curl --http2-prior-knowledge and h2load (nghttp2-client), plus raw bytes for bad input."""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
import prerequisites
from hostile_clients import CONTINUATION, DATA, END_HEADERS, END_STREAM, HEADERS, RST_STREAM, H2Connection
from http2_frames import PREFACE, frame, hpack_literal
from server_fixture import Server, breast_cancer_rows, curl
from server_metrics import wait_until_in_flight

MAX_BODY = 100000
SLOW_SECONDS = 0.2  # the "slow" model
CURL_TRANSFERS = 8  # requests curl sends in test_curl_parallel_streams_share_one_connection


def read_until_closed(sock, timeout=10):
    """Everything the server sends until it closes the connection or `timeout` seconds pass
    without a byte; returns (bytes, whether the server closed it)."""
    sock.settimeout(timeout)
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return b"".join(chunks), True
        except socket.timeout:
            return b"".join(chunks), False
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


def frame_types(data):
    types = []
    while len(data) >= 9:
        length = int.from_bytes(data[:3], "big")
        types.append(data[3])
        data = data[9 + length:]
    return types


def setUpModule():
    prerequisites.require_commands("h2load", package_hint="Debian's nghttp2-client")


class Http2Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("--max-body", str(MAX_BODY), models=[
            "breast_cancer=xgboost:models/breast_cancer.json", "sleep50=sleep:50ms",
            f"slow=sleep:{int(SLOW_SECONDS * 1000)}ms"]).start()
        cls.rows = breast_cancer_rows()
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def h2(self, method, path, body=None, *extra):
        """One request over h2c; returns (status, headers text, body)."""
        args = ["--http2-prior-knowledge", "-i", "-X", method, self.server.url + path,
                "-H", "Content-Type: application/json", *extra]
        if body is not None:
            args += ["--data-binary", body]
        done = curl(*args)
        self.assertEqual(done.returncode, 0, done.stderr)
        head, _, payload = done.stdout.replace("\r\n", "\n").partition("\n\n")
        self.assertTrue(head.startswith("HTTP/2 "), head)
        return int(head.split()[1]), head, payload

    def assert_still_serving(self):
        status, _, payload = self.h2("POST", "/predict", json.dumps({"model": "sleep50", "features": [2]}))
        self.assertEqual(status, 200, payload)
        self.assertEqual(json.loads(payload)["predictions"], [2])

    def test_predict_equals_the_http1_answer(self):
        body = json.dumps({"instances": [row for row, _ in self.rows[:3]]})
        status, head, payload = self.h2("POST", "/predict", body)
        self.assertEqual(status, 200)
        self.assertRegex(head, r"(?i)server-timing: queue;dur=[\d.]+, compute;dur=[\d.]+")
        self.assertRegex(head, r"(?i)content-type: application/json")
        http1 = curl("-X", "POST", self.server.url + "/predict", "-H", "Content-Type: application/json",
                     "--data-binary", body)
        h2_reply, http1_reply = json.loads(payload), json.loads(http1.stdout)
        del h2_reply["timing"], http1_reply["timing"]
        self.assertEqual(h2_reply, http1_reply)

    def test_v2_routes(self):
        for path in ["/v2/health/live", "/v2/health/ready", "/v2", "/v2/models/breast_cancer",
                     "/v2/models/breast_cancer/ready"]:
            self.assertEqual(self.h2("GET", path)[0], 200, path)
        self.assertEqual(json.loads(self.h2("GET", "/v2")[2])["name"], "predictwire")
        request = {"inputs": [{"name": "features", "shape": [1, 30], "datatype": "FP64",
                               "data": [self.rows[0][0]]}]}
        status, _, payload = self.h2("POST", "/v2/models/breast_cancer/infer", json.dumps(request))
        self.assertEqual(status, 200, payload)
        self.assertAlmostEqual(json.loads(payload)["outputs"][0]["data"][0], 0.0131836319, delta=1e-6)

    def test_bad_inputs_get_clear_errors(self):
        status, _, payload = self.h2("POST", "/predict", '{"features": [1, 2')
        self.assertEqual(status, 400)
        self.assertIn("malformed JSON", json.loads(payload)["error"])
        status, _, payload = self.h2("GET", "/nowhere")
        self.assertEqual(status, 404)
        self.assertIn("error", json.loads(payload))
        status, _, payload = self.h2("POST", "/predict", "1" * (MAX_BODY + 1))
        self.assertEqual(status, 413)
        self.assertIn(f"{MAX_BODY}-byte limit", json.loads(payload)["error"])
        status, _, payload = self.h2("GET", "/v2", None, "-H", "X-Big: " + "a" * 20000)
        self.assertEqual(status, 431)
        self.assertIn("error", json.loads(payload))
        self.assert_still_serving()

    def test_h2load_without_failures(self):
        body = os.path.join(self.tmp.name, "body.json")
        with open(body, "w") as out:
            json.dump({"features": self.rows[0][0]}, out)
        done = subprocess.run(["h2load", "-n", "2000", "-c", "2", "-m", "16", "-d", body,
                               "-H", "content-type: application/json", self.server.url + "/predict"],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("2000 succeeded, 0 failed, 0 errored", done.stdout, done.stdout)
        self.assertIn("status codes: 2000 2xx", done.stdout, done.stdout)

    def h2load_seconds(self, requests, streams):
        """Runs `requests` POSTs to the 200 ms model on one h2c connection, at most `streams` at
        once; returns the seconds h2load reports for them."""
        body = os.path.join(self.tmp.name, "slow.json")
        with open(body, "w") as out:
            json.dump({"model": "slow", "features": [1]}, out)
        done = subprocess.run(["h2load", "-n", str(requests), "-c", "1", "-m", str(streams), "-d", body,
                               "-H", "content-type: application/json", self.server.url + "/predict"],
                              capture_output=True, text=True, timeout=60)
        self.assertIn(f"{requests} succeeded, 0 failed", done.stdout, done.stdout)
        finished = re.search(r"finished in ([\d.]+)(ms|s)", done.stdout)
        return float(finished.group(1)) / (1000 if finished.group(2) == "ms" else 1)

    def test_streams_on_one_connection_run_concurrently(self):
        # The same eight requests one stream at a time, then all eight at once: at once they
        # take about one model's time, one by one eight (1.6 s). Measured side by side, so a busy
        # machine slows both.
        one_by_one = self.h2load_seconds(8, 1)
        together = self.h2load_seconds(8, 8)
        self.assertGreaterEqual(one_by_one, 8 * SLOW_SECONDS)
        self.assertLess(together, one_by_one / 2, (together, one_by_one))

    def curl_seconds(self, parallel):
        """CURL_TRANSFERS POSTs to the 200 ms model in one curl run over h2c, all at once on one
        connection (`parallel`) or one after another on it; returns (seconds, curl's outcome)."""
        urls = []
        for index in range(CURL_TRANSFERS):
            urls += ["--data-binary", json.dumps({"model": "slow", "features": [index]}),
                     "-H", "Content-Type: application/json", self.server.url + "/predict", "--next"]
        # Without --parallel-immediate curl waits for the first connection's SETTINGS, then
        # multiplexes every transfer onto it.
        start = time.monotonic()
        done = subprocess.run(["curl", "-sS", "--max-time", "20", "--http2-prior-knowledge",
                               *(["--parallel"] if parallel else []), "-v", *urls[:-1]],
                              capture_output=True, text=True, timeout=30)
        elapsed = time.monotonic() - start
        self.assertEqual(done.returncode, 0, done.stderr)
        replies = [json.loads(line) for line in re.findall(r"\{.*?\"model\".*?\}\}", done.stdout)]
        self.assertEqual(sorted(r["predictions"][0] for r in replies), list(range(CURL_TRANSFERS)),
                         done.stdout)
        return elapsed, done

    def test_curl_parallel_streams_share_one_connection(self):
        one_by_one, _ = self.curl_seconds(parallel=False)
        together, done = self.curl_seconds(parallel=True)
        self.assertIn("Multiplexed connection found", done.stderr)
        self.assertNotIn("Connected to 127.0.0.1 (127.0.0.1) port %d (#1)" % self.server.port, done.stderr)
        # Eight 200 ms models one after another take 1.6 s; at once about 0.2 s. Half of one by
        # one leaves 0.6 s for curl's own start and a busy machine (with four transfers it left
        # 0.2 s, and a run beside two other test suites took 0.29 s more: 0.49 against 0.44).
        self.assertGreaterEqual(one_by_one, CURL_TRANSFERS * SLOW_SECONDS)
        self.assertLess(together, one_by_one / 2, (together, one_by_one))

    def test_preface_arriving_in_pieces(self):
        fields = b"\x82\x86" + hpack_literal(":path", "/v2/health/live") + hpack_literal(":authority", "x")
        with socket.create_connection((self.server.host, self.server.port), timeout=10) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for piece in [PREFACE[:1], PREFACE[1:3], PREFACE[3:17], PREFACE[17:]]:
                sock.sendall(piece)
                time.sleep(0.02)
            sock.sendall(frame(4, 0, 0, b"") + frame(1, 0x5, 1, fields))
            answer = b""
            while not any(t == 1 for t in frame_types(answer)):  # the response's HEADERS
                chunk = sock.recv(65536)
                self.assertTrue(chunk, answer)
                answer += chunk
        self.assertEqual(answer[3], 4)  # the server's SETTINGS come first

    def test_garbage_preface_then_still_serving(self):
        with socket.create_connection((self.server.host, self.server.port), timeout=10) as sock:
            sock.sendall(PREFACE + b"this is no frame, just a line of text\r\n" * 4)
            answer, closed = read_until_closed(sock)
        self.assertTrue(closed)
        self.assertIn(7, frame_types(answer))  # GOAWAY
        with socket.create_connection((self.server.host, self.server.port), timeout=10) as sock:
            sock.sendall(b"PRI * HTTP/2.0\r\n\r\nXY\r\n\r\n" + b"\x00" * 32)
            read_until_closed(sock)
        self.assert_still_serving()

    def test_oversized_header_block_is_431_then_still_serving(self):
        fields = b"\x82\x86\x84" + hpack_literal(":authority", "x")
        fields += b"".join(hpack_literal(f"x-filler-{i}", "v" * 4000) for i in range(10))
        connection = H2Connection(self.server.address)
        try:
            # One request whose header block (40 KB, over the 16 KiB limit) is sent as HEADERS
            # plus CONTINUATION frames, ending the stream: it is answered on its stream.
            connection.send(frame(HEADERS, END_STREAM, 1, fields[:16000]) +
                            frame(CONTINUATION, 0, 1, fields[16000:32000]) +
                            frame(CONTINUATION, END_HEADERS, 1, fields[32000:]))
            received = connection.frames(lambda f: f[2] == 1 and (f[0] == RST_STREAM or f[1] & END_STREAM))
        finally:
            connection.close()
        answer = [(t, flags, payload) for t, flags, stream, payload in received if stream == 1]
        self.assertTrue(answer and answer[0][0] == HEADERS, received)
        self.assertEqual(connection.headers(answer[0][2]).get(":status"), "431", received)
        body = b"".join(payload for t, _, payload in answer if t == DATA)
        self.assertIn("16384", json.loads(body)["error"])
        self.assertTrue(answer[-1][1] & END_STREAM, "the answer did not end its stream")
        self.assert_still_serving()


class Http2DrainTest(unittest.TestCase):
    def test_stop_answers_streams_in_flight_then_exits(self):
        server = Server(models=["slow=sleep:2s"]).start()
        try:
            with tempfile.NamedTemporaryFile("w", suffix=".json") as body:
                json.dump({"features": [1]}, body)
                body.flush()
                load = subprocess.Popen(["h2load", "-n", "4", "-c", "1", "-m", "4", "-d", body.name,
                                         "-H", "content-type: application/json", server.url + "/predict"],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                wait_until_in_flight(server, "http2", 4)  # the four streams' models are running
                self.assertEqual(server.stop(), 0, server.stderr)
                out, _ = load.communicate(timeout=30)
        finally:
            server.stop()
        self.assertIn("4 succeeded, 0 failed", out, out)


class Http2IdleTest(unittest.TestCase):
    def test_idle_connection_is_closed_by_the_sweep(self):
        with Server("--idle-timeout", "1s", models=["m=sleep:0"]) as server:
            with socket.create_connection((server.host, server.port), timeout=10) as sock:
                sock.sendall(PREFACE + frame(4, 0, 0, b""))
                start = time.monotonic()
                answer, closed = read_until_closed(sock, timeout=15)
                elapsed = time.monotonic() - start
            self.assertEqual(answer[3], 4, answer)  # the server's SETTINGS, then nothing
            # Closed by the server after its second of quiet (one or two sweeps of a second
            # each), well within the read's 15 s.
            self.assertTrue(closed, "the idle connection was not closed")
            self.assertGreater(elapsed, 0.9)


if __name__ == "__main__":
    unittest.main()
