/**
 * What to do with a request's `Range` header for a file of known size (RFC 9110 §14).
 *
 * - `full`: answer 200 with the whole file;
 * - `partial`: answer 206 with bytes `start`..`end` (both inclusive);
 * - `unsatisfiable`: answer 416, with the unsatisfied-range `Content-Range` that states the size.
 */
export type ByteRangeDecision =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

const FULL: ByteRangeDecision = { kind: 'full' };
const UNSATISFIABLE: ByteRangeDecision = { kind: 'unsatisfiable' };

// RFC 9110 range-unit is a token; anything else before '=' means this is not a range header
// we understand, and an unknown/invalid Range header is ignored (served in full).
const HEADER = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=(.*)$/s;
// int-range "first-[last]" and suffix-range "-length", digits only (so no signs or exponents).
const INT_RANGE = /^([0-9]+)-([0-9]*)$/;
const SUFFIX_RANGE = /^-([0-9]+)$/;

/** A digit string as a number, or undefined when it exceeds Number.MAX_SAFE_INTEGER. */
function safe(digits: string): number | undefined {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Decide how to answer a `Range` request header for a file of `size` bytes.
 *
 * Only a single `bytes` range is honoured. No header, another unit or a header without `=`
 * gives `full`. Several ranges also give `full`: RFC 9110 lets a server ignore Range, and a
 * multipart/byteranges body is not worth it for core files (clients fetch one window at a time).
 * A malformed `bytes=` spec, a start beyond the end, a zero-length suffix and any range on an
 * empty file are `unsatisfiable`, so clients learn the size from the 416's Content-Range.
 *
 * @param rangeHeader the raw header value, if any
 * @param size file size in bytes (non-negative safe integer)
 * @returns the decision
 * @throws RangeError when `size` is not a non-negative safe integer (a caller bug)
 */
export function decideByteRange(rangeHeader: string | undefined, size: number): ByteRangeDecision {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`file size must be a non-negative safe integer, got ${size}`);
  }
  if (rangeHeader === undefined || rangeHeader.trim() === '') return FULL;
  const header = HEADER.exec(rangeHeader);
  if (!header || header[1].toLowerCase() !== 'bytes') return FULL;

  // RFC 9110 list syntax allows empty elements ("bytes=0-1,"), so those are skipped.
  const specs = header[2]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length === 0) return UNSATISFIABLE;
  if (specs.length > 1) return FULL;
  const spec = specs[0];

  const suffix = SUFFIX_RANGE.exec(spec);
  if (suffix) {
    const length = safe(suffix[1]);
    if (length === undefined || length === 0 || size === 0) return UNSATISFIABLE;
    // A suffix longer than the file means the whole file (still as a 206 of all bytes).
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }

  const range = INT_RANGE.exec(spec);
  if (!range) return UNSATISFIABLE;
  const start = safe(range[1]);
  const last = range[2] === '' ? size - 1 : safe(range[2]);
  if (start === undefined || last === undefined) return UNSATISFIABLE;
  if (range[2] !== '' && last < start) return UNSATISFIABLE; // invalid per RFC, e.g. 5-2
  if (start >= size) return UNSATISFIABLE; // also covers every range on a 0-byte file
  return { kind: 'partial', start, end: Math.min(last, size - 1) };
}
