"""Dynamic batching end to end (--model NAME=SPEC,batch=MAX,batch-delay=DURATION): 64 concurrent
requests to a model with one instance are answered in a few model calls, not 64 (counted on
/metrics, never timed); answers go back to the right requests; bad options are refused at
start-up."""

import asyncio
import json
import os
import re
import sys
import time
import unittest
import urllib.request

import websockets

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from server_fixture import Server, run_cli
from server_metrics import wait_until_in_flight

MODEL_MS = 10
BATCHED_MS = 500
CONCURRENT = 64


def batch_calls(server, model):
    """(backend calls, rows) the server counted for `model`."""
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    calls = re.search(rf'^predictwire_batch_size_count{{model="{model}"}} (\d+)$', text, re.M)
    rows = re.search(rf'^predictwire_batch_size_sum{{model="{model}"}} (\S+)$', text, re.M)
    return int(calls.group(1)), float(rows.group(1))


async def ask_all(url, model, count):
    """Sends `count` requests at once on one WebSocket; returns (seconds, replies by id)."""
    async with websockets.connect(url, open_timeout=10, max_size=None) as ws:
        started = time.monotonic()
        for i in range(count):
            await ws.send(json.dumps({"id": i, "model": model, "features": [i, 1]}))
        replies = {}
        while len(replies) < count:
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            replies[reply["id"]] = reply
        return time.monotonic() - started, replies


class BatchingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(models=[
            f"batched=sleep:{BATCHED_MS}ms,batch={CONCURRENT},instances=1",
            f"delayed=sleep:{MODEL_MS}ms,batch=8,batch-delay=2ms,instances=1",
            f"plain=sleep:{MODEL_MS}ms,instances=1",
        ]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_64_concurrent_requests_share_a_few_calls(self):
        calls_before, rows_before = batch_calls(self.server, "batched")

        async def ask():
            async with websockets.connect(self.server.ws_url, open_timeout=10, max_size=None) as ws:
                async def send(i):
                    await ws.send(json.dumps({"id": i, "model": "batched", "features": [i, 1]}))
                # The first runs alone (500 ms); the other 63 wait for it, then share a call.
                await send(0)
                await asyncio.to_thread(wait_until_in_flight, self.server, "websocket", 1)
                for i in range(1, CONCURRENT):
                    await send(i)
                replies = {}
                while len(replies) < CONCURRENT:
                    reply = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    replies[reply["id"]] = reply
                return replies
        replies = asyncio.run(ask())
        self.assertEqual(sorted(replies), list(range(CONCURRENT)))
        for i, reply in replies.items():
            self.assertEqual(reply.get("predictions"), [i + 1], reply)
        calls, rows = batch_calls(self.server, "batched")
        self.assertEqual(rows - rows_before, CONCURRENT)
        # Unbatched: 64 calls. Batched: the first alone, then the 63 that waited for it (a third
        # call only for any that arrived after that first call's 500 ms).
        self.assertLessEqual(calls - calls_before, 3)

    def test_batches_never_exceed_max_rows(self):
        calls_before, _ = batch_calls(self.server, "delayed")
        _, replies = asyncio.run(ask_all(self.server.ws_url, "delayed", 32))
        self.assertEqual(len(replies), 32)
        calls, _ = batch_calls(self.server, "delayed")
        self.assertGreaterEqual(calls - calls_before, 4)  # 32 rows, at most 8 per call

    def test_answers_go_back_to_their_requests(self):
        model = "instant=busy:0,batch=16,batch-delay=1ms"
        with Server(models=[model]) as server:
            _, replies = asyncio.run(ask_all(server.ws_url, "instant", 48))
        # busy:0 predicts the sum of its row's features: i + 1 for request i.
        for i, reply in replies.items():
            self.assertEqual(reply["predictions"], [i + 1], reply)

    def test_unbatched_model_is_slower(self):
        seconds, _ = asyncio.run(ask_all(self.server.ws_url, "plain", 16))
        self.assertGreater(seconds, 16 * MODEL_MS / 1000)  # a lower bound: one call per request

    def test_model_metadata_reports_batching(self):
        with urllib.request.urlopen(self.server.url + "/v2/models/delayed", timeout=10) as response:
            metadata = json.loads(response.read())
        self.assertEqual(metadata["platform"], "predictwire_sleep")
        self.assertEqual(metadata["properties"],
                         {"instances": "1", "max_batch_rows": "8", "batch_delay_us": "2000"})

    def test_bad_options_are_refused(self):
        for spec, message in [("sleep:1ms,batch=0", "batch=MAX"),
                              ("sleep:1ms,batch-delay=1ms", "needs batch=MAX"),
                              ("sleep:1ms,batch=4,batch-delay=x", "batch-delay=DURATION")]:
            status, _, err = run_cli("serve", "--http", "127.0.0.1:0", "--grpc", "",
                                     "--model", f"m={spec}")
            self.assertEqual(status, 2, err)
            self.assertIn(message, err)


if __name__ == "__main__":
    unittest.main()
