import { describe, expect, it } from '@jest/globals';

import type { CoreRecord } from '../core-record.js';
import { ellipsize, formatTable, TABLE_COLUMNS, WIDE_COLUMNS } from './table.js';

const BOOT = '0123456789abcdef0123456789abcdef';
const core: CoreRecord = {
  id: `core.app.1000.${BOOT}.101.1767225601000000.zst`,
  node: 'worker-1',
  namespace: 'team-a',
  pod: 'web-5d8f7c9b4-x7k2p',
  container: 'app',
  image: 'registry/web:1',
  COREDUMP_PID: 101,
  COREDUMP_UID: 1000,
  COREDUMP_GID: 1000,
  COREDUMP_SIGNAL: 11,
  COREDUMP_SIGNAL_NAME: 'SIGSEGV',
  COREDUMP_COMM: 'app',
  COREDUMP_EXE: '/usr/bin/app',
  size: 3 * 1024 * 1024,
  truncated: false,
  timestamp: new Date(2026, 0, 1, 0, 0, 1).getTime(), // local time, as the table prints
  attribution: { source: 'api' },
};

describe('ellipsize', () => {
  it('keeps short text, cuts at the end or in the middle', () => {
    expect(ellipsize('abc', 5)).toBe('abc');
    expect(ellipsize('abcdefgh', 5)).toBe('abcd…');
    expect(ellipsize('abcdefgh', 5, 'middle')).toBe('ab…gh');
    expect(ellipsize('abcdefgh', 1)).toBe('…');
  });
});

describe('formatTable', () => {
  it('prints the table columns with a header, two spaces apart, missing values as -', () => {
    const text = formatTable([core, { id: 'core.x', node: 'worker-22' }], TABLE_COLUMNS);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^TIME\s{2,}NODE\s{2,}NAMESPACE\s{2,}POD\s{2,}CONTAINER\s{2,}SIGNAL\s{2,}COMM\s{2,}SIZE\s{2,}ID$/,
    );
    expect(lines[1]).toContain('2026-01-01 00:00:01');
    expect(lines[1].split(/\s{2,}/)).toEqual([
      '2026-01-01 00:00:01',
      'worker-1',
      'team-a',
      'web-5d8f7c9b4-x7k2p',
      'app',
      'SIGSEGV',
      'app',
      '3.0M',
      core.id,
    ]);
    expect(lines[2].split(/\s{2,}/)).toEqual([
      '-',
      'worker-22',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      'core.x',
    ]);
    // columns line up
    expect(lines[1].indexOf('worker-1')).toBe(lines[0].indexOf('NODE'));
  });

  it('fits the terminal width by shortening the widest shrinkable columns', () => {
    const natural = formatTable([core], TABLE_COLUMNS).split('\n')[1].length;
    const text = formatTable([core], TABLE_COLUMNS, 110);
    const lines = text.trimEnd().split('\n');
    expect(natural).toBeGreaterThan(110);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(110);
    expect(lines[1]).toContain('…');
    expect(lines[1]).toMatch(/\.zst$/); // the id keeps its end
    expect(lines[1]).toMatch(/^2026-01-01 00:00:01 {2}worker-1/); // time and short columns intact
  });

  it('stops at the minimum widths when the terminal is too narrow', () => {
    const lines = formatTable([core], TABLE_COLUMNS, 20).trimEnd().split('\n');
    expect(lines[1]).toContain('SIGSEGV');
  });

  it('wide has every column (list -o wide passes no width: never shortened)', () => {
    const lines = formatTable([core], WIDE_COLUMNS).trimEnd().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual([...WIDE_COLUMNS]);
    expect(lines[1].split(/\s{2,}/)).toEqual([
      '2026-01-01 00:00:01',
      'worker-1',
      'team-a',
      'web-5d8f7c9b4-x7k2p',
      'app',
      'registry/web:1',
      '101',
      '1000',
      '1000',
      'SIGSEGV',
      'app',
      '/usr/bin/app',
      '3.0M',
      'present',
      'api',
      core.id,
    ]);
  });
});
