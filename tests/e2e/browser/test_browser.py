"""The browser as a client, in Debian's headless Chromium: a page on another origin (a python
http.server on another loopback port) reads answers only from a server that allows its origin,
Server-Timing included, over HTTP/1.1 and over HTTPS with h2; WebSockets from it are served only
when allowed; the server's own page at / loads without an error, answers, and measures every
wire of its measure panel, the JavaScript client's (/predictwire.js) among them; and its live
example answers every prediction exactly once while the server restarts under it."""

import functools
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
import chromium
import prerequisites
from certificates import make_certificate
from server_fixture import BINARY, ROOT, Server
from test_report_page import OVERFLOW_CHECK

WIRES = ["fetch", "fetch-cors", "fetch-cors-cached", "ws", "ws-binary", "ws-new", "module-ws",
         "module-ws-binary", "module-fetch"]

# From the other origin's page: /predict and v2 infer on BASE, and what the page may read of them.
READ_ANSWERS = """(async (base) => {
  const json = {'content-type': 'application/json'};
  try {
    const predict = await fetch(base + '/predict', {method: 'POST', headers: json,
        body: JSON.stringify({model: 'instant', features: [1, 2, 3.5]})});
    const answer = await predict.json();
    const v2 = await (await fetch(base + '/v2/models/instant/infer', {method: 'POST', headers: json,
        body: JSON.stringify({inputs: [{name: 'x', shape: [1, 2], datatype: 'FP32', data: [4, 5]}]})})).json();
    const entry = performance.getEntriesByType('resource').filter((e) => e.name === base + '/predict').pop();
    return {predictions: answer.predictions, v2: v2.outputs[0].data,
            server_timing: predict.headers.get('server-timing'),
            entry_server_timing: entry.serverTiming.map((timing) => timing.name),
            protocol: entry.nextHopProtocol};
  } catch (error) {
    return {error: String(error)};
  }
})(%r)"""

# From the other origin's page: one WebSocket exchange with URL, or how it failed.
WEBSOCKET = """new Promise((resolve) => {
  const socket = new WebSocket(%r);
  socket.onopen = () => socket.send(JSON.stringify({id: 7, model: 'instant', features: [2, 3]}));
  socket.onmessage = (event) => { resolve(JSON.parse(event.data)); socket.close(); };
  socket.onerror = () => resolve({error: 'refused'});
})"""


def setUpModule():
    prerequisites.require("chromium", chromium.available(), chromium.MISSING)


class OtherOrigin:
    """A second origin: a plain page served by python's http.server on another loopback port."""

    def __enter__(self):
        self.directory = tempfile.TemporaryDirectory()
        with open(os.path.join(self.directory.name, "index.html"), "w") as page:
            page.write("<!doctype html><title>another origin</title><link rel=icon href='data:,'>"
                       "<p>a web app on another origin</p>")
        handler = functools.partial(QuietHandler, directory=self.directory.name)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.directory.cleanup()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class CrossOriginTest(unittest.TestCase):
    def test_a_page_on_another_origin_reads_answers_only_when_its_origin_is_allowed(self):
        with tempfile.TemporaryDirectory() as directory, OtherOrigin() as other:
            cert, key = make_certificate(directory)
            models = ["instant=sleep:0"]
            with Server("--cors-origin", other.origin, "--https", "127.0.0.1:0", "--tls-cert", cert,
                        "--tls-key", key, models=models) as allowing, \
                    Server(models=models) as refusing, \
                    chromium.Chromium("--ignore-certificate-errors") as browser:
                page = browser.open(other.origin + "/", width=1000)
                for base, protocol in [(allowing.url, "http/1.1"),
                                       (f"https://{allowing.addresses['https']}", "h2")]:
                    with self.subTest(base=base):
                        read = page.evaluate(READ_ANSWERS % base)
                        self.assertEqual(read.get("predictions"), [6.5], read)
                        self.assertEqual(read["v2"], [9])
                        self.assertRegex(read["server_timing"], r"^queue;dur=[\d.]+, compute;dur=[\d.]+$")
                        self.assertEqual(read["entry_server_timing"], ["queue", "compute"])
                        self.assertEqual(read["protocol"], protocol)
                self.assertEqual(page.errors, [])
                refused = page.evaluate(READ_ANSWERS % refusing.url)
                self.assertIn("TypeError", refused.get("error", ""), refused)
                self.assertTrue(any("CORS policy" in error for error in page.errors), page.errors)
                page.close()

    def test_websockets_from_another_origin_only_when_allowed(self):
        with OtherOrigin() as other:
            with Server("--cors-origin", other.origin, models=["instant=sleep:0"]) as allowing, \
                    Server(models=["instant=sleep:0"]) as refusing, chromium.Chromium() as browser:
                page = browser.open(other.origin + "/", width=1000)
                served = page.evaluate(WEBSOCKET % allowing.ws_url)
                self.assertEqual(served.get("id"), 7, served)
                self.assertEqual(served["predictions"], [5])
                self.assertEqual(page.evaluate(WEBSOCKET % refusing.ws_url), {"error": "refused"})
                self.assertTrue(any("403" in error for error in page.errors), page.errors)
                page.close()


