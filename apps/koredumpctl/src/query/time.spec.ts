import { describe, expect, it } from '@jest/globals';

import { parseTime } from './time.js';

describe('parseTime', () => {
  const now = new Date('2026-03-10T12:00:00Z');

  it.each([
    ['2h', '2026-03-10T10:00:00.000Z'],
    ['30m', '2026-03-10T11:30:00.000Z'],
    ['1d', '2026-03-09T12:00:00.000Z'],
    ['90s', '2026-03-10T11:58:30.000Z'],
    ['1w', '2026-03-03T12:00:00.000Z'],
    ['1h30m', '2026-03-10T10:30:00.000Z'],
    ['-2h', '2026-03-10T10:00:00.000Z'],
    ['2 hours ago', '2026-03-10T10:00:00.000Z'],
    ['45min', '2026-03-10T11:15:00.000Z'],
    ['now', '2026-03-10T12:00:00.000Z'],
    ['@1767225600', '2026-01-01T00:00:00.000Z'],
    ['2026-01-01T10:00:00Z', '2026-01-01T10:00:00.000Z'],
    ['2026-01-01T10:00:00+02:00', '2026-01-01T08:00:00.000Z'],
    ['2026-01-01t10:00:00.5z', '2026-01-01T10:00:00.500Z'],
  ])('%s', (input, iso) => {
    expect(parseTime(input, now).toISOString()).toBe(iso);
  });

  it('reads dates without a zone as local time, like journalctl', () => {
    expect(parseTime('2026-01-01', now).getTime()).toBe(new Date(2026, 0, 1).getTime());
    expect(parseTime('2026-01-01 10:05', now).getTime()).toBe(
      new Date(2026, 0, 1, 10, 5).getTime(),
    );
    expect(parseTime('2026-01-01T10:05:07', now).getTime()).toBe(
      new Date(2026, 0, 1, 10, 5, 7).getTime(),
    );
  });

  it('today and yesterday are local midnights', () => {
    const local = new Date(2026, 2, 10, 15, 0);
    expect(parseTime('today', local).getTime()).toBe(new Date(2026, 2, 10).getTime());
    expect(parseTime('yesterday', local).getTime()).toBe(new Date(2026, 2, 9).getTime());
  });

  it.each(['', 'soon', '2x', '2026-13-45', 'abc 2h', '12'])(
    'rejects %j with the forms it accepts',
    (bad) => {
      expect(() => parseTime(bad, now)).toThrow(/cannot read the time .*relative time \(2h/);
    },
  );
});
