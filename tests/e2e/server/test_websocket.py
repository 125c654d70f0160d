"""WebSocket end to end: Debian's python3-websockets client, plus a raw socket for protocol errors."""

import asyncio
import json
import os
import struct
import sys
import time
import unittest

import websockets

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from server_fixture import Server, breast_cancer_rows
from ws_raw import RawWebSocket

SLOW_MS = 50


def binary_request(request_id, model, rows):
    """The compact binary request (docs/api.md)."""
    name = model.encode()
    cols = len(rows[0])
    header = struct.pack("<BBHIIQ", 1, 0, len(name), len(rows), cols, request_id)
    return header + name + struct.pack(f"<{len(rows) * cols}f", *[v for row in rows for v in row])


def parse_binary_response(message):
    """(id, predictions, error message, status code); the status byte is 0 or the error's code."""
    version, status, _, count, request_id, queue_us, compute_us = struct.unpack("<BBHIQII", message[:24])
    payload = message[24:]
    if status == 0:
        return request_id, list(struct.unpack(f"<{count}f", payload)), None, status
    return request_id, None, payload.decode(), status

def timed(run):
    """(seconds `run()` took, what it returned)."""
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


# Canonical status codes (gRPC's numbers) that WebSocket errors carry.
INVALID_ARGUMENT = 3
NOT_FOUND = 5
RESOURCE_EXHAUSTED = 8


class WebSocketTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(models=[
            "breast_cancer=xgboost:models/breast_cancer.json", f"sleep50=sleep:{SLOW_MS}ms",
            "slow=sleep:300ms"]).start()
        cls.rows = breast_cancer_rows()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def run_async(self, coroutine):
        return asyncio.run(asyncio.wait_for(coroutine, timeout=60))

    def connect(self):
        return websockets.connect(self.server.ws_url, compression=None, max_size=None)

    def test_text_request_and_reply_carry_the_id(self):
        async def scenario():
            async with self.connect() as ws:
                await ws.send(json.dumps({"id": "a-1", "features": self.rows[0][0]}))
                return json.loads(await ws.recv())
        reply = self.run_async(scenario())
        self.assertEqual(reply["id"], "a-1")
        self.assertEqual(reply["model"], "breast_cancer")
        self.assertAlmostEqual(reply["predictions"][0], 0.0131836319, delta=1e-6)
        self.assertEqual(set(reply["timing"]), {"queue_us", "compute_us"})

    def test_large_messages_before_and_after_the_connection_idles(self):
        # 1 MiB of JSON grows the connection's buffer; once the connection has been quiet for a
        # sweep interval the server lets the buffer go (cancelling its pending read), and the
        # next large message grows it again on the same connection.
        features = [float(i % 97) / 8 for i in range(120000)]
        request = json.dumps({"id": 1, "model": "sleep50", "features": features})
        self.assertGreater(len(request), 700000)

        async def scenario():
            async with self.connect() as ws:
                replies = []
                for pause in (0, 0, 3.2):
                    await asyncio.sleep(pause)
                    await ws.send(request)
                    replies.append(json.loads(await ws.recv()))
                await ws.send(json.dumps({"id": 2, "model": "sleep50", "features": [1, 2]}))
                replies.append(json.loads(await ws.recv()))
                return replies
        replies = self.run_async(scenario())
        self.assertEqual([reply.get("id") for reply in replies], [1, 1, 1, 2], replies[-1])
        self.assertTrue(all("predictions" in reply for reply in replies))

    def test_pipelined_requests_come_back_out_of_order_matched_by_id(self):
        async def scenario():
            async with self.connect() as ws:
                await ws.send(json.dumps({"id": 1, "model": "slow", "features": [1, 2]}))
                await ws.send(json.dumps({"id": 2, "features": self.rows[5][0]}))
                await ws.send(json.dumps({"id": 3, "model": "sleep50", "instances": [[1], [2]]}))
                return [json.loads(await ws.recv()) for _ in range(3)]
        replies = self.run_async(scenario())
        by_id = {reply["id"]: reply for reply in replies}
        self.assertEqual(set(by_id), {1, 2, 3})
        self.assertEqual(by_id[1]["predictions"], [3])
        self.assertEqual(by_id[3]["predictions"], [1, 2])
        # The 300 ms request was sent first and answered last.
        self.assertEqual(replies[-1]["id"], 1)

    # The concurrency tests below time the same four requests to the 300 ms model one by one
    # and all at once, side by side in one test: one by one they take 1.2 s, at once about
    # 0.3 s. A busy machine slows both; only running them one after another fails.

    def test_a_slow_model_does_not_hold_up_other_clients(self):
        """4 clients at once: each is answered in about one model's time, not 1, 2, 3, 4."""
        async def one_client(i):
            async with self.connect() as ws:
                await ws.send(json.dumps({"id": i, "model": "slow", "features": [i]}))
                return json.loads(await ws.recv())

        async def one_by_one():
            return [await one_client(i) for i in range(4)]

        async def together():
            return await asyncio.gather(*(one_client(i) for i in range(4)))
        serial_seconds, serial = timed(lambda: self.run_async(one_by_one()))
        together_seconds, replies = timed(lambda: self.run_async(together()))
        for reply in serial + replies:
            self.assertEqual(reply["predictions"], [reply["id"]], reply)
            self.assertGreaterEqual(reply["timing"]["compute_us"], 300_000)
        self.assertGreaterEqual(serial_seconds, 1.2)
        self.assertLess(together_seconds, serial_seconds / 2, (together_seconds, serial_seconds))

    def test_four_in_flight_on_one_connection_run_concurrently(self):
        async def one_by_one():
            async with self.connect() as ws:
                replies = []
                for i in range(4):
                    await ws.send(json.dumps({"id": i, "model": "slow", "features": [i]}))
                    replies.append(json.loads(await ws.recv()))
                return replies

        async def together():
            async with self.connect() as ws:
                for i in range(4):
                    await ws.send(json.dumps({"id": i, "model": "slow", "features": [i]}))
                return [json.loads(await ws.recv()) for _ in range(4)]
        serial_seconds, serial = timed(lambda: self.run_async(one_by_one()))
        together_seconds, replies = timed(lambda: self.run_async(together()))
        self.assertEqual([reply["id"] for reply in serial], [0, 1, 2, 3])
        self.assertEqual(sorted(reply["id"] for reply in replies), [0, 1, 2, 3])
        self.assertGreaterEqual(serial_seconds, 1.2)
        self.assertLess(together_seconds, serial_seconds / 2, (together_seconds, serial_seconds))

    def test_more_requests_in_flight_than_the_per_connection_limit(self):
        """3000 pipelined requests (the limit is 1024): the server pauses reading, never drops."""
        count = 3000

        async def scenario():
            async with self.connect() as ws:
                async def sender():
                    for i in range(count):
                        await ws.send(json.dumps({"id": i, "model": "sleep50", "features": [i]}))
                sending = asyncio.create_task(sender())
                replies = [json.loads(await ws.recv()) for _ in range(count)]
                await sending
                return replies
        replies = self.run_async(scenario())
        self.assertEqual(sorted(reply["id"] for reply in replies), list(range(count)))
        self.assertTrue(all(reply["predictions"] == [reply["id"]] for reply in replies))

    def test_binary_messages(self):
        async def scenario():
            async with self.connect() as ws:
                await ws.send(binary_request(77, "", [self.rows[0][0], self.rows[1][0]]))
                ok = parse_binary_response(await ws.recv())
                await ws.send(binary_request(78, "nope", [[1.0]]))
                unknown = parse_binary_response(await ws.recv())
                await ws.send(b"\x01\x00")
                short = parse_binary_response(await ws.recv())
                return ok, unknown, short
        ok, unknown, short = self.run_async(scenario())
        self.assertEqual(ok[0], 77)
        self.assertAlmostEqual(ok[1][0], 0.0131836319, delta=1e-6)
        self.assertAlmostEqual(ok[1][1], 0.00398563221, delta=1e-6)
        self.assertEqual(ok[3], 0)
        self.assertEqual(unknown[0], 78)
        self.assertIn("unknown model 'nope'", unknown[2])
        self.assertEqual(unknown[3], NOT_FOUND)
        self.assertIn("shorter than", short[2])
        self.assertEqual(short[3], INVALID_ARGUMENT)

    def test_errors_answer_the_message_and_keep_the_connection(self):
        bad_messages = [
            ("not json", None, "malformed JSON", INVALID_ARGUMENT),
            (json.dumps({"id": 1, "features": [1, 2]}), 1, "expects 30 features per row, got 2",
             INVALID_ARGUMENT),
            (json.dumps({"id": 2, "model": "nope", "features": [1]}), 2, "unknown model 'nope'",
             NOT_FOUND),
            (json.dumps({"id": 3, "features": ["a"] * 30}), 3, "must be a number", INVALID_ARGUMENT),
            (json.dumps({"id": 4}), 4, "no input", INVALID_ARGUMENT),
            ("", None, "empty", INVALID_ARGUMENT),
        ]

        async def scenario():
            async with self.connect() as ws:
                replies = []
                for message, _, _, _ in bad_messages:
                    await ws.send(message)
                    replies.append(json.loads(await ws.recv()))
                await ws.send(json.dumps({"id": "ok", "features": self.rows[0][0]}))
                replies.append(json.loads(await ws.recv()))
                return replies
        replies = self.run_async(scenario())
        for (message, expected_id, text, code), reply in zip(bad_messages, replies):
            self.assertIn(text, reply["error"], message)
            self.assertEqual(reply.get("id"), expected_id)
            self.assertEqual(reply["code"], code, message)
        self.assertEqual(replies[-1]["id"], "ok")
        self.assertIn("predictions", replies[-1])
        self.assertNotIn("code", replies[-1])

    def test_a_full_queue_is_resource_exhausted(self):
        """One worker, one queue slot, a 1 s model: of three requests at least one is refused."""
        with Server("--max-queue", "1", models=["slow=sleep:1s,instances=1"]) as server:
            async def scenario():
                async with websockets.connect(server.ws_url, compression=None) as ws:
                    for i in range(3):
                        await ws.send(json.dumps({"id": i, "features": [i]}))
                    await ws.send(binary_request(7, "", [[1.0]]))
                    return [await ws.recv() for _ in range(2)]
            first, second = self.run_async(scenario())
        # Refusals come at once, answers a second later: the first two replies are refusals.
        replies = [first, second]
        text = [json.loads(reply) for reply in replies if isinstance(reply, str)]
        binary = [parse_binary_response(reply) for reply in replies if isinstance(reply, bytes)]
        self.assertEqual([reply["code"] for reply in text], [RESOURCE_EXHAUSTED] * len(text))
        self.assertTrue(all("requests waiting" in reply["error"] for reply in text), text)
        self.assertEqual([reply[3] for reply in binary], [RESOURCE_EXHAUSTED] * len(binary))

    def test_ping_and_close_handshake(self):
        async def scenario():
            ws = await websockets.connect(self.server.ws_url, compression=None)
            pong = await ws.ping(b"hello")
            await asyncio.wait_for(pong, 10)
            await ws.close(code=1000)
            return ws.close_code
        self.assertEqual(self.run_async(scenario()), 1000)

    def test_fragmented_message_is_reassembled(self):
        raw = RawWebSocket(self.server.host, self.server.port)
        self.assertEqual(raw.status, 101)
        body = json.dumps({"id": 9, "model": "sleep50", "features": [1, 2, 3]}).encode()
        raw.send_frame(0x1, body[:10], fin=False)
        raw.send_frame(0x9, b"in between")  # a ping may interleave with fragments
        raw.send_frame(0x0, body[10:20], fin=False)
        raw.send_frame(0x0, body[20:], fin=True)
        frames = [raw.recv_frame(), raw.recv_frame()]
        raw.close()
        self.assertIn((0xA, b"in between"), frames)
        text = [payload for opcode, payload in frames if opcode == 0x1][0]
        self.assertEqual(json.loads(text)["predictions"], [6])