class ThePageTest(unittest.TestCase):
    def test_the_page_answers_and_measures_every_wire_without_an_error(self):
        # '*': the preflight wires send from this page's origin to the server's other loopback name.
        with Server("--cors-origin", "*", models=["breast_cancer=xgboost:models/breast_cancer.json",
                                                  "instant=sleep:0"]) as server, \
                chromium.Chromium() as browser:
            page = browser.open(server.url + "/", width=1400)
            page.evaluate("window.predictwire.ready")
            self.assertTrue(page.evaluate("crossOriginIsolated"))
            self.assertEqual(page.evaluate("[...document.querySelectorAll('#model option')].map((o) => o.value)"),
                             ["breast_cancer", "instant"])
            for wire in ["fetch", "fetch-v2", "ws", "ws-binary"]:
                with self.subTest(ask=wire):
                    answer = page.evaluate(f"""(async () => {{
                      document.getElementById('ask-wire').value = {wire!r};
                      document.getElementById('answer').textContent = '';
                      document.getElementById('ask-button').click();
                      while (!document.getElementById('answer').textContent) await new Promise((r) => setTimeout(r, 20));
                      return document.getElementById('answer').textContent;
                    }})()""")
                    self.assertRegex(answer, r"^prediction: \[0\.0\d+\]\nround trip [\d.]+ (µs|ms), of which the server")

            rows = page.evaluate("""(async () => {
              document.getElementById('requests').value = 20;
              document.getElementById('measure-button').click();
              const status = document.getElementById('measure-status');
              while (!status.textContent.startsWith('done')) await new Promise((r) => setTimeout(r, 50));
              return [...document.querySelectorAll('#results tbody tr')].map((row) =>
                  [row.dataset.wire, ...[...row.cells].slice(1).map((cell) => cell.textContent)]);
            })()""", timeout=120)
            self.assertEqual([row[0] for row in rows], WIRES)
            for wire, requests, errors, p50, p90, p99, server_p50, share, connect in rows:
                with self.subTest(wire=wire):
                    self.assertEqual((requests, errors), ("20", "0"))
                    for figure in (p50, p90, p99, server_p50):
                        self.assertRegex(figure, r"^[\d.]+ (µs|ms)$")
                    self.assertRegex(share, r"^\d+%$")
            self.assertEqual(page.evaluate("document.querySelectorAll('#plot polyline').length"), len(WIRES))
            self.assertEqual(page.errors, [])

            # A phone's width: nothing overflows but the results table, which scrolls.
            page.navigate(server.url + "/?measure=ws,ws-new&requests=5", width=390)
            results = page.evaluate("window.predictwire.done", timeout=60)
            self.assertEqual([(r["wire"], len(r["latency_us"]), r["errors"]) for r in results],
                             [("ws", 5, {}), ("ws-new", 5, {})])
            self.assertEqual(len(results[1]["connect_us"]), 5)  # each request opened a socket
            layout = page.evaluate(OVERFLOW_CHECK)
            self.assertEqual(layout["outside"], [], layout)
            self.assertLessEqual(layout["page_width"], 390, layout)
            self.assertEqual(page.errors, [])
            page.close()


