"""Hostile clients against the connection defences and the memory budget (docs/operations.md):
slowloris heads, silent and trickled TLS handshakes, slow and stalled readers, HTTP/2 readers that
never open their window, --max-connections, the open-file limit, many idle connections, and
large bodies and messages past --max-memory. Loopback only; every test bounds its connections
and its waits. The server's memory is read from /proc/PID/status (VmRSS, VmHWM)."""

import json
import os
import re
import resource
import select
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import unittest

# The helpers every group shares (server_fixture and the rest) are in tests/e2e/support.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "support"))
from certificates import make_certificate
from hostile_clients import metric, metrics, proc_status, wait_for
from server_fixture import Server, curl

MiB = 1024 * 1024

# The flags of the defences. With PREDICTWIRE_HOSTILE_BASELINE=1 the tests drop them and run
# against a build that predates them (e.g. main's), to show each one fails there.
DEFENCE_FLAGS = {"--header-timeout", "--tls-handshake-timeout", "--write-timeout",
                 "--max-connections", "--max-memory", "--max-response"}


def serve(*args, **kwargs):
    """A Server with `args`, less the defence flags when measuring a baseline build."""
    if os.environ.get("PREDICTWIRE_HOSTILE_BASELINE"):
        kept = []
        skip = False
        for arg in args:
            if skip:
                skip = False
            elif arg in DEFENCE_FLAGS:
                skip = True
            else:
                kept.append(arg)
        args = kept
    return Server(*args, **kwargs)


def cpu_seconds(pid):
    """User plus system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def closed_by_peer(sock):
    """True if the server has closed `sock` (EOF or reset); reads and drops what it sent."""
    try:
        while True:
            ready, _, _ = select.select([sock], [], [], 0)
            if not ready:
                return False
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True


def v2_binary_request(rows, model="m", body_bytes=None):
    """POST /v2/models/MODEL/infer with `rows` INT8 rows of one feature, answered in binary: the
    answer is 4 bytes a row (FP32), the request one."""
    header = {"inputs": [{"name": "x", "shape": [rows, 1], "datatype": "INT8",
                          "parameters": {"binary_data_size": rows}}],
              "outputs": [{"name": "predictions", "parameters": {"binary_data": True}}]}
    header_bytes = json.dumps(header).encode()
    body = header_bytes + bytes(rows)
    head = (f"POST /v2/models/{model}/infer HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"Inference-Header-Content-Length: {len(header_bytes)}\r\n"
            f"Content-Length: {len(body) if body_bytes is None else body_bytes}\r\n\r\n").encode()
    return head, body


def read_response(sock, timeout=30):
    """Reads one HTTP/1.1 response; returns (status, body)."""
    status, _, body = read_whole_response(sock, timeout)
    return status, body


def read_whole_response(sock, timeout=30):
    """Reads one HTTP/1.1 response; returns (status, head, body)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ")[1])
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {len(body)} of {length} body bytes")
        body += chunk
    return status, head, body


def live(server, timeout=5):
    """Whether a fresh client is answered."""
    done = curl(f"{server.url}/v2/health/live", "-o", "/dev/null", "-w", "%{http_code}", timeout=timeout)
    return done.stdout == "200"


def assert_closed_by_the_header_deadline(test, server):
    """A connection the test saw closed was closed by the header deadline of a server that is
    still up and serving, not by one that crashed (which closes every socket too)."""
    test.assertIsNone(server.process.poll(), "the server exited")
    test.assertTrue(live(server), "the server no longer serves")
    test.assertEqual(metric(metrics(server), "predictwire_connections_defended_total", listener="http",
                            reason="header_timeout"), 1)


