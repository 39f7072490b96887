import { displayText } from '../core-record.js';
import { PLAIN, type Style } from './style.js';
import { formatDuration, formatSize } from './units.js';

/** What `status` shows of a node's health report (GET /apiv1/node, merged by /apiv1/nodes). */
export interface NodeHealthView {
  corePattern?: string;
  pipesToSystemdCoredump?: boolean;
  storage?: string;
  /** null: infinity */
  externalSizeMax?: number | null;
  freeBytes?: number;
  oldestCoreAgeSeconds?: number;
  journalReadable?: boolean;
  journalError?: string;
  warnings: { code: string; message: string }[];
}

/** One collector as the CLI shows it, whatever shape the API used. */
export interface NodeStatus {
  node: string;
  ready?: boolean;
  cores?: number;
  version?: string;
  lastError?: string;
  health?: NodeHealthView;
  /** Why there is no health report. */
  healthError?: string;
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** Server text shown on a terminal: control characters (escape sequences) made visible. */
const printable = (v: unknown): string | undefined =>
  // eslint-disable-next-line no-control-regex
  displayText(v)?.replace(/[\x00-\x1f\x7f]/g, '?');

/** The parts of a node health report `status` shows; undefined when there is none. */
export function parseNodeHealth(body: unknown): NodeHealthView | undefined {
  const h = obj(body);
  if (!h) return undefined;
  const kernel = obj(h.kernel) ?? {};
  const conf = obj(h.coredumpConf) ?? {};
  const storage = obj(h.storage) ?? {};
  const journal = obj(h.journal) ?? {};
  const warnings = (Array.isArray(h.warnings) ? h.warnings : [])
    .map(obj)
    .filter((w): w is Record<string, unknown> => !!w && typeof w.message === 'string')
    .map((w) => ({
      code: str(w.code) ?? 'warning',
      message: printable(w.message) ?? '',
    }));
  return {
    corePattern: printable(kernel.corePattern),
    pipesToSystemdCoredump:
      typeof kernel.pipesToSystemdCoredump === 'boolean'
        ? kernel.pipesToSystemdCoredump
        : undefined,
    storage: printable(conf.storage),
    externalSizeMax: conf.externalSizeMax === null ? null : num(conf.externalSizeMax),
    freeBytes: num(storage.filesystemAvailableBytes) ?? num(storage.filesystemFreeBytes),
    oldestCoreAgeSeconds: num(storage.oldestCoreAgeSeconds),
    journalReadable: typeof journal.readable === 'boolean' ? journal.readable : undefined,
    journalError: printable(journal.error),
    warnings,
  };
}

/** A coredump.conf size the way the file writes it: `32G`, `1.5G`, `infinity`. */
export function formatConfSize(bytes: number | null | undefined): string {
  if (bytes === null) return 'infinity';
  if (bytes === undefined) return '-';
  for (const [unit, f] of [
    ['T', 2 ** 40],
    ['G', 2 ** 30],
    ['M', 2 ** 20],
    ['K', 2 ** 10],
  ] as const) {
    if (bytes >= f) {
      const v = bytes / f;
      return Number.isInteger(v) ? `${v}${unit}` : `${Math.floor(v * 10) / 10}${unit}`;
    }
  }
  return String(bytes);
}

/**
 * The node health table of `status` and one `WARNING <node>: <message>` line per warning; a node
 * without a report says why. Empty when no node carries health information (an older API).
 */
export function formatNodeHealth(nodes: readonly NodeStatus[], style: Style = PLAIN): string {
  const withInfo = nodes.filter((n) => n.health || n.healthError);
  if (withInfo.length === 0) return '';
  const rows = withInfo.map((n) => {
    const h = n.health;
    if (!h) return [n.node, '?', '?', '?', '?', '?', `no report: ${n.healthError}`];
    return [
      n.node,
      h.pipesToSystemdCoredump === undefined
        ? '?'
        : h.pipesToSystemdCoredump
          ? 'ok'
          : 'NOT systemd-coredump',
      h.storage ?? '?',
      formatConfSize(h.externalSizeMax),
      formatSize(h.freeBytes),
      h.oldestCoreAgeSeconds === undefined ? '-' : formatDuration(h.oldestCoreAgeSeconds * 1000),
      h.journalReadable === undefined ? '?' : h.journalReadable ? 'ok' : 'unreadable',
    ];
  });
  const header = [
    'NODE',
    'CORE_PATTERN',
    'STORAGE',
    'EXTERNALSIZEMAX',
    'FREE',
    'OLDEST CORE',
    'JOURNAL',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]) : c))
      .join('  ')
      .trimEnd();
  const out = [
    `${style.bold('Node health:')}\n`,
    ...[
      line(header),
      ...rows.map((r, i) => {
        const text = line(r);
        const n = withInfo[i];
        return n.health && n.health.warnings.length === 0 ? text : style.yellow(text);
      }),
    ].map((l) => `  ${l}\n`),
  ];
  for (const n of withInfo) {
    for (const w of n.health?.warnings ?? []) {
      out.push(`${style.red('WARNING')} ${n.node}: ${w.message}\n`);
    }
  }
  return out.join('');
}

