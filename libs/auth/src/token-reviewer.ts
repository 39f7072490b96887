/** Who a bearer token belongs to, as the Kubernetes TokenReview API answers. */
export interface ReviewedUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type TokenReviewResult =
  { authenticated: true; user: ReviewedUser } | { authenticated: false; reason: string };

/** Port: checks a bearer token. The Kubernetes TokenReview adapter implements it. */
export abstract class TokenReviewer {
  /** Resolves with the decision; rejects when no decision could be had (API unreachable). */
  abstract review(token: string): Promise<TokenReviewResult>;
}

/**
 * Rejects every token. Used while no Kubernetes API is configured (FAKE_K8S=1 without NO_TOKENS=1),
 * so a deployment that forgot to set up authentication is closed, not open.
 */
export class RejectAllTokenReviewer extends TokenReviewer {
  review(): Promise<TokenReviewResult> {
    return Promise.resolve({
      authenticated: false,
      reason:
        'no token reviewer is configured (FAKE_K8S=1); set NO_TOKENS=1 for local use without auth',
    });
  }
}

/** One permission on koredump's virtual resource, as a SubjectAccessReview asks it. */
export interface ResourceAccess {
  group: string;
  resource: string;
  subresource?: string;
  verb: string;
  /** undefined: a cluster-scope question (cores with no namespace). */
  namespace?: string;
}

/** Port: may this user do that? The SubjectAccessReview adapter implements it. */
export abstract class AccessReviewer {
  /** Resolves with the decision; rejects when no decision could be had (API unreachable). */
  abstract allowed(user: ReviewedUser, access: ResourceAccess): Promise<boolean>;
}