class HeaderDeadlineTest(unittest.TestCase):
    def test_slowloris_heads_are_closed_and_fresh_clients_served(self):
        # 60 connections sending a request head at 1 byte a second; --header-timeout 2s.
        with serve("--header-timeout", "2s", models=["m=sleep:0"]) as server:
            head = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 64
            sockets = [socket.create_connection((server.host, server.port), timeout=5) for _ in range(60)]
            start = time.monotonic()
            closed = set()
            answers = b""
            sent = 0
            while len(closed) < len(sockets) and time.monotonic() - start < 12:
                for index, sock in enumerate(sockets):
                    if index in closed:
                        continue
                    try:
                        ready, _, _ = select.select([sock], [], [], 0)
                        if ready:
                            data = sock.recv(65536)
                            answers += data
                            if not data:
                                closed.add(index)
                                continue
                        sock.send(head[sent:sent + 1])
                    except (ConnectionResetError, BrokenPipeError):
                        closed.add(index)
                sent += 1
                self.assertTrue(live(server), "a fresh client was not served")
                time.sleep(1)
            for sock in sockets:
                sock.close()
            self.assertEqual(len(closed), len(sockets), f"{len(sockets) - len(closed)} slowloris heads still open")
            # All closed within the loop's 12 s (6x the deadline); the counter below says by it.
            self.assertIn(b"408 Request Timeout", answers[:200])
            text = metrics(server)
            self.assertGreaterEqual(metric(text, "predictwire_connections_defended_total", listener="http",
                                           reason="header_timeout"), 60)

    def test_a_silent_http2_client_is_closed(self):
        # The preface, then nothing: no SETTINGS, so no head.
        with serve("--header-timeout", "2s", models=["m=sleep:0"]) as server:
            sock = socket.create_connection((server.host, server.port), timeout=5)
            sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            self.assertTrue(wait_for(lambda: closed_by_peer(sock), 10))
            sock.close()
            assert_closed_by_the_header_deadline(self, server)

    def test_an_http2_header_block_left_unfinished_is_closed(self):
        # A HEADERS frame without END_HEADERS, then nothing: the CONTINUATION never comes.
        with serve("--header-timeout", "2s", models=["m=sleep:0"]) as server:
            sock, connection = h2_connection(server)
            block = b"\x83\x86"  # :method POST, :scheme http (HPACK static table)
            sock.sendall(struct.pack("!I", len(block))[1:] + b"\x01\x00" + struct.pack("!I", 1) + block)
            # Closed within 5x the deadline; the defence's counter says it was the deadline.
            self.assertTrue(wait_for(lambda: closed_by_peer(sock), 10))
            sock.close()
            assert_closed_by_the_header_deadline(self, server)


class TlsHandshakeDeadlineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory()
        cls.cert, cls.key = make_certificate(cls.directory.name)

    @classmethod
    def tearDownClass(cls):
        cls.directory.cleanup()

    def client_hello(self):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return outgoing.read()

    def test_silent_and_trickled_handshakes_are_cut_off(self):
        with serve("--https", "127.0.0.1:0", "--tls-cert", self.cert, "--tls-key", self.key,
                    "--tls-handshake-timeout", "2s", "--header-timeout", "60s",
                    models=["m=sleep:0"]) as server:
            host, port = server.addresses["https"].rsplit(":", 1)
            silent = [socket.create_connection((host, int(port)), timeout=5) for _ in range(20)]
            trickled = [socket.create_connection((host, int(port)), timeout=5) for _ in range(20)]
            hello = self.client_hello()
            start = time.monotonic()
            for second in range(10):
                for sock in trickled:
                    try:
                        sock.send(hello[second:second + 1])
                    except OSError:
                        pass
                if all(closed_by_peer(sock) for sock in silent + trickled):
                    break
                time.sleep(1)
            elapsed = time.monotonic() - start
            still_open = [sock for sock in silent + trickled if not closed_by_peer(sock)]
            for sock in silent + trickled:
                sock.close()
            # All closed within the loop's 10 s (5x the deadline); the counter below says by it.
            self.assertEqual(len(still_open), 0, f"handshakes still open after {elapsed:.1f}s")
            done = curl("-k", f"https://{server.addresses['https']}/v2/health/live", "-o", "/dev/null",
                        "-w", "%{http_code}")
            self.assertEqual(done.stdout, "200")
            text = metrics(server)
            self.assertGreaterEqual(metric(text, "predictwire_connections_defended_total", listener="https",
                                           reason="handshake_timeout"), 40)


