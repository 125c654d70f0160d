"""`predictwire bench` end to end: every wire against the real server, honest error counting,
and an open-loop run that must show a 200 ms server stall (SIGSTOP) in its p99."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from server_fixture import BINARY, ROOT, Server, bench, parse_ready_line

WIRES = ["rest", "rest-keepalive", "ws", "ws-pipelined", "ws-binary", "h2", "h2-multiplexed"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BenchWiresTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(models=["instant=sleep:0", "slow=sleep:20ms", "never=sleep:3s",
                                    "breast_cancer=xgboost:models/breast_cancer.json"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_every_wire_answers_and_reports_the_documented_fields(self):
        for wire in WIRES:
            with self.subTest(wire=wire):
                status, result, output = bench("--wire", wire, "--target", self.server.url, "--model",
                                               "breast_cancer", "--requests", "300", "--warmup", "0.2s",
                                               "--concurrency", "2")
                self.assertEqual(status, 0, output)
                self.assertEqual(result["wire"], wire)
                self.assertEqual(result["requests"], 300)
                self.assertEqual(result["errors"], 0, result["errors_by_kind"])
                self.assertGreater(result["throughput_rps"], 0)
                latency = result["latency_us"]
                for key in ["min", "p50", "p90", "p99", "p999", "p9999", "max", "mean"]:
                    self.assertIn(key, latency)
                self.assertLessEqual(latency["min"], latency["p50"])
                self.assertLessEqual(latency["p50"], latency["p99"])
                self.assertLessEqual(latency["p99"], latency["max"])
                self.assertIn("p50", result["server_us"])
                self.assertIn("p99", result["connect_us"])
                self.assertIn("latency", output)  # the human table

    def test_server_time_is_split_from_network_time(self):
        status, result, output = bench("--wire", "ws-pipelined", "--target", self.server.url, "--model",
                                       "slow", "--features", "4", "--concurrency", "8", "--requests", "200",
                                       "--warmup", "0")
        self.assertEqual(status, 0, output)
        # The 20 ms model shows up as server time; the rest is network and protocol.
        self.assertGreaterEqual(result["server_us"]["p50"], 20000)
        self.assertLess(result["network_us"]["p50"], result["latency_us"]["p50"])

    def test_h2_multiplexed_streams_and_timeouts(self):
        # 8 streams in flight on one connection against a 20 ms model: the server time is the
        # model's, and the requests overlap (one at a time, 80 requests would take >= 1.6 s).
        status, result, output = bench("--wire", "h2-multiplexed", "--pipeline", "8", "--target",
                                       self.server.url, "--model", "slow", "--features", "4",
                                       "--concurrency", "8", "--requests", "80", "--warmup", "0")
        self.assertEqual(status, 0, output)
        self.assertEqual(result["errors"], 0, result["errors_by_kind"])
        self.assertGreaterEqual(result["server_us"]["p50"], 20000)
        self.assertIn("8 in flight each", output)
        # An unanswered stream is reset when it times out; the connection carries on.
        status, result, output = bench("--wire", "h2-multiplexed", "--pipeline", "8", "--target",
                                       self.server.url, "--model", "never", "--features", "1",
                                       "--rate", "20", "--duration", "1s", "--warmup", "0",
                                       "--timeout", "500ms")
        self.assertEqual(result["errors_by_kind"], {"timeout": 20}, output)

    def test_v2_payload_and_csv(self):
        with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
            status, result, output = bench("--wire", "rest-keepalive", "--payload", "v2", "--target",
                                           self.server.url, "--model", "breast_cancer", "--requests",
                                           "100", "--warmup", "0", "--csv", csv.name)
            self.assertEqual(status, 0, output)
            self.assertEqual(result["errors"], 0)
            with open(csv.name) as written:
                lines = written.read().splitlines()
            self.assertEqual(len(lines), 2)
            self.assertIn("latency_p50_us", lines[0].split(","))

    def test_http_errors_are_counted_by_status(self):
        status, result, output = bench("--wire", "rest-keepalive", "--target", self.server.url, "--model",
                                       "no_such_model", "--requests", "50", "--warmup", "0")
        self.assertEqual(status, 0, output)
        self.assertEqual(result["requests"], 0)
        self.assertEqual(result["errors_by_kind"], {"http_404": 50})
        status, result, _ = bench("--wire", "ws", "--target", self.server.url, "--model", "no_such_model",
                                  "--requests", "20", "--warmup", "0")
        # The WebSocket error carries its status code: counted by kind as gRPC's are.
        self.assertEqual(result["errors_by_kind"], {"ws_not_found": 20})
        status, result, _ = bench("--wire", "ws-binary", "--target", self.server.url, "--model",
                                  "no_such_model", "--requests", "20", "--warmup", "0")
        self.assertEqual(result["errors_by_kind"], {"ws_not_found": 20})

    def test_json_output_escapes_what_the_user_typed(self):
        # A model name with a quote and a backslash: the JSON stays valid and reads back as typed
        # (bench() parses it; a broken file would raise).
        status, result, output = bench("--wire", "rest-keepalive", "--target", self.server.url,
                                       "--model", 'a"b\\c', "--requests", "5", "--warmup", "0")
        self.assertEqual(status, 0, output)
        self.assertEqual(result["model"], 'a"b\\c')
        self.assertEqual(result["errors_by_kind"], {"http_404": 5})

    def test_unanswered_requests_count_as_timeouts(self):
        status, result, output = bench("--wire", "ws-pipelined", "--target", self.server.url, "--model",
                                       "never", "--features", "1", "--rate", "20", "--duration", "1s",
                                       "--warmup", "0", "--timeout", "500ms")
        self.assertEqual(status, 0, output)
        self.assertEqual(result["requests"], 0)
        self.assertEqual(result["errors_by_kind"], {"timeout": 20})

    def test_refused_connections_are_counted(self):
        # A port bound but not listening refuses every connection, and no other process can
        # start listening on it meanwhile (as on a port merely free).
        with socket.socket() as closed_port:
            closed_port.bind(("127.0.0.1", 0))
            target = "http://127.0.0.1:%d" % closed_port.getsockname()[1]
            # Each request is sent again three times (after 20, 32 and 51 ms, give or take),
            # then lost.
            status, result, output = bench("--wire", "rest", "--target", target, "--rate", "50",
                                           "--duration", "1s", "--warmup", "0")
            self.assertEqual(status, 0, output)
            self.assertEqual(result["errors_by_kind"], {"lost": 50}, output)
            self.assertEqual(result["lost"], 50)
            self.assertEqual(result["resent"], 150)
            self.assertEqual(result["connection_errors"], {"refused": 200})
            self.assertIn("resent 150  lost 50", output)
            # Without resending, each is an error of the kind its connection ended with.
            status, result, output = bench("--wire", "rest", "--target", target, "--rate", "50",
                                           "--duration", "1s", "--warmup", "0", "--no-resend")
            self.assertEqual(status, 0, output)
            self.assertEqual(result["errors_by_kind"], {"refused": 50})
            self.assertEqual((result["lost"], result["resent"]), (50, 0))
            self.assertFalse(result["resend"])

    def test_the_wire_table_is_what_help_and_compare_accept(self):
        done = subprocess.run([BINARY, "bench", "--list-wires"], capture_output=True, text=True,
                              timeout=30, cwd=ROOT)
        self.assertEqual(done.returncode, 0, done.stderr)
        rows = [line.split() for line in done.stdout.split("\n\n")[0].splitlines()[1:]]
        table = [row[0] for row in rows]
        # The port column reads PLAIN/TLS; a wire without a TLS port has no +tls variant.
        ports = [next(token for token in row[2:] if "/" in token) for row in rows]
        secure = [row[0] for row, port in zip(rows, ports) if not port.endswith("/")]
        self.assertEqual(table[:2], ["rest", "rest-keepalive"])
        self.assertIn("grpc-stream", table)
        every = table + [wire + "+tls" for wire in secure]
        bench_help = subprocess.run([BINARY, "bench", "--help"], capture_output=True, text=True,
                                    timeout=30, cwd=ROOT).stdout
        compare_help = subprocess.run([BINARY, "compare", "--help"], capture_output=True,
                                      text=True, timeout=30, cwd=ROOT).stdout
        for help_text, flag in ((bench_help, "--wire TEXT:{"), (compare_help, "--wires TEXT:{")):
            accepted = help_text[help_text.index(flag) + len(flag):]
            self.assertEqual(accepted[:accepted.index("}")].split(","), every, flag)
        for wire in table:  # and each is explained
            self.assertRegex(bench_help, rf"\n\s+{wire}\s+\S")
        status, _, output = bench("--wire", "grpc", "--target", self.server.url, "--model", "instant")
        self.assertNotEqual(status, 0)
        self.assertIn("grpc://", output)

    def test_bad_options_fail_clearly(self):
        status, _, output = bench("--wire", "ws", "--payload", "v2", "--target", self.server.url)
        self.assertNotEqual(status, 0)
        self.assertIn("v2 is for the rest wires", output)
        status, _, output = bench("--wire", "pigeon")
        self.assertNotEqual(status, 0)
        status, _, output = bench("--target", "localhost:8000")
        self.assertNotEqual(status, 0)
        self.assertIn("not a URL", output)


class ManyConnectionsTest(unittest.TestCase):
    """Many connections from one bench: spread over source addresses, the time until all were
    open, the server's memory with them open, and the open-file limit said before it is hit."""

    def test_connections_spread_over_sources_and_the_servers_memory_is_read(self):
        with Server(models=["instant=sleep:0"]) as server:
            port = int(server.ws_url.rsplit(":", 1)[1].split("/")[0])
            sources = set()
            result = {}

            def run():
                result["out"] = bench("--wire", "ws", "--target", server.ws_url, "--model", "instant",
                                      "--connections", "600", "--rate", "200", "--warmup", "1s",
                                      "--duration", "2s", "--source-addresses", "3",
                                      "--server-pid", str(server.process.pid))
            thread = threading.Thread(target=run)
            thread.start()
            # While the run holds its connections: the server's peers, by address.
            deadline = time.monotonic() + 60
            while thread.is_alive() and time.monotonic() < deadline and len(sources) < 3:
                listing = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                                         capture_output=True, text=True).stdout
                for line in listing.splitlines():
                    sources.add(line.split()[-1].rsplit(":", 1)[0])
                time.sleep(0.1)
            thread.join(120)
        status, report, output = result["out"]
        self.assertEqual(status, 0, output)
        self.assertEqual(sources, {"127.0.0.1", "127.0.0.2", "127.0.0.3"})
        self.assertEqual(report["source_addresses"], 3)
        self.assertEqual(report["errors"], 0, report["errors_by_kind"])
        self.assertGreater(report["all_open_after_us"], 0)
        self.assertIn("all 600 connections open", output)
        memory = report["server_memory"]
        self.assertEqual(memory["pid"], server.process.pid)
        # 600 WebSockets hold some memory: the reading is of the server, not of nothing.
        self.assertGreater(memory["rss_after_bytes"], memory["rss_before_bytes"])
        self.assertGreater(memory["kernel_tcp_after_bytes"], 0)
        self.assertIn("a connection", output)

    def test_more_connections_than_open_files_are_refused_with_the_limit(self):
        import resource
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        status, _, output = bench("--wire", "ws", "--connections", str(hard + 10),
                                  "--target", "ws://127.0.0.1:9/")
        self.assertEqual(status, 2, output)
        self.assertIn(f"this process may have {hard}", output)
        self.assertIn(f"Use at most {hard - 64}", output)


