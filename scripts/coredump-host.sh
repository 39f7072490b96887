#!/usr/bin/env bash
# Makes this host keep cores with systemd-coredump, also where systemd is not PID 1.
#   coredump-host.sh start   journald + coredump socket listener running, core_pattern piping to
#                            systemd-coredump (what the systemd-coredump package sets up)
# On a systemd host this only checks the package's settings are active.
set -euo pipefail
[ "${1:-}" = start ] || { echo "usage: $0 start" >&2; exit 2; }

pattern=$(sed -n 's/^kernel.core_pattern *= *//p' /usr/lib/sysctl.d/50-coredump.conf)
if [ "$(cat /proc/sys/kernel/core_pattern)" != "$pattern" ]; then
  /lib/systemd/systemd-sysctl /usr/lib/sysctl.d/50-coredump.conf
fi
if [ "$(cat /proc/1/comm)" = systemd ]; then
  systemctl start systemd-journald.service systemd-coredump.socket
  exit 0
fi
mkdir -p /var/lib/systemd/coredump
if ! pgrep -x systemd-journal >/dev/null; then
  rm -f /run/systemd/journal/socket /run/systemd/journal/stdout /run/systemd/journal/dev-log
  setsid /lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &
fi
if ! pgrep -f 'systemd-socket-activate.*/run/systemd/coredump' >/dev/null; then
  rm -f /run/systemd/coredump
  setsid systemd-socket-activate --seqpacket --accept -l /run/systemd/coredump \
    /lib/systemd/systemd-coredump </dev/null >/dev/null 2>&1 &
fi
for _ in $(seq 100); do
  [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/coredump ] && exit 0
  sleep 0.05
done
echo "journald or the coredump socket did not come up" >&2
exit 1
