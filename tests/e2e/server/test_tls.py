"""TLS end to end: HTTPS and WSS on --https, driven by curl, openssl s_client and Python websockets,
with a throwaway certificate made by openssl for this run only."""

import asyncio
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

import websockets

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from certificates import make_certificate
from server_fixture import Server, bench, curl, run_cli

BODY = json.dumps({"model": "sleep50", "features": [1, 2, 3.5]})


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory()
        cls.cert, cls.key = make_certificate(cls.directory.name)
        cls.server = Server("--https", "127.0.0.1:0", "--tls-cert", cls.cert, "--tls-key", cls.key,
                            models=["sleep50=sleep:50ms", "instant=sleep:0"]).start()
        cls.https = cls.server.addresses["https"]
        cls.https_host, cls.https_port = cls.https.rsplit(":", 1)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.directory.cleanup()

    def https_post(self, path, body, *extra):
        done = curl("-sS", "--cacert", self.cert, "-H", "Content-Type: application/json",
                    "--data-binary", body, f"https://{self.https}{path}", "-w", "\n%{http_code}", *extra)
        self.assertEqual(done.returncode, 0, done.stderr)
        payload, _, status = done.stdout.rpartition("\n")
        return int(status), payload

    def test_https_answers_like_http_and_the_certificate_verifies(self):
        status, payload = self.https_post("/predict", BODY)
        self.assertEqual(status, 200, payload)
        plain = curl("-sS", "-H", "Content-Type: application/json", "--data-binary", BODY,
                     self.server.url + "/predict")
        self.assertEqual(json.loads(payload)["predictions"], json.loads(plain.stdout)["predictions"])
        self.assertEqual(json.loads(payload)["predictions"], [6.5])

    def test_every_route_and_errors_over_https(self):
        status, payload = self.https_post("/v2/models/sleep50/infer", json.dumps(
            {"id": "a", "inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}))
        self.assertEqual(status, 200, payload)
        self.assertEqual(json.loads(payload)["outputs"][0]["data"], [3])
        status, payload = self.https_post("/predict", "{not json")
        self.assertEqual(status, 400)
        self.assertIn("error", json.loads(payload))
        done = curl("-sS", "--cacert", self.cert, f"https://{self.https}/v2/health/ready", "-w", "%{http_code}")
        self.assertEqual(done.stdout, "200")

    def test_keep_alive_and_a_large_body(self):
        body_file = os.path.join(self.directory.name, "large.json")
        with open(body_file, "w") as out:  # ~1.5 MB, many TLS records each way
            json.dump({"model": "instant", "instances": [[0.25] * 1000] * 300}, out)
        for version, status_line in (("--http1.1", "< HTTP/1.1 200 OK"), ("--http2", "< HTTP/2 200")):
            with self.subTest(version=version):
                args = ["-sS", "-v", version, "--cacert", self.cert, "-o", "/dev/null", "-H",
                        "Content-Type: application/json", "--data-binary", "@" + body_file,
                        f"https://{self.https}/predict"]
                done = curl(*args, "--next", *args)
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertIn("Re-using existing connection", done.stderr)
                self.assertEqual(done.stderr.count(status_line), 2, done.stderr[-2000:])

    def test_http2_is_chosen_by_alpn(self):
        done = curl("-sS", "-v", "--http2", "--cacert", self.cert, "-H", "Content-Type: application/json",
                    "--data-binary", BODY, f"https://{self.https}/predict")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("ALPN: server accepted h2", done.stderr)
        self.assertEqual(json.loads(done.stdout)["predictions"], [6.5])
        # A client that offers only HTTP/1.1 still gets it.
        done = curl("-sS", "-v", "--http1.1", "--cacert", self.cert, f"https://{self.https}/v2/health/live")
        self.assertIn("< HTTP/1.1 200 OK", done.stderr)

    def test_wss_with_several_requests_in_flight(self):
        async def run():
            context = ssl.create_default_context(cafile=self.cert)
            async with websockets.connect(f"wss://{self.https}/ws", ssl=context) as ws:
                for i in range(4):
                    await ws.send(json.dumps({"id": i, "model": "sleep50", "features": [i, 1]}))
                replies = [json.loads(await ws.recv()) for _ in range(4)]
                return {reply["id"]: reply["predictions"][0] for reply in replies}
        self.assertEqual(asyncio.run(asyncio.wait_for(run(), 30)), {0: 1, 1: 2, 2: 3, 3: 4})

    def test_sessions_resume(self):
        session = os.path.join(self.directory.name, "session.pem")
        request = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        outputs = []
        for flag in ("-sess_out", "-sess_in"):
            done = subprocess.run(["openssl", "s_client", "-connect", self.https, "-ign_eof", flag, session],
                                  input=request, capture_output=True, timeout=30)
            outputs.append(done.stdout.decode(errors="replace"))
        self.assertIn("HTTP/1.1 200 OK", outputs[0])
        self.assertIn("New, TLS", outputs[0])
        self.assertIn("Reused, TLS", outputs[1])
        self.assertIn("HTTP/1.1 200 OK", outputs[1])

    def test_plain_http_on_the_tls_port_gets_a_clear_error(self):
        done = curl("-sS", f"http://{self.https}/predict", "--data-binary", BODY, "-w", "\n%{http_code}")
        body, _, status = done.stdout.rpartition("\n")
        self.assertEqual(status, "400")
        self.assertIn("HTTPS", json.loads(body)["error"])
        self.test_https_answers_like_http_and_the_certificate_verifies()

    def test_a_broken_handshake_is_dropped_and_others_are_served(self):
        with socket.create_connection((self.https_host, int(self.https_port)), timeout=10) as raw:
            raw.sendall(b"\x16\x03\x01\x00\x05hello" + os.urandom(64))
            received = b""
            while True:
                chunk = raw.recv(4096)
                if not chunk:
                    break
                received += chunk
        self.assertTrue(received == b"" or received[0] == 0x15, received)  # nothing, or an alert
        self.test_https_answers_like_http_and_the_certificate_verifies()

    def test_the_plain_port_is_unchanged(self):
        done = curl("-sS", self.server.url + "/v2/health/live", "-w", "%{http_code}")
        self.assertEqual(done.stdout, "200")


class BenchOverTlsTest(unittest.TestCase):
    """`predictwire bench` speaks every wire over TLS and tells full from resumed handshakes."""

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory()
        cert, key = make_certificate(cls.directory.name)
        cls.server = Server("--https", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                            models=["instant=sleep:0"]).start()
        cls.target = "https://" + cls.server.addresses["https"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.directory.cleanup()

    def test_every_tls_wire_answers(self):
        for wire in ["rest+tls", "rest-keepalive+tls", "ws+tls", "ws-pipelined+tls", "ws-binary+tls",
                     "h2+tls", "h2-multiplexed+tls"]:
            with self.subTest(wire=wire):
                status, result, output = bench("--wire", wire, "--target", self.target, "--model", "instant",
                                               "--requests", "200", "--warmup", "0.1s", "--concurrency", "2")
                self.assertEqual(status, 0, output)
                self.assertEqual(result["wire"], wire)
                self.assertTrue(result["tls"])
                self.assertEqual(result["requests"], 200)
                self.assertEqual(result["errors"], 0, result["errors_by_kind"])
                self.assertGreater(result["connect_us"]["p50"], 0)
                self.assertGreater(result["tls_full_handshakes"], 0)

    def test_resumption_on_and_off(self):
        status, resumed, output = bench("--wire", "rest+tls", "--target", self.target, "--model", "instant",
                                        "--requests", "100", "--warmup", "0")
        self.assertEqual(status, 0, output)
        self.assertEqual(resumed["tls_full_handshakes"], 1)  # the first connection only
        self.assertGreaterEqual(resumed["tls_resumed_handshakes"], 99)
        status, full, output = bench("--wire", "rest+tls", "--tls-resume", "off", "--target", self.target,
                                     "--model", "instant", "--requests", "100", "--warmup", "0")
        self.assertEqual(status, 0, output)
        self.assertEqual(full["tls_resumed_handshakes"], 0)
        self.assertGreaterEqual(full["tls_full_handshakes"], 100)
        self.assertIn("TLS handshakes:", output)

    def test_a_plain_wire_against_the_tls_port_counts_errors(self):
        status, result, output = bench("--wire", "rest-keepalive", "--target",
                                       "http://" + self.server.addresses["https"], "--requests", "20",
                                       "--warmup", "0", "--timeout", "2s")
        self.assertEqual(status, 0, output)
        self.assertEqual(result["requests"], 0)
        self.assertGreater(result["errors"], 0)


class TlsOptionsTest(unittest.TestCase):
    def test_a_certificate_needs_its_key(self):
        with tempfile.TemporaryDirectory() as directory:
            cert, key = make_certificate(directory)
            status, _, stderr = run_cli("serve", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0",
                                        "--https", "127.0.0.1:0", "--tls-cert", cert, "--model", "m=sleep:0")
            self.assertNotEqual(status, 0)
            self.assertIn("--tls-key", stderr)
            status, _, stderr = run_cli("serve", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0",
                                        "--https", "127.0.0.1:0", "--tls-cert", key, "--tls-key", key,
                                        "--model", "m=sleep:0")
            self.assertNotEqual(status, 0)
            self.assertIn("certificate", stderr)

    def test_graceful_stop_with_tls(self):
        with tempfile.TemporaryDirectory() as directory:
            cert, key = make_certificate(directory)
            server = Server("--https", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                            models=["m=sleep:0"]).start()
            self.assertIn("https", server.addresses)
            self.assertEqual(server.stop(signal.SIGTERM), 0)


if __name__ == "__main__":
    unittest.main()
