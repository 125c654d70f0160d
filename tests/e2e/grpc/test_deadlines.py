"""Deadlines and cancellation end to end: serve --request-timeout answered as HTTP 504 (HTTP/1.1
and HTTP/2), a WebSocket error with code 4 and gRPC DEADLINE_EXCEEDED; gRPC's grpc-timeout drops
queued calls too; requests queued behind a slow model are dropped, not run, once past their
deadline or once their client has reset them (an HTTP/2 rapid-reset burst)."""

import asyncio
import concurrent.futures
import json
import os
import re
import socket
import sys
import time
import unittest
import urllib.request

import grpc
import websockets

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from grpc_stubs import infer_request, pb_grpc
from hostile_clients import wait_for
from http2_frames import PREFACE, frame, hpack_literal
from server_fixture import Server, curl

SLOW = "slow=sleep:300ms,instances=1"
TIMEOUT = "100ms"


def metric(server, name, model):
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    match = re.search(rf'^{name}{{model="{model}"}} (\d+)$', text, re.MULTILINE)
    return int(match.group(1)) if match else None


def predict(server, model, extra=()):
    """POST /predict with curl; returns (HTTP status, parsed body)."""
    done = curl("-w", "\n%{http_code}", *extra, "-H", "content-type: application/json",
                server.url + "/predict", data=json.dumps({"model": model, "features": [1]}))
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body)


class RequestTimeoutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("--request-timeout", TIMEOUT, models=[SLOW, "fast=sleep:0"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_http1_slow_answer_is_504(self):
        status, body = predict(self.server, "slow")
        self.assertEqual(status, 504, body)
        self.assertIn("deadline", body["error"])

    def test_http2_slow_answer_is_504(self):
        status, body = predict(self.server, "slow", ["--http2-prior-knowledge"])
        self.assertEqual(status, 504, body)

    def test_fast_model_is_answered(self):
        status, body = predict(self.server, "fast")
        self.assertEqual(status, 200, body)

    def test_queued_requests_are_dropped_not_run(self):
        before = metric(self.server, "predictwire_requests_expired_total", "slow")
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            statuses = [s for s, _ in pool.map(lambda _: predict(self.server, "slow"), range(4))]
        elapsed = time.monotonic() - started
        self.assertEqual(statuses, [504] * 4)
        # One ran (300 ms; on a very busy machine it may itself have expired before a worker got
        # to it); the ones queued behind it expired at once instead of running.
        expired = metric(self.server, "predictwire_requests_expired_total", "slow") - before
        self.assertIn(expired, (3, 4))
        self.assertLess(elapsed, 1.0)  # four sequential runs would take 1.2 s

    def test_websocket_error_has_code_4(self):
        async def ask():
            async with websockets.connect(self.server.ws_url, open_timeout=10) as ws:
                await ws.send(json.dumps({"id": "a", "model": "slow", "features": [1]}))
                return json.loads(await asyncio.wait_for(ws.recv(), 10))

        reply = asyncio.run(ask())
        self.assertEqual(reply["code"], 4, reply)
        self.assertEqual(reply["id"], "a")

    def test_grpc_without_grpc_timeout_gets_deadline_exceeded(self):
        with grpc.insecure_channel(self.server.addresses["grpc"]) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            with self.assertRaises(grpc.RpcError) as raised:
                stub.ModelInfer(infer_request(model="slow", features=[1.0]), timeout=10)
        self.assertEqual(raised.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)


class GrpcTimeoutTest(unittest.TestCase):
    """No --request-timeout: grpc-timeout alone sets the deadline."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(models=[SLOW]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_queued_calls_past_grpc_timeout_are_dropped(self):
        before = metric(self.server, "predictwire_requests_expired_total", "slow")

        def call(_):
            with grpc.insecure_channel(self.server.addresses["grpc"]) as channel:
                stub = pb_grpc.GRPCInferenceServiceStub(channel)
                try:
                    stub.ModelInfer(infer_request(model="slow", features=[1.0]), timeout=0.1)
                    return grpc.StatusCode.OK
                except grpc.RpcError as error:
                    return error.code()

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            codes = list(pool.map(call, range(3)))
        self.assertEqual(codes, [grpc.StatusCode.DEADLINE_EXCEEDED] * 3)
        # The worker reaches the two queued calls after 300 ms: both are dropped, neither runs
        # (the expired counter says why; a deadline is checked before the cancellation). The
        # first may have expired too, on a machine too busy to start it within 100 ms.
        def dropped():
            return metric(self.server, "predictwire_requests_expired_total", "slow") - before
        wait_for(lambda: dropped() >= 2, 10, interval=0.05)
        self.assertIn(dropped(), (2, 3))

    def test_without_any_deadline_a_slow_call_is_answered(self):
        with grpc.insecure_channel(self.server.addresses["grpc"]) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            response = stub.ModelInfer(infer_request(model="slow", features=[1.0]), timeout=10)
        self.assertEqual(response.model_name, "slow")


class CancellationTest(unittest.TestCase):
    """Requests whose client has gone are dropped from the queue, not run."""

    RESETS = 100
    MODEL_MS = 50

    @classmethod
    def setUpClass(cls):
        cls.server = Server(models=[f"slow50=sleep:{cls.MODEL_MS}ms,instances=1"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def reset_burst(self, count):
        """Sends `count` POST /predict streams on one h2c connection, each reset (CANCEL) right
        after its body, in one write: a rapid-reset burst."""
        body = json.dumps({"model": "slow50", "features": [1]}).encode()
        out = PREFACE + frame(4, 0, 0, b"")
        for i in range(count):
            stream_id = 1 + 2 * i
            fields = (b"\x83\x86" + hpack_literal(":path", "/predict") +
                      hpack_literal(":authority", "x") +
                      hpack_literal("content-type", "application/json"))
            out += frame(1, 0x4, stream_id, fields)  # HEADERS, END_HEADERS
            out += frame(0, 0x1, stream_id, body)  # DATA, END_STREAM
            out += frame(3, 0, stream_id, (8).to_bytes(4, "big"))  # RST_STREAM CANCEL
        sock = socket.create_connection((self.server.host, self.server.port), timeout=10)
        sock.sendall(out)
        return sock

    def test_reset_streams_are_not_run(self):
        before = metric(self.server, "predictwire_requests_cancelled_total", "slow50")
        sock = self.reset_burst(self.RESETS)
        try:
            time.sleep(0.02)  # let the server read the burst (a lower bound only)
            started = time.monotonic()
            status, body = predict(self.server, "slow50")
            elapsed = time.monotonic() - started
        finally:
            sock.close()
        self.assertEqual(status, 200, body)
        print(f"\nafter {self.RESETS} reset streams: a fresh request answered in "
              f"{elapsed * 1000:.0f} ms")
        # Had every reset request run, the fresh one would wait 100 x 50 ms = 5 s.
        self.assertLess(elapsed, self.RESETS * self.MODEL_MS / 1000 / 2)
        cancelled = metric(self.server, "predictwire_requests_cancelled_total", "slow50") - before
        self.assertGreaterEqual(cancelled, self.RESETS - 2)

    def test_cancelled_grpc_calls_are_not_run(self):
        before = metric(self.server, "predictwire_requests_cancelled_total", "slow50")
        with grpc.insecure_channel(self.server.addresses["grpc"]) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            calls = [stub.ModelInfer.future(infer_request(model="slow50", features=[1.0]),
                                            timeout=30) for _ in range(8)]
            time.sleep(0.02)  # let them reach the queue (a lower bound only)
            for call in calls[1:]:
                call.cancel()
            calls[0].result()
            started = time.monotonic()
            stub.ModelInfer(infer_request(model="slow50", features=[1.0]), timeout=30)
            elapsed = time.monotonic() - started
        # Had the seven cancelled calls run, the fresh one would have waited 350 ms more.
        self.assertLess(elapsed, 7 * self.MODEL_MS / 1000 / 2)
        def cancelled():
            return metric(self.server, "predictwire_requests_cancelled_total", "slow50") - before
        wait_for(lambda: cancelled() >= 5, 10, interval=0.05)
        self.assertGreaterEqual(cancelled(), 5)

    def test_closed_websocket_drops_its_queued_requests(self):
        before = metric(self.server, "predictwire_requests_cancelled_total", "slow50")

        async def send_and_leave():
            ws = await websockets.connect(self.server.ws_url, open_timeout=10)
            for i in range(10):
                await ws.send(json.dumps({"id": i, "model": "slow50", "features": [1]}))
            ws.transport.abort()  # gone without a close frame

        asyncio.run(send_and_leave())
        started = time.monotonic()
        status, body = predict(self.server, "slow50")
        elapsed = time.monotonic() - started
        self.assertEqual(status, 200, body)
        self.assertLess(elapsed, 10 * self.MODEL_MS / 1000 / 2 + 0.2)
        cancelled = metric(self.server, "predictwire_requests_cancelled_total", "slow50") - before
        self.assertGreaterEqual(cancelled, 5)


if __name__ == "__main__":
    unittest.main()
