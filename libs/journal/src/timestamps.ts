const USEC_PER_SEC = 1_000_000n;
// The largest instant whose ISO form still has a 4-digit year: 9999-12-31T23:59:59.999999Z.
const MAX_USEC = 253_402_300_799_999_999n;

/**
 * Parse a µs-since-epoch value into a BigInt, or undefined when it is not a non-negative
 * decimal integer. Strings are the normal input (journal values are strings); µs values are
 * around 1.7e15, inside 2^53, but arithmetic on them (and uint64 "infinity" values) is not.
 */
function toUsec(usec: string | number): bigint | undefined {
  if (typeof usec === 'number') {
    return Number.isInteger(usec) && usec >= 0 ? BigInt(usec) : undefined;
  }
  if (typeof usec !== 'string' || !/^[0-9]+$/.test(usec)) return undefined;
  return BigInt(usec);
}

/**
 * Format µs since the epoch as an ISO-8601 UTC timestamp.
 *
 * Whole seconds (`COREDUMP_TIMESTAMP` always is) give `YYYY-MM-DDTHH:MM:SSZ`; otherwise the
 * full µs precision is kept: `YYYY-MM-DDTHH:MM:SS.ffffffZ`. The arithmetic is done on BigInt so
 * no precision is lost to floating point.
 *
 * @param usec µs since the epoch, as a decimal string or an integer number
 * @returns the ISO string, or undefined for non-numeric, negative or out-of-range (year > 9999)
 *   input
 */
export function usecToIso(usec: string | number): string | undefined {
  const value = toUsec(usec);
  if (value === undefined || value > MAX_USEC) return undefined;
  const seconds = value / USEC_PER_SEC;
  const fraction = value % USEC_PER_SEC;
  // Whole seconds fit a Date exactly; only the sub-second digits need the BigInt remainder.
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (fraction === 0n) return `${base}Z`;
  return `${base}.${fraction.toString().padStart(6, '0')}Z`;
}

/**
 * Convert µs since the epoch to ms since the epoch (truncated), e.g. for `Date` or sorting.
 *
 * @param usec µs since the epoch, as a decimal string or an integer number
 * @returns whole ms, or undefined for non-numeric or negative input and for values whose ms
 *   would exceed Number.MAX_SAFE_INTEGER
 */
export function usecToEpochMs(usec: string | number): number | undefined {
  const value = toUsec(usec);
  if (value === undefined) return undefined;
  const ms = value / 1000n;
  return ms <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(ms) : undefined;
}
