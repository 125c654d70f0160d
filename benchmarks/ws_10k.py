#!/usr/bin/python3
"""10,000 WebSocket connections to one server: what each idle connection costs the server in
memory, and how fast every connection is answered when each sends one request.

Starts `predictwire serve --io-threads 1 --model instant=sleep:0` pinned to one CPU, opens N
WebSocket connections from one asyncio client pinned to the other CPU (a minimal client over raw
asyncio streams, so the client's own cost per connection stays small), keeps them idle, then has
each send one /predict text message with an id, all at once (a burst: the single-threaded client's
own queueing is part of what it measures), then one more each, paced at --rate a second and timed
from when each was due. Reports the server's VmRSS before and after the connections opened (and
its growth per connection), VmHWM, and p50/p99/max of the answer latency. Loopback only; the fd
limits of both processes are raised to their hard limit. Given several --build, it measures each
in turn in the same run (a baseline beside the build under test).

  /usr/bin/python3 benchmarks/ws_10k.py [--connections 10000] [--build build/release ...]
      [--rate 2000] [--light 5000]
"""

import argparse
import asyncio
import base64
import json
import os
import random
import statistics
import re
import resource
import select
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def status(pid, field):
    with open(f"/proc/{pid}/status") as lines:
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    else:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    return header + mask + masked


def masked_text_frame(payload: bytes) -> bytes:
    return masked_frame(0x1, payload)


async def read_frame(reader):
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    return first & 0x0F, await reader.readexactly(length)


async def open_websocket(host, port):
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(head[:100])
    return reader, writer


async def one_request(index, reader, writer, start_event, due=None):
    """Sends one request when `start_event` is set (a burst) or at perf_counter time `due`
    (paced); returns the time to its answer, counted from when it was due to be sent, so that a
    client falling behind its schedule cannot hide a stall."""
    await start_event.wait()
    message = json.dumps({"id": index, "features": [1.0, 2.0, 3.0, 4.0]}).encode()
    if due is not None:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
    sent = time.perf_counter() if due is None else due
    writer.write(masked_text_frame(message))
    opcode, payload = await read_frame(reader)
    while opcode == 0x9:  # the server's keepalive ping, read only now: answer, read on
        writer.write(masked_frame(0xA, payload))
        opcode, payload = await read_frame(reader)
    elapsed = time.perf_counter() - sent
    answer = json.loads(payload)
    if answer.get("id") != index or "error" in answer:
        raise RuntimeError(f"unexpected answer {payload[:200]!r}")
    return elapsed


def percentiles(latencies):
    latencies = sorted(latencies)

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1e6)

    return {"answers": len(latencies), "p50_us": pct(50), "p99_us": pct(99),
            "max_us": round(latencies[-1] * 1e6)}


async def locked_request(lock, index, reader, writer, start_event, due):
    """one_request on a connection another request may be using: one at a time."""
    await start_event.wait()
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    async with lock:
        return await one_request(index, reader, writer, start_event, due)


