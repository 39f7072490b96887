import { describe, expect, it } from '@jest/globals';

import type { CoreRecord } from '../core-record.js';
import { buildFilter, matchesFilter, parseMatch, selectCores, serverQuery } from './match.js';

const BOOT = '0123456789abcdef0123456789abcdef';
const core = (n: number, extra: Partial<CoreRecord> = {}): CoreRecord => ({
  id: `core.app.0.${BOOT}.${n}.${1767225600 + n}000000.zst`,
  node: 'node-a',
  namespace: 'team-a',
  pod: `web-${n}`,
  container: 'app',
  image: 'registry/web:1',
  COREDUMP_PID: n,
  COREDUMP_UID: 1000,
  COREDUMP_SIGNAL: 11,
  COREDUMP_SIGNAL_NAME: 'SIGSEGV',
  COREDUMP_COMM: 'app',
  COREDUMP_EXE: '/usr/bin/app',
  timestamp: (1767225600 + n) * 1000,
  attribution: { source: 'api' },
  ...extra,
});

describe('parseMatch (coredumpctl MATCH arguments)', () => {
  it.each([
    ['4242', 'COREDUMP_PID', '4242'],
    ['nginx', 'COREDUMP_COMM', 'nginx'],
    ['/usr/sbin/nginx', 'COREDUMP_EXE', '/usr/sbin/nginx'],
    ['./bin/x', 'COREDUMP_EXE', './bin/x'],
    ['namespace=team-a', 'namespace', 'team-a'],
    ['COREDUMP_UID=0', 'COREDUMP_UID', '0'],
    ['attribution.source=api', 'attribution.source', 'api'],
    ['MESSAGE=a=b', 'MESSAGE', 'a=b'],
    [
      `core.app.0.${BOOT}.5.1767225605000000.zst`,
      'id',
      `core.app.0.${BOOT}.5.1767225605000000.zst`,
    ],
  ])('%s', (arg, field, value) => {
    expect(parseMatch(arg)).toEqual({ field, value });
  });
});

describe('buildFilter / matchesFilter', () => {
  it('ORs values of one field and ANDs fields', () => {
    const f = buildFilter({ pod: ['web-1', 'web-2'], matches: ['app'] });
    expect(matchesFilter(f, core(1))).toBe(true);
    expect(matchesFilter(f, core(2))).toBe(true);
    expect(matchesFilter(f, core(3))).toBe(false);
    expect(matchesFilter(f, core(1, { COREDUMP_COMM: 'other' }))).toBe(false);
  });

  it('matches PID, EXE, nested fields, numbers as text, and wildcards', () => {
    expect(matchesFilter(buildFilter({ matches: ['7'] }), core(7))).toBe(true);
    expect(matchesFilter(buildFilter({ matches: ['8'] }), core(7))).toBe(false);
    expect(matchesFilter(buildFilter({ matches: ['/usr/bin/app'] }), core(7))).toBe(true);
    expect(matchesFilter(buildFilter({ matches: ['attribution.source=api'] }), core(7))).toBe(true);
    expect(matchesFilter(buildFilter({ matches: ['COREDUMP_UID=1000'] }), core(7))).toBe(true);
    expect(matchesFilter(buildFilter({ pod: ['web-*'] }), core(7))).toBe(true);
    expect(matchesFilter(buildFilter({ image: ['*/web:?'] }), core(7))).toBe(true);
    expect(matchesFilter(buildFilter({ namespace: ['team-?b'] }), core(7))).toBe(false);
  });

  it('reads the original image_name when image is absent', () => {
    const f = buildFilter({ image: ['quay.io/x:1'] });
    expect(matchesFilter(f, core(1, { image: undefined, image_name: 'quay.io/x:1' }))).toBe(true);
  });

  it('a missing field only matches the empty value', () => {
    expect(
      matchesFilter(buildFilter({ namespace: ['team-a'] }), core(1, { namespace: undefined })),
    ).toBe(false);
    expect(
      matchesFilter(buildFilter({ matches: ['namespace='] }), core(1, { namespace: undefined })),
    ).toBe(true);
  });

  it('filters by signal (any of several) and by time', () => {
    const abrt = core(2, { COREDUMP_SIGNAL: 6, COREDUMP_SIGNAL_NAME: 'SIGABRT' });
    expect(matchesFilter(buildFilter({ signal: ['segv'] }), abrt)).toBe(false);
    expect(matchesFilter(buildFilter({ signal: ['segv', '6'] }), abrt)).toBe(true);
    const since = new Date((1767225600 + 5) * 1000);
    const until = new Date((1767225600 + 6) * 1000);
    const f = buildFilter({ since, until });
    expect([4, 5, 6, 7].map((n) => matchesFilter(f, core(n)))).toEqual([false, true, true, false]);
    // COREDUMP_TIMESTAMP when there is no epoch field
    expect(
      matchesFilter(
        f,
        core(9, { timestamp: undefined, COREDUMP_TIMESTAMP: '2026-01-01T00:00:05Z' }),
      ),
    ).toBe(true);
  });

  it('rejects since after until and bad signals', () => {
    expect(() => buildFilter({ since: new Date(2000), until: new Date(1000) })).toThrow(
      /is after --until/,
    );
    expect(() => buildFilter({ signal: ['nope'] })).toThrow(/unknown signal/);
  });
});

describe('serverQuery', () => {
  it('sends single exact values, one signal and the times; leaves the rest to the client', () => {
    const f = buildFilter({
      namespace: ['team-a'],
      pod: ['web-1', 'web-2'],
      container: ['app*'],
      node: ['node-a'],
      image: ['registry/web:1'],
      signal: ['11'],
      since: new Date('2026-01-01T00:00:00Z'),
      until: new Date('2026-01-02T00:00:00Z'),
      matches: ['app', '42'],
    });
    expect(serverQuery(f)).toEqual({
      namespace: 'team-a',
      node: 'node-a',
      comm: 'app',
      signal: 'SIGSEGV',
      since: '2026-01-01T00:00:00.000Z',
      until: '2026-01-02T00:00:00.000Z',
    });
    expect(serverQuery(buildFilter({ signal: ['11', '6'] }))).toEqual({});
  });
});

describe('selectCores', () => {
  const cores = [core(3), core(1), core(2), core(4, { namespace: 'team-b' })];
  const all = buildFilter({});

  it('sorts oldest first, as the API', () => {
    expect(selectCores(cores, all).map((c) => c.COREDUMP_PID)).toEqual([1, 2, 3, 4]);
  });

  it('-1 is the newest match, --limit the newest N, -r reverses', () => {
    const a = buildFilter({ namespace: ['team-a'] });
    expect(selectCores(cores, a, { newest: true }).map((c) => c.COREDUMP_PID)).toEqual([3]);
    expect(selectCores(cores, all, { limit: 2 }).map((c) => c.COREDUMP_PID)).toEqual([3, 4]);
    expect(selectCores(cores, all, { limit: 2, reverse: true }).map((c) => c.COREDUMP_PID)).toEqual(
      [4, 3],
    );
    expect(selectCores(cores, all, { reverse: true }).map((c) => c.COREDUMP_PID)).toEqual([
      4, 3, 2, 1,
    ]);
    expect(selectCores(cores, all, { limit: 0 })).toEqual([]);
    expect(selectCores([], all, { newest: true })).toEqual([]);
  });
});
