#!/usr/bin/python3
"""Wires of one or two builds, each build's `predictwire bench` against its own server,
alternating builds (and the wires within a build) round by round so that the machine's drift falls
on all alike. Per build and wire: the median over rounds of p50 latency, req/s and the client's
CPU per request (runs have no warm-up, so the CPU covers exactly the requests counted), with each round's ratio to the first wire listed.

    benchmarks/wires_ab.py --build A [--build B] --wires grpc,h2 [--features 4]
        [--concurrency 1] [--pipeline 16] [--duration 3s] [--rounds 5] [--placement split]

split: server on CPU 0, bench on CPU 1; same: both on CPU 0. Model sleep:0 ("m").
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time


def start_server(build, work):
    out = open(os.path.join(work, "server.out"), "w+")
    process = subprocess.Popen(
        ["taskset", "-c", "0", os.path.join(build, "predictwire"), "serve", "--http",
         "127.0.0.1:0", "--grpc", "127.0.0.1:0", "--model", "m=sleep:0",
         "--max-body", str(64 << 20)],
        stdout=out, stderr=subprocess.DEVNULL)
    for _ in range(200):
        out.seek(0)
        match = re.search(r"http=(\S+).*grpc=(\S+)", out.read())
        if match:
            return process, match.group(1), match.group(2)
        time.sleep(0.05)
    process.kill()
    sys.exit(f"{build}: the server did not start")


def run_bench(build, wire, http, grpc, args, work):
    target = f"grpc://{grpc}" if wire.startswith("grpc") else f"http://{http}"
    result = os.path.join(work, "result.json")
    cpu = "1" if args.placement == "split" else "0"
    command = ["taskset", "-c", cpu, os.path.join(build, "predictwire"), "bench", "--wire", wire,
               "--target", target, "--model", "m", "--features", str(args.features),
               "--concurrency", str(args.concurrency), "--pipeline", str(args.pipeline),
               "--duration", args.duration, "--warmup", "0s", "--quiet", "--json", result]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)}\n{done.stdout}{done.stderr}")
    data = json.load(open(result))
    if data["errors"] or not data["requests"]:
        sys.exit(f"{build} {wire}: {data['errors']} errors, {data['requests']} answered")
    # No warm-up, so that every build's client CPU covers exactly the requests it reports.
    per_request = data["client_cpu_seconds"] * 1e6 / (data["requests"] + data["errors"])
    return {"p50": data["latency_us"]["p50"], "rps": data["throughput_rps"],
            "cpu_us": per_request}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="append", required=True)
    parser.add_argument("--wires", required=True)
    parser.add_argument("--features", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--pipeline", type=int, default=16)
    parser.add_argument("--duration", default="3s")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--placement", choices=["split", "same"], default="split")
    args = parser.parse_args()
    wires = args.wires.split(",")
    names = "AB"[:len(args.build)]
    runs = {}
    with tempfile.TemporaryDirectory() as work:
        for round_ in range(args.rounds):
            for name, build in zip(names, args.build):
                server, http, grpc = start_server(build, work)
                try:
                    for wire in wires:
                        print(f"round {round_ + 1}/{args.rounds} build {name} {wire}",
                              file=sys.stderr)
                        runs[(name, wire, round_)] = run_bench(build, wire, http, grpc, args, work)
                finally:
                    server.terminate()
                    server.wait()
    print(f"{', '.join(f'{n} = {b}' for n, b in zip(names, args.build))}; model sleep:0, "
          f"{args.features} features, concurrency {args.concurrency}, pipeline {args.pipeline}, "
          f"{args.duration} per run, no warm-up, {args.rounds} rounds alternating; "
          f"placement {args.placement} (server CPU 0, bench CPU {1 if args.placement == 'split' else 0})")
    first = wires[0]
    print(f"{'build':5} {'wire':16} {'p50 µs':>9} {'req/s':>9} {'CPU µs/req':>10} "
          f"{'p50/' + first:>12} {'min-max':>10} {'req/s/' + first:>12}")
    for name in names:
        for wire in wires:
            rows = [runs[(name, wire, r)] for r in range(args.rounds)]
            cpu = [row["cpu_us"] for row in rows if row["cpu_us"] is not None]
            p50_ratio = [runs[(name, wire, r)]["p50"] / runs[(name, first, r)]["p50"]
                         for r in range(args.rounds)]
            rps_ratio = [runs[(name, wire, r)]["rps"] / runs[(name, first, r)]["rps"]
                         for r in range(args.rounds)]
            print(f"{name:5} {wire:16} {statistics.median(r['p50'] for r in rows):9.1f} "
                  f"{statistics.median(r['rps'] for r in rows):9.0f} "
                  f"{statistics.median(cpu) if cpu else float('nan'):10.2f} "
                  f"{statistics.median(p50_ratio):12.2f} {min(p50_ratio):4.2f}-{max(p50_ratio):4.2f} "
                  f"{statistics.median(rps_ratio):12.2f}")


if __name__ == "__main__":
    main()
