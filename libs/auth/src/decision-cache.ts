import { hash } from 'node:crypto';

import {
  AccessReviewer,
  TokenReviewer,
  type ResourceAccess,
  type ReviewedUser,
  type TokenReviewResult,
} from './token-reviewer.js';

export interface CacheOptions {
  positiveTtlMs: number;
  negativeTtlMs: number;
  maxEntries: number;
  now?: () => number;
}

/**
 * A bounded map of decisions with separate TTLs for yes and no. Expired entries are not served:
 * when the API is down, only unexpired decisions keep working.
 */
class DecisionCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expires: number }>();
  private readonly inflight = new Map<string, Promise<V>>();

  constructor(private readonly options: CacheOptions) {}

  /** Hot path: a hit returns the stored (settled) promise, allocating nothing. */
  get(key: string, positive: (v: V) => boolean, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > (this.options.now ?? Date.now)()) return hit.value;
    // One call per key at a time: a burst of requests with one token asks the API once.
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = load()
        .then((value) => {
          const ttl = positive(value) ? this.options.positiveTtlMs : this.options.negativeTtlMs;
          this.entries.delete(key);
          this.entries.set(key, {
            value: Promise.resolve(value),
            expires: (this.options.now ?? Date.now)() + ttl,
          });
          if (this.entries.size > this.options.maxEntries) {
            this.entries.delete(this.entries.keys().next().value as string);
          }
          return value;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }
}

/** Never keep a token in clear, not even as a map key. */
function tokenKey(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** Caches TokenReview results by a hash of the token. */
export class CachingTokenReviewer extends TokenReviewer {
  private readonly cache: DecisionCache<TokenReviewResult>;

  constructor(
    private readonly inner: TokenReviewer,
    options: CacheOptions,
  ) {
    super();
    this.cache = new DecisionCache(options);
  }

  review(token: string): Promise<TokenReviewResult> {
    return this.cache.get(
      tokenKey(token),
      (r) => r.authenticated,
      () => this.inner.review(token),
    );
  }
}

/** Caches SubjectAccessReview decisions per user (name, groups) and question. */
export class CachingAccessReviewer extends AccessReviewer {
  private readonly cache: DecisionCache<boolean>;

  constructor(
    private readonly inner: AccessReviewer,
    options: CacheOptions,
  ) {
    super();
    this.cache = new DecisionCache(options);
  }

  /** Per user object (TokenReview's cached answer is one object for its whole TTL). */
  private readonly userKeys = new WeakMap<ReviewedUser, string>();

  allowed(user: ReviewedUser, access: ResourceAccess): Promise<boolean> {
    let userKey = this.userKeys.get(user);
    if (userKey === undefined) {
      userKey = JSON.stringify([user.username, user.uid, [...user.groups].sort()]);
      this.userKeys.set(user, userKey);
    }
    const key = `${userKey}\0${access.verb}\0${access.group}\0${access.resource}\0${access.subresource ?? ''}\0${access.namespace ?? '\u0001'}`;
    return this.cache.get(
      key,
      (v) => v,
      () => this.inner.allowed(user, access),
    );
  }
}
