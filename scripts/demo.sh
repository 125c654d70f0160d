#!/usr/bin/env bash
# make demo: starts `predictwire serve` with the default models on a free port, shows
# predictions answered over REST and WebSocket with their latency, then stops the server.
set -euo pipefail
binary=${1:-build/release/predictwire}
cd "$(dirname "$0")/.."

log=$(mktemp -d)
"$binary" serve --http 127.0.0.1:0 --grpc 127.0.0.1:0 >"$log/stdout" 2>"$log/stderr" &
server=$!
trap 'kill -INT $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$log"' EXIT

for _ in $(seq 100); do
  grep -q '^predictwire: listening' "$log/stdout" 2>/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$log/stderr"; exit 1; }
  sleep 0.05
done
address=$(sed -n 's/^predictwire: listening http=\([^ ]*\).*/\1/p' "$log/stdout")
cat "$log/stderr"
echo "server ready at http://$address"
/usr/bin/python3 scripts/demo_client.py "$address"
