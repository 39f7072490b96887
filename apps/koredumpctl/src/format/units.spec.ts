import { describe, expect, it } from '@jest/globals';

import { formatDuration, formatLocalTime, formatSize, formatTimestampLong } from './units.js';

describe('formatSize', () => {
  it.each([
    [undefined, '-'],
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1.0K'],
    [1536, '1.5K'],
    [3 * 1024 * 1024, '3.0M'],
    [150 * 1024 * 1024, '150M'],
    [2.5 * 1024 ** 3, '2.5G'],
    [-1, '-'],
  ])('%s -> %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});

describe('time formats', () => {
  it('formatLocalTime', () => {
    expect(formatLocalTime(new Date(2026, 0, 2, 3, 4, 5).getTime())).toBe('2026-01-02 03:04:05');
    expect(formatLocalTime(undefined)).toBe('-');
  });

  it.each([
    [0, '0s'],
    [3_000, '3s'],
    [302_000, '5min 2s'],
    [7_500_000, '2h 5min'],
    [3 * 86_400_000 + 4 * 3_600_000 + 5000, '3d 4h'],
    [86_400_000 + 30_000, '1d'],
  ])('formatDuration(%s)', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('formatTimestampLong is coredumpctl-like', () => {
    const t = new Date(2026, 0, 1, 0, 0, 1).getTime();
    expect(formatTimestampLong(t, t + 7_500_000)).toMatch(
      /^Thu 2026-01-01 00:00:01 \S+ \(2h 5min ago\)$/,
    );
  });
});
