#!/usr/bin/env bash
# Starts koredump on this host against its own systemd-coredump, no cluster needed (auth off):
# the node-collector on :5001 and the aggregator on :5000 in front of it, both in the foreground;
# Ctrl-C (or either one exiting) stops both.
# As root on Debian: installs systemd-coredump if missing; on a host without systemd as PID 1
# (containers, CI VMs) it also starts journald and the coredump socket listener itself.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ]; then
  bash scripts/install-test-deps.sh
  bash scripts/coredump-host.sh start
else
  echo "not root: using the host's systemd-coredump and journal as they are" >&2
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build

export NO_TOKENS=${NO_TOKENS:-1} FAKE_K8S=${FAKE_K8S:-1}
collector_port=${KOREDUMP_DAEMONSET_PORT:-5001}
aggregator_port=${PORT:-5000}
# Node names are DNS-1123 subdomains: the host name, lower-cased; the same for both processes.
node=${KOREDUMP_NODE_NAME:-$(hostname | tr '[:upper:]' '[:lower:]')}

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

PORT=$collector_port KOREDUMP_NODE_NAME=$node node dist/apps/node-collector/src/main.js &
pids+=($!)
PORT=$aggregator_port KOREDUMP_DAEMONSET_PORT=$collector_port \
  KOREDUMP_COLLECTORS=${KOREDUMP_COLLECTORS:-$node=http://127.0.0.1:$collector_port} \
  node dist/apps/aggregator/src/main.js &
pids+=($!)

echo "koredump node-collector on http://127.0.0.1:$collector_port, aggregator on http://127.0.0.1:$aggregator_port" >&2
echo "  try: curl -s localhost:$aggregator_port/apiv1/cores; curl -s localhost:$aggregator_port/apiv1/nodes" >&2
# Whichever exits first (a crash, a bad setting) takes the other one down with it.
set +e
wait -n "${pids[@]}"
status=$?
stop
exit "$status"