class WebSocketProtocolErrorTest(unittest.TestCase):
    """Violations close only the offending connection, with the RFC 6455 code."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server("--max-body", "4096", models=["sum=sleep:0"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def raw(self):
        raw = RawWebSocket(self.server.host, self.server.port)
        self.assertEqual(raw.status, 101, raw.handshake)
        return raw

    def assert_closed_with(self, raw, code):
        self.assertEqual(raw.recv_close_code(), code)
        self.assertTrue(raw.closed_by_peer())
        raw.close()

    def test_unmasked_frame(self):
        raw = self.raw()
        raw.send_frame(0x1, b'{"features": [1]}', masked=False)
        self.assert_closed_with(raw, 1002)

    def test_reserved_bits_and_unknown_opcode(self):
        raw = self.raw()
        raw.send_frame(0x1, b"{}", rsv=0x40)
        self.assert_closed_with(raw, 1002)
        raw = self.raw()
        raw.send_frame(0x3, b"")
        self.assert_closed_with(raw, 1002)

    def test_message_over_the_limit(self):
        raw = self.raw()
        raw.send_frame(0x2, b"x" * 5000)
        self.assert_closed_with(raw, 1009)

    def test_invalid_utf8_text(self):
        raw = self.raw()
        raw.send_frame(0x1, b'{"features": [1], "x": "\xc0\xaf"}')
        self.assert_closed_with(raw, 1007)

    def test_continuation_without_a_message(self):
        raw = self.raw()
        raw.send_frame(0x0, b"orphan")
        self.assert_closed_with(raw, 1002)

    def test_bad_handshakes_get_http_errors(self):
        wrong_version = RawWebSocket(self.server.host, self.server.port, version="8")
        self.assertEqual(wrong_version.status, 400)
        self.assertIn("Sec-WebSocket-Version: 13", wrong_version.buffer.decode())
        wrong_version.close()
        bad_key = RawWebSocket(self.server.host, self.server.port, key="short")
        self.assertEqual(bad_key.status, 400)
        bad_key.close()
        wrong_path = RawWebSocket(self.server.host, self.server.port, path="/predict")
        self.assertEqual(wrong_path.status, 405)  # an upgrade only happens on /ws
        wrong_path.close()

    def test_server_still_answers_after_violations(self):
        raw = self.raw()
        raw.send_frame(0x1, b"x", masked=False)
        self.assert_closed_with(raw, 1002)

        async def scenario():
            async with websockets.connect(self.server.ws_url, compression=None) as ws:
                await ws.send(json.dumps({"features": [1, 2]}))
                return json.loads(await ws.recv())
        self.assertEqual(asyncio.run(scenario())["predictions"], [3])


if __name__ == "__main__":
    unittest.main()
