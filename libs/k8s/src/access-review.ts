import type { AuthorizationV1Api, KubeConfig } from '@kubernetes/client-node';
import { AccessReviewer, type ResourceAccess, type ReviewedUser } from '@koredump/auth';

import { kubernetesClient } from './client.js';
import { asUnavailable, withTimeout } from './kube-config.js';

/** AccessReviewer backed by SubjectAccessReview (authorization.k8s.io/v1). */
export class KubernetesAccessReviewer extends AccessReviewer {
  private readonly api: AuthorizationV1Api;

  constructor(
    kc: KubeConfig,
    private readonly timeoutMs = 5000,
  ) {
    super();
    this.api = kc.makeApiClient(kubernetesClient().AuthorizationV1Api);
  }

  async allowed(user: ReviewedUser, access: ResourceAccess): Promise<boolean> {
    try {
      const review = await withTimeout(
        this.api.createSubjectAccessReview({
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              // Exactly as TokenReview returned them: group bindings only work with the groups.
              user: user.username,
              uid: user.uid,
              groups: user.groups,
              extra: user.extra,
              resourceAttributes: {
                group: access.group,
                resource: access.resource,
                subresource: access.subresource,
                verb: access.verb,
                namespace: access.namespace ?? '',
              },
            },
          },
        }),
        this.timeoutMs,
        'SubjectAccessReview',
      );
      return review.status?.allowed === true;
    } catch (err) {
      throw asUnavailable(err, 'SubjectAccessReview');
    }
  }
}
