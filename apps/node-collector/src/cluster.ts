import type { KubeConfig } from '@kubernetes/client-node';

/** The Kubernetes API connection, or none with FAKE_K8S=1 (the DI token for it). */
export abstract class ClusterConnection {
  abstract readonly kubeConfig?: KubeConfig;
}