async def run(host, port, pid, count, batch, rate, light):
    before = status(pid, "VmRSS")
    connections = []
    opened_at = time.perf_counter()
    for first in range(0, count, batch):
        connections += await asyncio.gather(
            *[open_websocket(host, port) for _ in range(min(batch, count - first))])
    open_seconds = time.perf_counter() - opened_at
    await asyncio.sleep(2)  # idle: let the server's sweep pass and its buffers settle
    idle = status(pid, "VmRSS")
    start = asyncio.Event()
    tasks = [asyncio.create_task(one_request(i + 1, r, w, start)) for i, (r, w) in enumerate(connections)]
    await asyncio.sleep(0.5)
    burst_at = time.perf_counter()
    start.set()
    burst = percentiles(await asyncio.gather(*tasks))
    burst["seconds"] = round(time.perf_counter() - burst_at, 3)
    # Then each sends one more, paced at `rate` a second over all connections in turn.
    start = asyncio.Event()
    begin = time.perf_counter() + 0.5
    tasks = [asyncio.create_task(one_request(count + i + 1, r, w, start, due=begin + i / rate))
             for i, (r, w) in enumerate(connections)]
    start.set()
    paced = percentiles(await asyncio.gather(*tasks))
    paced["rate_per_second"] = rate
    # A light load, `light` requests at `rate` a second to connections drawn at random: from all
    # of them, and from the first 100 only, alternating three times each (the same client and
    # server; the difference is what holding every other connection open costs a request).
    light_runs = {"all": [], "first_100": []}
    if light:
        locks = [asyncio.Lock() for _ in connections]
        chooser = random.Random(7)
        next_id = 2 * count + 1
        for _ in range(3):
            for name, pool in (("all", count), ("first_100", min(100, count))):
                start = asyncio.Event()
                begin = time.perf_counter() + 0.2
                picks = [chooser.randrange(pool) for _ in range(light)]
                tasks = [asyncio.create_task(locked_request(locks[k], next_id + i, *connections[k], start,
                                                            begin + i / rate))
                         for i, k in enumerate(picks)]
                next_id += light
                start.set()
                light_runs[name].append(percentiles(await asyncio.gather(*tasks)))
    after = status(pid, "VmRSS")
    peak = status(pid, "VmHWM")
    for _, writer in connections:
        writer.close()

    return {
        "connections": count,
        "open_seconds": round(open_seconds, 2),
        "rss_before_mib": round(before / 2**20, 1),
        "rss_idle_mib": round(idle / 2**20, 1),
        "rss_per_idle_connection_bytes": round((idle - before) / count),
        "rss_after_requests_mib": round(after / 2**20, 1),
        "vmhwm_mib": round(peak / 2**20, 1),
        "burst_all_at_once": burst,
        "paced": paced,
        "light": {name: {"rounds": runs,
                         "median_p50_us": statistics.median(r["p50_us"] for r in runs) if runs else None,
                         "median_p99_us": statistics.median(r["p99_us"] for r in runs) if runs else None}
                  for name, runs in light_runs.items()},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--build", action="append",
                        help="a build directory holding predictwire; repeatable (default: build/release)")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    parser.add_argument("--batch", type=int, default=500, help="connections opened at once")
    parser.add_argument("--rate", type=float, default=2000, help="requests a second, paced round")
    parser.add_argument("--light", type=int, default=0,
                        help="then this many requests at --rate to random connections, of all and "
                             "of the first 100, alternating three times each (0: none)")
    parser.add_argument("--ping", dest="no_ping", action="store_false",
                        help="leave the server's WebSocket pings on (connections left unread for "
                             "two intervals, 60 s, are then closed as gone)")
    parser.add_argument("--no-cap", dest="cap", action="store_false",
                        help="pass no --max-connections (a build that predates it)")
    args = parser.parse_args()

    limit = raise_fd_limit()
    if limit < args.connections + 64:
        sys.exit(f"the hard open-file limit ({limit}) is too low for {args.connections} connections")
    os.sched_setaffinity(0, {int(args.client_cpu)})
    for build in args.build or [os.path.join(ROOT, "build", "release")]:
        measure(build, args)


def measure(build, args):
    server = subprocess.Popen(
        ["taskset", "-c", args.server_cpu, os.path.join(build, "predictwire"), "serve",
         "--http", "127.0.0.1:0", "--grpc", "", "--io-threads", "1", "--model", "instant=sleep:0",
         # The client reads a connection only when it asks on it: a ping to a connection it has
         # not asked on for a minute would go unanswered and the server would close it.
         *(["--ws-ping-interval", "0"] if args.no_ping else []),
         *(["--max-connections", str(args.connections + 1000)] if args.cap else [])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=raise_fd_limit)
    try:
        ready, _, _ = select.select([server.stdout], [], [], 20)
        line = server.stdout.readline() if ready else ""
        match = re.search(r"http=([\d.]+):(\d+)", line)
        if not match:
            raise RuntimeError(f"server did not start: {line!r}")
        host, port = match.group(1), int(match.group(2))
        result = asyncio.run(run(host, port, server.pid, args.connections, args.batch, args.rate,
                                 args.light))
        result["build"] = build
        result["placement"] = f"server CPU {args.server_cpu} (1 IO thread), client CPU {args.client_cpu}"
        print(json.dumps(result, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
