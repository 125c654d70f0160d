"""A fleet on loopback for the fleet tests: backends (the real `predictwire serve`), HAProxy and
nginx started on free ports with configurations rendered from deploy/ by deploy/render.py (never
the system's services), and clients of every wire that count each request they send and each
answer they get, and send again, on a new connection, what a closing connection left
unanswered (as docs/scaling.md tells a client to).
"""

import asyncio
import collections
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import grpc
import h2.config
import h2.connection
import h2.events
import h2.exceptions
import websockets

from hostile_clients import metric, wait_for
from prerequisites import require_commands
from server_fixture import ROOT, Server, curl

DEPLOY = os.path.join(ROOT, "deploy")
RENDER = os.path.join(DEPLOY, "render.py")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid):
    """The pids whose parent is `pid`."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.add(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def backend_metrics(backend):
    return curl(f"{backend.url}/metrics", timeout=10).stdout


def requests_served(backend, protocol=None):
    """Inference requests the backend answered (any outcome), over one protocol or all; None
    once it is gone."""
    if backend.process.poll() is not None:
        return None
    text = backend_metrics(backend)
    total = 0.0
    for line in text.splitlines():
        if line.startswith("predictwire_requests_total{"):
            if protocol is None or f'protocol="{protocol}"' in line:
                total += float(line.rsplit(" ", 1)[1])
    return total


def connections_accepted(backend):
    return metric(backend_metrics(backend), "predictwire_connections_total", listener="http")


def start_backend(*args, models=("m=sleep:0",)):
    return Server(*args, models=list(models)).start()


class Balancer:
    """HAProxy or nginx in front of `backends`, from deploy/'s template; a context manager."""

    def __init__(self, kind, backends, **settings):
        assert kind in ("haproxy", "nginx")
        self.kind = kind
        self.backends = list(backends)
        self.run_dir = tempfile.mkdtemp(prefix=f"pw-{kind}-")
        self.port = free_port()
        self.h2c_port = free_port() if kind == "nginx" else self.port
        self.settings = {"RUN_DIR": self.run_dir, "LISTEN": f"127.0.0.1:{self.port}",
                         "CHECK_INTERVAL": "500ms", **settings}
        if kind == "nginx":
            self.settings["LISTEN_H2C"] = f"127.0.0.1:{self.h2c_port}"
            self.settings.pop("CHECK_INTERVAL")  # nginx checks nothing itself
        self.template = os.path.join(DEPLOY, kind, "haproxy.cfg" if kind == "haproxy" else "nginx.conf")
        self.config = os.path.join(self.run_dir, os.path.basename(self.template))
        self.process = None
        self.watcher = None
        self.log = open(os.path.join(self.run_dir, "balancer.log"), "w+")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def h2c_address(self):
        """Where h2c and gRPC clients go: HAProxy takes them on its one port, nginx on its own."""
        return f"127.0.0.1:{self.h2c_port}"

    def render_arguments(self, backends):
        arguments = [sys.executable, RENDER, self.template, "-o", self.config]
        for backend in backends:
            arguments += ["--backend", backend.address]
        for name, value in self.settings.items():
            arguments += ["--set", f"{name}={value}"]
        return arguments

    def render(self):
        subprocess.run(self.render_arguments(self.backends), check=True, capture_output=True,
                       timeout=30)

    def start(self):
        try:
            return self.start_or_raise()
        except BaseException:
            self.stop()  # a context manager's __exit__ is not called when __enter__ raises
            raise

    def start_or_raise(self):
        require_commands(self.kind, package_hint="haproxy" if self.kind == "haproxy" else "nginx-light")
        self.render()
        if self.kind == "haproxy":
            command = ["haproxy", "-W", "-db", "-f", self.config]
        else:
            command = ["nginx", "-c", self.config, "-e", "stderr", "-g", "daemon off;"]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        if not wait_for(self.accepting, 20, 0.05):
            raise RuntimeError(f"{self.kind} did not start: {self.output()}")
        if not wait_for(self.all_backends_routed, 30):
            raise RuntimeError(f"{self.kind}: backends not up: {self.output()}")
        return self

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-4000:]

    def accepting(self):
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.kind} exited: {self.output()}")
        ports = {self.port, self.h2c_port}
        for port in ports:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return False
        return True

    def all_backends_routed(self):
        if self.kind == "nginx":
            return True
        try:
            states = self.server_states()
        except OSError:  # the runtime socket is not there yet
            return False
        return len(states) == len(self.backends) and all(s == "UP" for s in states.values())

    def watch_readiness(self, interval=0.25):
        """nginx: runs `deploy/render.py watch`, which takes out a backend that is not ready."""
        assert self.kind == "nginx"
        arguments = self.render_arguments(self.backends)
        arguments[1:2] = [RENDER, "watch"]
        arguments += ["--pid-file", os.path.join(self.run_dir, "nginx.pid"),
                      "--interval", str(interval)]
        self.watcher = subprocess.Popen(arguments, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.renderings = []  # each set of backends it rendered, as it prints them
        threading.Thread(target=self.read_watcher, daemon=True).start()
        if not wait_for(lambda: self.renderings, 20, 0.05):  # its first, of those ready now
            raise RuntimeError("render.py watch rendered nothing")
        return self

    def read_watcher(self):
        for line in self.watcher.stdout:
            if line.startswith("render.py: backends "):
                self.renderings.append(line.split()[2:])

    def runtime(self, command):
        """HAProxy's runtime API (the stats socket of deploy/haproxy/haproxy.cfg)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(os.path.join(self.run_dir, "haproxy.sock"))
            sock.sendall(command.encode() + b"\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        return data.decode()

    def server_states(self, backend="predictwire_http"):
        """HAProxy: each server's state as its check sees it ({"b1": "UP", "b2": "DOWN"})."""
        states = {}
        for line in self.runtime("show stat").splitlines():
            fields = line.split(",")
            if len(fields) > 17 and fields[0] == backend and fields[1] not in ("FRONTEND", "BACKEND"):
                states[fields[1]] = fields[17].split()[0]
        return states

    def set_backends(self, backends):
        """Renders the configuration for `backends` and reloads: connections open stay where they
        are (on the old HAProxy worker or nginx workers), new ones follow the new list."""
        self.backends = list(backends)
        self.render()
        before = children(self.process.pid)
        self.process.send_signal(signal.SIGUSR2 if self.kind == "haproxy" else signal.SIGHUP)
        if not wait_for(lambda: children(self.process.pid) - before, 20, 0.05):
            raise RuntimeError(f"{self.kind} did not reload: {self.output()}")
        if not wait_for(self.all_backends_routed, 30):
            raise RuntimeError(f"{self.kind}: backends not up after reload: {self.output()}")

    def stop(self):
        if self.watcher is not None and self.watcher.poll() is None:
            self.watcher.terminate()
            try:
                self.watcher.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.watcher.kill()
                self.watcher.communicate()
        if self.process is not None and self.process.poll() is None:
            # HAProxy's master and nginx's master stop their workers with them, at once.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            # Workers left behind by a reload, if any (their process group is the master's).
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not self.log.closed:
            self.log.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------------------------
# Clients that lose nothing: each counts what it sent and what was answered, and sends again, on
# a new connection, what a connection that closed left unanswered.


class Ledger:
    """Every request of one client by id: sent once (resends apart), answered how often, with
    what. A request k asks for features [k, 1], whose answer is k + 1."""

    def __init__(self, wire):
        self.wire = wire
        self.lock = threading.Lock()
        self.issued = 0
        self.answers = collections.Counter()
        self.wrong = []
        self.failures = collections.Counter()  # answers that are errors, by kind
        self.resent = 0
        self.reconnects = collections.Counter()  # why a connection was left: "close 1001", ...

    def issue(self):
        with self.lock:
            self.issued += 1
            return self.issued

    def answer(self, number, prediction):
        with self.lock:
            self.answers[number] += 1
            if prediction != number + 1:
                self.wrong.append((number, prediction))

    def fail(self, kind):
        with self.lock:
            self.failures[kind] += 1

    def resend(self, count, why):
        with self.lock:
            self.resent += count
            self.reconnects[why] += 1

    def lost(self):
        return [n for n in range(1, self.issued + 1) if self.answers[n] == 0]

    def duplicated(self):
        return [n for n, c in self.answers.items() if c > 1]

    def summary(self):
        return (f"{self.wire}: sent {self.issued}, answered {sum(1 for c in self.answers.values() if c)}"
                f", lost {len(self.lost())}, answered twice {len(self.duplicated())}, wrong "
                f"{len(self.wrong)}, failed {dict(self.failures)}, resent {self.resent} after "
                f"{dict(self.reconnects)}")


def assert_each_answered_once(test, clients):
    """Every client stopped cleanly, and each of its requests was answered exactly once, right,
    and without an error answer."""
    for client in clients:
        ledger = client.ledger
        test.assertFalse(client.is_alive(), ledger.summary())
        test.assertIsNone(client.error, ledger.summary())
        test.assertEqual((ledger.lost(), ledger.duplicated(), ledger.wrong, dict(ledger.failures)),
                         ([], [], [], {}), ledger.summary())


def features(number):
    return [number, 1]


def rest_body(number, model="m"):
    return json.dumps({"model": model, "features": features(number)}).encode()


class Client(threading.Thread):
    """Runs one wire's client until stop(), then finishes what it has in flight."""

    def __init__(self, wire, target, depth=4, pace=0.0, model="m"):
        super().__init__(daemon=True)
        self.ledger = Ledger(wire)
        self.target = target  # "HOST:PORT"
        self.model = model
        self.depth = depth  # requests in flight at once (where the wire allows more than one)
        self.pace = pace  # seconds between requests (0: as fast as answers come)
        self.stopping = threading.Event()
        self.deadline = None  # set by stop(): finish in-flight work by then
        self.error = None

    def stop(self, finish_within=30):
        self.deadline = time.monotonic() + finish_within
        self.stopping.set()

    def overdue(self):
        return self.deadline is not None and time.monotonic() > self.deadline

    def run(self):
        try:
            self.loop()
        except Exception as error:  # reported by the test through self.error
            self.error = repr(error)

    def wait_answered(self, count, timeout):
        return wait_for(lambda: sum(1 for c in self.ledger.answers.values() if c) >= count, timeout, 0.05)


class RestClient(Client):
    """HTTP/1.1 POST /predict, one at a time: on one kept-alive connection (keep_alive), or a
    new connection per request. A connection closed without an answer is opened again and the
    request sent again; an HTTP error answer is a failure."""

    def __init__(self, target, keep_alive=True, **kwargs):
        super().__init__("rest-keepalive" if keep_alive else "rest", target, **kwargs)
        self.keep_alive = keep_alive

    def loop(self):
        host, port = self.target.rsplit(":", 1)
        connection = None
        while not self.stopping.is_set():
            number = self.ledger.issue()
            while True:
                if connection is None:
                    connection = http.client.HTTPConnection(host, int(port), timeout=30)
                try:
                    connection.request("POST", "/predict", rest_body(number, self.model),
                                       {"Content-Type": "application/json"})
                    response = connection.getresponse()
                    body = response.read()
                    if response.status == 200:
                        self.ledger.answer(number, json.loads(body)["predictions"][0])
                    else:
                        self.ledger.fail(f"http_{response.status}")
                    if not self.keep_alive or response.getheader("connection") == "close":
                        connection.close()
                        connection = None
                    break
                except (OSError, http.client.HTTPException) as error:
                    connection.close()
                    connection = None
                    if self.overdue():
                        return
                    self.ledger.resend(1, type(error).__name__)
                    time.sleep(0.05)
            if self.pace:
                time.sleep(self.pace)
        if connection is not None:
            connection.close()


class WebSocketClient(Client):
    """WebSocket JSON messages with ids, up to `depth` in flight. On a Close (1001 when the
    server asks it to go) or a lost connection, it connects again and sends every request it
    got no answer for."""

    def __init__(self, target, **kwargs):
        super().__init__("ws", target, **kwargs)
        self.opened = 0
        self.close_codes = collections.Counter()

    def loop(self):
        asyncio.run(self.session())

    async def session(self):
        pending = {}  # number -> message, sent and not answered
        while not (self.stopping.is_set() and not pending):
            if self.overdue():
                return
            try:
                async with websockets.connect(f"ws://{self.target}/ws", ping_interval=None,
                                              open_timeout=10, close_timeout=5) as ws:
                    self.opened += 1
                    for message in pending.values():
                        await ws.send(message)
                    while not (self.stopping.is_set() and not pending):
                        while len(pending) < self.depth and not self.stopping.is_set():
                            number = self.ledger.issue()
                            pending[number] = json.dumps({"id": str(number), "model": self.model,
                                                          "features": features(number)})
                            await ws.send(pending[number])
                            if self.pace:
                                await asyncio.sleep(self.pace)
                        try:
                            reply = json.loads(await asyncio.wait_for(ws.recv(), 1))
                        except asyncio.TimeoutError:
                            if self.overdue():
                                return
                            continue
                        number = int(reply.get("id", 0))
                        if "predictions" in reply:
                            self.ledger.answer(number, reply["predictions"][0])
                            pending.pop(number, None)
                        else:
                            self.ledger.fail(f"error_{reply.get('code')}")
                            pending.pop(number, None)
                    await ws.close()
            except websockets.ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else "none"
                self.close_codes[code] += 1
                self.ledger.resend(len(pending), f"close {code}")
            except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as error:
                self.ledger.resend(len(pending), type(error).__name__)
                await asyncio.sleep(0.05)


class H2Client(Client):
    """h2c POST /predict, up to `depth` streams in flight on one connection. A GOAWAY's
    streams above its last stream id, streams reset with REFUSED_STREAM, and whatever a closed
    connection left unanswered go again on a new connection."""

    def __init__(self, target, **kwargs):
        super().__init__("h2", target, **kwargs)
        self.opened = 0
        self.goaways = 0

    def loop(self):
        host, port = self.target.rsplit(":", 1)
        unsent = collections.deque()  # numbers to send (again)
        while not (self.stopping.is_set() and not unsent):
            if self.overdue():
                return
            try:
                sock = socket.create_connection((host, int(port)), timeout=10)
            except OSError as error:
                self.ledger.resend(0, type(error).__name__)
                time.sleep(0.05)
                continue
            self.opened += 1
            try:
                unsent.extendleft(reversed(self.connection(sock, unsent)))
            finally:
                sock.close()

    def connection(self, sock, unsent):
        """Runs one connection; returns the numbers it left unanswered."""
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        streams = {}  # stream id -> [number, status, body]
        going_away = False
        sock.settimeout(1)
        while True:
            while (not going_away and len(streams) < self.depth and
                   (unsent or not self.stopping.is_set())):
                number = unsent.popleft() if unsent else self.ledger.issue()
                stream = conn.get_next_available_stream_id()
                conn.send_headers(stream, [(":method", "POST"), (":path", "/predict"),
                                           (":scheme", "http"), (":authority", self.target),
                                           ("content-type", "application/json")])
                conn.send_data(stream, rest_body(number, self.model), end_stream=True)
                streams[stream] = [number, None, b""]
            try:
                sock.sendall(conn.data_to_send())
                if not streams:
                    return []
                data = sock.recv(65536)
            except socket.timeout:
                if self.overdue():
                    return []
                continue
            except OSError as error:
                self.ledger.resend(len(streams), type(error).__name__)
                return [s[0] for s in streams.values()]
            if not data:
                self.ledger.resend(len(streams), "closed")
                return [s[0] for s in streams.values()]
            try:
                events = conn.receive_data(data)
            except h2.exceptions.ProtocolError:
                if conn.state_machine.state != h2.connection.ConnectionState.CLOSED:
                    raise
                # A GOAWAY came: python-h2 closes its side there and refuses the answers the
                # server still sends on the streams it lets finish. Those go again on a new
                # connection.
                self.ledger.resend(len(streams), "goaway, answers refused by h2")
                return [s[0] for s in streams.values()]
            for event in events:
                if isinstance(event, h2.events.ResponseReceived):
                    streams[event.stream_id][1] = dict(event.headers).get(b":status")
                elif isinstance(event, h2.events.DataReceived):
                    streams[event.stream_id][2] += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    number, status, body = streams.pop(event.stream_id)
                    if status == b"200":
                        self.ledger.answer(number, json.loads(body)["predictions"][0])
                    else:
                        self.ledger.fail(f"http_{status.decode() if status else 'none'}")
                elif isinstance(event, h2.events.StreamReset):
                    number = streams.pop(event.stream_id)[0]
                    unsent.append(number)
                    self.ledger.resend(1, f"reset {event.error_code}")
                elif isinstance(event, h2.events.ConnectionTerminated):
                    self.goaways += 1
                    going_away = True
                    last = event.last_stream_id if event.last_stream_id is not None else 0
                    for stream in [s for s in streams if s > last]:
                        unsent.append(streams.pop(stream)[0])
                    self.ledger.resend(0, "goaway")
            if going_away and not streams:
                return []


# What a gRPC client sends again: UNAVAILABLE (a connection asked to go, a balancer without a
# backend), and CANCELLED that it did not ask for (HAProxy resets a client's stream whose backend
# stream was refused at a GOAWAY it had not yet read, a stream it cannot replay).
RESEND_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


class GrpcClient(Client):
    """gRPC ModelInfer, `depth` calls in flight, or (stream=True) ModelStreamInfer with `depth`
    requests in flight on one stream. A call or a stream that ends UNAVAILABLE (a backend that
    asked its connection to go, a balancer with no backend) is sent again."""

    def __init__(self, target, stream=False, **kwargs):
        super().__init__("grpc-stream" if stream else "grpc", target, **kwargs)
        self.stream = stream
        self.streams_opened = 0
        from grpc_stubs import infer_request, pb_grpc
        self.infer_request = infer_request
        self.channel = grpc.insecure_channel(target)
        self.stub = pb_grpc.GRPCInferenceServiceStub(self.channel)

    def request(self, number):
        return self.infer_request(model=self.model, features=[float(x) for x in features(number)],
                                  request_id=str(number))

    def loop(self):
        try:
            self.streaming() if self.stream else self.unary()
        finally:
            self.channel.close()

    def unary(self):
        in_flight = {}  # future -> number
        while not (self.stopping.is_set() and not in_flight):
            while len(in_flight) < self.depth and not self.stopping.is_set():
                number = self.ledger.issue()
                in_flight[self.stub.ModelInfer.future(self.request(number), timeout=30)] = number
                if self.pace:
                    time.sleep(self.pace)
            future = next(iter(in_flight))
            number = in_flight.pop(future)
            try:
                reply = future.result()
                self.ledger.answer(number, int(reply.outputs[0].contents.fp32_contents[0]))
            except grpc.RpcError as error:
                if error.code() in RESEND_CODES and not self.overdue():
                    self.ledger.resend(1, error.code().name)
                    in_flight[self.stub.ModelInfer.future(self.request(number), timeout=30)] = number
                else:
                    self.ledger.fail(error.code().name)

    def streaming(self):
        import queue
        pending = {}  # number -> request
        while not (self.stopping.is_set() and not pending):
            if self.overdue():
                return
            outbox = queue.Queue()
            for request in pending.values():
                outbox.put(request)

            def requests():
                while (item := outbox.get()) is not None:
                    yield item

            def top_up():
                while len(pending) < self.depth and not self.stopping.is_set():
                    number = self.ledger.issue()
                    pending[number] = self.request(number)
                    outbox.put(pending[number])
                if self.stopping.is_set() and not pending:
                    outbox.put(None)  # half-close: the stream ends once answered

            call = self.stub.ModelStreamInfer(requests(), timeout=120)
            self.streams_opened += 1
            top_up()
            try:
                for answer in call:
                    number = int(answer.infer_response.id)
                    if answer.error_message:
                        self.ledger.fail(answer.error_message)
                    else:
                        self.ledger.answer(
                            number, int(answer.infer_response.outputs[0].contents.fp32_contents[0]))
                    pending.pop(number, None)
                    if self.pace:
                        time.sleep(self.pace)
                    top_up()
                if pending:
                    self.ledger.resend(len(pending), "ended")
            except grpc.RpcError as error:
                if error.code() not in RESEND_CODES:
                    self.ledger.fail(error.code().name)
                    return
                self.ledger.resend(len(pending), error.code().name)
                time.sleep(0.05)
            finally:
                outbox.put(None)
                call.cancel()


# A model per wire, so that each backend's /metrics tells the wires apart (requests_total's
# model label): start backends with WIRE_MODELS and pass models=True to every_client.
WIRE_MODELS = ["rest-keepalive=sleep:1ms", "rest=sleep:1ms", "ws=sleep:1ms", "h2=sleep:1ms",
               "grpc=sleep:1ms", "grpc-stream=sleep:1ms"]


def every_client(balancer, depth=4, pace=0.0, models=False, long_lived=1):
    """One client of each wire through `balancer` (`long_lived` of the wires whose connections
    or streams last: WebSocket and ModelStreamInfer); each asks the model named after its wire
    when `models`, else "m"."""
    http1, h2c = f"127.0.0.1:{balancer.port}", balancer.h2c_address

    def model(wire):
        return {"model": wire if models else "m", "pace": pace}
    return ([RestClient(http1, keep_alive=True, depth=1, **model("rest-keepalive")),
             RestClient(http1, keep_alive=False, depth=1, **model("rest")),
             H2Client(h2c, depth=depth, **model("h2")),
             GrpcClient(h2c, depth=depth, **model("grpc"))] +
            [WebSocketClient(http1, depth=depth, **model("ws")) for _ in range(long_lived)] +
            [GrpcClient(h2c, stream=True, depth=depth, **model("grpc-stream"))
             for _ in range(long_lived)])


def served_by_model(backend):
    """{model: inference requests answered} of a running backend."""
    counts = collections.Counter()
    for line in backend_metrics(backend).splitlines():
        if line.startswith("predictwire_requests_total{"):
            found = line.split('model="', 1)[1].split('"', 1)[0]
            counts[found] += float(line.rsplit(" ", 1)[1])
    return counts


def grpc_health(address, service="", timeout=10):
    """grpc.health.v1.Health/Check through Python's grpcio without generated stubs: the request
    and the answer are protobuf written and read by hand (field 1: the service name; field 1 of
    the answer: the status, 1 SERVING, 2 NOT_SERVING)."""
    name = service.encode()
    request = (b"\x0a" + bytes([len(name)]) + name) if name else b""
    with grpc.insecure_channel(address) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        answer = check(request, timeout=timeout)
    return {b"": "UNKNOWN", b"\x08\x01": "SERVING", b"\x08\x02": "NOT_SERVING"}.get(answer, repr(answer))

