import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';

import { podUnusableReason, targetsFromPods } from './collector-target.js';

function pod(
  name: string,
  node: string | undefined,
  opts: {
    ip?: string;
    phase?: string;
    ready?: boolean;
    created?: string;
    deleting?: boolean;
  } = {},
): V1Pod {
  return {
    metadata: {
      name,
      namespace: 'koredump',
      uid: `uid-${name}`,
      creationTimestamp: (opts.created ?? '2026-01-01T00:00:00Z') as unknown as Date,
      ...(opts.deleting ? { deletionTimestamp: new Date() } : {}),
    },
    spec: { nodeName: node, containers: [] },
    status: {
      phase: opts.phase ?? 'Running',
      podIP: opts.ip,
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

describe('collector pods -> targets', () => {
  it('uses Running, Ready pods with an IP', () => {
    expect(podUnusableReason(pod('a', 'n', { ip: '10.0.0.1' }))).toBeUndefined();
    expect(podUnusableReason(pod('a', 'n', { ip: '10.0.0.1', ready: false }))).toBe(
      'collector pod is not ready',
    );
    expect(podUnusableReason(pod('a', 'n', { phase: 'Pending' }))).toBe('collector pod is Pending');
    expect(podUnusableReason(pod('a', 'n', {}))).toBe('collector pod has no IP');
    expect(podUnusableReason(pod('a', 'n', { ip: 'not-an-ip' }))).toBe(
      'collector pod has an invalid IP',
    );
    expect(podUnusableReason(pod('a', 'n', { ip: '10.0.0.1', deleting: true }))).toBe(
      'collector pod is terminating',
    );
  });

  it('keys by node name and builds the URL from the pod IP and the DaemonSet port only', () => {
    const targets = targetsFromPods(
      [
        pod('c1', 'node-b', { ip: '10.0.0.2' }),
        pod('c2', 'node-a', { ip: 'fd00::7' }),
        pod('c3', 'node-c', { ip: '10.0.0.3', ready: false }),
        pod('unscheduled', undefined, { phase: 'Pending' }),
        pod('weird', 'Bad_Node', { ip: '10.0.0.9' }),
      ],
      5001,
    );
    expect([...targets.keys()]).toEqual(['node-a', 'node-b', 'node-c']);
    expect(targets.get('node-a')).toEqual({
      node: 'node-a',
      url: 'http://[fd00::7]:5001',
      ready: true,
      source: 'pod',
      pod: { namespace: 'koredump', name: 'c2' },
    });
    expect(targets.get('node-b')?.url).toBe('http://10.0.0.2:5001');
    expect(targets.get('node-c')).toEqual({
      node: 'node-c',
      ready: false,
      reason: 'collector pod is not ready',
      source: 'pod',
      pod: { namespace: 'koredump', name: 'c3' },
    });
  });

  it('during a rollout prefers a usable pod, the newest of them', () => {
    const targets = targetsFromPods(
      [
        pod('old', 'n', { ip: '10.0.0.1', created: '2026-01-01T00:00:00Z' }),
        pod('new', 'n', { ip: '10.0.0.2', created: '2026-01-02T00:00:00Z' }),
        pod('newest-not-ready', 'n', {
          ip: '10.0.0.3',
          ready: false,
          created: '2026-01-03T00:00:00Z',
        }),
      ],
      5001,
    );
    expect(targets.get('n')).toMatchObject({ url: 'http://10.0.0.2:5001', pod: { name: 'new' } });
    const none = targetsFromPods(
      [
        pod('old', 'n', { phase: 'Pending', created: '2026-01-01T00:00:00Z' }),
        pod('new', 'n', { ip: '10.0.0.2', ready: false, created: '2026-01-02T00:00:00Z' }),
      ],
      5001,
    );
    expect(none.get('n')).toMatchObject({ ready: false, reason: 'collector pod is not ready' });
  });
});
