/** Who a bearer token belongs to, as the Kubernetes TokenReview API answers. */
export interface ReviewedUser {
  username: string;
  uid?: string;
  groups: string[];
}

export type TokenReviewResult =
  { authenticated: true; user: ReviewedUser } | { authenticated: false; reason: string };

/** Port: checks a bearer token. The Kubernetes TokenReview adapter implements it. */
export abstract class TokenReviewer {
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
