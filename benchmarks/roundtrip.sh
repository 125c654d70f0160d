#!/usr/bin/env bash
# One request at a time, as fast as the wire allows: REST keep-alive, WebSocket JSON and
# WebSocket binary against `predictwire serve` with a zero-compute model (sleep:0, 4 features),
# each next to a raw TCP ping-pong of exactly the same bytes, measured interleaved in one process
# (benchmarks/roundtrip.cc). Both CPU placements, and the scheduler's inline fast path (auto)
# against always handing work to a worker thread (worker).
#
#   benchmarks/roundtrip.sh [BUILD_DIR] [--rounds R] [--requests N]
#
# Placements: "same" pins server, echo server and client to CPU 0; "split" pins the servers to
# CPU 0 and the client to CPU 1. Targets (issue: server core): each wire's p50 within 2x of its
# TCP floor in both placements; the aim beyond is 1.3x.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
shift || true
rounds=5
requests=4000
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cpus=$(nproc)
if ((cpus < 2)); then echo "needs 2 CPUs for the split placement" >&2; exit 1; fi

source benchmarks/common.sh

taskset -c 0 "$build/benchmarks/roundtrip" echo >"$work/echo.out" &
pids+=($!)
echo_address=$(wait_for_line "$work/echo.out" echo)

results="$work/results.jsonl"
for execution in auto worker; do
  taskset -c 0 "$build/predictwire" serve --http 127.0.0.1:0 --grpc "" --io-threads 1 \
    --model instant=sleep:0 --execution "$execution" >"$work/server.out" 2>"$work/server.err" &
  server=$!
  pids+=($server)
  server_address=$(wait_for_line "$work/server.out" http)
  for placement in same split; do
    cpu=0; [[ $placement == split ]] && cpu=1
    echo "measuring execution=$execution placement=$placement ..." >&2
    taskset -c "$cpu" "$build/benchmarks/roundtrip" measure --echo "$echo_address" \
      --server "$server_address" --rounds "$rounds" --requests "$requests" --features 4 \
      --model instant |
      sed "s/^{/{\"execution\": \"$execution\", \"placement\": \"$placement\", /" >>"$results"
  done
  kill -INT $server; wait $server || true
done

echo
echo "Round trips, one at a time, sleep:0 model, 4 features; ${rounds}x${requests} per wire, interleaved."
echo "same = server and client on CPU 0; split = server on CPU 0, client on CPU 1. $(date -u +%F) $(uname -r)"
/usr/bin/python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
floor = {(r["execution"], r["placement"], r["wire"][len("tcp-floor("):-1]): r
         for r in rows if r["wire"].startswith("tcp-floor(")}
print(f"{'placement':9} {'execution':9} {'wire':15} {'p50 µs':>8} {'p99 µs':>8} {'floor p50':>10} {'× floor':>8}")
for r in rows:
    if r["wire"].startswith("tcp-floor("):
        continue
    f = floor[(r["execution"], r["placement"], r["wire"])]
    print(f"{r['placement']:9} {r['execution']:9} {r['wire']:15} {r['p50_us']:8.1f} {r['p99_us']:8.1f} "
          f"{f['p50_us']:10.1f} {r['p50_us'] / f['p50_us']:8.2f}")
PY
