# Sourced by the benchmark scripts: a scratch directory and the processes they start, both gone
# on exit, and waiting for a ready line.
#   work      the scratch directory
#   pids      the PIDs to end on exit (append each process the script starts)

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

wait_for_line() {  # FILE KEY → prints the address after KEY= in FILE's ready line
  for _ in $(seq 200); do
    if grep -q "$2=" "$1" 2>/dev/null; then sed -n "s/.*$2=\([^ ]*\).*/\1/p" "$1"; return; fi
    sleep 0.05
  done
  echo "timed out waiting for $2 in $1" >&2; exit 1
}
