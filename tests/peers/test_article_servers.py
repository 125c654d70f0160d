#!/usr/bin/python3
"""End to end: the article's two servers in peers/ (Flask REST and python websockets).

Each test starts one peer on a free loopback port with PEER_COMPUTE_MS=20, waits (bounded) for
its ready line, and talks to it with Debian's python3-requests or python3-websockets. Timing
checks are lower bounds only. Run from the repository root with Debian's Python:

    /usr/bin/python3 -m unittest tests/peers/test_article_servers.py
    /usr/bin/python3 tests/peers/test_article_servers.py
"""

import asyncio
import json
import os
import re
import select
import signal
import subprocess
import tempfile
import time
import unittest

import requests
import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PEERS = os.path.join(ROOT, "peers")
PYTHON = "/usr/bin/python3"  # Debian's, with python3-flask and python3-websockets
COMPUTE_MS = 20
READY_TIMEOUT = 10  # seconds
STOP_TIMEOUT = 10  # seconds


class PeerTests:
    """Tests both peers pass. Mixed into a TestCase, starts peers/<script> in setUp and always
    kills it (by PID) in tearDown."""

    script = None
    scheme = None  # the ready line's "http" or "ws"

    def setUp(self):
        self.stderr = tempfile.TemporaryFile()  # a file, so a chatty peer never blocks on a pipe
        self.process = subprocess.Popen(
            [PYTHON, os.path.join(PEERS, self.script), "--host", "127.0.0.1", "--port", "0"],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            env=dict(os.environ, PEER_COMPUTE_MS=str(COMPUTE_MS)))
        try:
            self.host, self.port = self.wait_until_ready()
        except BaseException:
            self.tearDown()  # unittest skips tearDown when setUp fails
            raise

    def tearDown(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process.stdout.close()
        self.stderr.close()

    def peer_stderr(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def wait_until_ready(self):
        """Returns (host, port) from the peer's ready line; fails after READY_TIMEOUT."""
        readable, _, _ = select.select([self.process.stdout], [], [], READY_TIMEOUT)
        line = self.process.stdout.readline() if readable else ""
        match = re.fullmatch(rf"peer: listening {self.scheme}=(\S+):(\d+)", line.strip())
        if not match:
            problem = f"a bad ready line {line!r}" if line else "no ready line"
            self.fail(f"{self.script} printed {problem} (waited up to {READY_TIMEOUT} s); "
                      f"exit status {self.process.poll()}, stderr {self.peer_stderr()!r}")
        return match.group(1), int(match.group(2))

    def assert_stops_cleanly(self, signum):
        os.kill(self.process.pid, signum)
        try:
            status = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail(f"{self.script} still running {STOP_TIMEOUT} s after {signum.name}")
        self.assertEqual(status, 0, f"stderr={self.peer_stderr()!r}")

    def test_ready_line_names_the_bound_port(self):
        self.assertEqual(self.host, "127.0.0.1")
        self.assertNotEqual(self.port, 0)

    def test_stops_cleanly_on_sigterm(self):
        self.assert_stops_cleanly(signal.SIGTERM)

    def test_stops_cleanly_on_sigint(self):
        self.assert_stops_cleanly(signal.SIGINT)


class FlaskPeerTest(PeerTests, unittest.TestCase):
    script = "flask_server.py"
    scheme = "http"

    def test_predict_echoes_the_input(self):
        body = {"features": [1.5, 2, 3], "id": "a-1"}
        reply = requests.post(f"http://{self.host}:{self.port}/predict", json=body, timeout=10)
        self.assertEqual(reply.status_code, 200, reply.text)
        self.assertEqual(reply.json(), {"result": "prediction", "input": body})


class WebSocketsPeerTest(PeerTests, unittest.TestCase):
    script = "websockets_server.py"
    scheme = "ws"

    def exchange(self, messages):
        """Sends every message at once on one connection, then reads as many replies;
        returns (replies, seconds from the first send to the last reply)."""
        async def scenario():
            async with websockets.connect(f"ws://{self.host}:{self.port}") as ws:
                start = time.monotonic()
                for message in messages:
                    await ws.send(json.dumps(message))
                replies = [json.loads(await ws.recv()) for _ in messages]
                return replies, time.monotonic() - start
        return asyncio.run(asyncio.wait_for(scenario(), timeout=30))

    def test_message_echoes_the_input(self):
        body = {"features": [1.5, 2, 3], "id": "a-1"}
        replies, _ = self.exchange([body])
        self.assertEqual(replies, [{"result": "prediction", "input": body}])

    def test_one_connection_answers_one_message_at_a_time(self):
        # The article's handler computes each message before reading the next, so 4 messages
        # sent at once take at least 4 compute times. A lower bound only: never an upper one.
        messages = [{"id": i} for i in range(4)]
        replies, seconds = self.exchange(messages)
        self.assertEqual(replies, [{"result": "prediction", "input": m} for m in messages])
        self.assertGreaterEqual(seconds, len(messages) * COMPUTE_MS / 1000)


if __name__ == "__main__":
    unittest.main()