class RestartTest(unittest.TestCase):
    """bench against a server that goes away under load and comes back on the same ports: killed
    (kill -9: connections reset, requests in flight lost) or stopped in order (SIGTERM: each wire
    told to go, by Connection: close, WebSocket Close 1001 or GOAWAY). Every request is answered
    all the same: the connections come back after their backoff and what was in flight is sent
    again."""

    def start(self, http_port, grpc_port):
        process = subprocess.Popen(
            [BINARY, "serve", "--http", f"127.0.0.1:{http_port}", "--grpc", f"127.0.0.1:{grpc_port}",
             "--grpcs", "127.0.0.1:0", "--model", "instant=sleep:0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        self.assertIsNotNone(parse_ready_line(process.stdout.readline()))
        return process

    def test_every_request_is_answered_across_a_restart(self):
        http_port, grpc_port = free_port(), free_port()
        for wire in ["rest-keepalive", "ws-pipelined", "h2-multiplexed", "grpc-stream"]:
            for sig in [signal.SIGKILL, signal.SIGTERM]:
                with self.subTest(wire=wire, signal=sig.name):
                    target = (f"grpc://127.0.0.1:{grpc_port}" if wire.startswith("grpc")
                              else f"http://127.0.0.1:{http_port}")
                    processes = [self.start(http_port, grpc_port)]

                    def restart():
                        time.sleep(1.2)  # 0.2 s warm-up, then 1 s into the measured window
                        processes[0].send_signal(sig)
                        processes[0].communicate(timeout=20)
                        processes.append(self.start(http_port, grpc_port))
                    restarter = threading.Thread(target=restart)
                    restarter.start()
                    try:
                        status, result, output = bench(
                            "--wire", wire, "--target", target, "--model", "instant", "--features", "4",
                            "--rate", "200", "--duration", "2s", "--warmup", "0.2s")
                    finally:
                        restarter.join()
                        for process in processes:
                            process.kill()
                            process.communicate()
                    self.assertEqual(status, 0, output)
                    self.assertEqual(result["errors"], 0, output)
                    self.assertEqual(result["requests"], 400, output)
                    self.assertEqual((result["lost"], result["duplicates"]), (0, 0), output)
                    self.assertGreaterEqual(result["reconnects"], 1, output)
                    # Refused while the server was away: the gap shows it.
                    self.assertGreater(result["longest_gap_us"], 20_000, output)


class CoordinatedOmissionTest(unittest.TestCase):
    def test_a_frozen_server_shows_in_p99_and_no_request_is_lost(self):
        """Open loop at 500 req/s for 2 s; the server is frozen (SIGSTOP) for 200 ms midway.
        Counting from each request's scheduled time, >= 2% of requests waited ~100-200 ms, so
        p99 must reflect the stall; and every one of the 1000 scheduled requests is answered."""
        server = Server(models=["instant=sleep:0"]).start()
        try:
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                load = subprocess.Popen(
                    [BINARY, "bench", "--json", out.name, "--wire", "rest-keepalive", "--target", server.url,
                     "--model", "instant", "--features", "4", "--rate", "500", "--duration", "2s",
                     "--warmup", "0.5s"],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
                # bench's first progress line comes a second into its load by its own clock: half
                # a second into the measured window, however long it took to start. Freeze then.
                before = ""
                for line in load.stderr:
                    before += line
                    if re.match(r"^bench rest-keepalive: +[\d.]+s \d+ answered", line):
                        break
                progress = before.splitlines()[-1] if before else ""
                self.assertRegex(progress, r"^bench \S+: +(1\.\d|2\.[0-2])s ", before)
                os.kill(server.process.pid, signal.SIGSTOP)
                time.sleep(0.2)
                os.kill(server.process.pid, signal.SIGCONT)
                stdout, stderr = load.communicate(timeout=120)
                output = stdout + before + stderr
                with open(out.name) as written:
                    text = written.read()
                result = json.loads(text) if text else None
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
            server.stop()
        self.assertEqual(load.returncode, 0, output)
        self.assertEqual(result["errors"], 0, result["errors_by_kind"])
        self.assertEqual(result["requests"], 1000)
        self.assertGreaterEqual(result["latency_us"]["p99"], 100_000, output)
        self.assertGreaterEqual(result["latency_us"]["max"], 150_000, output)


if __name__ == "__main__":
    unittest.main()