class OutputProgressTest(unittest.TestCase):
    ROWS = 3_000_000  # a 12 MB answer, more than the loopback socket buffers hold

    def ask_for_a_large_answer(self, server):
        """A connection with a small receive buffer that has sent a request for ROWS rows."""
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.connect((server.host, server.port))
        head, body = v2_binary_request(self.ROWS)
        sock.sendall(head + body)
        return sock

    def test_a_slow_but_moving_reader_gets_all_of_a_large_answer(self):
        # Idle timeout 1 s; the answer takes ~6 s to read at ~2 MB/s.
        with serve("--idle-timeout", "1s", "--write-timeout", "3s", "--max-body", str(32 * MiB),
                    models=["m=sleep:0"]) as server:
            sock = self.ask_for_a_large_answer(server)
            sock.settimeout(10)
            data = b""
            expected = None
            while expected is None or len(data) < expected:
                chunk = sock.recv(128 * 1024)
                if not chunk:
                    break
                data += chunk
                if expected is None and b"\r\n\r\n" in data:
                    header = data.split(b"\r\n\r\n", 1)[0]
                    length = int(re.search(rb"Content-Length: (\d+)", header).group(1))
                    expected = len(header) + 4 + length
                time.sleep(0.06)
            sock.close()
            self.assertIsNotNone(expected)
            self.assertGreater(expected, 4 * self.ROWS)
            self.assertEqual(len(data), expected, "the answer was cut off")

    def test_a_stalled_reader_is_closed_after_the_write_timeout(self):
        with serve("--idle-timeout", "60s", "--write-timeout", "2s", "--max-body", str(32 * MiB),
                    models=["m=sleep:0"]) as server:
            sock = self.ask_for_a_large_answer(server)
            # Never read. The server gives up within the write timeout plus two sweeps.
            def gone():
                text = metrics(server)
                return metric(text, "predictwire_connections_defended_total", listener="http",
                              reason="write_timeout") >= 1 and \
                    metric(text, "predictwire_memory_budget_used_bytes") == 0
            self.assertTrue(wait_for(gone, 10, interval=0.5), metrics(server))
            sock.close()


class Http2ZeroWindowTest(unittest.TestCase):
    def test_parked_answers_are_dropped_after_the_write_timeout(self):
        import h2.config
        import h2.connection
        import h2.settings
        # Four ~16 MB answers to a client whose stream windows stay at zero.
        with serve("--idle-timeout", "60s", "--write-timeout", "2s", "--max-body", str(32 * MiB),
                    models=["m=sleep:0"]) as server:
            baseline = proc_status(server.process.pid, "VmRSS")
            sock = socket.create_connection((server.host, server.port), timeout=10)
            connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
            connection.initiate_connection()
            connection.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
            sock.sendall(connection.data_to_send())
            head, body = v2_binary_request(4_000_000)
            header_length = re.search(rb"Inference-Header-Content-Length: (\d+)", head).group(1).decode()
            for _ in range(4):
                stream_id = connection.get_next_available_stream_id()
                connection.send_headers(stream_id, [
                    (":method", "POST"), (":path", "/v2/models/m/infer"), (":scheme", "http"),
                    (":authority", "x"), ("content-type", "application/octet-stream"),
                    ("inference-header-content-length", header_length)])
                offset = 0
                while offset < len(body):
                    window = min(connection.local_flow_control_window(stream_id), connection.max_outbound_frame_size)
                    if window <= 0:
                        sock.sendall(connection.data_to_send())
                        for event in connection.receive_data(sock.recv(65536)):
                            pass
                        continue
                    connection.send_data(stream_id, body[offset:offset + window])
                    offset += window
                connection.end_stream(stream_id)
                sock.sendall(connection.data_to_send())
            # Read frames (headers, settings) but never grant window: the answers park.
            sock.settimeout(0.5)
            deadline = time.monotonic() + 12
            closed = False
            while time.monotonic() < deadline and not closed:
                try:
                    data = sock.recv(65536)
                    if not data:
                        closed = True
                        break
                    connection.receive_data(data)
                except socket.timeout:
                    pass
                except (ConnectionResetError, h2.exceptions.ProtocolError):
                    closed = True
            sock.close()
            self.assertTrue(closed, "the connection with parked answers stayed open")
            text = metrics(server)
            self.assertGreaterEqual(metric(text, "predictwire_connections_defended_total", listener="http",
                                           reason="write_timeout"), 1)
            self.assertEqual(metric(text, "predictwire_memory_budget_used_bytes"), 0)
            self.assertLess(proc_status(server.process.pid, "VmHWM") - baseline, 400 * MiB)


