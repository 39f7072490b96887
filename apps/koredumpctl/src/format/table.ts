import { crashTime, displayText, type CoreRecord } from '../core-record.js';
import { formatLocalTime, formatSize } from './units.js';

export interface Column<T = CoreRecord> {
  header: string;
  value: (row: T) => string;
  /** Shrinks (with an ellipsis) when the table is wider than the terminal; never below min. */
  shrink?: { min: number; keep: 'start' | 'middle' };
  align?: 'right';
}

const str = (v: unknown): string => {
  const t = displayText(v);
  return t === undefined || t === '' ? '-' : t.replace(/\s+/g, ' ');
};

const signal = (c: CoreRecord): string =>
  c.COREDUMP_SIGNAL_NAME ?? (c.COREDUMP_SIGNAL !== undefined ? String(c.COREDUMP_SIGNAL) : '-');

const COLUMNS: Record<string, Column> = {
  TIME: { header: 'TIME', value: (c) => formatLocalTime(crashTime(c)) },
  NODE: { header: 'NODE', value: (c) => str(c.node), shrink: { min: 8, keep: 'start' } },
  NAMESPACE: {
    header: 'NAMESPACE',
    value: (c) => str(c.namespace),
    shrink: { min: 9, keep: 'start' },
  },
  POD: { header: 'POD', value: (c) => str(c.pod), shrink: { min: 10, keep: 'start' } },
  CONTAINER: {
    header: 'CONTAINER',
    value: (c) => str(c.container),
    shrink: { min: 9, keep: 'start' },
  },
  IMAGE: { header: 'IMAGE', value: (c) => str(c.image ?? c.image_name) },
  PID: { header: 'PID', value: (c) => str(c.COREDUMP_PID), align: 'right' },
  UID: { header: 'UID', value: (c) => str(c.COREDUMP_UID), align: 'right' },
  GID: { header: 'GID', value: (c) => str(c.COREDUMP_GID), align: 'right' },
  SIGNAL: { header: 'SIGNAL', value: signal },
  COMM: { header: 'COMM', value: (c) => str(c.COREDUMP_COMM), shrink: { min: 6, keep: 'start' } },
  EXE: { header: 'EXE', value: (c) => str(c.COREDUMP_EXE) },
  SIZE: { header: 'SIZE', value: (c) => formatSize(c.size), align: 'right' },
  COREFILE: {
    header: 'COREFILE',
    value: (c) => (c.truncated ? 'truncated' : 'present'),
  },
  ATTRIBUTION: { header: 'ATTRIBUTION', value: (c) => str(c.attribution?.source) },
  ID: { header: 'ID', value: (c) => str(c.id), shrink: { min: 16, keep: 'middle' } },
};

/** `-o table`: fits the terminal. */
export const TABLE_COLUMNS = [
  'TIME',
  'NODE',
  'NAMESPACE',
  'POD',
  'CONTAINER',
  'SIGNAL',
  'COMM',
  'SIZE',
  'ID',
] as const;

/** `-o wide`: everything that matters, never shortened. */
export const WIDE_COLUMNS = [
  'TIME',
  'NODE',
  'NAMESPACE',
  'POD',
  'CONTAINER',
  'IMAGE',
  'PID',
  'UID',
  'GID',
  'SIGNAL',
  'COMM',
  'EXE',
  'SIZE',
  'COREFILE',
  'ATTRIBUTION',
  'ID',
] as const;

const GAP = 2;

/** Shortens to `width` characters with `…` at the end, or in the middle (keeps both ends of ids). */
export function ellipsize(s: string, width: number, keep: 'start' | 'middle' = 'start'): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width <= 1) return '…'.slice(0, width);
  if (keep === 'start') return `${chars.slice(0, width - 1).join('')}…`;
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return `${chars.slice(0, head).join('')}…${tail ? chars.slice(-tail).join('') : ''}`;
}

const len = (s: string): number => [...s].length;

/**
 * A table with a header line, columns separated by two spaces. With `maxWidth` (a terminal's
 * width), the widest shrinkable column is shortened one character at a time until the table fits
 * or every shrinkable column is at its minimum; the last column is never padded.
 */
export function formatTable(
  cores: readonly CoreRecord[],
  names: readonly string[],
  maxWidth?: number,
): string {
  const cols = names.map((n) => {
    const col = COLUMNS[n];
    if (!col) throw new Error(`unknown column ${n}`);
    return col;
  });
  return formatColumns(cores, cols, maxWidth);
}

/** formatTable for any kind of row (crash groups, …) with its own columns. */
export function formatColumns<T>(
  items: readonly T[],
  cols: readonly Column<T>[],
  maxWidth?: number,
): string {
  const rows = items.map((c) => cols.map((col) => col.value(c)));
  const widths = cols.map((col, i) => Math.max(len(col.header), ...rows.map((r) => len(r[i]))));
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
  if (maxWidth !== undefined && maxWidth > 0) {
    while (total() > maxWidth) {
      let widest = -1;
      cols.forEach((col, i) => {
        if (!col.shrink) return;
        const min = Math.max(col.shrink.min, len(col.header));
        if (widths[i] > min && (widest < 0 || widths[i] > widths[widest])) widest = i;
      });
      if (widest < 0) break;
      widths[widest]--;
    }
  }
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => {
        const col = cols[i];
        const fitted = ellipsize(cell, widths[i], col.shrink?.keep);
        if (i === cells.length - 1 && col.align !== 'right') return fitted;
        const padding = ' '.repeat(Math.max(0, widths[i] - len(fitted)));
        return col.align === 'right' ? padding + fitted : fitted + padding;
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [line(cols.map((c) => c.header)), ...rows.map(line)].map((l) => `${l}\n`).join('');
}
