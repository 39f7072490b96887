import { describe, expect, it } from '@jest/globals';

import {
  crashTime,
  fieldValue,
  idWithoutSuffix,
  isCompressed,
  sortOldestFirst,
} from './core-record.js';

describe('core-record', () => {
  it('idWithoutSuffix drops only a compression suffix', () => {
    expect(idWithoutSuffix('core.a.0.b.1.2.zst')).toBe('core.a.0.b.1.2');
    expect(idWithoutSuffix('core.a.0.b.1.2.lz4')).toBe('core.a.0.b.1.2');
    expect(idWithoutSuffix('core.a.0.b.1.2.xz')).toBe('core.a.0.b.1.2');
    expect(idWithoutSuffix('core.a.0.b.1.2')).toBe('core.a.0.b.1.2');
  });

  it('isCompressed trusts the record, else the name', () => {
    expect(isCompressed({ id: 'core.x.zst' })).toBe(true);
    expect(isCompressed({ id: 'core.x.zst', compression: 'none' })).toBe(false);
    expect(isCompressed({ id: 'core.x', compression: 'lz4' })).toBe(true);
    expect(isCompressed({ id: 'core.x.1' })).toBe(false);
  });

  it('crashTime and sorting', () => {
    expect(crashTime({ id: 'a', timestamp: 5 })).toBe(5);
    expect(crashTime({ id: 'a', COREDUMP_TIMESTAMP: '1970-01-01T00:00:01Z' })).toBe(1000);
    expect(crashTime({ id: 'a' })).toBeUndefined();
    const sorted = sortOldestFirst([
      { id: 'b', timestamp: 2 },
      { id: 'a', timestamp: 2 },
      { id: 'c', timestamp: 1 },
    ]);
    expect(sorted.map((c) => c.id)).toEqual(['c', 'a', 'b']);
  });

  it('fieldValue reaches into objects', () => {
    const r = { id: 'x', attribution: { source: 'api' }, 'a.b': 1 };
    expect(fieldValue(r, 'attribution.source')).toBe('api');
    expect(fieldValue(r, 'a.b')).toBe(1);
    expect(fieldValue(r, 'nope.x')).toBeUndefined();
  });
});