class MaxConnectionsTest(unittest.TestCase):
    def test_beyond_the_cap_new_connections_are_refused_and_open_ones_served(self):
        with serve("--max-connections", "6", models=["m=sleep:0"]) as server:
            request = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
            kept = []
            for _ in range(6):
                sock = socket.create_connection((server.host, server.port), timeout=5)
                sock.sendall(request)
                self.assertEqual(read_response(sock)[0], 200)
                kept.append(sock)
            refused = []
            for _ in range(5):
                sock = socket.create_connection((server.host, server.port), timeout=5)
                refused.append(sock)
            for sock in refused:
                self.assertTrue(wait_for(lambda: closed_by_peer(sock), 5), "a connection over the cap stayed open")
                sock.close()
            for sock in kept:  # the open ones are still served
                sock.sendall(request)
                self.assertEqual(read_response(sock)[0], 200)
            kept.pop().close()
            self.assertTrue(wait_for(lambda: live(server), 5))
            text = wait_for(lambda: metrics(server), 5)
            self.assertGreaterEqual(metric(text, "predictwire_connections_defended_total", listener="http",
                                           reason="refused"), 5)
            for sock in kept:
                sock.close()


def limit_open_files(count):
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))
    return apply


class FileDescriptorLimitTest(unittest.TestCase):
    @unittest.skipIf(os.environ.get("PREDICTWIRE_SANITIZED") == "1",
                     "UBSan's vptr check probes memory through a pipe, which fails when the fd "
                     "table is full, and then reports a valid object as having an invalid vptr")
    def test_at_the_fd_limit_the_acceptor_neither_spins_nor_dies(self):
        # A cap the fd limit reaches first: accept fails with EMFILE.
        with serve("--max-connections", "100000", models=["m=sleep:0"],
                    preexec_fn=limit_open_files(64)) as server:
            pid = server.process.pid
            sockets = [socket.create_connection((server.host, server.port), timeout=5) for _ in range(100)]
            time.sleep(0.5)
            before = cpu_seconds(pid)
            time.sleep(3)
            spent = cpu_seconds(pid) - before
            self.assertLess(spent, 0.6, f"the server used {spent:.2f}s of CPU in 3s at the fd limit")
            for sock in sockets:
                sock.close()
            self.assertTrue(wait_for(lambda: live(server, timeout=3), 10), "no recovery after fds were freed")
            self.assertIsNone(server.process.poll())

    def test_slowloris_under_a_low_fd_limit_does_not_lock_fresh_clients_out(self):
        # 128 descriptors: the default cap keeps some back, the header deadline frees the rest.
        with serve("--header-timeout", "2s", models=["m=sleep:0"],
                    preexec_fn=limit_open_files(128)) as server:
            sockets = []
            for _ in range(150):
                sock = socket.create_connection((server.host, server.port), timeout=5)
                try:
                    sock.send(b"G")
                except OSError:
                    pass
                sockets.append(sock)
            self.assertTrue(wait_for(lambda: live(server, timeout=2), 10), "fresh clients were locked out")
            for sock in sockets:
                sock.close()


