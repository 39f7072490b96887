import type { KubeConfig } from '@kubernetes/client-node';
import { Logger } from '@nestjs/common';
import {
  AccessReviewer,
  CachingAccessReviewer,
  CachingTokenReviewer,
  RejectAllTokenReviewer,
  TokenReviewer,
} from '@koredump/auth';

import { KubernetesAccessReviewer } from './access-review.js';
import { loadKubeConfig } from './kube-config.js';
import { KubernetesTokenReviewer } from './token-review.js';

/** What every koredump server reads from its configuration to set up authentication. */
export interface ClusterAuthOptions {
  /** FAKE_K8S=1: no Kubernetes API at all. */
  readonly fakeK8s: boolean;
  /** NO_TOKENS=1: authentication off (local use). */
  readonly authDisabled: boolean;
  /** TokenReview audiences; empty: the API server's default. */
  readonly tokenAudiences: readonly string[];
  /** How long TokenReview/SubjectAccessReview answers are reused (denials at most 10 s). */
  readonly authCacheTtlMs: number;
}

/** The Kubernetes connection (none with FAKE_K8S=1) and the token/permission reviewers. */
export interface ClusterAuth {
  readonly kubeConfig?: KubeConfig;
  readonly tokens: TokenReviewer;
  readonly access: AccessReviewer;
}

/** Denies every permission check: RBAC mode without a Kubernetes API can allow nothing. */
export class DenyAllAccessReviewer extends AccessReviewer {
  allowed(): Promise<boolean> {
    return Promise.resolve(false);
  }
}

/**
 * Builds the Kubernetes connection and the cached token/permission reviewers for one server
 * (node-collector and aggregator alike). Without a Kubernetes API (FAKE_K8S=1) every token is
 * rejected and every permission denied, so a deployment that forgot auth is closed, not open.
 */
export function clusterAuth(options: ClusterAuthOptions): ClusterAuth {
  if (options.authDisabled) {
    new Logger('Auth').warn(
      'NO_TOKENS=1: authentication and authorization are OFF; every caller can read every core',
    );
  }
  if (options.fakeK8s) {
    return {
      kubeConfig: undefined,
      tokens: new RejectAllTokenReviewer(),
      access: new DenyAllAccessReviewer(),
    };
  }
  const kubeConfig = loadKubeConfig();
  const cache = {
    positiveTtlMs: options.authCacheTtlMs,
    // Denials expire sooner: a permission just granted should work within seconds.
    negativeTtlMs: Math.min(options.authCacheTtlMs, 10_000),
    maxEntries: 10_000,
  };
  return {
    kubeConfig,
    tokens: new CachingTokenReviewer(
      new KubernetesTokenReviewer(kubeConfig, options.tokenAudiences),
      cache,
    ),
    access: new CachingAccessReviewer(new KubernetesAccessReviewer(kubeConfig), cache),
  };
}
