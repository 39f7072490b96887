import { ellipsize } from './table.js';
import { formatSize } from './units.js';

export interface ProgressState {
  label: string;
  /** Bytes received so far (including a resumed part). */
  done: number;
  /** Expected total, when the server said (Content-Length / Content-Range). */
  total?: number;
  /** Bytes received in this transfer (excluding a resumed part), for the rate. */
  transferred: number;
  elapsedMs: number;
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/**
 * One progress line, at most `width` characters:
 * `core.app…zst  42% [#######         ] 12.6M/30.0M  8.1M/s  ETA 00:02`.
 * Without a known total: `core.app…  12.6M  8.1M/s`.
 */
export function renderProgress(p: ProgressState, width: number): string {
  const rate = p.elapsedMs > 0 ? (p.transferred * 1000) / p.elapsedMs : 0;
  const rateText = `${formatSize(rate)}/s`;
  let tail: string;
  let bar = '';
  if (p.total !== undefined && p.total > 0) {
    const frac = Math.min(1, p.done / p.total);
    const pct = `${String(Math.floor(frac * 100)).padStart(3)}%`;
    const left = rate > 0 ? (p.total - p.done) / rate : Infinity;
    tail = `${formatSize(p.done)}/${formatSize(p.total)}  ${rateText}  ETA ${eta(left)}`;
    const barWidth = Math.max(0, Math.min(30, width - tail.length - pct.length - 24));
    if (barWidth >= 5) {
      const fill = Math.round(frac * barWidth);
      bar = ` [${'#'.repeat(fill)}${' '.repeat(barWidth - fill)}]`;
    }
    tail = `${pct}${bar} ${tail}`;
  } else {
    tail = `${formatSize(p.done)}  ${rateText}`;
  }
  const labelWidth = Math.max(8, width - tail.length - 2);
  return `${ellipsize(p.label, labelWidth, 'middle')}  ${tail}`.slice(0, Math.max(width, 1));
}
