import type { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import { TokenReviewer, type TokenReviewResult } from '@koredump/auth';

import { kubernetesClient } from './client.js';
import { asUnavailable, withTimeout } from './kube-config.js';

/** TokenReviewer backed by the TokenReview API (authentication.k8s.io/v1). */
export class KubernetesTokenReviewer extends TokenReviewer {
  private readonly api: AuthenticationV1Api;

  constructor(
    kc: KubeConfig,
    private readonly audiences: readonly string[] = [],
    private readonly timeoutMs = 5000,
  ) {
    super();
    this.api = kc.makeApiClient(kubernetesClient().AuthenticationV1Api);
  }

  async review(token: string): Promise<TokenReviewResult> {
    let review;
    try {
      review = await withTimeout(
        this.api.createTokenReview({
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token, ...(this.audiences.length ? { audiences: [...this.audiences] } : {}) },
          },
        }),
        this.timeoutMs,
        'TokenReview',
      );
    } catch (err) {
      throw asUnavailable(err, 'TokenReview');
    }
    const status = review.status;
    if (!status?.authenticated || !status.user?.username) {
      return { authenticated: false, reason: status?.error ?? 'not authenticated' };
    }
    return {
      authenticated: true,
      user: {
        username: status.user.username,
        uid: status.user.uid,
        groups: status.user.groups ?? [],
        extra: status.user.extra,
      },
    };
  }
}
