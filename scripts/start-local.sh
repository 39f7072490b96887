#!/usr/bin/env bash
# Starts koredump on this host against its own systemd-coredump, no cluster needed (auth off).
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
echo "koredump node-collector on http://127.0.0.1:${PORT:-5001}  (try: curl -s localhost:${PORT:-5001}/apiv1/cores)" >&2
exec node dist/apps/node-collector/src/main.js
