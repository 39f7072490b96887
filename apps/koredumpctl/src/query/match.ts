import {
  crashTime,
  displayText,
  fieldValue,
  sortOldestFirst,
  type CoreRecord,
} from '../core-record.js';
import { parseSignal, signalMatches, type SignalSpec } from './signal.js';

/** What the user asked for: filter flags plus coredumpctl-style MATCH arguments. */
export interface CoreQuery {
  namespace?: string[];
  pod?: string[];
  container?: string[];
  image?: string[];
  node?: string[];
  signal?: string[];
  since?: Date;
  until?: Date;
  /** MATCH arguments: `1234` (PID), `name` (COMM), `/path` (EXE), `FIELD=value`. */
  matches?: string[];
}

/** One field and the values it may have (any of them: OR); fields combine with AND. */
export interface FieldTest {
  field: string;
  values: string[];
}

export interface CoreFilter {
  fields: FieldTest[];
  signals: SignalSpec[];
  since?: Date;
  until?: Date;
}

/** Flag name → record field. */
const FLAG_FIELDS = {
  namespace: 'namespace',
  pod: 'pod',
  container: 'container',
  image: 'image',
  node: 'node',
} as const;

/**
 * A MATCH argument as coredumpctl reads it: `FIELD=value` matches that field, a number the PID,
 * something with a `/` the executable path, anything else the command name (COMM). A core id
 * (`core.app.1000.<boot id>.4242.1767225601000000.zst`) matches that core.
 */
export function parseMatch(arg: string): { field: string; value: string } {
  const eq = /^([A-Za-z_][A-Za-z0-9_.]*)=(.*)$/s.exec(arg);
  if (eq) return { field: eq[1], value: eq[2] };
  // A core id as systemd-coredump names files: core.COMM.UID.BOOTID.PID.USEC[.zst|.lz4|.xz]
  if (/^core\.[^/]*\.\d+\.[0-9a-f]{32}\.\d+\.\d+/.test(arg)) return { field: 'id', value: arg };
  if (/^\d+$/.test(arg)) return { field: 'COREDUMP_PID', value: arg };
  if (arg.includes('/')) return { field: 'COREDUMP_EXE', value: arg };
  return { field: 'COREDUMP_COMM', value: arg };
}

/**
 * Builds the filter. Values of one field are alternatives; different fields must all match.
 * @throws Error for a bad signal or since > until
 */
export function buildFilter(q: CoreQuery): CoreFilter {
  const byField = new Map<string, string[]>();
  const add = (field: string, value: string): void => {
    const list = byField.get(field) ?? [];
    if (!list.includes(value)) list.push(value);
    byField.set(field, list);
  };
  for (const [flag, field] of Object.entries(FLAG_FIELDS)) {
    for (const v of q[flag as keyof typeof FLAG_FIELDS] ?? []) add(field, v);
  }
  for (const m of q.matches ?? []) {
    const { field, value } = parseMatch(m);
    add(field, value);
  }
  if (q.since && q.until && q.since.getTime() > q.until.getTime()) {
    throw new Error(
      `--since (${q.since.toISOString()}) is after --until (${q.until.toISOString()})`,
    );
  }
  return {
    fields: [...byField].map(([field, values]) => ({ field, values })),
    signals: (q.signal ?? []).map(parseSignal),
    since: q.since,
    until: q.until,
  };
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

function valueMatches(actual: unknown, wanted: string): boolean {
  if (actual === undefined || actual === null) return wanted === '';
  const text = typeof actual === 'object' ? JSON.stringify(actual) : (displayText(actual) ?? '');
  if (text === wanted) return true;
  return /[*?]/.test(wanted) && globToRegExp(wanted).test(text);
}

/** True when the core passes every test of the filter. */
export function matchesFilter(filter: CoreFilter, core: CoreRecord): boolean {
  for (const t of filter.fields) {
    let actual = fieldValue(core, t.field);
    // The original koredump called the image `image_name`.
    if (t.field === 'image' && actual === undefined) actual = core.image_name;
    if (!t.values.some((v) => valueMatches(actual, v))) return false;
  }
  if (filter.signals.length && !filter.signals.some((s) => signalMatches(s, core))) return false;
  const t = crashTime(core);
  if (filter.since && (t === undefined || t < filter.since.getTime())) return false;
  if (filter.until && (t === undefined || t > filter.until.getTime())) return false;
  return true;
}

/** Record field → query parameter of `GET /apiv1/cores` (exact match on the server). */
const SERVER_PARAMS: Record<string, string> = {
  namespace: 'namespace',
  pod: 'pod',
  container: 'container',
  node: 'node',
  COREDUMP_COMM: 'comm',
};

/**
 * The query string that lets the server do as much of the filtering as it can: a field with exactly
 * one value and no wildcard, one signal, since, until. Everything is checked again on the client
 * (the server's answer is a superset), so an API that ignores a parameter is still correct.
 */
export function serverQuery(filter: CoreFilter): Record<string, string> {
  const q: Record<string, string> = {};
  for (const t of filter.fields) {
    const param = SERVER_PARAMS[t.field];
    if (param && t.values.length === 1 && t.values[0] !== '' && !/[*?]/.test(t.values[0])) {
      q[param] = t.values[0];
    }
  }
  if (filter.signals.length === 1) q.signal = filter.signals[0].name;
  if (filter.since) q.since = filter.since.toISOString();
  if (filter.until) q.until = filter.until.toISOString();
  return q;
}

export interface Selection {
  /** Only the newest (coredumpctl `-1`). */
  newest?: boolean;
  /** At most this many, the newest ones. */
  limit?: number;
  /** Newest first. */
  reverse?: boolean;
}

/** Filters, sorts oldest first, keeps the newest `limit` (1 with `newest`), optionally reversed. */
export function selectCores(
  cores: readonly CoreRecord[],
  filter: CoreFilter,
  sel: Selection = {},
): CoreRecord[] {
  let out = sortOldestFirst(cores.filter((c) => matchesFilter(filter, c)));
  const limit = sel.newest ? 1 : sel.limit;
  if (limit !== undefined) out = limit <= 0 ? [] : out.slice(-limit);
  return sel.reverse ? out.reverse() : out;
}