class CompareBrowserTest(unittest.TestCase):
    def test_compare_measures_the_browser_wires_beside_the_client(self):
        with tempfile.TemporaryDirectory() as out:
            done = subprocess.run([BINARY, "compare", "--quick", "--scenarios", "browser", "--out", out],
                                  capture_output=True, text=True, timeout=300, cwd=ROOT)
            self.assertEqual(done.returncode, 0, done.stderr[-3000:])
            with open(os.path.join(out, "report.json")) as file:
                report = json.load(file)
            self.assertEqual([s["id"] for s in report["scenarios"]], ["browser"])
            runs = {run["wire"]: run for run in report["scenarios"][0]["runs"]}
            self.assertEqual(set(runs), {"tcp", "tcp-new", "rest-keepalive", "ws", "ws-binary",
                                         *(f"browser-{wire}" for wire in WIRES)})
            for wire, run in runs.items():
                with self.subTest(wire=wire):
                    result = run["result"]
                    self.assertGreaterEqual(result["requests"], 100)
                    self.assertEqual(result["errors"], 0, result["errors_by_kind"])
                    self.assertGreater(result["latency_us"]["p50"], 0)
                    self.assertLessEqual(result["latency_us"]["p50"], result["latency_us"]["p99"])
                    self.assertGreater(len(result["batch_p50_us"]), 4)  # the confidence interval's
                    low, high = run["p50_ci_us"]
                    self.assertLessEqual(low, high)
                    if not run["floor"]:
                        self.assertEqual(result["model"], "breast_cancer")
                        self.assertGreater(result["server_us"]["p50"], 0)
                        self.assertGreater(result["network_us"]["p50"], 0)
            # What the browser adds shows: every browser wire is slower than the C++ client's.
            for wire, client in [("browser-fetch", "rest-keepalive"), ("browser-ws", "ws"),
                                 ("browser-ws-binary", "ws-binary"), ("browser-module-ws", "ws"),
                                 ("browser-module-fetch", "rest-keepalive")]:
                self.assertGreater(runs[wire]["result"]["latency_us"]["p50"],
                                   runs[client]["result"]["latency_us"]["p50"])
            self.assertGreater(runs["browser-ws-new"]["result"]["connect_us"]["p50"], 0)
            recommendation = report["scenarios"][0]["verdict"]["text"]
            self.assertTrue(recommendation.startswith("in Chromium: "), recommendation)
            self.assertIn("What the browser adds to the C++ client's exchange", recommendation)
            # What the JavaScript client costs over the bare browser wires, stated.
            self.assertRegex(recommendation, r"What the predictwire\.js client adds to the browser's bare "
                                             r"WebSocket and fetch: browser-module-ws [\d.]+ (µs|ms) vs "
                                             r"browser-ws [\d.]+ (µs|ms): ")
            self.assertIn("the predictwire.js client adds", report["overall"][-1])
            self.assertTrue(report["overall"][-1].startswith("Client: from a browser (Chromium): "),
                            report["overall"])
            self.assertIn("browser-ws-new", done.stdout)
            with chromium.Chromium() as browser:
                page = browser.open("file://" + os.path.join(out, "index.html"), width=1400)
                self.assertEqual(page.errors, [])
                self.assertIn("browser-fetch-cors-cached", page.evaluate("document.body.textContent"))
                page.close()


# The live example's bookkeeping, checked in the page: every prediction sent was answered once,
# with the sum of its own features (the sum model), none failed and none is still out.
LIVE_CHECK = """(async () => {
  const summary = await window.predictwire.live.stop();
  const wrong = summary.log.filter((entry) => entry.prediction === undefined ||
      Math.abs(entry.prediction - entry.features.reduce((a, b) => a + b, 0)) > 1e-4);
  return {sent: summary.sent, answered: summary.answered, failed: summary.failed, errors: summary.errors,
          duplicates: summary.duplicates, unsettled: summary.unsettled, opens: summary.opens,
          closes: summary.closes, stats: summary.stats, wrong: wrong.slice(0, 5), wrong_count: wrong.length,
          seqs: summary.log.map((entry) => entry.seq)};
})()"""


@unittest.skipUnless(chromium.available(), "Debian's chromium is missing: scripts/setup.sh installs it")
class LiveExampleTest(unittest.TestCase):
    def test_the_live_example_answers_every_prediction_once_while_the_server_restarts(self):
        server = Server(models=["sum=sleep:0"]).start()
        try:
            with chromium.Chromium() as browser:
                page = browser.open(server.url + "/", width=1000)
                page.evaluate("window.predictwire.ready")
                for wire, restarts in [("ws", [signal.SIGTERM, signal.SIGKILL]), ("ws-binary", [signal.SIGKILL])]:
                    with self.subTest(wire=wire):
                        page.evaluate(f"window.predictwire.live.start({{rate: 50, wire: {wire!r}}}) && true")
                        time.sleep(1.5)
                        for sig in restarts:
                            server.restart(sig)  # on the same port: the page's origin stays
                            time.sleep(1.5)
                        live = page.evaluate(LIVE_CHECK, timeout=60)
                        self.assertGreater(live["sent"], 100, live["stats"])
                        self.assertEqual((live["answered"], live["failed"], live["unsettled"], live["duplicates"]),
                                         (live["sent"], 0, 0, 0), live["errors"])
                        self.assertEqual(live["seqs"], list(range(1, live["sent"] + 1)))
                        self.assertEqual(live["wrong_count"], 0, live["wrong"])
                        self.assertEqual(live["stats"]["settledTwice"], 0)
                        # It saw each restart: the socket closed, and it opened again.
                        self.assertGreaterEqual(live["closes"], len(restarts), live["stats"])
                        self.assertGreaterEqual(live["opens"], len(restarts) + 1, live["stats"])
                        self.assertGreaterEqual(live["stats"]["reconnects"], len(restarts))
                        self.assertIn("predictions", page.evaluate(
                            "document.getElementById('live-plot').getAttribute('aria-label')"))
                # While the server was down Chromium logged its failed attempts to reconnect; nothing else.
                others = [e for e in page.errors if not re.search(r"WebSocket connection to '.*' failed", e)]
                self.assertEqual(others, [])
                page.close()
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
