"""GET /metrics end to end: the exposition passes Prometheus's own checker (promtool, from Debian's
prometheus package), and its counters add up: what bench sent on each wire is what the server
counted, errors included, and connections and bytes are counted per listener."""

import os
import re
import subprocess
import sys
import unittest

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
import prerequisites
from server_fixture import Server, bench, curl

SAMPLE = re.compile(r'^(\w+)(?:\{(.*)\})? (\S+)$')


def parse(text):
    """{(name, frozenset of label pairs): value} of an exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = SAMPLE.match(line)
        assert match, line
        name, labels, value = match.groups()
        pairs = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def total(samples, name, **labels):
    """The sum of `name`'s samples whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(value for (sample, pairs), value in samples.items()
               if sample == name and wanted <= set(pairs))


def setUpModule():
    prerequisites.require_commands("promtool", package_hint="Debian's prometheus")


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(models=["instant=sleep:0", "slow=sleep:5ms"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def scrape(self):
        done = curl("-s", "-D", "-", f"{self.server.url}/metrics")
        headers, _, body = done.stdout.partition("\n\n")  # text mode made \r\n into \n
        self.assertIn("200", headers.splitlines()[0])
        self.assertIn("content-type: text/plain; version=0.0.4", headers.lower())
        return body

    def test_promtool_accepts_the_exposition(self):
        # Something of every kind first, so that every family has samples.
        curl(f"{self.server.url}/predict", data='{"model": "instant", "features": [1, 2]}')
        curl(f"{self.server.url}/predict", data='{"model": "instant", "features": "nope"}')
        text = self.scrape()
        checked = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                                 capture_output=True, timeout=60)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertEqual(checked.stdout.strip() + checked.stderr.strip(), "",
                         "promtool found problems")
        for family in ("predictwire_requests_total", "predictwire_request_duration_seconds",
                       "predictwire_queue_duration_seconds", "predictwire_compute_duration_seconds",
                       "predictwire_requests_in_flight", "predictwire_connections_open",
                       "predictwire_received_bytes_total", "predictwire_batch_size",
                       "process_resident_memory_bytes", "process_cpu_seconds_total"):
            self.assertIn(f"# TYPE {family} ", text)

    def test_counters_add_up(self):
        before = parse(self.scrape())
        sent = {}
        for wire, protocol, target in (
                ("rest-keepalive", "http1", self.server.url),
                ("h2", "http2", self.server.url),
                ("ws", "websocket", self.server.url),
                ("grpc", "grpc", f"grpc://{self.server.addresses['grpc']}"),
                ("grpc-stream", "grpc", f"grpc://{self.server.addresses['grpc']}")):
            status, result, output = bench("--wire", wire, "--target", target, "--model", "slow",
                                           "--features", "3", "--concurrency", "4",
                                           "--requests", "200", "--warmup", "0s", "--quiet")
            self.assertEqual(status, 0, output)
            self.assertEqual(result["errors"], 0, output)
            sent[protocol] = sent.get(protocol, 0) + result["requests"]
        # Requests that fail count too, under their code.
        for _ in range(3):
            curl(f"{self.server.url}/predict", data='{"model": "slow", "features": [1]}')  # ok
            curl(f"{self.server.url}/predict", data='{"model": "nope", "features": [1]}')
        after = parse(self.scrape())

        def counted(name, **labels):
            return total(after, name, **labels) - total(before, name, **labels)

        for protocol, count in sent.items():
            if protocol == "http1":
                count += 3
            self.assertEqual(counted("predictwire_requests_total", protocol=protocol,
                                     model="slow", code="OK"), count, protocol)
            self.assertEqual(counted("predictwire_request_duration_seconds_count",
                                     protocol=protocol, model="slow"), count, protocol)
        self.assertEqual(counted("predictwire_requests_total", protocol="http1", model="",
                                 code="NOT_FOUND"), 3)
        self.assertEqual(total(after, "predictwire_requests_in_flight"), 0)
        # Every request that reached the model was timed there: 5 ms of compute each.
        computed = counted("predictwire_compute_duration_seconds_count", model="slow")
        self.assertEqual(computed, sum(sent.values()) + 3)
        self.assertGreater(counted("predictwire_compute_duration_seconds_sum", model="slow"),
                           computed * 0.004)
        self.assertEqual(counted("predictwire_batch_size_count", model="slow"), computed)
        # Connections and bytes, per listener: the gRPC wires came on the gRPC port.
        self.assertGreaterEqual(counted("predictwire_connections_total", listener="grpc"), 2)
        self.assertGreater(counted("predictwire_received_bytes_total", listener="grpc"), 0)
        self.assertGreater(counted("predictwire_sent_bytes_total", listener="http"), 0)

    def test_metrics_is_get_only_and_listed(self):
        done = curl("-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                    f"{self.server.url}/metrics")
        self.assertEqual(done.stdout, "405")
        self.assertIn("/metrics", curl(f"{self.server.url}/routes").stdout)


if __name__ == "__main__":
    unittest.main()
