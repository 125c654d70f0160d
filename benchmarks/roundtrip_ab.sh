#!/usr/bin/env bash
# Two builds of the server, A and B, compared on one-at-a-time round trips (benchmarks/roundtrip.cc,
# the same client for both), alternating A B A B ... round by round so that the machine's drift
# falls on both alike. For each placement, execution mode and wire: the median p50 over rounds,
# each build's median ratio to the raw TCP floor measured in the same round, and the median of
# the per-round B/A ratios with its min-max.
#
#   benchmarks/roundtrip_ab.sh BUILD_A BUILD_B [--rounds R] [--requests N]
#
# e.g. a build of the previous commit against this one, to show a change made nothing slower.
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# < 2)); then echo "usage: $0 BUILD_A BUILD_B [--rounds R] [--requests N]" >&2; exit 2; fi
build_a=$1 build_b=$2
shift 2
rounds=7
requests=3000
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
client="$build_a/benchmarks/roundtrip"
for build in "$build_a" "$build_b"; do
  [[ -x $build/predictwire ]] || { echo "no $build/predictwire" >&2; exit 1; }
done
[[ -x $client ]] || { echo "no $client" >&2; exit 1; }

source benchmarks/common.sh

taskset -c 0 "$client" echo >"$work/echo.out" &
pids+=($!)
echo_address=$(wait_for_line "$work/echo.out" echo)

results="$work/results.jsonl"
for round in $(seq "$rounds"); do
  for name in A B; do
    build=$build_a; [[ $name == B ]] && build=$build_b
    for execution in auto worker; do
      taskset -c 0 "$build/predictwire" serve --http 127.0.0.1:0 --grpc "" --io-threads 1 \
        --model instant=sleep:0 --execution "$execution" >"$work/server.out" 2>"$work/server.err" &
      server=$!
      server_address=$(wait_for_line "$work/server.out" http)
      for placement in same split; do
        cpu=0; [[ $placement == split ]] && cpu=1
        echo "round $round/$rounds build $name execution=$execution placement=$placement" >&2
        taskset -c "$cpu" "$client" measure --echo "$echo_address" --server "$server_address" \
          --rounds 1 --requests "$requests" --features 4 --model instant |
          sed "s/^{/{\"round\": $round, \"build\": \"$name\", \"execution\": \"$execution\", \"placement\": \"$placement\", /" >>"$results"
      done
      kill -INT $server; wait $server || true
    done
  done
done

echo
echo "A = $build_a, B = $build_b; sleep:0 model, 4 features; $rounds rounds of $requests round trips"
echo "per build, wire and placement, alternating A and B. same = server and client on CPU 0;"
echo "split = server on CPU 0, client on CPU 1. $(date -u +%F) $(uname -r)"
/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
from collections import defaultdict
rows = [json.loads(line) for line in open(sys.argv[1])]
p50 = defaultdict(list)     # (build, execution, placement, wire) -> [p50 per round]
ratio = defaultdict(list)   # the same -> [p50 / floor p50 per round]
floors = {(r["round"], r["build"], r["execution"], r["placement"], r["wire"][len("tcp-floor("):-1]): r["p50_us"]
          for r in rows if r["wire"].startswith("tcp-floor(")}
by_round = {}
for r in rows:
    if r["wire"].startswith("tcp-floor("):
        continue
    key = (r["build"], r["execution"], r["placement"], r["wire"])
    p50[key].append(r["p50_us"])
    ratio[key].append(r["p50_us"] / floors[(r["round"], r["build"], r["execution"], r["placement"], r["wire"])])
    by_round[(r["round"],) + key] = r["p50_us"]
print(f"{'placement':9} {'execution':9} {'wire':15} {'A p50':>7} {'B p50':>7} {'A×floor':>8} {'B×floor':>8} {'B/A':>6} {'B/A min-max':>12}")
keys = sorted({k[1:] for k in p50}, key=lambda k: (k[0] != "auto", k[1] != "same", k[2]))
for execution, placement, wire in keys:
    a, b = ("A", execution, placement, wire), ("B", execution, placement, wire)
    per_round = [by_round[(n,) + b] / by_round[(n,) + a] for n in sorted({k[0] for k in by_round})
                 if (n,) + a in by_round and (n,) + b in by_round]
    print(f"{placement:9} {execution:9} {wire:15} {statistics.median(p50[a]):7.1f} {statistics.median(p50[b]):7.1f} "
          f"{statistics.median(ratio[a]):8.2f} {statistics.median(ratio[b]):8.2f} "
          f"{statistics.median(per_round):6.2f} {min(per_round):5.2f}-{max(per_round):.2f}")
PY
