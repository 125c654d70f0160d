"""`predictwire compare --quick --scenarios scale-out` end to end, through HAProxy: compare starts
three backends and HAProxy itself (its configuration rendered from deploy/ in C++), measures the
hop, the spread and the events under load for a small set of wires, and stops everything it
started. report.json must have, per wire and event, bench's counts and the event's figures and
timeline; a kill -9 of one of three backends must lose no request on any wire (HAProxy retries
a unary request; a WebSocket or a gRPC stream reconnects and sends again); the page must show
the timelines. A network cut (one backend in a network namespace of its own, its link taken down)
is measured too where the kernel allows namespaces: what it loses is a finding, not asserted.
Assertions are on counts and on the report's shape, never on a latency."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from prerequisites import require_commands  # noqa: E402
from server_fixture import BINARY, ROOT  # noqa: E402

WIRES = ["rest-keepalive", "ws", "grpc-stream"]
EVENTS = ["kill -9", "drain", "rolling restart", "scale-up", "network cut"]
COUNTS = ["requests", "errors", "lost", "resent", "duplicates", "reconnects", "longest_gap_us"]


def processes_mentioning(text):
    """Pids of processes whose command line contains `text`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if text.encode() in cmdline.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


class ScaleOutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_commands("haproxy", package_hint="haproxy")
        cls.out = tempfile.mkdtemp(prefix="pw-scale-out-")
        # The fleet's run directory goes under a TMPDIR of this test's own, so that what is
        # left running afterwards (nothing, by PID) can be told apart from other runs'.
        cls.tmp = tempfile.mkdtemp(prefix="pw-so-tmp-")
        process = subprocess.Popen(
            [BINARY, "compare", "--quick", "--scenarios", "scale-out", "--lb", "haproxy",
             "--backends", "3", "--wires", ",".join(WIRES), "--out", cls.out],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            env=dict(os.environ, TMPDIR=cls.tmp))
        cls.pid = process.pid  # names the network cut's namespaces
        stdout, stderr = process.communicate(timeout=540)
        cls.done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        cls.report = None
        if process.returncode == 0:
            with open(os.path.join(cls.out, "report.json")) as report:
                cls.report = json.load(report)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.done.returncode, 0, self.done.stderr[-4000:])

    def scenario(self, suffix):
        found = [s for s in self.report["scenarios"] if s["id"] == f"scale-out-{suffix}"]
        self.assertEqual(len(found), 1, [s["id"] for s in self.report["scenarios"]])
        return found[0]

    def test_every_wire_and_event_has_its_counts_and_timeline(self):
        runs = self.scenario("events")["runs"] + self.scenario("scale-up")["runs"]
        # The network cut needs network namespaces: where the kernel refuses one, its runs are
        # skipped saying so, and the rest is measured.
        cut = [run for run in runs if run["label"].endswith("network cut")]
        self.assertEqual(len(cut), len(WIRES))
        events = EVENTS
        if any(run["skipped"] for run in cut):
            for run in cut:
                self.assertIn("network namespace", run["skipped"])
            runs = [run for run in runs if run not in cut]
            events = EVENTS[:-1]
        seen = {(run["wire"], run["fleet"]["event"]) for run in runs}
        self.assertEqual(seen, {(wire, event) for wire in WIRES for event in events})
        for run in runs:
            with self.subTest(run=run["label"]):
                for count in COUNTS:
                    self.assertIn(count, run["result"])
                fleet = run["fleet"]
                self.assertIsNone(fleet["event_error"])
                self.assertGreaterEqual(fleet["event_at_ms"], 0)
                self.assertGreaterEqual(fleet["event_end_ms"], fleet["event_at_ms"])
                for figure in ("p99_during_us", "recovered_ms", "offered_rps"):
                    self.assertIn(figure, fleet)
                timeline = fleet["timeline"]
                self.assertEqual(timeline["bin_ms"], 100)
                self.assertGreater(len(timeline["answered_rps"]), 10)
                self.assertEqual(len(timeline["answered_rps"]), len(timeline["p99_us"]))
                # Every answer is in a bin of the timeline, or among those that came after the
                # window (to requests due within it): however late a busy machine makes them.
                answered = round(sum(timeline["answered_rps"]) * timeline["bin_ms"] / 1000)
                self.assertEqual(answered + timeline["answered_after"], run["result"]["requests"])
                self.assertGreater(answered, 0)

    def test_a_kill_through_haproxy_loses_nothing_on_any_wire(self):
        kills = [run for run in self.scenario("events")["runs"] if run["fleet"]["event"] == "kill -9"]
        self.assertEqual(sorted(run["wire"] for run in kills), sorted(WIRES))
        for run in kills:
            with self.subTest(wire=run["wire"]):
                self.assertEqual(run["result"]["lost"], 0, run["result"])
                self.assertEqual(run["result"]["errors"], 0, run["result"])
                self.assertGreater(run["result"]["requests"], 0)
                # The killed backend cannot say what it served; the others can.
                counts = run["fleet"]["backend_requests"]
                self.assertEqual(len(counts), 3)
                self.assertEqual(counts.count(-1), 1, counts)

    def test_the_hop_and_the_spread_come_from_the_same_rounds_and_each_backends_metrics(self):
        hop = self.scenario("hop")["runs"]
        self.assertEqual(len(hop), 2 * len(WIRES))
        for wire in WIRES:
            labels = sorted(run["label"] for run in hop if run["wire"] == wire)
            self.assertEqual(labels, [f"{wire}, direct", f"{wire}, via HAProxy"])
        for run in self.scenario("spread")["runs"]:
            with self.subTest(run=run["label"]):
                counts = run["fleet"]["backend_requests"]
                self.assertEqual(len(counts), 3)
                # Each backend's count is read from its own /metrics before and after each round:
                # together they are the requests answered, warm-up and failures included.
                self.assertGreaterEqual(sum(counts), run["result"]["requests"])
                self.assertAlmostEqual(sum(run["fleet"]["shares"]), 1, places=2)
                self.assertGreaterEqual(run["fleet"]["skew"], 1)
        self.assertIn("the fleet", " ".join(self.report["notes"]))

    def test_the_page_shows_the_timelines(self):
        with open(os.path.join(self.out, "index.html")) as page:
            html = page.read()
        for event in EVENTS[:-1]:
            self.assertIn(f"{event}: answered requests/s", html)

    def test_nothing_it_started_is_left_running(self):
        self.assertEqual(processes_mentioning(self.tmp), [])
        self.assertEqual(os.listdir(self.tmp), [])
        # The network cut's namespaces (pwso<pid>x<n>f and ...c) are gone with it.
        names = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        self.assertNotIn(f"pwso{self.pid % 100000}x", names)


if __name__ == "__main__":
    unittest.main()
