"""CORS and the WebSocket origin check end to end, with curl and python3-websockets: preflights
and answers over HTTP/1.1 and HTTP/2, in the clear and over TLS, for an allowed origin, another
origin, and a server that allows none. (test_browser.py does the same from Chromium.)"""

import asyncio
import json
import os
import ssl
import sys
import tempfile
import unittest

import websockets

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from certificates import make_certificate
from server_fixture import Server, curl

ALLOWED = "http://page.example:3000"
BODY = json.dumps({"model": "instant", "features": [1, 2, 3.5]})


def headers_of(output):
    """The last response's header fields of curl -i output, lowercase names."""
    blocks = [block for block in output.replace("\r\n", "\n").split("\n\n") if block.startswith("HTTP/")]
    lines = blocks[-1].split("\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), fields


class CorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory()
        cls.cert, cls.key = make_certificate(cls.directory.name)
        cls.server = Server("--https", "127.0.0.1:0", "--tls-cert", cls.cert, "--tls-key", cls.key,
                            "--cors-origin", ALLOWED, "--cors-origin", "https://other.example",
                            models=["instant=sleep:0"]).start()
        cls.bases = {  # name: (base URL, curl options)
            "http/1.1": (cls.server.url, ["--http1.1"]),
            "h2c": (cls.server.url, ["--http2-prior-knowledge"]),
            "https http/1.1": (f"https://{cls.server.addresses['https']}", ["--http1.1", "--cacert", cls.cert]),
            "https h2": (f"https://{cls.server.addresses['https']}", ["--http2", "--cacert", cls.cert]),
        }

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.directory.cleanup()

    def request(self, name, method, path, origin, *extra, data=None):
        base, options = self.bases[name]
        done = curl("-i", "-X", method, *options, *extra, "-H", f"Origin: {origin}", base + path, data=data)
        self.assertEqual(done.returncode, 0, done.stderr)
        if name.endswith("h2") or name == "h2c":
            self.assertIn("HTTP/2 ", done.stdout)
        return headers_of(done.stdout)

    def test_preflight_on_every_route_for_an_allowed_origin(self):
        for name in self.bases:
            for path, methods in [("/predict", "POST"), ("/v2/models/instant/infer", "POST"),
                                  ("/v2/health/ready", "GET, HEAD"), ("/v2/models/instant", "GET, HEAD")]:
                with self.subTest(wire=name, path=path):
                    status, fields = self.request(name, "OPTIONS", path, ALLOWED,
                                                  "-H", "Access-Control-Request-Method: POST",
                                                  "-H", "Access-Control-Request-Headers: content-type")
                    self.assertEqual(status, 204)
                    self.assertEqual(fields["access-control-allow-origin"], ALLOWED)
                    self.assertEqual(fields["access-control-allow-methods"], methods)
                    self.assertIn("content-type", fields["access-control-allow-headers"])
                    self.assertIn("inference-header-content-length", fields["access-control-allow-headers"])
                    self.assertEqual(fields["access-control-max-age"], "600")
                    self.assertEqual(fields["vary"], "origin")
                    self.assertNotIn("content-length", fields)

    def test_answers_to_an_allowed_origin_expose_server_timing(self):
        for name in self.bases:
            with self.subTest(wire=name):
                status, fields = self.request(name, "POST", "/predict", ALLOWED,
                                              "-H", "Content-Type: application/json", data=BODY)
                self.assertEqual(status, 200)
                self.assertEqual(fields["access-control-allow-origin"], ALLOWED)
                self.assertEqual(fields["timing-allow-origin"], ALLOWED)
                self.assertIn("server-timing", fields["access-control-expose-headers"])
                self.assertIn("compute;dur=", fields["server-timing"])

    def test_another_origin_gets_no_cors_headers(self):
        for name in self.bases:
            with self.subTest(wire=name):
                status, fields = self.request(name, "OPTIONS", "/predict", "http://evil.example")
                self.assertEqual(status, 204)
                self.assertEqual(fields["allow"], "POST")
                self.assertFalse([field for field in fields if field.startswith("access-control")], fields)
                status, fields = self.request(name, "POST", "/predict", "http://evil.example", data=BODY)
                self.assertEqual(status, 200)  # answered, but the browser keeps it from the page
                self.assertFalse([field for field in fields if field.startswith("access-control")
                                  or field == "timing-allow-origin"], fields)

    def test_websocket_origin_check(self):
        async def handshake(url, origin, **options):
            try:
                async with websockets.connect(url, origin=origin, **options) as socket:
                    await socket.send(json.dumps({"id": 1, "features": [1]}))
                    return json.loads(await socket.recv())
            except websockets.exceptions.InvalidStatusCode as refused:
                return refused.status_code

        loop = asyncio.new_event_loop()
        try:
            ws = self.server.ws_url
            self.assertEqual(loop.run_until_complete(handshake(ws, "http://evil.example")), 403)
            self.assertEqual(loop.run_until_complete(handshake(ws, ALLOWED))["predictions"], [1])
            own = f"http://{self.server.address}"  # a page the server itself served
            self.assertEqual(loop.run_until_complete(handshake(ws, own))["predictions"], [1])
            self.assertEqual(loop.run_until_complete(handshake(ws, None))["predictions"], [1])
            context = ssl.create_default_context(cafile=self.cert)
            wss = f"wss://{self.server.addresses['https']}/ws"
            self.assertEqual(loop.run_until_complete(handshake(wss, "https://evil.example", ssl=context)), 403)
            self.assertEqual(loop.run_until_complete(
                handshake(wss, "https://other.example", ssl=context))["predictions"], [1])
        finally:
            loop.close()


class NoCorsTest(unittest.TestCase):
    def test_without_the_flag_no_origin_may_read(self):
        with Server(models=["instant=sleep:0"]) as server:
            done = curl("-i", "-X", "OPTIONS", "-H", f"Origin: {ALLOWED}", server.url + "/predict")
            status, fields = headers_of(done.stdout)
            self.assertEqual(status, 204)
            self.assertNotIn("access-control-allow-origin", fields)
            done = curl("-i", "-H", f"Origin: {ALLOWED}", server.url + "/predict", data=BODY)
            status, fields = headers_of(done.stdout)
            self.assertEqual(status, 200)
            self.assertNotIn("access-control-allow-origin", fields)

    def test_a_bad_origin_is_refused_at_start(self):
        with self.assertRaises(RuntimeError) as refused:
            Server("--cors-origin", "localhost:3000").start()
        self.assertIn("is not an origin", str(refused.exception))


if __name__ == "__main__":
    unittest.main()
