import type { V1Pod } from '@kubernetes/client-node';
import { isIP } from 'node:net';

import { isValidNodeName } from '../names.js';

/** A node and how to reach its collector. */
export interface CollectorTarget {
  /** The Kubernetes node name (the key every route uses). */
  readonly node: string;
  /** Base URL of the collector (`http://<ip>:<port>`); absent when the collector is not usable. */
  readonly url?: string;
  /** True when requests may go to the collector: a Ready pod with an IP, or a static entry. */
  readonly ready: boolean;
  /** Why the collector is not used, when it is not. */
  readonly reason?: string;
  readonly source: 'static' | 'pod';
  /** The collector pod (pod discovery). */
  readonly pod?: { readonly namespace: string; readonly name: string };
}

/** Why a collector pod cannot take requests, or undefined when it can. */
export function podUnusableReason(pod: V1Pod): string | undefined {
  if (pod.metadata?.deletionTimestamp) return 'collector pod is terminating';
  if (pod.status?.phase !== 'Running') return `collector pod is ${pod.status?.phase ?? 'Unknown'}`;
  const ready = pod.status.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return 'collector pod is not ready';
  if (!pod.status.podIP) return 'collector pod has no IP';
  if (!isIP(pod.status.podIP)) return 'collector pod has an invalid IP';
  return undefined;
}

function baseUrl(ip: string, port: number): string {
  return isIP(ip) === 6 ? `http://[${ip}]:${port}` : `http://${ip}:${port}`;
}

function created(pod: V1Pod): number {
  const t = pod.metadata?.creationTimestamp as unknown;
  if (t instanceof Date) return t.getTime();
  return typeof t === 'string' ? Date.parse(t) || 0 : 0;
}

/**
 * The collector target of each node from the collector pods seen: per node the newest usable pod
 * (a DaemonSet rollout can briefly run two), else the newest pod with the reason it is unusable.
 * Pods without a node (not scheduled yet) or with an invalid node name are ignored.
 */
export function targetsFromPods(pods: Iterable<V1Pod>, port: number): Map<string, CollectorTarget> {
  const byNode = new Map<string, V1Pod[]>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (!node || !isValidNodeName(node)) continue;
    let list = byNode.get(node);
    if (!list) byNode.set(node, (list = []));
    list.push(pod);
  }
  const out = new Map<string, CollectorTarget>();
  for (const node of [...byNode.keys()].sort()) {
    const candidates = byNode.get(node)!.sort((a, b) => created(b) - created(a));
    const usable = candidates.find((p) => podUnusableReason(p) === undefined);
    const pod = usable ?? candidates[0];
    const ref = { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' };
    out.set(
      node,
      usable
        ? {
            node,
            url: baseUrl(usable.status!.podIP!, port),
            ready: true,
            source: 'pod',
            pod: ref,
          }
        : { node, ready: false, reason: podUnusableReason(pod), source: 'pod', pod: ref },
    );
  }
  return out;
}
