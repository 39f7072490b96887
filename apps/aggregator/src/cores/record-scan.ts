/**
 * Pure: splits a collector's list (the bytes of a JSON array of objects) into the bytes of each
 * record, reading only the top-level `id`, `timestamp` and `node` of each. The aggregator sorts
 * by those and writes the records out byte for byte as they came, so a list of 10,000 cores
 * costs one scan (mostly memchr) instead of decoding, JSON.parse and JSON.stringify of every
 * record, and the answer is assembled with one copy. It works on bytes: JSON's structure is
 * ASCII, and UTF-8 multi-byte sequences never contain ASCII bytes.
 *
 * The structure is checked (array of objects, balanced strings and brackets, valid literals), so
 * a record's bytes can never spill into its neighbours; anything unexpected returns undefined and
 * the caller parses the answer the ordinary way.
 */

export interface ScannedRecord {
  timestamp: number;
  id: string;
  /** The record's `node`, if it has a string one. */
  node?: string;
  /** The record's JSON, exactly as received (a view into the answer). */
  json: Buffer;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

class Malformed extends Error {}

/** Index just past the string whose opening quote is at `i`. */
function skipString(buf: Buffer, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, j);
    if (q < 0) throw new Malformed();
    // A quote preceded by an odd number of backslashes is escaped.
    let k = q - 1;
    while (buf[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q + 1;
    j = q + 1;
  }
}

function skipWs(buf: Buffer, i: number): number {
  for (;;) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** The value of the string at `start..end` (quotes included). */
function stringValue(buf: Buffer, start: number, end: number): string {
  let escaped = false;
  for (let k = start + 1; k < end - 1 && !escaped; k++) escaped = buf[k] === BACKSLASH;
  return escaped
    ? (JSON.parse(buf.toString('utf8', start, end)) as string)
    : buf.toString('utf8', start + 1, end - 1);
}

function skipLiteral(buf: Buffer, i: number): number {
  let j = i;
  for (;;) {
    const c = buf[j];
    if (c === undefined || c === 0x2c || c === 0x7d || c === 0x5d || c <= 0x20 || c === 0x3a) {
      break;
    }
    j++;
  }
  if (j === i || !LITERAL.test(buf.toString('latin1', i, j))) throw new Malformed();
  return j;
}

/** Index just past the value starting at `i` (checked, not decoded). */
function skipValue(buf: Buffer, i: number): number {
  const c = buf[i];
  if (c === QUOTE) return skipString(buf, i);
  if (c !== 0x7b && c !== 0x5b) return skipLiteral(buf, i);
  // Nested object/array: balanced brackets outside strings; literals checked.
  const stack: number[] = [c === 0x7b ? 0x7d : 0x5d];
  let j = i + 1;
  while (stack.length) {
    j = skipWs(buf, j);
    const d = buf[j];
    if (d === undefined) {
      throw new Malformed();
    } else if (d === QUOTE) {
      j = skipString(buf, j);
    } else if (d === 0x7b || d === 0x5b) {
      stack.push(d === 0x7b ? 0x7d : 0x5d);
      j++;
    } else if (d === 0x7d || d === 0x5d) {
      if (stack.pop() !== d) throw new Malformed();
      j++;
    } else if (d === 0x2c || d === 0x3a) {
      j++;
    } else {
      j = skipLiteral(buf, j);
    }
  }
  return j;
}

const KEYS = ['id', 'node', 'timestamp'].map((k) => Buffer.from(k));

/** 'id', 'node', 'timestamp' when the key at `at` (unescaped, `length` bytes) is one of them. */
function keyAt(buf: Buffer, at: number, length: number): string {
  for (const key of KEYS) {
    if (key.length !== length) continue;
    let k = 0;
    while (k < length && buf[at + k] === key[k]) k++;
    if (k === length) return key.toString('latin1');
  }
  return '';
}

/** The records of a JSON array of objects, or undefined when `buf` is not one. */
export function scanRecords(buf: Buffer): ScannedRecord[] | undefined {
  try {
    return scan(buf);
  } catch (err) {
    if (err instanceof Malformed || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

function scan(buf: Buffer): ScannedRecord[] | undefined {
  const out: ScannedRecord[] = [];
  let i = skipWs(buf, 0);
  if (buf[i] !== 0x5b) return undefined;
  i = skipWs(buf, i + 1);
  if (buf[i] === 0x5d) return skipWs(buf, i + 1) === buf.length ? out : undefined;
  for (;;) {
    if (buf[i] !== 0x7b) return undefined;
    const start = i;
    let id: string | undefined;
    let timestamp: number | undefined;
    let node: string | undefined;
    i = skipWs(buf, i + 1);
    if (buf[i] !== 0x7d) {
      for (;;) {
        if (buf[i] !== QUOTE) return undefined;
        const keyEnd = skipString(buf, i);
        // Only three keys matter, compared byte by byte (no decoding).
        const key = keyAt(buf, i + 1, keyEnd - i - 2);
        i = skipWs(buf, keyEnd);
        if (buf[i] !== 0x3a) return undefined;
        i = skipWs(buf, i + 1);
        const valueStart = i;
        i = skipValue(buf, i);
        if (key === 'id' || key === 'node') {
          if (buf[valueStart] === QUOTE) {
            const v = stringValue(buf, valueStart, i);
            if (key === 'id') id = v;
            else node = v;
          }
        } else if (key === 'timestamp') {
          timestamp = Number(buf.toString('latin1', valueStart, i));
        }
        i = skipWs(buf, i);
        const c = buf[i];
        if (c === 0x2c) {
          i = skipWs(buf, i + 1);
          continue;
        }
        if (c === 0x7d) break;
        return undefined;
      }
    }
    i++;
    if (id === undefined || timestamp === undefined || !Number.isFinite(timestamp)) {
      return undefined;
    }
    out.push({ timestamp, id, node, json: buf.subarray(start, i) });
    i = skipWs(buf, i);
    const c = buf[i];
    if (c === 0x2c) {
      i = skipWs(buf, i + 1);
      continue;
    }
    if (c === 0x5d) return skipWs(buf, i + 1) === buf.length ? out : undefined;
    return undefined;
  }
}
