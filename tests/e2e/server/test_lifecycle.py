"""Start-up, the command line, and the graceful stop on SIGINT/SIGTERM."""

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
import prerequisites
from server_fixture import BINARY, ROOT, Server, curl, parse_ready_line, run_cli
from server_metrics import wait_until_in_flight


class CommandLineTest(unittest.TestCase):
    def test_help_explains_every_flag(self):
        status, out, _ = run_cli("serve", "--help")
        self.assertEqual(status, 0)
        for flag in ["--http", "--model", "--default-model", "--io-threads", "--execution",
                     "--inline-threshold", "--max-queue", "--max-body", "--models-dir"]:
            self.assertIn(flag, out)
        self.assertIn("sleep:DURATION", out)
        status, out, _ = run_cli("--help")
        self.assertEqual(status, 0)
        self.assertIn("serve", out)
        self.assertIn("--config", out)

    def test_bad_flags_fail_with_a_message(self):
        status, _, err = run_cli("serve", "--model", "nonsense")
        self.assertNotEqual(status, 0)
        self.assertIn("NAME=SPEC", err)
        status, _, err = run_cli("serve", "--model", "m=sleep:fast")
        self.assertNotEqual(status, 0)
        self.assertIn("not a duration", err)
        status, _, err = run_cli("serve", "--http", "127.0.0.1:0", "--model", "m=xgboost:/no/such/file.json")
        self.assertNotEqual(status, 0)
        self.assertIn("cannot load XGBoost model", err)
        status, _, err = run_cli("serve", "--execution", "sideways")
        self.assertNotEqual(status, 0)
        status, _, err = run_cli("frobnicate")
        self.assertNotEqual(status, 0)

    def test_port_in_use(self):
        with Server(models=["m=sleep:0"]) as first:
            status, _, err = run_cli("serve", "--http", first.address, "--grpc", "127.0.0.1:0", "--model", "m=sleep:0")
            self.assertNotEqual(status, 0)
            self.assertIn(f"cannot listen on {first.address}", err)

    def test_config_file(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as config:
            config.write('[serve]\nmodel = ["a=sleep:0", "b=busy:1ms"]\ndefault-model = "b"\n')
            config.flush()
            with Server("--config", config.name) as server:
                done = curl("-d", '{"features": [1, 2]}', server.url + "/predict")
                self.assertEqual(json.loads(done.stdout)["model"], "b")
            config.seek(0)
            config.truncate()
            config.write('model = ["a=sleep:0"]\n')  # outside [serve]: an error, not ignored
            config.flush()
            status, _, err = run_cli("serve", "--config", config.name)
            self.assertNotEqual(status, 0)
            self.assertIn("model", err)

    def test_ready_line_and_ipv6(self):
        process = subprocess.Popen([BINARY, "serve", "--http", "[::1]:0", "--grpc", "[::1]:0", "--model", "m=sleep:0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        try:
            line = process.stdout.readline().strip()
            if not line:  # no IPv6 on this machine
                prerequisites.require("ipv6", False, "the server could not listen on [::1]: "
                                      + process.stderr.read().strip())
            # Exactly "predictwire: listening http=[::1]:PORT grpc=[::1]:PORT", nothing more.
            addresses = parse_ready_line(line)
            self.assertIsNotNone(addresses, line)
            self.assertEqual(list(addresses), ["http", "grpc"], line)
            for address in addresses.values():
                self.assertRegex(address, r"^\[::1\]:\d+$")
            port = int(addresses["http"].rsplit(":", 1)[1])
            done = curl("-g", "-d", '{"features": [4]}', f"http://[::1]:{port}/predict")
            self.assertEqual(json.loads(done.stdout)["predictions"], [4])
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=20)


class IdleConnectionTest(unittest.TestCase):
    def test_idle_and_stalled_connections_are_closed(self):
        with Server("--idle-timeout", "1s", "--ws-idle-timeout", "1s", models=["m=sleep:0"]) as server:
            idle = socket.create_connection((server.host, server.port), timeout=10)
            stalled = socket.create_connection((server.host, server.port), timeout=10)
            stalled.sendall(b"POST /predict HTTP/1.1\r\nContent-Len")  # and nothing more
            busy = socket.create_connection((server.host, server.port), timeout=10)
            request = b'POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n{"features": [1]}'
            open_ones = {idle, stalled}
            deadline = time.monotonic() + 10
            # The sweep runs once a second, so the quiet ones close after 1-3 s; meanwhile a
            # connection that keeps talking stays open.
            while open_ones and time.monotonic() < deadline:
                busy.sendall(request)
                self.assertIn(b"200 OK", busy.recv(4096))
                readable, _, _ = select.select(list(open_ones), [], [], 0.25)
                for sock in readable:
                    self.assertEqual(sock.recv(1), b"")  # end of stream: closed by the server
                    open_ones.discard(sock)
            self.assertFalse(open_ones, "idle connections were not closed")
            for sock in (idle, stalled, busy):
                sock.close()


class GracefulStopTest(unittest.TestCase):
    def stop_during_request(self, sig):
        server = Server(models=["slow=sleep:1s"]).start()
        results = {}

        def slow_request():
            done = curl("-d", '{"features": [5]}', server.url + "/predict")
            results["reply"] = done.stdout

        client = threading.Thread(target=slow_request)
        client.start()
        wait_until_in_flight(server, "http1", 1)  # the request is in flight (1 s model)
        status = server.stop(sig)
        client.join(20)
        self.assertEqual(status, 0, server.stderr)
        self.assertEqual(json.loads(results["reply"])["predictions"], [5])
        with self.assertRaises(OSError):  # no longer accepting
            socket.create_connection((server.host, server.port), timeout=2).close()

    def test_sigterm_answers_in_flight_requests_then_exits_zero(self):
        self.stop_during_request(signal.SIGTERM)

    def test_sigint_answers_in_flight_requests_then_exits_zero(self):
        self.stop_during_request(signal.SIGINT)

    def test_idle_server_stops_promptly(self):
        server = Server(models=["m=sleep:0"]).start()
        keep_alive = socket.create_connection((server.host, server.port), timeout=5)
        start = time.monotonic()
        self.assertEqual(server.stop(signal.SIGTERM), 0)
        # An idle keep-alive connection does not hold up the stop: held up, the stop would wait
        # out the 10 s drain timeout; it takes milliseconds.
        self.assertLess(time.monotonic() - start, 5)
        self.assertNotIn("still open after the drain timeout", server.stderr)
        keep_alive.close()
        self.assertIn("stopped", server.stderr)


if __name__ == "__main__":
    unittest.main()