const pick = (o: Record<string, unknown>, ...keys: string[]): unknown => {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
};

/**
 * Reads `GET /apiv1/nodes`: an array of node objects, or `{ nodes: [...] }`, or an object keyed by
 * node name. Field names are read liberally (`node`/`name`, `ready`/`status`, `cores`/`coreCount`,
 * `lastError`/`error`), so the CLI keeps working while the API grows.
 */
export function parseNodes(body: unknown): NodeStatus[] {
  let items: unknown[] = [];
  if (Array.isArray(body)) items = body;
  else if (body && typeof body === 'object') {
    const nodes = (body as { nodes?: unknown }).nodes;
    if (Array.isArray(nodes)) items = nodes;
    else {
      items = Object.entries(body as Record<string, unknown>).map(([node, v]) =>
        v && typeof v === 'object' ? { node, ...v } : { node, status: v },
      );
    }
  }
  return items
    .filter((x): x is Record<string, unknown> => !!x && typeof x === 'object')
    .map((o) => {
      const status = pick(o, 'ready', 'status', 'state', 'healthy', 'up');
      const ready =
        typeof status === 'boolean'
          ? status
          : typeof status === 'string'
            ? ['ready', 'ok', 'up', 'healthy', 'true'].includes(status.toLowerCase())
            : undefined;
      const cores = pick(o, 'cores', 'coreCount', 'core_count', 'count');
      const err = pick(o, 'lastError', 'last_error', 'error', 'message');
      const errText =
        err === undefined
          ? undefined
          : typeof err === 'string'
            ? err
            : typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string'
              ? (err as { message: string }).message
              : JSON.stringify(err);
      return {
        node: displayText(pick(o, 'node', 'name', 'nodeName')) ?? '?',
        ready,
        cores: typeof cores === 'number' ? cores : Array.isArray(cores) ? cores.length : undefined,
        version: typeof o.version === 'string' ? o.version : undefined,
        lastError: errText || undefined,
        health: parseNodeHealth(o.health),
        healthError: printable(o.healthError),
      };
    })
    .sort((a, b) => a.node.localeCompare(b.node));
}

/** The node table of `status`. */
export function formatNodes(nodes: readonly NodeStatus[], style: Style = PLAIN): string {
  const rows = nodes.map((n) => [
    n.node,
    n.ready === undefined ? '?' : n.ready ? 'yes' : 'no',
    n.cores === undefined ? '-' : String(n.cores),
    n.version ?? '-',
    n.lastError ?? '',
  ]);
  const header = ['NODE', 'READY', 'CORES', 'VERSION', 'LAST ERROR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[], color?: (s: string) => string): string => {
    const text = cells
      .map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]) : c))
      .join('  ')
      .trimEnd();
    return color ? color(text) : text;
  };
  return [
    line(header),
    ...rows.map((r, i) => line(r, nodes[i].ready === false ? style.red : undefined)),
  ]
    .map((l) => `  ${l}\n`)
    .join('');
}

/** The original's core_pattern check: systemd-coredump must be the handler. */
export function corePatternOk(pattern: string): boolean {
  return /^\|\s*\S*systemd-coredump\b/.test(pattern.trim());
}
