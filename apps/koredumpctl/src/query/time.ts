const UNITS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/**
 * Parses `--since`/`--until` the way coredumpctl and journalctl read times, minus the exotic forms:
 *
 * - relative to now: `2h`, `30m`, `1d`, `90s`, `1w`, `1h30m`, `-2h`, `2 hours ago`;
 * - `now`, `today`, `yesterday`, `tomorrow` (midnight, local time);
 * - absolute: ISO 8601 with a zone (`2026-01-01T10:00:00Z`), or local time `2026-01-01`,
 *   `2026-01-01 10:00`, `2026-01-01T10:00:05`;
 * - `@1767225600` (epoch seconds).
 *
 * @throws Error naming the accepted forms when the text is none of them
 */
export function parseTime(input: string, now: Date = new Date()): Date {
  const s = input.trim().toLowerCase();
  if (s === 'now') return new Date(now);
  if (s === 'today') return startOfDay(now);
  if (s === 'yesterday') return new Date(startOfDay(now).getTime() - 86_400_000);
  if (s === 'tomorrow') return new Date(startOfDay(now).getTime() + 86_400_000);
  const epoch = /^@(\d+(?:\.\d+)?)$/.exec(s);
  if (epoch) return new Date(Math.round(Number(epoch[1]) * 1000));

  const rel = /^(?:-\s*)?((?:\d+(?:\.\d+)?\s*[a-z]+\s*)+?)(?:\s+ago)?$/.exec(s);
  if (rel) {
    let ms = 0;
    const part = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;
    let m: RegExpExecArray | null;
    let ok = true;
    while ((m = part.exec(rel[1])) !== null) {
      const unit = UNITS[m[2]];
      if (unit === undefined) {
        ok = false;
        break;
      }
      ms += Number(m[1]) * unit;
    }
    if (ok) return new Date(now.getTime() - ms);
  }

  const local =
    /^(\d{4})-(\d{2})-(\d{2})(?:[ t](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$/.exec(s);
  if (local) {
    const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '0'] = local;
    const date = new Date(
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(h),
      Number(mi),
      Number(sec),
      Math.round(Number(`0.${frac}`) * 1000),
    );
    const valid =
      date.getMonth() === Number(mo) - 1 &&
      date.getDate() === Number(d) &&
      date.getHours() === Number(h) &&
      date.getMinutes() === Number(mi) &&
      Number(sec) < 60;
    if (valid) return date;
  }
  if (/^\d{4}-\d{2}-\d{2}t[\d:.]+(z|[+-]\d{2}:?\d{2})$/.test(s)) {
    const t = Date.parse(input.trim());
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new Error(
    `cannot read the time "${input}": use a relative time (2h, 30m, 1d, 1w), now/today/yesterday, a date (2026-01-01, 2026-01-01 10:00) or ISO 8601 (2026-01-01T10:00:00Z)`,
  );
}
