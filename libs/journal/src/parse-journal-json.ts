import { Buffer } from 'node:buffer';
import { usecToIso } from './timestamps.js';

/** A field value that is not valid UTF-8, carried as base64 of its raw bytes. */
export interface Base64Value {
  base64: string;
}

/** One value of a journal field after normalization. */
export type JournalScalar = string | number | Base64Value;

/** A field value: a scalar, or an array when the field occurs more than once in the entry. */
export type JournalValue = JournalScalar | JournalScalar[];

/** Normalized fields of one journal entry, keyed by field name. */
export type JournalFields = Record<string, JournalValue>;

/** One journal entry from `journalctl -o json`, normalized. */
export interface ParsedJournalEntry {
  /** `__CURSOR`, for resuming (`--after-cursor`); not repeated in `fields`. */
  cursor?: string;
  /** `__REALTIME_TIMESTAMP` as the raw µs string (fields carries it as ISO). */
  realtimeUsec?: string;
  /** All other fields, normalized (see {@link parseJournalJsonObject}). */
  fields: JournalFields;
}

/** Fields whose decimal string values are turned into numbers. */
export const INTEGER_FIELDS: ReadonlySet<string> = new Set([
  'COREDUMP_PID',
  'COREDUMP_UID',
  'COREDUMP_GID',
  'COREDUMP_SIGNAL',
  'COREDUMP_SESSION',
  'COREDUMP_OWNER_UID',
  'PRIORITY',
  '_PID',
  '_UID',
  '_GID',
  'ERRNO',
  'CODE_LINE',
  'SYSLOG_PID',
]);

// Never exposed in `fields`: the cursor has its own property, sequence numbers are journal
// internals, and COREDUMP is the whole core (megabytes) when Storage=journal.
const DROPPED_FIELDS: ReadonlySet<string> = new Set([
  '__CURSOR',
  '__SEQNUM',
  '__SEQNUM_ID',
  'COREDUMP',
]);

// fatal: invalid UTF-8 must be detected, not papered over with U+FFFD.
// ignoreBOM: a leading EF BB BF is part of the value and must not be silently stripped.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Canonical decimal only (no '+', no leading zeros, no '-0'), so conversion is lossless.
const INTEGER = /^(?:0|-?[1-9][0-9]*)$/;

/** A JSON array of byte numbers, which is how journalctl prints binary values. */
function isByteArray(value: unknown[]): value is number[] {
  return value.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255);
}

/** Decode raw bytes: UTF-8 text as a string, anything else as base64. */
function decodeBytes(bytes: number[]): string | Base64Value {
  const buf = Uint8Array.from(bytes);
  try {
    return utf8.decode(buf);
  } catch {
    return { base64: Buffer.from(buf).toString('base64') };
  }
}

/** Normalize one occurrence of a value; undefined when it is unknown (null) or unusable. */
function normalizeScalar(value: unknown): JournalScalar | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value) && isByteArray(value)) return decodeBytes(value);
  // null (over 4096 bytes without --all) or a type journalctl never prints: the value is not
  // known, and we do not invent one.
  return undefined;
}

/** Normalize a field's JSON value, telling byte arrays from multi-value arrays. */
function normalizeValue(value: unknown): JournalValue | undefined {
  if (!Array.isArray(value) || isByteArray(value)) return normalizeScalar(value);
  // Multi-valued field: elements are strings, byte arrays, or null for oversized ones.
  const values: JournalScalar[] = [];
  for (const element of value) {
    const scalar = normalizeScalar(element);
    if (scalar !== undefined) values.push(scalar);
  }
  return values.length > 0 ? values : undefined;
}

/** Number for a decimal integer string that is exactly representable; else unchanged. */
function toInteger(value: JournalValue): JournalValue {
  if (typeof value !== 'string' || !INTEGER.test(value)) return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

/** ISO form of a µs timestamp string; the raw value when it does not convert. */
function toIso(value: JournalValue): JournalValue {
  return typeof value === 'string' ? (usecToIso(value) ?? value) : value;
}

/** Assign without going through setters, so a field named `__proto__` stays a plain key. */
function setField(fields: JournalFields, key: string, value: JournalValue): void {
  Object.defineProperty(fields, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/**
 * Normalize one already-parsed `journalctl -o json` object.
 *
 * - byte arrays (binary values) become strings when they are valid UTF-8, else `{ base64 }`;
 * - arrays of strings/byte arrays (a field occurring more than once) become arrays of values;
 * - `null` (a value over 4096 bytes without `--all`) is omitted;
 * - {@link INTEGER_FIELDS} with a decimal integer string become numbers;
 * - `COREDUMP_TIMESTAMP` and `__REALTIME_TIMESTAMP` become ISO-8601 strings, and the raw
 *   realtime µs also goes to `realtimeUsec`; `__MONOTONIC_TIMESTAMP` stays a string;
 * - `__CURSOR` goes to `cursor`; `__CURSOR`, `__SEQNUM`, `__SEQNUM_ID` and `COREDUMP` (the
 *   core itself) are never put in `fields`.
 *
 * @param obj one entry as produced by `JSON.parse`
 * @returns the normalized entry
 */
export function parseJournalJsonObject(obj: Record<string, unknown>): ParsedJournalEntry {
  const entry: ParsedJournalEntry = { fields: {} };
  for (const [key, raw] of Object.entries(obj)) {
    if (key === '__CURSOR' && typeof raw === 'string') entry.cursor = raw;
    if (DROPPED_FIELDS.has(key)) continue;
    let value = normalizeValue(raw);
    if (value === undefined) continue;
    if (INTEGER_FIELDS.has(key)) {
      value = toInteger(value);
    } else if (key === 'COREDUMP_TIMESTAMP') {
      value = toIso(value);
    } else if (key === '__REALTIME_TIMESTAMP') {
      if (typeof value === 'string') entry.realtimeUsec = value;
      value = toIso(value);
    }
    setField(entry.fields, key, value);
  }
  return entry;
}

/**
 * Parse and normalize one line of `journalctl -o json --all` output.
 *
 * @param line one JSON line
 * @returns the normalized entry (see {@link parseJournalJsonObject})
 * @throws Error when the line is not valid JSON or not a JSON object
 */
export function parseJournalJsonLine(line: string): ParsedJournalEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`journal JSON line is not valid JSON (${reason}): ${preview(line)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed;
    throw new Error(`journal JSON line is not a JSON object (got ${kind}): ${preview(line)}`);
  }
  return parseJournalJsonObject(parsed as Record<string, unknown>);
}

// Keep error messages bounded: a bad line may be megabytes of core bytes.
function preview(line: string): string {
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);
}
