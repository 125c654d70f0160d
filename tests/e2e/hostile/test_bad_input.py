"""Bad input gets a clear error, and the server keeps serving everyone else throughout."""

import asyncio
import json
import os
import socket
import sys
import threading
import unittest

import websockets

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from server_fixture import Server, curl
from server_metrics import wait_for


def raw_http(host, port, data, timeout=10):
    """Sends raw bytes and returns everything the server answers before closing."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        # A WebSocket client that stays connected across every bad request below, asking and
        # being answered in turn. It writes down each reply and, should its connection fail, why.
        cls.bystander_ready = threading.Event()
        cls.bystander_stop = threading.Event()
        cls.bystander_results = []
        cls.bystander_error = None
        cls.bystander = threading.Thread(target=cls.run_bystander, daemon=True)
        cls.bystander.start()
        assert cls.bystander_ready.wait(20), cls.bystander_error

    @classmethod
    def run_bystander(cls):
        async def loop():
            async with websockets.connect(cls.server.ws_url, compression=None) as ws:
                cls.bystander_ready.set()
                while not cls.bystander_stop.is_set():
                    await ws.send(json.dumps({"model": "sleep50", "features": [1, 1]}))
                    cls.bystander_results.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        try:
            asyncio.run(loop())
        except BaseException as error:  # the test reads it: a bystander that stops has failed
            cls.bystander_error = repr(error)

    @classmethod
    def tearDownClass(cls):
        cls.bystander_stop.set()
        cls.bystander.join(20)
        cls.server.stop()

    def assert_bystander_undisturbed(self, since):
        """The bystander is still connected and asking, never failed, and every reply it got
        after its `since`-th is right; it gets three more, which only a live connection can."""
        self.assertIsNone(self.bystander_error, "the bystander's connection failed")
        self.assertTrue(wait_for(lambda: len(self.bystander_results) >= since + 3 or self.bystander_error,
                                 20, interval=0.02))
        self.assertIsNone(self.bystander_error, "the bystander's connection failed")
        self.assertTrue(self.bystander.is_alive())
        replies = self.bystander_results[since:]
        self.assertGreaterEqual(len(replies), 3)
        for reply in replies:
            self.assertEqual(reply.get("predictions"), [2], reply)

    def request(self, method, path, body=None, *extra):
        args = ["-o", "/dev/stderr", "-w", "%{http_code}", "-X", method, self.server.url + path, *extra]
        if body is not None:
            args += ["--data-binary", body]
        done = curl(*args)
        self.assertEqual(done.returncode, 0, done.stderr)
        return int(done.stdout), done.stderr

    def assert_error(self, status, body, expected_status, text):
        self.assertEqual(status, expected_status, body)
        self.assertIn(text, json.loads(body)["error"])

    def assert_still_serving(self):
        status, body = self.request("POST", "/predict", json.dumps({"model": "sleep50", "features": [2]}))
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["predictions"], [2])
        self.assertIsNone(self.bystander_error, "the bystander's connection failed")

    def test_malformed_json(self):
        self.assert_error(*self.request("POST", "/predict", '{"features": [1, 2'), 400, "malformed JSON")
        self.assert_still_serving()

    def test_wrong_feature_count(self):
        self.assert_error(*self.request("POST", "/predict", '{"features": [1, 2, 3]}'), 400,
                          "expects 30 features per row, got 3")
        self.assert_still_serving()

    def test_unknown_model(self):
        self.assert_error(*self.request("POST", "/predict", '{"model": "gpt", "features": [1]}'), 404,
                          "unknown model 'gpt'")
        self.assert_error(*self.request("POST", "/v2/models/gpt/infer", "{}"), 404, "unknown model 'gpt'")
        self.assert_still_serving()

    def test_wrong_types(self):
        self.assert_error(*self.request("POST", "/predict", '{"features": "1,2,3"}'), 400,
                          "must be an array")
        self.assert_error(*self.request("POST", "/predict", '{"model": "sleep50", "features": [1, null]}'),
                          400, "features[1] must be a number, got null")
        self.assert_error(*self.request("POST", "/predict", '["features"]'), 400, "expected a JSON object")
        self.assert_still_serving()

    def test_empty_body(self):
        self.assert_error(*self.request("POST", "/predict", ""), 400, "empty")
        self.assert_still_serving()

    def test_body_over_the_limit(self):
        size = 16 * 1024 * 1024 + 1
        body = '{"features": [' + " " * (size - 16) + "1]}"
        self.assertGreater(len(body), 16 * 1024 * 1024)
        answer = raw_http(self.server.host, self.server.port,
                          f"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        self.assertIn("413", answer.splitlines()[0])
        self.assertIn("16777216-byte limit", answer)
        self.assert_still_serving()

    def test_unknown_path_and_wrong_method(self):
        self.assert_error(*self.request("GET", "/predictions"), 404, "no route for GET /predictions")
        status, body = self.request("GET", "/predict")
        self.assert_error(status, body, 405, "use POST")
        done = curl("-i", "-X", "DELETE", self.server.url + "/v2/models/breast_cancer")
        self.assertIn("405", done.stdout.splitlines()[0])
        self.assertIn("Allow: GET", done.stdout)
        self.assert_still_serving()

    def test_non_upgrade_request_to_ws(self):
        done = curl("-i", self.server.url + "/ws")
        self.assertIn("426 Upgrade Required", done.stdout)
        self.assertIn("Upgrade: websocket", done.stdout)
        self.assert_still_serving()

    def test_malformed_http(self):
        answer = raw_http(self.server.host, self.server.port, b"GARBAGE\r\n\r\n")
        self.assertIn("400 Bad Request", answer)
        self.assertIn("malformed HTTP request", answer)
        answer = raw_http(self.server.host, self.server.port,
                          b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        self.assertIn("431", answer.splitlines()[0])
        self.assert_still_serving()

    def test_client_that_disconnects_mid_request(self):
        with socket.create_connection((self.server.host, self.server.port), timeout=10) as sock:
            sock.sendall(b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n{\"features\"")
        with socket.create_connection((self.server.host, self.server.port), timeout=10) as sock:
            sock.sendall(b'POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\n\r\n{"model":"sleep50","features":[1]}')
            # gone before the 50 ms answer
        self.assert_still_serving()

    def test_bystander_was_never_disturbed(self):
        since = len(self.bystander_results)  # the replies before this test's attack began
        for test in [self.test_malformed_json, self.test_malformed_http, self.test_body_over_the_limit,
                     self.test_client_that_disconnects_mid_request]:
            test()
        self.assert_bystander_undisturbed(since)


if __name__ == "__main__":
    unittest.main()
