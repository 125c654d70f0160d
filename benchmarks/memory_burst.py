#!/usr/bin/python3
"""Does memory come back after large requests? The server's RSS after bursts of large requests.

For each configuration it starts a fresh `predictwire serve --io-threads 1 --model m=sleep:0`
pinned to CPU 0 (taskset), reads its VmRSS, then five times: sends a burst of large requests at
once (by default 4 bodies of 10 MB over HTTP/2 and 4 over HTTP/1.1, each a JSON row of 2,000,000
features, the kind of request that --max-body allows and a model may refuse), waits for all to be
answered, waits --settle seconds (the server returns free heap memory on its once-a-second sweep)
and reads VmRSS again. A configuration is a build (--build, repeatable) and an allocator (--malloc,
repeatable: glibc, the C library's own; jemalloc or mimalloc, LD_PRELOADed from Debian's
libjemalloc2 / libmimalloc2.0 when installed). Configurations are measured in rounds, A B A B,
--rounds times; RSS does not depend on the machine's load as latency does, but rounds show
whether a figure repeats. Loopback only; curl sends the requests (pinned to CPU 1).

  /usr/bin/python3 benchmarks/memory_burst.py [--build build/release ...] [--malloc glibc ...]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRELOADS = {
    "glibc": None,
    "jemalloc": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "mimalloc": "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2",
}


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as lines:
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def start_server(binary, preload, cpu):
    env = dict(os.environ)
    if preload:
        env["LD_PRELOAD"] = preload
    if os.environ.get("BURST_TUNABLES"):
        env["GLIBC_TUNABLES"] = os.environ["BURST_TUNABLES"]
    process = subprocess.Popen(
        ["taskset", "-c", cpu, binary, "serve", "--http", "127.0.0.1:0", "--io-threads", "1",
         "--model", "m=sleep:0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found = re.search(r"\bhttp=(\S+)", line)
        if found:
            return process, found.group(1)
    process.kill()
    process.wait()
    raise RuntimeError(f"{binary} did not start")


def burst(address, body_path, h2_requests, h1_requests, cpu):
    """Sends the burst at once and waits for every answer; returns the HTTP statuses."""
    curls = []
    for k in range(h2_requests + h1_requests):
        http2 = k < h2_requests
        curls.append(subprocess.Popen(
            ["taskset", "-c", cpu, "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
             *(["--http2-prior-knowledge"] if http2 else []),
             "-H", "content-type: application/json", "--data-binary", "@" + body_path,
             f"http://{address}/predict"],
            stdout=subprocess.PIPE, text=True))
    return [c.communicate(timeout=120)[0] for c in curls]


def measure(binary, allocator, args, body_path):
    preload = PRELOADS[allocator]
    if preload and not os.path.exists(preload):
        return None
    server, address = start_server(binary, preload, args.server_cpu)
    try:
        time.sleep(args.settle)
        start = status_kib(server.pid, "VmRSS")
        after = []
        for _ in range(args.repeats):
            statuses = burst(address, body_path, args.h2, args.h1, args.client_cpu)
            if any(s != "200" for s in statuses):
                raise RuntimeError(f"a request of the burst failed: {statuses}")
            time.sleep(args.settle)
            after.append(status_kib(server.pid, "VmRSS"))
        peak = status_kib(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.communicate(timeout=30)
    return {"start": start, "after": after, "peak": peak}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", action="append", help="build directories (default build/release)")
    parser.add_argument("--malloc", action="append", choices=sorted(PRELOADS),
                        help="allocators (default glibc)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5, help="bursts per server")
    parser.add_argument("--h2", type=int, default=4, help="large requests over HTTP/2 a burst")
    parser.add_argument("--h1", type=int, default=4, help="large requests over HTTP/1.1 a burst")
    parser.add_argument("--features", type=int, default=2_000_000, help="features in each request")
    parser.add_argument("--settle", type=float, default=2.5, help="seconds before reading RSS")
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    builds = args.build or ["build/release"]
    allocators = args.malloc or ["glibc"]

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as body:
        json.dump({"model": "m", "features": [0.5] * args.features}, body)
    size_mb = os.path.getsize(body.name) / 1e6
    print(f"bursts of {args.h2} HTTP/2 + {args.h1} HTTP/1.1 requests of {size_mb:.1f} MB, "
          f"{args.repeats} a server; server CPU {args.server_cpu}, curl CPU {args.client_cpu}; "
          f"RSS {args.settle:g} s after each burst")
    print(f"{'build':<28} {'malloc':<9} {'start':>9} {'after each burst (MiB)':<40} {'peak':>8}")
    results = []
    try:
        for round_number in range(args.rounds):
            for build in builds:
                binary = os.path.join(build if os.path.isabs(build) else os.path.join(ROOT, build),
                                      "predictwire")
                for allocator in allocators:
                    figures = measure(binary, allocator, args, body.name)
                    if figures is None:
                        print(f"{build:<28} {allocator:<9} not installed ({PRELOADS[allocator]})")
                        continue
                    mib = lambda kib: f"{kib / 1024:.1f}"
                    print(f"{build[-28:]:<28} {allocator:<9} {mib(figures['start']):>9} "
                          f"{' '.join(mib(a) for a in figures['after']):<40} {mib(figures['peak']):>8}",
                          flush=True)
                    results.append({"round": round_number, "build": build, "malloc": allocator,
                                    "rss_start_kib": figures["start"],
                                    "rss_after_bursts_kib": figures["after"],
                                    "rss_peak_kib": figures["peak"]})
    finally:
        os.unlink(body.name)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
