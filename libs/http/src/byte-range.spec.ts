import { describe, it, expect } from '@jest/globals';
import { decideByteRange, type ByteRangeDecision } from './byte-range.js';

const full: ByteRangeDecision = { kind: 'full' };
const bad: ByteRangeDecision = { kind: 'unsatisfiable' };
const part = (start: number, end: number): ByteRangeDecision => ({ kind: 'partial', start, end });
const MAX = Number.MAX_SAFE_INTEGER;

describe('decideByteRange', () => {
  it.each<[string | undefined, number, ByteRangeDecision]>([
    // no range / ignored ranges -> 200 full
    [undefined, 1000, full],
    ['', 1000, full],
    ['   ', 1000, full],
    ['items=0-10', 1000, full],
    ['bytes', 1000, full],
    ['bytes 0-10', 1000, full],
    ['0-10', 1000, full],
    ['bytes=0-10,20-30', 1000, full],
    ['bytes=0-10, -5', 1000, full],
    ['bytes = 0-1 , 5-6', 1000, full],
    [undefined, 0, full],
    // partial
    ['bytes=0-0', 1000, part(0, 0)],
    ['bytes=0-499', 1000, part(0, 499)],
    ['bytes=100-', 1000, part(100, 999)],
    ['bytes=0-', 1000, part(0, 999)],
    ['bytes=999-', 1000, part(999, 999)],
    ['bytes=500-999', 1000, part(500, 999)],
    ['bytes=500-5000', 1000, part(500, 999)],
    [`bytes=0-${MAX}`, 1000, part(0, 999)],
    ['bytes=-500', 1000, part(500, 999)],
    ['bytes=-1', 1000, part(999, 999)],
    ['bytes=-1000', 1000, part(0, 999)],
    ['bytes=-5000', 1000, part(0, 999)],
    ['bytes=-0500', 1000, part(500, 999)],
    ['bytes=0-0', 1, part(0, 0)],
    ['bytes=-1', 1, part(0, 0)],
    // whitespace and case tolerance
    ['Bytes=0-9', 1000, part(0, 9)],
    ['BYTES=0-9', 1000, part(0, 9)],
    ['bytes = 0-9', 1000, part(0, 9)],
    [' bytes= 0-9 ', 1000, part(0, 9)],
    ['bytes=0-9,', 1000, part(0, 9)],
    ['bytes=, 0-9', 1000, part(0, 9)],
    // large files beyond 4 GiB
    ['bytes=5000000000-', 6000000000, part(5000000000, 5999999999)],
    // 416
    ['bytes=1000-', 1000, bad],
    ['bytes=1000-2000', 1000, bad],
    ['bytes=5000-', 1000, bad],
    ['bytes=-0', 1000, bad],
    ['bytes=0-0', 0, bad],
    ['bytes=0-', 0, bad],
    ['bytes=-1', 0, bad],
    ['bytes=-0', 0, bad],
    ['bytes=abc', 1000, bad],
    ['bytes=5-2', 1000, bad],
    ['bytes=', 1000, bad],
    ['bytes= ', 1000, bad],
    ['bytes=,', 1000, bad],
    ['bytes=-', 1000, bad],
    ['bytes=--5', 1000, bad],
    ['bytes=-5-10', 1000, bad],
    ['bytes=5--10', 1000, bad],
    ['bytes=+5-10', 1000, bad],
    ['bytes=1e3-', 1000, bad],
    ['bytes=0x10-', 1000, bad],
    ['bytes=1.5-2', 1000, bad],
    ['bytes=0 - 9', 1000, bad],
    ['bytes=0-9-', 1000, bad],
    [`bytes=${MAX + 1}-`, 1000, bad],
    ['bytes=99999999999999999999-', 1000, bad],
    ['bytes=0-99999999999999999999', 1000, bad],
    ['bytes=-99999999999999999999', 1000, bad],
  ])('%j on %d bytes', (header, size, expected) => {
    expect(decideByteRange(header, size)).toStrictEqual(expected);
  });

  it.each<[number]>([[-1], [1.5], [NaN], [Infinity], [MAX + 1]])(
    'rejects invalid size %d',
    (size) => {
      expect(() => decideByteRange('bytes=0-1', size)).toThrow(RangeError);
    },
  );
});
