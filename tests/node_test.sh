#!/bin/sh
# Runs one test file of the JavaScript client (clients/js/test/NAME.test.js) with Node's own test
# runner, as CTest's js.NAME. A missing Node.js, or missing test packages, is a failure that says
# what to do, never a silent skip.
set -eu
client=$(cd "$(dirname "$0")/../clients/js" && pwd)
test_file="$client/test/$1.test.js"

if ! command -v node >/dev/null 2>&1; then
  echo "js.$1: Node.js is missing: the JavaScript client's tests need node 18 or later (scripts/setup.sh installs it)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "js.$1: Node.js $(node --version) is too old: the client's tests need 18 or later" >&2
  exit 1
fi
if [ ! -f "$client/node_modules/ws/package.json" ]; then
  echo "js.$1: clients/js/node_modules has no 'ws' (the WebSocket the tests use in Node): run scripts/setup.sh (npm ci in clients/js)" >&2
  exit 1
fi
cd "$client"
exec node --test "$test_file"
