import { describe, expect, it } from '@jest/globals';

import { CachingAccessReviewer, CachingTokenReviewer } from './decision-cache.js';
import {
  AccessReviewer,
  TokenReviewer,
  type ResourceAccess,
  type TokenReviewResult,
} from './token-reviewer.js';

class CountingReviewer extends TokenReviewer {
  calls: string[] = [];
  down = false;
  review(token: string): Promise<TokenReviewResult> {
    this.calls.push(token);
    if (this.down) return Promise.reject(new Error('connection refused'));
    return Promise.resolve(
      token === 'good'
        ? { authenticated: true, user: { username: 'alice', groups: ['devs'] } }
        : { authenticated: false, reason: 'invalid' },
    );
  }
}

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('CachingTokenReviewer', () => {
  it('asks once per token per TTL, with a shorter TTL for rejections', async () => {
    const inner = new CountingReviewer();
    const c = clock();
    const cached = new CachingTokenReviewer(inner, {
      positiveTtlMs: 60_000,
      negativeTtlMs: 5_000,
      maxEntries: 100,
      now: c.now,
    });
    await Promise.all([cached.review('good'), cached.review('good'), cached.review('bad')]);
    await cached.review('good');
    expect(inner.calls).toEqual(['good', 'bad']);
    c.advance(6_000);
    await cached.review('bad');
    await cached.review('good');
    expect(inner.calls).toEqual(['good', 'bad', 'bad']);
    c.advance(60_000);
    await cached.review('good');
    expect(inner.calls).toEqual(['good', 'bad', 'bad', 'good']);
  });

  it('keeps serving unexpired answers while the API is down, and fails (not opens) when cold', async () => {
    const inner = new CountingReviewer();
    const c = clock();
    const cached = new CachingTokenReviewer(inner, {
      positiveTtlMs: 60_000,
      negativeTtlMs: 5_000,
      maxEntries: 100,
      now: c.now,
    });
    await cached.review('good');
    inner.down = true;
    await expect(cached.review('good')).resolves.toMatchObject({ authenticated: true });
    await expect(cached.review('other')).rejects.toThrow('connection refused');
    c.advance(61_000);
    await expect(cached.review('good')).rejects.toThrow('connection refused');
    // A failure is not cached: the next call asks again.
    inner.down = false;
    await expect(cached.review('good')).resolves.toMatchObject({ authenticated: true });
  });

  it('is bounded', async () => {
    const inner = new CountingReviewer();
    const cached = new CachingTokenReviewer(inner, {
      positiveTtlMs: 60_000,
      negativeTtlMs: 60_000,
      maxEntries: 2,
    });
    for (const t of ['a', 'b', 'c', 'a']) await cached.review(t);
    expect(inner.calls).toEqual(['a', 'b', 'c', 'a']);
  });
});

describe('CachingAccessReviewer', () => {
  it('caches per user, groups and question', async () => {
    const asked: ResourceAccess[] = [];
    const inner = new (class extends AccessReviewer {
      allowed(_u: unknown, access: ResourceAccess): Promise<boolean> {
        asked.push(access);
        return Promise.resolve(access.namespace === 'a');
      }
    })();
    const cached = new CachingAccessReviewer(inner, {
      positiveTtlMs: 60_000,
      negativeTtlMs: 60_000,
      maxEntries: 100,
    });
    const alice = { username: 'alice', groups: ['x', 'y'] };
    const q = { group: 'koredump.io', resource: 'coredumps', verb: 'list' };
    expect(await cached.allowed(alice, { ...q, namespace: 'a' })).toBe(true);
    expect(await cached.allowed({ ...alice, groups: ['y', 'x'] }, { ...q, namespace: 'a' })).toBe(
      true,
    );
    expect(await cached.allowed(alice, { ...q, namespace: 'b' })).toBe(false);
    expect(
      await cached.allowed({ username: 'alice', groups: ['z'] }, { ...q, namespace: 'a' }),
    ).toBe(true);
    expect(await cached.allowed(alice, { ...q, verb: 'get', namespace: 'a' })).toBe(true);
    expect(asked).toHaveLength(4);
  });
});
