import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

import { kubernetesClient } from './client.js';
import {
  CORE_DUMPED_REASON,
  crashEventUpdate,
  newCrashEvent,
  type CrashEventState,
  type CrashFacts,
  type StoredCrashEvent,
} from './crash-events.js';
import { withTimeout } from './kube-config.js';

/** The core/v1 Event calls of crash events (errors are client-node ApiExceptions). */
export class CrashEventsClient {
  private readonly api: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly timeoutMs = 10_000,
  ) {
    this.api = kc.makeApiClient(kubernetesClient().CoreV1Api);
  }

  /** POST; 409 AlreadyExists when an event of this name exists. */
  async create(facts: CrashFacts, name: string): Promise<void> {
    await withTimeout(
      this.api.createNamespacedEvent({
        namespace: facts.namespace,
        body: newCrashEvent(facts, name),
      }),
      this.timeoutMs,
      'create event',
    );
  }

  /** One more core on `state`'s event: PATCH as a JSON merge patch (client-node's default would be a JSON patch); 404 if gone. */
  async update(facts: CrashFacts, state: CrashEventState): Promise<void> {
    const k8s = kubernetesClient();
    await withTimeout(
      this.api.patchNamespacedEvent(
        { namespace: state.namespace, name: state.name, body: crashEventUpdate(facts, state) },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
      this.timeoutMs,
      'patch event',
    );
  }

  async read(namespace: string, name: string): Promise<StoredCrashEvent> {
    return withTimeout(
      this.api.readNamespacedEvent({ namespace, name }),
      this.timeoutMs,
      'read event',
    );
  }

  /** The CoreDumped events of one pod (any reporter; see isCrashEvent). */
  async listForPod(namespace: string, podUID: string): Promise<StoredCrashEvent[]> {
    const list = await withTimeout(
      this.api.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.uid=${podUID},reason=${CORE_DUMPED_REASON}`,
      }),
      this.timeoutMs,
      'list events',
    );
    return list.items;
  }
}
