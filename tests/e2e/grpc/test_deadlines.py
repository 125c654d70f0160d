"""Deadlines and cancellation end to end: serve --request-timeout answered as HTTP 504 (HTTP/1.1
and HTTP/2), a WebSocket error with code 4 and gRPC DEADLINE_EXCEEDED; gRPC's grpc-timeout drops
queued calls too; requests queued behind a slow model are dropped, not run, once past their
deadline or once their client has reset them (an HTTP/2 rapid-reset burst)."""

import asyncio
import concurrent.futures
import json
import os
import socket
import sys
import unittest

import grpc
import websockets

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from grpc_stubs import infer_request, pb_grpc
import server_metrics
from http2_frames import PREFACE, frame, hpack_literal
from server_fixture import Server, curl
from server_metrics import wait_for, wait_until_in_flight

SLOW = "slow=sleep:300ms,instances=1"
TIMEOUT = "100ms"


def metric(server, name, model):
    """The value of `name`{model=MODEL} on the server's /metrics (an error when missing)."""
    return server_metrics.metric(server_metrics.scrape(server), name, model=model)


def runs(server, model):
    """How many times `model` has run (its compute histogram's count)."""
    return metric(server, "predictwire_compute_duration_seconds_count", model)


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
        # A server of its own, its one worker idle: the first request runs (1 s), the three
        # sent once it is in flight queue behind it and are past their 100 ms deadline when the
        # worker reaches them.
        with Server("--request-timeout", TIMEOUT, models=["held=sleep:1s,instances=1"]) as server:
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                first = pool.submit(predict, server, "held")
                wait_until_in_flight(server, "http1", 1)
                rest = [pool.submit(predict, server, "held") for _ in range(3)]
                statuses = [future.result()[0] for future in [first] + rest]
            self.assertEqual(statuses, [504] * 4)
            # The three queued expired rather than ran; the first ran, or on a very busy machine
            # expired too before the worker took it.
            expired = wait_for(lambda: metric(server, "predictwire_requests_expired_total", "held") >= 3, 10)
            self.assertTrue(expired)
            self.assertIn(metric(server, "predictwire_requests_expired_total", "held"), (3, 4))

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
        cls.server = Server(models=["held=sleep:1s,instances=1"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_queued_calls_past_grpc_timeout_are_dropped(self):
        before = metric(self.server, "predictwire_requests_expired_total", "held")
        with grpc.insecure_channel(self.server.addresses["grpc"]) as channel:
            grpc.channel_ready_future(channel).result(timeout=10)  # connected before the clock runs
            stub = pb_grpc.GRPCInferenceServiceStub(channel)

            def call():
                return stub.ModelInfer.future(infer_request(model="held", features=[1.0]), timeout=0.5)
            # The first call runs (1 s); two more, sent once it is in flight, queue behind it.
            calls = [call()]
            wait_until_in_flight(self.server, "grpc", 1)
            calls += [call(), call()]
            codes = []
            for future in calls:
                try:
                    future.result()
                    codes.append(grpc.StatusCode.OK)
                except grpc.RpcError as error:
                    codes.append(error.code())
        self.assertEqual(codes, [grpc.StatusCode.DEADLINE_EXCEEDED] * 3)
        # The worker reaches the two queued calls after 1 s, past their 0.5 s: both are dropped,
        # neither runs (the expired counter says why; a deadline is checked before the
        # cancellation). The first may have expired too, on a machine too busy to start it.
        def dropped():
            return metric(self.server, "predictwire_requests_expired_total", "held") - before
        wait_for(lambda: dropped() >= 2, 10)
        self.assertIn(dropped(), (2, 3))

    def test_without_any_deadline_a_slow_call_is_answered(self):
        with grpc.insecure_channel(self.server.addresses["grpc"]) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            response = stub.ModelInfer(infer_request(model="held", features=[1.0]), timeout=30)
        self.assertEqual(response.model_name, "held")


class CancellationTest(unittest.TestCase):
    """Requests whose client has gone are dropped from the queue, not run: the cancelled counter
    goes up by them, and the model's run count does not."""

    RESETS = 100

    @classmethod
    def setUpClass(cls):
        # One worker each: slow50 for the reset burst, held (1 s) to hold requests in its queue.
        cls.server = Server(models=["slow50=sleep:50ms,instances=1", "held=sleep:1s,instances=1"]).start()

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
        cancelled_before = metric(self.server, "predictwire_requests_cancelled_total", "slow50")
        runs_before = runs(self.server, "slow50")
        sock = self.reset_burst(self.RESETS)
        try:
            # Each stream was submitted before its reset was read: at most the one a worker had
            # already taken may run; the rest are dropped from the queue.
            def cancelled():
                return metric(self.server, "predictwire_requests_cancelled_total", "slow50") - cancelled_before
            self.assertTrue(wait_for(lambda: cancelled() >= self.RESETS - 2, 20), cancelled())
            status, body = predict(self.server, "slow50")
        finally:
            sock.close()
        self.assertEqual(status, 200, body)
        # The fresh request ran after everything queued before it on the one worker.
        ran = runs(self.server, "slow50") - runs_before - 1
        self.assertLessEqual(ran, 2, "reset streams were run")
        self.assertEqual(cancelled() + ran, self.RESETS)

    def test_cancelled_grpc_calls_are_not_run(self):
        cancelled_before = metric(self.server, "predictwire_requests_cancelled_total", "held")
        runs_before = runs(self.server, "held")
        with grpc.insecure_channel(self.server.addresses["grpc"]) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)
            def call():
                return stub.ModelInfer.future(infer_request(model="held", features=[1.0]), timeout=30)
            calls = [call()]
            wait_until_in_flight(self.server, "grpc", 1)  # running
            calls += [call() for _ in range(7)]
            wait_until_in_flight(self.server, "grpc", 8)  # queued behind it
            for call in calls[1:]:
                call.cancel()
            calls[0].result()
            stub.ModelInfer(infer_request(model="held", features=[1.0]), timeout=30)
        # The fresh call ran after the queue was worked through: the seven were dropped.
        self.assertEqual(runs(self.server, "held") - runs_before, 2)
        cancelled = metric(self.server, "predictwire_requests_cancelled_total", "held") - cancelled_before
        self.assertEqual(cancelled, 7)

    def test_closed_websocket_drops_its_queued_requests(self):
        cancelled_before = metric(self.server, "predictwire_requests_cancelled_total", "held")
        runs_before = runs(self.server, "held")

        async def send_and_leave():
            ws = await websockets.connect(self.server.ws_url, open_timeout=10)
            for i in range(10):
                await ws.send(json.dumps({"id": i, "model": "held", "features": [1]}))
            # One running, nine queued behind it.
            await asyncio.to_thread(wait_until_in_flight, self.server, "websocket", 10)
            ws.transport.abort()  # gone without a close frame

        asyncio.run(send_and_leave())
        status, body = predict(self.server, "held")
        self.assertEqual(status, 200, body)
        self.assertEqual(runs(self.server, "held") - runs_before, 2)
        cancelled = metric(self.server, "predictwire_requests_cancelled_total", "held") - cancelled_before
        self.assertEqual(cancelled, 9)


if __name__ == "__main__":
    unittest.main()
