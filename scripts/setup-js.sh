#!/usr/bin/env bash
# Installs the JavaScript client's development packages (clients/js/package-lock.json: `ws`, a
# WebSocket for its tests in Node; the client itself has no dependency) with `npm ci` from the
# npm registry. Idempotent: does nothing when node_modules already holds what the lock file says.
set -euo pipefail
client=$(cd "$(dirname "${BASH_SOURCE[0]}")/../clients/js" && pwd)
stamp="$client/node_modules/.predictwire-package-lock.json"

if cmp -s "$client/package-lock.json" "$stamp" 2>/dev/null; then
  echo "setup-js: clients/js/node_modules is up to date"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "setup-js: npm is missing (scripts/setup.sh installs it)" >&2
  exit 1
fi
echo "setup-js: npm ci in clients/js"
(cd "$client" && npm ci --no-audit --no-fund --ignore-scripts --registry=https://registry.npmjs.org/)
cp "$client/package-lock.json" "$stamp"
