import { ForbiddenException } from '@nestjs/common';

import { AccessReviewer, type ResourceAccess, type ReviewedUser } from './token-reviewer.js';

/** koredump's virtual resource, authorised with Kubernetes RBAC. */
export const COREDUMPS = { group: 'koredump.io', resource: 'coredumps' } as const;

/** What a caller wants to do with cores in one namespace (undefined: cores with no namespace). */
export type CoreAction = 'list' | 'get' | 'download' | 'sensitive';

const ACTIONS: Record<CoreAction, Pick<ResourceAccess, 'verb' | 'subresource'>> = {
  list: { verb: 'list' },
  get: { verb: 'get' },
  download: { verb: 'get', subresource: 'download' },
  sensitive: { verb: 'get', subresource: 'sensitive' },
};

export type AuthMode = 'rbac' | 'authenticated';

/**
 * The authenticated caller of one request and what they may do. Decisions are memoised for the
 * request (and cached across requests by the CachingAccessReviewer).
 */
export class Caller {
  private readonly memo = new Map<string, Promise<boolean>>();

  private constructor(
    readonly user: ReviewedUser | undefined,
    private readonly decide: ((access: ResourceAccess) => Promise<boolean>) | undefined,
  ) {}

  /** NO_TOKENS=1, or KOREDUMP_AUTH_MODE=authenticated: everything is allowed. */
  static unrestricted(user?: ReviewedUser): Caller {
    return new Caller(user, undefined);
  }

  static withRbac(user: ReviewedUser, reviewer: AccessReviewer): Caller {
    return new Caller(user, (access) => reviewer.allowed(user, access));
  }

  /**
   * The same caller with no memoised decisions: a long-lived request (a watch stream) asks again
   * after the review cache's TTL, so a revoked right takes effect.
   */
  fresh(): Caller {
    return new Caller(this.user, this.decide);
  }

  /** True when every check passes (no RBAC to ask). */
  get unrestricted(): boolean {
    return !this.decide;
  }

  may(action: CoreAction, namespace: string | undefined): Promise<boolean> {
    if (!this.decide) return Promise.resolve(true);
    const key = `${action}\0${namespace ?? ''}`;
    let decision = this.memo.get(key);
    if (!decision) {
      decision = this.decide({ ...COREDUMPS, ...ACTIONS[action], namespace });
      this.memo.set(key, decision);
    }
    return decision;
  }

  /** Throws a 403 naming the verb, resource and namespace when the caller may not. */
  async require(action: CoreAction, namespace: string | undefined): Promise<void> {
    if (await this.may(action, namespace)) return;
    const { verb, subresource } = ACTIONS[action];
    const resource = `${COREDUMPS.resource}${subresource ? `/${subresource}` : ''}.${COREDUMPS.group}`;
    const where =
      namespace === undefined
        ? 'at cluster scope (core has no namespace)'
        : `in namespace "${namespace}"`;
    throw new ForbiddenException(
      `${this.user?.username ?? 'caller'} cannot ${verb} ${resource} ${where}`,
    );
  }
}