class HeadTricklersTest(unittest.TestCase):
    def test_at_the_limit_head_tricklers_make_room_for_a_fresh_client_within_a_second(self):
        # 300 clients trickle a request head a byte a second under a 256-descriptor limit and
        # the default 10 s head deadline: they fill every connection the server may hold. A
        # fresh client with a whole request still gets in, at once: the connection that has
        # waited longest for its head makes room.
        with serve(models=["m=sleep:0"], preexec_fn=limit_open_files(256)) as server:
            tricklers = []
            for _ in range(300):
                try:
                    sock = socket.create_connection((server.host, server.port), timeout=5)
                    sock.send(b"P")
                    tricklers.append(sock)
                except OSError:
                    pass
            stop = threading.Event()

            def trickle():
                head = b"OST /predict HTTP/1.1\r\nHost: x\r\n"
                for second in range(len(head)):
                    for sock in tricklers:
                        try:
                            sock.send(head[second:second + 1])
                        except OSError:
                            pass
                    if stop.wait(1):
                        return

            thread = threading.Thread(target=trickle)
            thread.start()
            try:
                time.sleep(2.5)  # every trickler has waited a whole sweep interval
                self.assertGreaterEqual(metric(metrics(server), "predictwire_connections_open",
                                               listener="http"), 150)
                for _ in range(5):
                    started = time.monotonic()
                    done = curl(f"{server.url}/predict", "--max-time", "5",
                                data='{"features": [1, 2]}')
                    self.assertEqual(json.loads(done.stdout)["predictions"], [3], done.stderr)
                    self.assertLess(time.monotonic() - started, 1.0)
                # Room was made: at the cap, the first fresh client evicted a trickler (the next
                # ones may find the room the last left).
                self.assertGreaterEqual(metric(metrics(server), "predictwire_connections_defended_total",
                                               listener="http", reason="evicted"), 1)
            finally:
                stop.set()
                thread.join()
                for sock in tricklers:
                    sock.close()


def h2_connection(server, window=None):
    """A connected h2 client (python3-h2) whose SETTINGS are sent; `window` sets its streams'
    initial flow-control window."""
    import h2.config
    import h2.connection
    import h2.settings
    sock = socket.create_connection((server.host, server.port), timeout=10)
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    if window is not None:
        connection.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
    sock.sendall(connection.data_to_send())
    return sock, connection


def h2_events_until(sock, connection, done, timeout):
    """Feeds the server's frames to `connection` until `done(events so far)` or `timeout`."""
    events = []
    sock.settimeout(0.5)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not done(events):
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        events += connection.receive_data(data)
        sock.sendall(connection.data_to_send())
    return events


GRPC_INFER_HEADERS = [
    (":method", "POST"), (":path", "/inference.GRPCInferenceService/ModelInfer"),
    (":scheme", "http"), (":authority", "x"), ("content-type", "application/grpc"),
    ("te", "trailers")]


def grpc_call_fields(server, data):
    """Sends `data` (gRPC framing) as one ModelInfer call on a new HTTP/2 connection; returns the
    answer's header and trailer fields once the stream ends."""
    import h2.events
    sock, connection = h2_connection(server)
    stream_id = connection.get_next_available_stream_id()
    connection.send_headers(stream_id, GRPC_INFER_HEADERS)
    connection.send_data(stream_id, data)
    sock.sendall(connection.data_to_send())
    events = h2_events_until(sock, connection, lambda events: any(
        isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset)) for e in events), 10)
    sock.close()
    fields = {}
    for event in events:
        if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
            fields.update({(k.decode() if isinstance(k, bytes) else k):
                           (v.decode() if isinstance(v, bytes) else v) for k, v in event.headers})
    return fields


