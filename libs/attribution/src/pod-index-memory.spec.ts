import { describe, expect, it } from '@jest/globals';
import type { V1Container, V1Pod } from '@kubernetes/client-node';

import { PodIndex } from './pod-index.js';

let n = 0;
function pod(
  name: string,
  containers: Array<Partial<V1Container> & { memory?: string }>,
  opts: { phase?: string; init?: Array<Partial<V1Container> & { memory?: string }> } = {},
): V1Pod {
  const spec = (c: Partial<V1Container> & { memory?: string }, i: number): V1Container => ({
    name: c.name ?? `c${i}`,
    image: 'x',
    ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
    resources: c.memory ? { limits: { memory: c.memory } } : {},
  });
  n++;
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    },
    spec: { containers: containers.map(spec), initContainers: opts.init?.map(spec) },
    status: { phase: opts.phase ?? 'Running' },
  };
}

describe('PodIndex.memoryLimits', () => {
  it('no pods: no largest limit', () => {
    expect(new PodIndex().memoryLimits()).toEqual({ largest: undefined, podsWithoutLimit: 0 });
  });

  it('the largest container limit of running pods, with its quantity as written', () => {
    const index = new PodIndex();
    index.replaceAll([
      pod('small', [
        { name: 'a', memory: '512Mi' },
        { name: 'b', memory: '1G' },
      ]),
      pod('big', [{ name: 'main', memory: '2Gi' }]),
      pod('unlimited', [{ name: 'u' }, { name: 'l', memory: '64Mi' }]),
      pod('done', [{ name: 'huge', memory: '64Gi' }], { phase: 'Succeeded' }),
      pod('failed', [{ name: 'huge', memory: '64Gi' }], { phase: 'Failed' }),
    ]);
    expect(index.memoryLimits()).toEqual({
      largest: { bytes: 2 * 2 ** 30, quantity: '2Gi', pod: 'ns/big', container: 'main' },
      podsWithoutLimit: 1,
    });
  });

  it('counts sidecars (restartable init containers), not ordinary init containers; forgets deleted pods', () => {
    const index = new PodIndex();
    const sidecar = pod('side', [{ name: 'm', memory: '1Gi' }], {
      init: [
        { name: 'setup', memory: '8Gi' },
        { name: 'proxy', memory: '3Gi', restartPolicy: 'Always' },
      ],
    });
    index.upsert(sidecar);
    expect(index.memoryLimits().largest).toMatchObject({ quantity: '3Gi', container: 'proxy' });
    index.remove(sidecar);
    expect(index.memoryLimits().largest).toBeUndefined();
  });

  it('an unparseable quantity counts as no limit', () => {
    const index = new PodIndex();
    index.upsert(pod('odd', [{ name: 'x', memory: 'lots' }]));
    expect(index.memoryLimits()).toEqual({ largest: undefined, podsWithoutLimit: 1 });
  });
});
