#!/usr/bin/python3
"""Cross-check: the same REST keep-alive load measured by `predictwire bench`, by wrk and, with
one connection, by a minimal blocking client (benchmarks/roundtrip.cc's `load`: send, receive,
nothing else).

All drive `predictwire serve --io-threads 1 --model instant=sleep:0` with the same POST body, in
alternating rounds, closed loop with 1 and with 32 connections, the load generator on CPU 1 and
the server on CPU 0. Reports throughput, p50 and the load generator's CPU time per request
(user + system, from the kernel's accounting of each child process). bench should agree with the
minimal client within 10% at p50 and on throughput with one connection, and cost no more CPU per
request than wrk.

    benchmarks/bench_vs_wrk.py [BUILD_DIR] [--duration 5] [--rounds 3]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BODY = '{"model":"instant","features":[1.5,2.5,3.5,4.5]}'
# The minimal client speaks one connection only.
TOOLS = {1: ("minimal", "wrk", "bench"), 32: ("wrk", "bench")}


def run(command, cpu):
    """Runs `command` pinned to `cpu`; returns (stdout, CPU seconds the child used)."""
    process = subprocess.Popen(["taskset", "-c", str(cpu), *command], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    out, err = process.communicate()
    # communicate() reaped the child; its rusage was folded into RUSAGE_CHILDREN.
    return out, err, process.returncode


def children_cpu():
    usage = os.times()
    return usage.children_user + usage.children_system


def microseconds(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1, "ms": 1000, "s": 1e6}[unit]


def wrk(url, connections, duration, script):
    before = children_cpu()
    out, err, status = run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script,
                            url], cpu=1)
    cpu = children_cpu() - before
    if status != 0:
        sys.exit(f"wrk failed: {err}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"throughput": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": microseconds(re.search(r"50%\s+(\S+)", out).group(1)),
            "mean": microseconds(re.search(r"Latency\s+(\S+)", out).group(1)),
            "cpu_per_request_us": cpu * 1e6 / requests}


def bench(binary, url, connections, duration):
    with tempfile.NamedTemporaryFile(suffix=".json") as out_file:
        before = children_cpu()
        _, err, status = run([binary, "bench", "--wire", "rest-keepalive", "--target", url, "--model",
                              "instant", "--features", "4", "--concurrency", str(connections),
                              "--duration", f"{duration}s", "--warmup", "0", "--quiet", "--json",
                              out_file.name], cpu=1)
        cpu = children_cpu() - before
        if status != 0:
            sys.exit(f"bench failed: {err}")
        with open(out_file.name) as written:
            result = json.load(written)
    done = result["requests"] + result["errors"]
    return {"throughput": result["throughput_rps"], "p50": result["latency_us"]["p50"],
            "mean": result["latency_us"]["mean"], "cpu_per_request_us": cpu * 1e6 / done,
            "errors": result["errors"]}


def minimal(build, address, duration):
    before = children_cpu()
    out, err, status = run([os.path.join(build, "benchmarks", "roundtrip"), "load", "--server",
                            address, "--seconds", str(duration), "--features", "4"], cpu=1)
    cpu = children_cpu() - before
    if status != 0:
        sys.exit(f"roundtrip load failed: {err}")
    result = json.loads(out)
    return {"throughput": result["throughput_rps"], "p50": result["p50_us"],
            "mean": result["mean_us"], "cpu_per_request_us": cpu * 1e6 / result["requests"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", default=os.path.join(ROOT, "build", "release"))
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    binary = os.path.join(args.build, "predictwire")

    server = subprocess.Popen(["taskset", "-c", "0", binary, "serve", "--http", "127.0.0.1:0",
                               "--grpc", "", "--io-threads", "1", "--model", "instant=sleep:0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = server.stdout.readline().strip().split("http=")[1].split()[0]
        url = f"http://{address}/predict"
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(f'wrk.method = "POST"\nwrk.body = \'{BODY}\'\n'
                         'wrk.headers["Content-Type"] = "application/json"\n')
        results = {}
        for connections in (1, 32):
            for round_number in range(args.rounds):
                for tool in TOOLS[connections]:
                    print(f"round {round_number + 1}: {tool} -c{connections} ...", file=sys.stderr)
                    if tool == "wrk":
                        measured = wrk(url, connections, args.duration, script.name)
                    elif tool == "bench":
                        measured = bench(binary, f"http://{address}", connections, args.duration)
                    else:
                        measured = minimal(args.build, address, args.duration)
                    results.setdefault((connections, tool), []).append(measured)
        os.unlink(script.name)
    finally:
        server.terminate()
        server.wait()

    print(f"\nREST keep-alive, POST /predict (sleep:0 model), server on CPU 0, load generator on CPU 1; "
          f"median of {args.rounds} alternating {args.duration}s rounds.")
    # Little's law: in a closed loop each connection always has one request in the system, so
    # the mean time per request is connections / throughput. A tool whose mean latency is below
    # that leaves out time requests spent waiting inside the tool before being sent.
    print(f"{'connections':>11} {'tool':6} {'req/s':>10} {'p50 µs':>8} {'mean µs':>8} "
          f"{'Little µs':>10} {'CPU µs/req':>11}")
    verdicts = []
    for connections in (1, 32):
        medians = {}
        for tool in TOOLS[connections]:
            runs = results[(connections, tool)]
            medians[tool] = {key: statistics.median(r[key] for r in runs)
                             for key in ("throughput", "p50", "mean", "cpu_per_request_us")}
            m = medians[tool]
            print(f"{connections:>11} {tool:6} {m['throughput']:>10.0f} {m['p50']:>8.1f} "
                  f"{m['mean']:>8.1f} {connections * 1e6 / m['throughput']:>10.1f} "
                  f"{m['cpu_per_request_us']:>11.2f}")
        reference = "minimal" if "minimal" in medians else "wrk"
        for key in ("throughput", "p50"):
            ratio = medians["bench"][key] / medians[reference][key]
            verdicts.append(f"-c{connections} {key}: bench/{reference} = {ratio:.3f} "
                            f"({'within' if abs(ratio - 1) <= 0.10 else 'OUTSIDE'} 10%)")
        cost = medians["bench"]["cpu_per_request_us"] / medians["wrk"]["cpu_per_request_us"]
        verdicts.append(f"-c{connections} CPU per request: bench/wrk = {cost:.2f}")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
