/** A journal value that is not valid UTF-8, as the API sends it. */
export interface Base64Value {
  base64: string;
}

/**
 * A core as the koredump API returns it: the compact list record (`GET /apiv1/cores`) or the full
 * metadata record (`GET /apiv1/cores/metadata/:node/:id`). Fields are absent when unknown.
 */
export interface CoreRecord {
  id: string;
  node?: string;
  hostname?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  image?: string;
  /** The original koredump's name for `image`. */
  image_name?: string;
  COREDUMP_PID?: number;
  COREDUMP_UID?: number;
  COREDUMP_GID?: number;
  COREDUMP_SIGNAL?: number;
  COREDUMP_SIGNAL_NAME?: string;
  COREDUMP_TIMESTAMP?: string;
  COREDUMP_COMM?: string | Base64Value;
  COREDUMP_EXE?: string | Base64Value;
  COREDUMP_CMDLINE?: string | Base64Value;
  COREDUMP_HOSTNAME?: string | Base64Value;
  size?: number;
  compression?: string;
  truncated?: boolean;
  /** Epoch milliseconds: the sort key. */
  timestamp?: number;
  attribution?: { source?: string };
  workload?: { kind?: string; name?: string };
  [field: string]: unknown;
}

const COMPRESSION_SUFFIX = /\.(zst|lz4|xz)$/;

/** The id without systemd-coredump's compression suffix (`.zst`, `.lz4`, `.xz`). */
export function idWithoutSuffix(id: string): string {
  return id.replace(COMPRESSION_SUFFIX, '');
}

/** True when the core is stored compressed (by its record, else by its file name). */
export function isCompressed(core: Pick<CoreRecord, 'id' | 'compression'>): boolean {
  if (core.compression !== undefined) return core.compression !== 'none';
  return COMPRESSION_SUFFIX.test(core.id);
}

/** The crash time in epoch milliseconds: `timestamp`, else `COREDUMP_TIMESTAMP`. */
export function crashTime(core: CoreRecord): number | undefined {
  if (typeof core.timestamp === 'number' && Number.isFinite(core.timestamp)) return core.timestamp;
  if (typeof core.COREDUMP_TIMESTAMP === 'string') {
    const t = Date.parse(core.COREDUMP_TIMESTAMP);
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
}

/** Sorts oldest first (the API's order), by time then id, without changing the input. */
export function sortOldestFirst(cores: readonly CoreRecord[]): CoreRecord[] {
  return [...cores].sort((a, b) => {
    const d = (crashTime(a) ?? 0) - (crashTime(b) ?? 0);
    return d !== 0 ? d : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** A field of a record by name; `a.b` reaches into objects (`attribution.source`). */
export function fieldValue(core: Record<string, unknown>, field: string): unknown {
  if (field in core) return core[field];
  let v: unknown = core;
  for (const part of field.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * A field value as text for people: strings as they are, `{base64}` values decoded (Latin-1, so
 * every byte shows), arrays one per line, other objects as JSON; undefined stays undefined.
 */
export function displayText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map((x) => displayText(x) ?? '').join('\n');
  if (typeof v === 'object') {
    const b64 = (v as { base64?: unknown }).base64;
    if (typeof b64 === 'string') return Buffer.from(b64, 'base64').toString('latin1');
    return JSON.stringify(v);
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  return undefined;
}
