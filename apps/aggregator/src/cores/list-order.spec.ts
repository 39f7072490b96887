import { describe, expect, it } from '@jest/globals';

import {
  compareKeys,
  decodeCursor,
  encodeCursor,
  mergePage,
  MAX_CURSOR_LENGTH,
  type ListKey,
} from './list-order.js';

const key = (timestamp: number, id: string, node: string): ListKey => ({ timestamp, id, node });
const any = (): boolean => true;

describe('list order', () => {
  it('sorts by timestamp, then id, then node', () => {
    const keys = [
      key(2, 'core.a', 'n1'),
      key(1, 'core.b', 'n1'),
      key(1, 'core.a', 'n2'),
      key(1, 'core.a', 'n1'),
    ];
    expect([...keys].sort(compareKeys)).toEqual([
      key(1, 'core.a', 'n1'),
      key(1, 'core.a', 'n2'),
      key(1, 'core.b', 'n1'),
      key(2, 'core.a', 'n1'),
    ]);
    expect(compareKeys(key(1, 'x', 'y'), key(1, 'x', 'y'))).toBe(0);
  });
});

describe('cursor', () => {
  it('round-trips a position as an opaque base64url string', () => {
    const k = key(1_800_000_000_123, 'core.app.0.abc.1.2.zst', 'node-a');
    const c = encodeCursor(k);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c, any)).toEqual(k);
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['JSON but not an object', Buffer.from('42').toString('base64url')],
    [
      'another version',
      Buffer.from(JSON.stringify({ v: 2, t: 1, i: 'core.x', n: 'a' })).toString('base64url'),
    ],
    [
      'a fractional time',
      Buffer.from(JSON.stringify({ v: 1, t: 1.5, i: 'core.x', n: 'a' })).toString('base64url'),
    ],
    ['a missing id', Buffer.from(JSON.stringify({ v: 1, t: 1, n: 'a' })).toString('base64url')],
    ['too long', 'a'.repeat(MAX_CURSOR_LENGTH + 1)],
  ])('rejects %s', (_what, cursor) => expect(decodeCursor(cursor, any)).toBeUndefined());

  it('rejects what the validator rejects', () => {
    const c = encodeCursor(key(1, 'core.x', 'a/b'));
    expect(decodeCursor(c, (k) => !k.node.includes('/'))).toBeUndefined();
  });
});

describe('mergePage', () => {
  /** A random cluster: nodes with sorted lists, many timestamp collisions. */
  function cluster(seed: number): ListKey[][] {
    let s = seed;
    const rnd = (n: number): number => {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      return s % n;
    };
    return Array.from({ length: 1 + rnd(5) }, (_, n) =>
      Array.from({ length: rnd(12) }, (_, i) =>
        key(rnd(6), `core.${rnd(3)}.${i}`, `node-${n}`),
      ).sort(compareKeys),
    );
  }

  /** What a collector answers: its first `limit` items at or after the cursor's millisecond. */
  function ask(list: ListKey[], after: ListKey | undefined, limit: number): ListKey[] {
    const since = list.filter((k) => !after || k.timestamp >= after.timestamp);
    const kept = since.filter((k) => !after || compareKeys(k, after) > 0);
    // Enough to have limit + 1 after the cursor (the service re-asks until it has).
    return since.slice(0, since.length - kept.length + limit + 1);
  }

  it.each([1, 2, 3, 7])('pages (limit %i) through random clusters exactly once', (limit) => {
    for (let seed = 1; seed < 200; seed++) {
      const lists = cluster(seed);
      const everything = lists.flat().sort(compareKeys);
      const seen: ListKey[] = [];
      let after: ListKey | undefined;
      for (let pages = 0; ; pages++) {
        const { page, more } = mergePage(
          lists.map((l) => ask(l, after, limit)),
          limit,
          after,
        );
        seen.push(...page);
        if (!more) break;
        after = page[page.length - 1];
        expect(pages).toBeLessThan(100);
      }
      expect(seen).toEqual(everything);
    }
  });

  it('returns everything after the cursor without a limit', () => {
    const lists = [[key(1, 'core.a', 'n1'), key(3, 'core.c', 'n1')], [key(2, 'core.b', 'n2')]];
    expect(mergePage(lists, undefined, key(1, 'core.a', 'n1'))).toEqual({
      page: [key(2, 'core.b', 'n2'), key(3, 'core.c', 'n1')],
      more: false,
    });
  });
});
