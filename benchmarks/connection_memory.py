#!/usr/bin/python3
"""Server memory per idle connection, per wire: what a fleet's capacity model needs
(docs/scaling.md).

For each wire it starts a fresh `predictwire serve --io-threads 1 --model m=sleep:0` pinned to
CPU 0 (taskset), reads its VmRSS, opens N connections from this process (pinned to CPU 1), each
answered one request so that it is fully set up (a WebSocket after its upgrade, HTTP/2 after its
SETTINGS, gRPC after a ModelInfer call), leaves them idle --idle seconds (2), reads VmRSS again and reports the
growth per connection. Kernel socket buffers are not in the process's RSS and are not counted;
the kernel's TCP memory (/proc/net/sockstat, "TCP: mem", in pages, the whole machine's) is shown
apart. The +tls wires are the same over TLS 1.3 (--https with a throwaway certificate; h2 by
ALPN). Given several --build, each round measures each build in turn (A B A B), so a baseline
stands beside the build under test. Loopback only.

  /usr/bin/python3 benchmarks/connection_memory.py [--connections 1000] [--build build/release ...]
      [--wires rest-keepalive,ws,h2,grpc,rest-keepalive+tls,ws+tls,h2+tls]
"""

import argparse
import base64
import json
import os
import resource
import select
import socket
import ssl
import tempfile
import struct
import subprocess
import sys
import time

import h2.config
import h2.connection
import h2.events

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e", "support"))
PREDICT = json.dumps({"model": "m", "features": [1, 2, 3, 4]}).encode()


def rss(pid):
    with open(f"/proc/{pid}/status") as lines:
        for line in lines:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def kernel_tcp_pages():
    with open("/proc/net/sockstat") as lines:
        for line in lines:
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1])
    return 0


TLS = {"context": None}
IDLE = {"seconds": 2.0}


def connect(host, port, alpn="http/1.1"):
    sock = socket.create_connection((host, port))
    if TLS["context"] is None:
        return sock
    if alpn not in TLS:  # one context each: making one reads the system's CA store
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols([alpn])
        TLS[alpn] = context
    return TLS[alpn].wrap_socket(sock, server_hostname="localhost")


def read_until(sock, marker):
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def rest_keepalive(host, port):
    sock = connect(host, port)
    sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(PREDICT)).encode() + b"\r\n\r\n" + PREDICT)
    read_until(sock, b"}}")
    return sock


def ws(host, port):
    sock = connect(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    read_until(sock, b"\r\n\r\n")
    mask = os.urandom(4)
    sock.sendall(struct.pack("!BB", 0x81, 0x80 | len(PREDICT)) + mask +
                 bytes(b ^ mask[i % 4] for i, b in enumerate(PREDICT)))
    read_until(sock, b"}}")
    return sock


def http2(host, port, grpc_message=None):
    sock = connect(host, port, alpn="h2")
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    if grpc_message is None:
        headers = [(":method", "POST"), (":path", "/predict"), (":scheme", "http"),
                   (":authority", "x"), ("content-type", "application/json")]
        body = PREDICT
    else:
        headers = [(":method", "POST"), (":path", "/inference.GRPCInferenceService/ModelInfer"),
                   (":scheme", "http"), (":authority", "x"), ("content-type", "application/grpc"),
                   ("te", "trailers")]
        body = b"\x00" + struct.pack("!I", len(grpc_message)) + grpc_message
    conn.send_headers(1, headers)
    conn.send_data(1, body, end_stream=True)
    sock.sendall(conn.data_to_send())
    done = False
    while not done:
        for event in conn.receive_data(sock.recv(65536)):
            if isinstance(event, h2.events.StreamEnded):
                done = True
        sock.sendall(conn.data_to_send())
    return sock


def grpc(host, port):
    from grpc_stubs import infer_request
    return http2(host, port, infer_request(model="m", features=[1.0, 2.0, 3.0, 4.0]).SerializeToString())


WIRES = {"rest-keepalive": rest_keepalive, "ws": ws, "h2": http2, "grpc": grpc,
         "rest-keepalive+tls": rest_keepalive, "ws+tls": ws, "h2+tls": http2}


def measure(binary, wire, count, certificate):
    tls = wire.endswith("+tls")
    command = ["taskset", "-c", "0", binary, "serve", "--http", "127.0.0.1:0", "--grpc", "",
               "--io-threads", "1", "--model", "m=sleep:0"]
    if tls:
        command += ["--https", "127.0.0.1:0", "--grpcs", "", "--tls-cert", certificate[0],
                    "--tls-key", certificate[1]]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    TLS["context"] = "on" if tls else None
    try:
        ready, _, _ = select.select([server.stdout], [], [], 20)
        line = server.stdout.readline() if ready else ""
        listener = "https=" if tls else "http="
        host, port = line.split(listener)[1].split()[0].rsplit(":", 1)
        port = int(port)
        WIRES[wire](host, port).close()  # first use: lazily built state is not per connection
        time.sleep(1)
        before, kernel_before = rss(server.pid), kernel_tcp_pages()
        sockets = [WIRES[wire](host, port) for _ in range(count)]
        time.sleep(IDLE["seconds"])
        after, kernel_after = rss(server.pid), kernel_tcp_pages()
        for sock in sockets:
            sock.close()
        return before, after, (kernel_after - kernel_before) * os.sysconf("SC_PAGE_SIZE")
    finally:
        server.terminate()
        server.wait(timeout=20)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--build", action="append",
                        help="build directories, each measured in every round (default build/release)")
    parser.add_argument("--wires", default="rest-keepalive,ws,h2,grpc")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle", type=float, default=2.0,
                        help="seconds the connections stay idle before RSS is read (the server "
                             "returns free heap memory within 10 s)")
    arguments = parser.parse_args()
    IDLE["seconds"] = arguments.idle
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.sched_setaffinity(0, {1})
    builds = arguments.build or [os.path.join(ROOT, "build", "release")]
    with tempfile.TemporaryDirectory() as directory:
        from certificates import make_certificate
        certificate = make_certificate(directory)
        print(f"{arguments.connections} idle connections a server; server CPU 0 (--io-threads 1), "
              f"client CPU 1; the kernel's TCP memory is the machine's")
        print(f"{'build':24} {'wire':20} {'RSS before':>12} {'RSS after':>12} {'per connection':>15} "
              f"{'kernel TCP':>12}")
        for round_number in range(arguments.rounds):
            for wire in arguments.wires.split(","):
                for build in builds:
                    binary = os.path.join(build, "predictwire")
                    before, after, kernel = measure(binary, wire, arguments.connections, certificate)
                    per = (after - before) / arguments.connections
                    print(f"{build[-24:]:24} {wire:20} {before / 2**20:10.1f} MiB {after / 2**20:10.1f} MiB "
                          f"{per / 1024:11.2f} KiB {kernel / arguments.connections / 1024:8.2f} KiB",
                          flush=True)


if __name__ == "__main__":
    main()