class MemoryBudgetTest(unittest.TestCase):
    def test_unfinished_bodies_past_the_budget_are_refused(self):
        # The case: 24 connections each starting a 15 MiB body. A 64 MiB budget takes 4.
        with serve("--max-memory", str(64 * MiB), models=["m=sleep:0"]) as server:
            pid = server.process.pid
            baseline = proc_status(pid, "VmRSS")
            head, _ = v2_binary_request(10, body_bytes=15 * MiB)
            sockets = []
            for _ in range(24):
                sock = socket.create_connection((server.host, server.port), timeout=10)
                sock.sendall(head + bytes(MiB))
                sockets.append(sock)
            refused = 0
            for sock in sockets:
                ready, _, _ = select.select([sock], [], [], 3)
                if ready:
                    status, head, body = read_whole_response(sock)
                    self.assertEqual(status, 503, body)
                    self.assertIn(b"short of memory", body)
                    self.assertIn(b"retry-after: 1", head.lower())  # transient: retry
                    refused += 1
            self.assertEqual(refused, 20)
            self.assertTrue(live(server))
            text = metrics(server)
            self.assertEqual(metric(text, "predictwire_memory_refusals_total"), 20)
            self.assertEqual(metric(text, "predictwire_memory_budget_used_bytes"), 4 * 15 * MiB)
            self.assertLess(proc_status(pid, "VmHWM") - baseline, 150 * MiB)
            for sock in sockets:
                sock.close()
            self.assertTrue(wait_for(lambda: metric(metrics(server), "predictwire_memory_budget_used_bytes") == 0, 5))

    def test_four_large_requests_at_once_two_fit(self):
        # Four 15 MiB bodies for a model that takes a second; a 40 MiB budget holds two of them.
        with serve("--max-memory", str(40 * MiB), models=["m=sleep:1s"]) as server:
            pid = server.process.pid
            baseline = proc_status(pid, "VmRSS")
            rows = 15 * MiB // 120
            header = {"inputs": [{"name": "x", "shape": [rows, 30], "datatype": "FP32",
                                  "parameters": {"binary_data_size": rows * 120}}],
                      "outputs": [{"name": "predictions", "parameters": {"binary_data": True}}]}
            header_bytes = json.dumps(header).encode()
            body = header_bytes + bytes(rows * 120)
            head = (f"POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\n"
                    f"Inference-Header-Content-Length: {len(header_bytes)}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            sockets = [socket.create_connection((server.host, server.port), timeout=30) for _ in range(4)]
            for sock in sockets:
                sock.sendall(head)
            statuses = []
            for sock in sockets:
                try:
                    sock.sendall(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # refused at its head: the server stopped reading
            for sock in sockets:
                try:
                    statuses.append(read_response(sock)[0])
                except ConnectionError:
                    statuses.append(None)
                sock.close()
            self.assertEqual(sorted(s for s in statuses if s is not None), [200, 200, 503, 503], statuses)
            self.assertTrue(live(server))
            self.assertLess(proc_status(pid, "VmHWM") - baseline, 400 * MiB)

    def test_an_answer_past_max_response_is_refused_before_it_runs(self):
        # A ~15 MiB v2 binary request of INT8 rows asks for a 64 MiB answer: every server would
        # refuse it again, so it is a 400 (no Retry-After), not a 503 a balancer would retry.
        with serve(models=["m=sleep:0"]) as server:
            pid = server.process.pid
            baseline = proc_status(pid, "VmRSS")
            sock = socket.create_connection((server.host, server.port), timeout=30)
            head, body = v2_binary_request(16_000_000)
            sock.sendall(head + body)
            status, head, answer = read_whole_response(sock)
            sock.close()
            self.assertEqual(status, 400, answer[:200])
            self.assertIn(b"--max-response", answer)
            self.assertNotIn(b"retry-after", head.lower())
            self.assertLess(proc_status(pid, "VmHWM") - baseline, 160 * MiB)

    def test_a_grpc_prefix_declaring_4_gib_is_refused_from_the_prefix(self):
        with serve(models=["m=sleep:0"]) as server:
            pid = server.process.pid
            baseline = proc_status(pid, "VmRSS")
            fields = grpc_call_fields(server, b"\x00\xff\xff\xff\xff" + bytes(1000))
            self.assertEqual(fields.get("grpc-status"), "8", fields)  # RESOURCE_EXHAUSTED
            self.assertLess(proc_status(pid, "VmHWM") - baseline, 32 * MiB)

    def test_a_grpc_message_past_the_budget_is_resource_exhausted(self):
        with serve("--max-memory", str(8 * MiB), models=["m=sleep:0"]) as server:
            fields = grpc_call_fields(server, b"\x00" + struct.pack("!I", 12 * MiB) + bytes(1000))
            self.assertEqual(fields.get("grpc-status"), "8", fields)
            self.assertIn("short of memory", fields.get("grpc-message", ""))

    def test_four_100_mib_grpc_messages_are_refused_from_their_prefixes(self):
        # The case, with a message limit that lets them in: the budget refuses each one
        # from its 5-byte prefix, before its bytes arrive.
        with serve("--max-body", str(128 * MiB), "--max-memory", str(64 * MiB),
                   models=["m=sleep:0"]) as server:
            pid = server.process.pid
            baseline = proc_status(pid, "VmRSS")
            sock, connection = h2_connection(server)
            streams = []
            for _ in range(4):
                stream_id = connection.get_next_available_stream_id()
                connection.send_headers(stream_id, GRPC_INFER_HEADERS)
                connection.send_data(stream_id, b"\x00" + struct.pack("!I", 100 * MiB) + bytes(16000))
                streams.append(stream_id)
            sock.sendall(connection.data_to_send())
            import h2.events
            # Until each of the four streams is over. A stream answered before its client finished
            # sending ends twice (its trailers, then RST_STREAM NO_ERROR): count streams, not events.
            events = h2_events_until(sock, connection, lambda events: len({
                e.stream_id for e in events
                if isinstance(e, (h2.events.StreamEnded, h2.events.StreamReset))}) >= 4, 10)
            sock.close()
            statuses = [dict((k.decode(), v.decode()) for k, v in e.headers).get("grpc-status")
                        for e in events if isinstance(e, (h2.events.ResponseReceived, h2.events.TrailersReceived))]
            self.assertEqual([s for s in statuses if s is not None], ["8"] * 4, statuses)
            self.assertLess(proc_status(pid, "VmHWM") - baseline, 32 * MiB)

    def test_a_websocket_message_past_the_budget_is_answered_and_the_connection_lives(self):
        from ws_raw import RawWebSocket
        with serve("--max-memory", str(MiB), models=["m=sleep:0"]) as server:
            ws = RawWebSocket(server.host, server.port)
            ws.send_frame(0x1, b'{"id": 1, "features": [' + b"0," * (MiB) + b'0]}')
            opcode, payload = ws.recv_frame()
            answer = json.loads(payload)
            self.assertEqual(answer.get("code"), 8, answer)  # RESOURCE_EXHAUSTED
            # Read from the message's first bytes: a client with several in flight knows which.
            self.assertEqual(answer.get("id"), 1, answer)
            ws.send_frame(0x1, b'{"id": 2, "model": "m", "features": [1, 2]}')
            opcode, payload = ws.recv_frame()
            self.assertEqual(json.loads(payload).get("id"), 2, payload)
            # Refused in its second fragment, after the first was taken in: its id still.
            ws.send_frame(0x1, b'{"id": "third", "features": [' + b"0," * 1000, fin=False)
            ws.send_frame(0x0, b"0," * MiB + b"0]}")
            opcode, payload = ws.recv_frame()
            answer = json.loads(payload)
            self.assertEqual((answer.get("id"), answer.get("code")), ("third", 8), answer)
            # An id past the first member is not looked for: the answer has none.
            ws.send_frame(0x1, b'{"features": [' + b"0," * (MiB) + b'0], "id": 4}')
            opcode, payload = ws.recv_frame()
            self.assertNotIn("id", json.loads(payload), payload)
            # A binary message's id is in its 20-byte header.
            name = b"m"
            ws.send_frame(0x2, struct.pack("<BBHIIQ", 1, 0, len(name), 1, MiB // 4, 5) + name
                          + bytes(MiB))
            opcode, payload = ws.recv_frame()
            self.assertEqual(opcode, 0x2)
            _, status, _, _, request_id = struct.unpack("<BBHIQ", payload[:16])
            self.assertEqual((status, request_id), (8, 5), payload[:24])
            ws.close()
            self.assertEqual(metric(metrics(server), "predictwire_memory_refusals_total"), 4)


class ManyIdleConnectionsTest(unittest.TestCase):
    def test_many_idle_connections_stay_open_and_cost_little(self):
        with serve(models=["m=sleep:0"]) as server:
            pid = server.process.pid
            baseline = proc_status(pid, "VmRSS")
            sockets = []
            request = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
            for _ in range(500):
                sock = socket.create_connection((server.host, server.port), timeout=5)
                sock.sendall(request)
                sockets.append(sock)
            for sock in sockets:
                self.assertEqual(read_response(sock)[0], 200)
            grown = proc_status(pid, "VmRSS") - baseline
            self.assertLess(grown / len(sockets), 64 * 1024, f"{grown / len(sockets):.0f} bytes per idle connection")
            self.assertTrue(live(server))
            for sock in sockets:  # all still served
                sock.sendall(request)
            for sock in sockets:
                self.assertEqual(read_response(sock)[0], 200)
                sock.close()


if __name__ == "__main__":
    unittest.main()
