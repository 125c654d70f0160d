#!/usr/bin/env bash
# gRPC unary against REST over HTTP/2 with the same client, h2load (nghttp2-client), one request
# at a time: a ModelInfer call (a gRPC-framed ModelInferRequest, 4 FP32 features) and a POST
# /predict of the same 4 features as JSON over h2c, model sleep:0. Alternates builds A and B
# (and the wires within each) round by round, so that the machine's drift falls on all alike; for
# a build that answers gRPC on its HTTP port too, that is measured as a third wire. Reports per
# build, placement and wire the median over rounds of the p50 and mean request time (from
# h2load's per-request log) and req/s, and each round's gRPC/h2 p50 ratio (median, min-max).
#
#   benchmarks/grpc_vs_h2.sh BUILD_A [BUILD_B] [--rounds R] [--requests N]
#
# same = server and h2load on CPU 0; split = server on CPU 0, h2load on CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# < 1)); then echo "usage: $0 BUILD_A [BUILD_B] [--rounds R] [--requests N]" >&2; exit 2; fi
builds=("$1")
shift
if (($#)) && [[ $1 != --* ]]; then builds+=("$1"); shift; fi
rounds=5
requests=20000
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v h2load >/dev/null || { echo "h2load is missing (scripts/setup.sh installs nghttp2-client)" >&2; exit 1; }
for build in "${builds[@]}"; do
  [[ -x $build/predictwire ]] || { echo "no $build/predictwire" >&2; exit 1; }
done

source benchmarks/common.sh

# The two request bodies, written by hand in protobuf's wire format (no generated code needed).
/usr/bin/python3 - "$work" <<'PY'
import struct, sys
def varint(n):
    out = b""
    while True:
        low, n = n & 0x7F, n >> 7
        out += bytes([low | (0x80 if n else 0)])
        if not n:
            return out
def field(number, payload):  # length-delimited
    return varint(number << 3 | 2) + varint(len(payload)) + payload
features = [1.0, 2.0, 3.5, 4.25]
contents = field(6, struct.pack("<4f", *features))                  # fp32_contents
tensor = (field(1, b"features") + field(2, b"FP32") + field(3, varint(1) + varint(4))
          + field(5, contents))
request = field(1, b"m") + field(5, tensor)                          # model_name, inputs
open(f"{sys.argv[1]}/infer.bin", "wb").write(b"\0" + struct.pack(">I", len(request)) + request)
open(f"{sys.argv[1]}/predict.json", "w").write('{"model":"m","features":[1.0,2.0,3.5,4.25]}')
PY

results="$work/results.jsonl"
grpc_path=/inference.GRPCInferenceService/ModelInfer
run_h2load() {  # NAME BUILD PLACEMENT CPU ROUND URL BODY CONTENT-TYPE...
  local name=$1 build=$2 placement=$3 cpu=$4 round=$5 url=$6 body=$7
  shift 7
  local headers=()
  for header in "$@"; do headers+=(-H "$header"); done
  rm -f "$work/log"
  taskset -c "$cpu" h2load -c1 -m1 -n "$requests" -d "$body" "${headers[@]}" \
    --log-file "$work/log" "$url" >"$work/h2load.out" 2>&1 || true
  /usr/bin/python3 - "$work/h2load.out" "$work/log" "$name" "$build" "$placement" "$round" \
    "$requests" >>"$results" <<'PY'
import json, re, statistics, sys
out, log, name, build, placement, round_, requests = sys.argv[1:]
text = open(out).read()
ok = re.search(r"(\d+) succeeded", text)
rate = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text)
times = sorted(int(line.split("\t")[2]) for line in open(log) if line.strip())
if not ok or int(ok.group(1)) != int(requests) or not times:
    sys.exit(f"{name} on {build}: h2load did not finish cleanly:\n{text}")
print(json.dumps({"wire": name, "build": build, "placement": placement, "round": int(round_),
                  "p50_us": statistics.median(times), "mean_us": statistics.mean(times),
                  "rps": float(rate.group(1))}))
PY
}

# A call answered with grpc-status 0 (h2load counts HTTP 200 only, and gRPC errors are 200 too).
grpc_ok() {  # URL
  curl -s --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' \
    --data-binary @"$work/infer.bin" -D - -o /dev/null "$1$grpc_path" | grep -q "^grpc-status: 0"
}

for round in $(seq "$rounds"); do
  for index in "${!builds[@]}"; do
    build=${builds[$index]}
    name=$([[ $index == 0 ]] && echo A || echo B)
    taskset -c 0 "$build/predictwire" serve --http 127.0.0.1:0 --grpc 127.0.0.1:0 \
      --model m=sleep:0 >"$work/server.out" 2>"$work/server.err" &
    server=$!
    pids+=($server)
    http=$(wait_for_line "$work/server.out" http)
    grpc=$(wait_for_line "$work/server.out" grpc)
    grpc_ok "http://$grpc" || { echo "build $name: ModelInfer did not answer OK" >&2; exit 1; }
    wires=(grpc h2)
    grpc_ok "http://$http" && wires+=(grpc-on-http-port)
    for placement in same split; do
      cpu=0; [[ $placement == split ]] && cpu=1
      echo "round $round/$rounds build $name placement=$placement: ${wires[*]}" >&2
      for wire in "${wires[@]}"; do
        case $wire in
          grpc) run_h2load grpc "$name" $placement $cpu "$round" "http://$grpc$grpc_path" \
                  "$work/infer.bin" "content-type: application/grpc" "te: trailers" ;;
          grpc-on-http-port) run_h2load grpc-on-http-port "$name" $placement $cpu "$round" \
                  "http://$http$grpc_path" "$work/infer.bin" "content-type: application/grpc" \
                  "te: trailers" ;;
          h2) run_h2load h2 "$name" $placement $cpu "$round" "http://$http/predict" \
                "$work/predict.json" "content-type: application/json" ;;
        esac
      done
    done
    kill -INT $server; wait $server || true
  done
done

echo
echo "A = ${builds[0]}${builds[1]:+, B = ${builds[1]}}; h2load -c1 -m1 -n $requests, model sleep:0,"
echo "4 features; $rounds rounds alternating builds. same = server and h2load on CPU 0; split ="
echo "server on CPU 0, h2load on CPU 1. $(date -u +%F) $(uname -r)"
/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
from collections import defaultdict
rows = [json.loads(line) for line in open(sys.argv[1])]
runs = defaultdict(list)
by_round = {}
for r in rows:
    runs[(r["build"], r["placement"], r["wire"])].append(r)
    by_round[(r["build"], r["placement"], r["wire"], r["round"])] = r["p50_us"]
print(f"{'build':5} {'placement':9} {'wire':18} {'p50 µs':>7} {'mean µs':>8} {'req/s':>8} "
      f"{'p50 / h2':>9} {'min-max':>10}")
for key in sorted(runs, key=lambda k: (k[0], k[1] != "same", k[2])):
    build, placement, wire = key
    median = lambda field: statistics.median(r[field] for r in runs[key])
    ratios = [by_round[(build, placement, wire, n)] / by_round[(build, placement, "h2", n)]
              for n in sorted({r["round"] for r in runs[key]})
              if (build, placement, "h2", n) in by_round]
    ratio = f"{statistics.median(ratios):9.2f} {min(ratios):4.2f}-{max(ratios):4.2f}" if wire != "h2" else ""
    print(f"{build:5} {placement:9} {wire:18} {median('p50_us'):7.1f} {median('mean_us'):8.1f} "
          f"{median('rps'):8.0f} {ratio}")
PY
