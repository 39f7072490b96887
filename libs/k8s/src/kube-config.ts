import type { KubeConfig } from '@kubernetes/client-node';

import { kubernetesClient } from './client.js';

/**
 * The Kubernetes client configuration: in a pod, the service account (token, CA,
 * KUBERNETES_SERVICE_HOST); elsewhere KUBECONFIG or ~/.kube/config, as kubectl.
 */
export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new (kubernetesClient().KubeConfig)();
  // KOREDUMP_IN_CLUSTER_ROOT prefixes /var/run/secrets/… (for tests; a pod never needs it).
  if (env.KUBERNETES_SERVICE_HOST && !env.KUBECONFIG) {
    kc.loadFromCluster(env.KOREDUMP_IN_CLUSTER_ROOT);
  } else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) {
    throw new Error(
      'no Kubernetes configuration: not in a pod (KUBERNETES_SERVICE_HOST unset) and no kubeconfig found; set FAKE_K8S=1 to run without Kubernetes',
    );
  }
  return kc;
}

/** Rejects after `ms` so a call to an unreachable API server fails instead of hanging. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new KubernetesUnavailableError(
            `${what}: no answer from the Kubernetes API within ${ms} ms`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The Kubernetes API could not be asked (unreachable, timed out, 5xx): not a "no". */
export class KubernetesUnavailableError extends Error {}

/** HTTP status of a client-node ApiException, or undefined for network errors. */
export function apiStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Wraps a failed API call: network errors and 5xx become KubernetesUnavailableError. */
export function asUnavailable(err: unknown, what: string): Error {
  const status = apiStatus(err);
  if (status === undefined || status >= 500 || status === 429) {
    return new KubernetesUnavailableError(
      `${what}: ${status ? `HTTP ${status}` : (err as Error).message}`,
    );
  }
  return err as Error;
}
