#!/usr/bin/env bash
# REST keep-alive throughput: `predictwire serve` (one IO thread, zero-compute model) beside nginx
# answering the same JSON from memory (one worker, access_log off, keepalive_requests raised),
# both driven by wrk -c32 with the same POST, in both CPU placements, interleaved in one run.
#
#   benchmarks/rest_vs_nginx.sh [BUILD_DIR] [--duration 5] [--rounds 3]
#
# Placements: "same" pins server and wrk to CPU 0; "split" pins the server to CPU 0, wrk to CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
shift || true
duration=5
rounds=3
while (($#)); do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk nginx; do
  command -v $tool >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "needs $tool (scripts/setup.sh)" >&2; exit 1; }
done
nginx_binary=$(command -v nginx || echo /usr/sbin/nginx)

source benchmarks/common.sh

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# predictwire, one IO thread like nginx's one worker.
taskset -c 0 "$build/predictwire" serve --http 127.0.0.1:0 --grpc "" --io-threads 1 --model instant=sleep:0 \
  >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
ours=$(wait_for_line "$work/server.out" http)

body='{"model":"instant","features":[1.5,2.5,3.5,4.5]}'
answer=$(curl -sS -d "$body" "http://$ours/predict")
# nginx returns our exact reply, with the timing figures a zero-compute request shows.
canned=$(echo "$answer" | sed 's/"queue_us":[0-9]*/"queue_us":0/; s/"compute_us":[0-9]*/"compute_us":0/')

nginx_port=$(free_port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
error_log $work/nginx/logs/error.log;
pid $work/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $work/nginx/body;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { default_type application/json; return 200 '$canned'; }
  }
}
CONF
taskset -c 0 "$nginx_binary" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.05; done

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

results="$work/results.txt"
for placement in same split; do
  cpu=0; [[ $placement == split ]] && cpu=1
  for round in $(seq "$rounds"); do
    for server in predictwire nginx; do
      address=$ours; [[ $server == nginx ]] && address=127.0.0.1:$nginx_port
      echo "round $round $placement $server ..." >&2
      rps=$(taskset -c $cpu wrk -t1 -c32 -d"${duration}s" -s "$work/post.lua" "http://$address/predict" |
            awk '/Requests\/sec/ {print $2}')
      echo "$placement $server $rps" >>"$results"
    done
  done
done

echo
echo "REST keep-alive throughput, wrk -t1 -c32 -d${duration}s POST /predict, median of $rounds interleaved rounds."
echo "same = server and wrk on CPU 0; split = server on CPU 0, wrk on CPU 1. $(date -u +%F) $(uname -r)"
/usr/bin/python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    placement, server, rps = line.split()
    runs.setdefault((placement, server), []).append(float(rps))
print(f"{'placement':9} {'predictwire rps':>16} {'nginx rps':>12} {'ratio':>7} {'round ratios (min-max)':>24}")
for placement in ("same", "split"):
    ours_runs, their_runs = runs[(placement, "predictwire")], runs[(placement, "nginx")]
    ours, theirs = statistics.median(ours_runs), statistics.median(their_runs)
    # Each round measured both servers back to back: its ratio shows how far the noise reaches.
    per_round = [a / b for a, b in zip(ours_runs, their_runs)]
    spread = f"{min(per_round):.2f}-{max(per_round):.2f}"
    print(f"{placement:9} {ours:16.0f} {theirs:12.0f} {ours / theirs:7.2f} {spread:>24}")
PY
