#!/usr/bin/env bash
# Installs every Debian package that building, testing and the demo need, then the JavaScript
# client's test-only npm packages (scripts/setup-js.sh).
# Idempotent: runs `apt-get update` and `apt-get install` only when a package is missing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  # libraries the server and the instrument link against
  libboost1.81-dev libboost-json1.81-dev libssl-dev libxgboost-dev libabsl-dev
  libcli11-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  # HTTP/2 (nghttp2, which gRPC runs on too), the protobuf messages of gRPC's inference API,
  # and zlib for gRPC's gzip and deflate message encodings
  libnghttp2-dev libprotobuf-dev protobuf-compiler zlib1g-dev
  # the xgboost command-line tool (XGBoost's CMake config and the model recipe use it)
  xgboost
  # clients for end-to-end tests, the demo and the benchmark scripts
  curl python3 python3-websockets python3-requests wrk nginx-light
  # HPACK, to read the HTTP/2 answers the hostile-protocol tests provoke with hand-built frames
  python3-hpack
  # promtool, which checks the /metrics exposition in the tests
  prometheus
  nghttp2-client python3-h2 python3-grpcio python3-grpc-tools openssl
  # headless Chromium for the report page test (and browser measurements)
  chromium
  # the article's reference servers in peers/
  python3-flask
  # the fleet tests (tests/e2e/fleet): the balancers of deploy/ (Debian 12's nginx-light is
  # nginx itself, with HTTP/2, grpc_pass and upstream keepalive, plus the echo module), network
  # namespaces for a client whose network is cut (ip netns), and YAML to read deploy/k8s
  haproxy iproute2 python3-yaml
  # Node.js runs the JavaScript client's tests (clients/js, `node --test`)
  nodejs
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$package")
  fi
done

# npm comes with Node.js from some sources (NodeSource); Debian packages it apart.
if ! command -v npm >/dev/null; then
  missing+=(npm)
fi

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  "$root/scripts/setup-js.sh"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
# nginx-light, haproxy and prometheus start system services on install; nothing here needs them
# running (our benchmarks and the fleet tests start their own nginx and HAProxy on free ports,
# and the tests only run promtool).
for service in nginx haproxy prometheus; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet $service 2>/dev/null; then
    "${sudo_cmd[@]}" systemctl stop $service || true
  fi
done
echo "setup: done"
"$root/scripts/setup-js.sh"
