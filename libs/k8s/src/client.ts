/**
 * @kubernetes/client-node, loaded on first use. Loading it costs ~60 MiB of RSS and half a second
 * (hundreds of ESM modules), which a collector running with FAKE_K8S=1 should not pay.
 */
export type KubernetesClient = typeof import('@kubernetes/client-node');

let client: KubernetesClient | undefined;

export function kubernetesClient(): KubernetesClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  client ??= require('@kubernetes/client-node') as KubernetesClient;
  return client;
}
