import { describe, expect, it } from '@jest/globals';

import { scanRecords } from './record-scan.js';

/** A deterministic pseudo-random generator (tests stay reproducible). */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
}

const NASTY = [
  '"',
  '\\',
  '\\"',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '\n',
  '\u2028',
  'é',
  '😀',
  '"id":"x"',
  '\\\\',
];

function text(r: (n: number) => number): string {
  let out = '';
  for (let i = r(12); i > 0; i--) {
    out += r(3) === 0 ? NASTY[r(NASTY.length)] : String.fromCharCode(97 + r(26));
  }
  return out;
}

function value(r: (n: number) => number, depth = 0): unknown {
  switch (r(depth > 2 ? 4 : 6)) {
    case 0:
      return text(r);
    case 1:
      return r(1000) - 500 + (r(2) ? 0.25 : 0);
    case 2:
      return [true, false, null][r(3)];
    case 3:
      return r(10) * 1e21;
    case 4:
      return Array.from({ length: r(4) }, () => value(r, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: r(4) }, () => [text(r), value(r, depth + 1)]));
  }
}

function record(r: (n: number) => number, i: number): Record<string, unknown> {
  const rec: Record<string, unknown> = {};
  const keys = ['COREDUMP_CMDLINE', 'attribution', 'workload', 'weird', 'id', 'timestamp', 'node'];
  for (const k of keys.sort(() => r(3) - 1)) {
    if (k === 'id') rec.id = `core.${text(r)}.${i}`;
    else if (k === 'timestamp') rec.timestamp = 1_800_000_000_000 + r(1000);
    else if (k === 'node') {
      if (r(4)) rec.node = `node-${r(3)}`;
    } else rec[k] = value(r);
  }
  return rec;
}

describe('scanRecords', () => {
  it('reads id, timestamp, node and the exact text of every record (random records)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const records = Array.from({ length: r(6) }, (_, i) => record(r, i));
      const json =
        seed % 3 === 0
          ? JSON.stringify(records, null, seed % 2 ? 2 : '\t')
          : JSON.stringify(records);
      const scanned = scanRecords(Buffer.from(json));
      expect(scanned).toBeDefined();
      expect(scanned!.map((s) => JSON.parse(s.json.toString('utf8')) as unknown)).toEqual(records);
      expect(scanned!.map(({ id, timestamp, node }) => ({ id, timestamp, node }))).toEqual(
        records.map((x) => ({ id: x.id, timestamp: x.timestamp, node: x.node })),
      );
    }
  });

  it('decodes escaped ids and takes the top-level keys only', () => {
    const json = '[{"nested":{"id":"inner","timestamp":1},"id":"core.a\\"b","timestamp":5}]';
    expect(scanRecords(Buffer.from(json))).toEqual([
      { id: 'core.a"b', timestamp: 5, node: undefined, json: Buffer.from(json.slice(1, -1)) },
    ]);
    expect(scanRecords(Buffer.from(' [ ] '))).toEqual([]);
    // An escaped key is not recognised by the fast path: the caller parses instead.
    expect(scanRecords(Buffer.from('[{"\\u0069d":"a","timestamp":1}]'))).toBeUndefined();
  });

  it.each([
    ['not an array', '{"id":"a","timestamp":1}'],
    ['an array of non-objects', '[1,2]'],
    ['a truncated list', '[{"id":"a","timestamp":1},{"id":"b","timest'],
    ['an unterminated string', '[{"id":"a,"timestamp":1}]'],
    ['unbalanced brackets', '[{"id":"a","timestamp":1,"x":[1,2}]'],
    ['an invalid literal', '[{"id":"a","timestamp":1,"x":tru}]'],
    ['trailing text', '[{"id":"a","timestamp":1}] x'],
    ['no id', '[{"timestamp":1}]'],
    ['no timestamp', '[{"id":"a"}]'],
    ['a non-numeric timestamp', '[{"id":"a","timestamp":"1"}]'],
    ['a missing comma', '[{"id":"a","timestamp":1}{"id":"b","timestamp":2}]'],
    ['empty', ''],
  ])('gives up on %s', (_what, json) => {
    expect(scanRecords(Buffer.from(json))).toBeUndefined();
  });
});
