"""Starts the real `predictwire serve` binary on a free loopback port for end-to-end tests, and
reads its ready line (parse_ready_line: the one place the tests parse it).

The binary comes from $PREDICTWIRE_BINARY (CTest sets it), else build/release/predictwire.
Tests use Debian's Python packages: run them with /usr/bin/python3.
"""

import json
import os
import re
import signal
import subprocess
import select
import tempfile
import time

import prerequisites

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BINARY = os.environ.get("PREDICTWIRE_BINARY", os.path.join(ROOT, "build", "release", "predictwire"))
# "predictwire: listening http=HOST:PORT grpc=HOST:PORT" and, when on, " https=HOST:PORT" and the like.
READY = re.compile(r"^predictwire: listening http=(\S+):(\d+)((?: [\w-]+=\S+)*)$")


def parse_ready_line(line):
    """The listeners a ready line names, in its order: {"http": "127.0.0.1:8000", "grpc": ...};
    None if `line` (surrounding white space aside) is not a ready line or names one twice."""
    match = READY.match(line.strip())
    if not match:
        return None
    items = [("http", f"{match.group(1)}:{match.group(2)}")]
    items += [tuple(item.split("=", 1)) for item in match.group(3).split()]
    addresses = dict(items)
    return addresses if len(addresses) == len(items) else None


class Server:
    """A running server; use as a context manager, or call start() and stop()."""

    def __init__(self, *args, models=None, preexec_fn=None, port=0):
        self.args = list(args)
        self.http_port = port  # 0: a free one; restart() keeps the one it got
        self.preexec_fn = preexec_fn  # run in the child before exec (e.g. to lower its rlimits)
        if models is not None:
            for model in models:
                self.args += ["--model", model]
        self.process = None
        self.host = None
        self.port = None
        self.stderr = ""

    def start(self, timeout=20):
        self.process = subprocess.Popen(
            [BINARY, "serve", "--http", f"127.0.0.1:{self.http_port}", "--grpc", "127.0.0.1:0",
             "--grpcs", "127.0.0.1:0", *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            preexec_fn=self.preexec_fn)
        # The server prints exactly one line when ready; wait for it, bounded.
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        addresses = parse_ready_line(line)
        if addresses is None:
            self.process.kill()
            _, err = self.process.communicate(timeout=10)
            raise RuntimeError(f"server did not start: stdout={line!r} stderr={err!r}")
        host, port = addresses["http"].rsplit(":", 1)
        self.host, self.port = host, int(port)
        # Every listener by name: {"http": "127.0.0.1:8000", "https": ...}.
        self.addresses = addresses
        return self

    @property
    def address(self):
        return f"{self.host}:{self.port}"

    @property
    def url(self):
        return f"http://{self.address}"

    @property
    def ws_url(self):
        return f"ws://{self.address}/ws"

    def stop(self, sig=signal.SIGINT, timeout=20):
        """Stops the server with `sig` and returns its exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(sig)
        try:
            _, self.stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, self.stderr = self.process.communicate()
            raise
        return self.process.returncode

    def restart(self, sig=signal.SIGTERM):
        """Stops the server with `sig` and starts it again on the same HTTP port."""
        self.stop(sig)
        self.http_port = self.port
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def run_cli(*args, timeout=30):
    """Runs the binary with `args`; returns (exit status, stdout, stderr)."""
    done = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return done.returncode, done.stdout, done.stderr


def bench(*args, timeout=120):
    """Runs `predictwire bench` with --json; returns (exit status, parsed JSON or None, output)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run([BINARY, "bench", "--json", out.name, *args], capture_output=True,
                              text=True, timeout=timeout, cwd=ROOT)
        with open(out.name) as written:
            text = written.read()
        return done.returncode, (json.loads(text) if text else None), done.stdout + done.stderr


def curl(*args, data=None, timeout=30):
    """Runs curl quietly with `args`, POSTing `data` from stdin if given; returns the
    CompletedProcess (text)."""
    prerequisites.require_commands("curl", package_hint="Debian's curl")
    body = ["--data-binary", "@-"] if data is not None else []
    return subprocess.run(["curl", "-sS", "--max-time", str(timeout), *body, *args], input=data,
                          capture_output=True, text=True, timeout=timeout + 5)


def breast_cancer_rows():
    """The 569 rows of models/breast_cancer.csv as (features, label)."""
    rows = []
    with open(os.path.join(ROOT, "models", "breast_cancer.csv")) as data:
        for line in data:
            values = [float(v) for v in line.strip().split(",")]
            rows.append((values[:-1], int(values[-1])))
    return rows
