#!/usr/bin/env python3
"""Fills in deploy/haproxy/haproxy.cfg and deploy/nginx/nginx.conf for a set of backends.

The two files are templates with ${NAME} placeholders:

- a line that names ${BACKEND_NAME} or ${BACKEND_ADDRESS} is written once per backend
  (`--backend HOST:PORT`, repeatable; names are b1, b2, ... in the order given);
- every other ${NAME} takes its value from `--set NAME=VALUE`, else from DEFAULTS below.

A placeholder with no value, or a --set that names no placeholder of the template, is an error,
so a typo cannot pass silently. Python's standard library only: it runs wherever the balancer does.

  deploy/render.py deploy/haproxy/haproxy.cfg -o /etc/haproxy/haproxy.cfg \\
      --backend 10.0.0.11:8000 --backend 10.0.0.12:8000 --set LISTEN=:80

`watch` is for nginx, whose open-source build has no active health checks: it asks each backend's
readiness route every --interval, and when the set of ready backends changes it renders the
template again with the ready ones only and signals nginx to reload (what ingress-nginx's
controller does from Kubernetes' endpoints). A backend that is draining (not ready, still
serving) is so taken out before it stops listening.

  deploy/render.py watch deploy/nginx/nginx.conf -o RUN/nginx.conf --pid-file RUN/nginx.pid \\
      --backend 127.0.0.1:8000 --backend 127.0.0.1:8002 --set RUN_DIR=RUN
"""

import argparse
import http.client
import os
import re
import signal
import sys
import tempfile
import time

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
PER_BACKEND = {"BACKEND_NAME", "BACKEND_ADDRESS"}

# Each value a template may take, with the default for a production set-up. docs/scaling.md
# explains each, and how they relate to the server's flags.
DEFAULTS = {
    # Where the balancer listens: HTTP/1.1 (REST, WebSocket); HAProxy takes h2c (prior knowledge)
    # on the same port, nginx 1.22 needs a port of its own for h2c and gRPC (LISTEN_H2C).
    "LISTEN": "0.0.0.0:8080",
    "LISTEN_H2C": "0.0.0.0:8081",
    # Pid file, runtime socket, nginx's temporary files.
    "RUN_DIR": "/run/predictwire-balancer",
    # HAProxy's readiness check period; a backend is out after 2 failed checks. Keep
    # 2 x CHECK_INTERVAL well below the servers' --drain-delay.
    "CHECK_INTERVAL": "1s",
    # The longest silence on a WebSocket or a long gRPC stream before the balancer cuts it. The
    # servers ping a quiet WebSocket after --ws-ping-interval (default 30 s) and an HTTP/2
    # connection with a stream open after --http2-ping-interval (30 s): more than twice that.
    "STREAM_TIMEOUT": "75s",
    # How long a request may wait for its answer (a slow model, a deep queue).
    "ANSWER_TIMEOUT": "60s",
}


def parse_backend(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return text


def render(template, backends, values, explicit=()):
    """The template filled in; raises ValueError on a placeholder without a value, or on a name
    in `explicit` (what --set gave) that the template does not use."""
    used, lines = set(), []
    for line in template.splitlines(keepends=True):
        names = set(PLACEHOLDER.findall(line))
        used |= names
        if names & PER_BACKEND:
            for index, address in enumerate(backends, 1):
                local = dict(values, BACKEND_NAME=f"b{index}", BACKEND_ADDRESS=address)
                lines.append(substitute(line, local))
        else:
            lines.append(substitute(line, values))
    unused = set(explicit) - used
    if unused:
        raise ValueError(f"--set names no placeholder of the template: {sorted(unused)}")
    return "".join(lines)


def substitute(line, values):
    def value(match):
        name = match.group(1)
        if name not in values:
            raise ValueError(f"no value for ${{{name}}}")
        return values[name]
    return PLACEHOLDER.sub(value, line)


def write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False) as out:
        out.write(text)
    os.replace(out.name, path)


def ready(address, timeout):
    """Whether the backend's readiness route answers 200 (not ready is 400; none is down)."""
    host, _, port = address.rpartition(":")
    connection = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=timeout)
    try:
        connection.request("GET", "/v2/health/ready")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def watch(arguments, values, template):
    """Renders with the ready backends and reloads nginx whenever that set changes, until
    SIGTERM or SIGINT."""
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))
    current = None
    while not stopping:
        up = [b for b in arguments.backend if ready(b, arguments.interval)]
        # With none ready, keep the last set: an empty upstream block is not valid nginx, and
        # a backend that fails there is still better than certain failure.
        if up and up != current:
            write_atomically(arguments.output, render(template, up, values, arguments.explicit))
            if current is not None or arguments.signal_first:
                reload(arguments.pid_file)
            print(f"render.py: backends {' '.join(up)}", flush=True)
            current = up
        time.sleep(arguments.interval)


def reload(pid_file):
    try:
        with open(pid_file) as pid:
            os.kill(int(pid.read().strip()), signal.SIGHUP)
    except (OSError, ValueError) as error:
        print(f"render.py: cannot reload through {pid_file}: {error}", file=sys.stderr, flush=True)


def main(argv):
    watching = len(argv) > 0 and argv[0] == "watch"
    parser = argparse.ArgumentParser(
        prog="render.py" + (" watch" if watching else ""),
        description=__doc__.split("\n\n")[0])
    parser.add_argument("template", help="deploy/haproxy/haproxy.cfg or deploy/nginx/nginx.conf")
    parser.add_argument("-o", "--output", required=watching,
                        help="where to write (default: standard output)")
    parser.add_argument("--backend", action="append", type=parse_backend, required=True,
                        help="a backend's HOST:PORT (its --http address), repeatable")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a placeholder's value; defaults: " +
                        ", ".join(f"{k}={v}" for k, v in DEFAULTS.items()))
    if watching:
        parser.add_argument("--pid-file", required=True, help="nginx's pid file, to reload it")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds between readiness checks (default 1)")
        parser.add_argument("--signal-first", action="store_true",
                            help="reload nginx after the first rendering too")
    arguments = parser.parse_args(argv[1:] if watching else argv)
    values = dict(DEFAULTS)
    arguments.explicit = set()
    for item in arguments.set:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set takes NAME=VALUE, got {item!r}")
        values[name] = value
        arguments.explicit.add(name)
    with open(arguments.template) as source:
        template = source.read()
    try:
        if watching:
            watch(arguments, values, template)
            return 0
        text = render(template, arguments.backend, values, arguments.explicit)
    except ValueError as error:
        parser.error(str(error))
    if arguments.output:
        write_atomically(arguments.output, text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
