import { displayText } from '../core-record.js';
import { PLAIN, type Style } from './style.js';

/** One collector as the CLI shows it, whatever shape the API used. */
export interface NodeStatus {
  node: string;
  ready?: boolean;
  cores?: number;
  version?: string;
  lastError?: string;
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
