/**
 * A size the way coredumpctl prints it: `512B`, `1.5K`, `3.0M`, `1.2G` (powers of 1024).
 */
export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '-';
  if (bytes < 1024) return `${Math.round(bytes)}B`;
  const units = ['K', 'M', 'G', 'T', 'P'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)}${units[i]}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `2026-01-01 10:00:05` in the local time zone (TZ), as a terminal table wants it. */
export function formatLocalTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** The local zone's abbreviation-ish name for `ms` (`UTC`, `CET`, `GMT+2`). */
export function localZoneName(ms: number): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
    .formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}

/** `3s`, `5min 2s`, `2h 5min`, `3d 4h`: the largest two units. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'min'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}

/** coredumpctl's `Thu 2026-01-01 10:00:05 UTC (2h 5min ago)`. */
export function formatTimestampLong(ms: number | undefined, now: number = Date.now()): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  const day = new Intl.DateTimeFormat('en-US', { weekday: 'short' }).format(new Date(ms));
  const ago = now >= ms ? `${formatDuration(now - ms)} ago` : `in ${formatDuration(ms - now)}`;
  return `${day} ${formatLocalTime(ms)} ${localZoneName(ms)} (${ago})`;
}
