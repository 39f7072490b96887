import type { CrashGroup, SignatureFrame } from '@koredump/crash';

import { formatColumns, type Column } from './table.js';
import { formatLocalTime } from './units.js';

/** A crash group as the API sent it (fields may be missing from other versions). */
export type CrashGroupRecord = Partial<CrashGroup> & { signature: string };

/** `crash_here`, or `libfoo.so + 0x1135` for a frame without a symbol. */
export function frameText(frame: SignatureFrame | undefined): string {
  if (!frame) return '-';
  if (frame.function) return frame.function;
  return frame.module ? `${frame.module} + ${frame.offset ?? '?'}` : '-';
}

const list = (values: readonly string[] | undefined): string =>
  values?.length ? values.join(',') : '-';
const time = (iso: string | undefined): string =>
  formatLocalTime(iso ? Date.parse(iso) : undefined);
const text = (v: string | number | undefined): string =>
  v === undefined || v === '' ? '-' : String(v).replace(/\s+/g, ' ');

const COLUMNS = {
  SIGNATURE: { header: 'SIGNATURE', value: (g) => g.signature },
  COUNT: { header: 'COUNT', value: (g) => text(g.count), align: 'right' },
  FIRST_SEEN: { header: 'FIRST SEEN', value: (g) => time(g.firstSeen) },
  LAST_SEEN: { header: 'LAST SEEN', value: (g) => time(g.lastSeen) },
  SIGNAL: { header: 'SIGNAL', value: (g) => text(g.signal) },
  EXE: { header: 'EXE', value: (g) => text(g.executable), shrink: { min: 6, keep: 'start' } },
  NODES: { header: 'NODES', value: (g) => list(g.nodes), shrink: { min: 8, keep: 'start' } },
  NAMESPACES: {
    header: 'NAMESPACES',
    value: (g) => list(g.namespaces),
    shrink: { min: 10, keep: 'start' },
  },
  WORKLOADS: { header: 'WORKLOADS', value: (g) => list(g.workloads) },
  IMAGES: { header: 'IMAGES', value: (g) => list(g.images) },
  TOP_FRAME: {
    header: 'TOP FRAME',
    value: (g) => frameText(g.topFrames?.[0]),
    shrink: { min: 12, keep: 'start' },
  },
  FRAMES: {
    header: 'TOP FRAMES',
    value: (g) => (g.topFrames?.length ? g.topFrames.map(frameText).join(' < ') : '-'),
  },
  EXAMPLE: {
    header: 'NEWEST CORE',
    value: (g) => (g.examples?.[0] ? `${g.examples[0].node} ${g.examples[0].id}` : '-'),
  },
} satisfies Record<string, Column<CrashGroupRecord>>;

type ColumnName = keyof typeof COLUMNS;

/** `-o table`: fits the terminal. */
export const GROUP_TABLE_COLUMNS: readonly ColumnName[] = [
  'SIGNATURE',
  'COUNT',
  'LAST_SEEN',
  'SIGNAL',
  'EXE',
  'NAMESPACES',
  'TOP_FRAME',
];

/** `-o wide`: everything, never shortened. */
export const GROUP_WIDE_COLUMNS: readonly ColumnName[] = [
  'SIGNATURE',
  'COUNT',
  'FIRST_SEEN',
  'LAST_SEEN',
  'SIGNAL',
  'EXE',
  'NODES',
  'NAMESPACES',
  'WORKLOADS',
  'IMAGES',
  'FRAMES',
  'EXAMPLE',
];

export function formatGroups(
  groups: readonly CrashGroupRecord[],
  names: readonly ColumnName[],
  maxWidth?: number,
): string {
  return formatColumns<CrashGroupRecord>(
    groups,
    names.map((n) => COLUMNS[n]),
    maxWidth,
  );
}
