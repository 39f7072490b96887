#!/usr/bin/env bash
# Installs (apt-get, as root) the system packages the e2e tests and the benchmark need, only those
# that are missing. Idempotent: prints nothing when everything is present, else one line saying
# what it installed. Does NOT touch kernel.core_pattern: test/support/coredump-host.ts sets and
# restores it.
set -euo pipefail

packages=(
  systemd-coredump systemd-journal-remote zstd lz4 xz-utils gdb attr gcc libc6-dev curl libcap2-bin
  iproute2 util-linux nginx-light python3-prometheus-client
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ $status == ii* ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "install-test-deps: missing ${missing[*]}; run me as root" >&2
  exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-test-deps: apt-get failed installing ${missing[*]}" >&2
  exit 1
fi
echo "install-test-deps: installed ${missing[*]}"
