import { describe, expect, it } from '@jest/globals';

import {
  groupCores,
  MAX_EXAMPLES,
  mergeCrashGroups,
  workloadName,
  type GroupableCore,
} from './crash-groups.js';

const T0 = Date.parse('2026-11-28T10:00:00Z');
const frames = [{ function: 'crash_here', module: 'c1' }];

function core(over: Partial<GroupableCore> & { id: string }): GroupableCore {
  return {
    signature: 'aaaaaaaaaaaaaaaa',
    node: 'node-a',
    timestamp: T0,
    executable: 'c1',
    signal: 'SIGSEGV',
    topFrames: frames,
    ...over,
  };
}

describe('groupCores', () => {
  it('makes one group per signature with counts, times, sets and newest examples', () => {
    const groups = groupCores([
      core({
        id: 'core.1',
        namespace: 'team-a',
        workload: 'team-a/Deployment/web',
        image: 'web:1',
      }),
      core({ id: 'core.2', timestamp: T0 + 60_000, namespace: 'team-b', image: 'web:1' }),
      core({
        id: 'core.3',
        signature: 'bbbbbbbbbbbbbbbb',
        timestamp: T0 + 1000,
        signal: 'SIGABRT',
      }),
    ]);
    expect(groups).toEqual([
      {
        signature: 'aaaaaaaaaaaaaaaa',
        count: 2,
        firstSeen: '2026-11-28T10:00:00.000Z',
        lastSeen: '2026-11-28T10:01:00.000Z',
        executable: 'c1',
        signal: 'SIGSEGV',
        nodes: ['node-a'],
        namespaces: ['team-a', 'team-b'],
        workloads: ['team-a/Deployment/web'],
        images: ['web:1'],
        examples: [
          { node: 'node-a', id: 'core.2', timestamp: T0 + 60_000 },
          { node: 'node-a', id: 'core.1', timestamp: T0 },
        ],
        topFrames: frames,
      },
      expect.objectContaining({ signature: 'bbbbbbbbbbbbbbbb', count: 1, signal: 'SIGABRT' }),
    ]);
  });

  it('sorts by lastSeen (newest first) or by count', () => {
    const cores = [
      core({ id: 'a1' }),
      core({ id: 'a2' }),
      core({ id: 'b1', signature: 'b', timestamp: T0 + 5000 }),
    ];
    expect(groupCores(cores).map((g) => g.signature)).toEqual(['b', 'aaaaaaaaaaaaaaaa']);
    expect(groupCores(cores, 'count').map((g) => g.signature)).toEqual(['aaaaaaaaaaaaaaaa', 'b']);
    expect(groupCores(cores, 'count', 1)).toHaveLength(1);
  });

  it(`keeps at most ${MAX_EXAMPLES} examples, the newest`, () => {
    const cores = Array.from({ length: 12 }, (_, i) => core({ id: `c${i}`, timestamp: T0 + i }));
    const [g] = groupCores(cores);
    expect(g.count).toBe(12);
    expect(g.examples.map((e) => e.id)).toEqual(['c11', 'c10', 'c9', 'c8', 'c7']);
  });
});

describe('mergeCrashGroups', () => {
  const nodeA = groupCores([
    core({ id: 'a1', namespace: 'ns1' }),
    core({ id: 'a2', timestamp: T0 + 10, namespace: 'ns1' }),
  ]);
  const nodeB = groupCores([
    core({ id: 'b1', node: 'node-b', timestamp: T0 - 1000, namespace: 'ns2' }),
    core({ id: 'b2', node: 'node-b', signature: 'other', timestamp: T0 + 99 }),
  ]);

  it('adds the counts of a signature found on several nodes, unites the rest', () => {
    const merged = mergeCrashGroups([nodeA, nodeB]);
    expect(merged.map((g) => [g.signature, g.count])).toEqual([
      ['other', 1],
      ['aaaaaaaaaaaaaaaa', 3],
    ]);
    const g = merged[1];
    expect(g.firstSeen).toBe(new Date(T0 - 1000).toISOString());
    expect(g.lastSeen).toBe(new Date(T0 + 10).toISOString());
    expect(g.nodes).toEqual(['node-a', 'node-b']);
    expect(g.namespaces).toEqual(['ns1', 'ns2']);
    expect(g.examples.map((e) => `${e.node}/${e.id}`)).toEqual([
      'node-a/a2',
      'node-a/a1',
      'node-b/b1',
    ]);
  });

  it('is the same as grouping all the cores at once, whatever the order', () => {
    const all = groupCores([
      core({ id: 'a1', namespace: 'ns1' }),
      core({ id: 'a2', timestamp: T0 + 10, namespace: 'ns1' }),
      core({ id: 'b1', node: 'node-b', timestamp: T0 - 1000, namespace: 'ns2' }),
      core({ id: 'b2', node: 'node-b', signature: 'other', timestamp: T0 + 99 }),
    ]);
    expect(mergeCrashGroups([nodeA, nodeB])).toEqual(all);
    expect(mergeCrashGroups([nodeB, nodeA])).toEqual(all);
    expect(mergeCrashGroups([[], nodeA, []])).toEqual(nodeA);
  });
});

describe('workloadName', () => {
  it('names the controller, else the bare pod, else nothing', () => {
    expect(
      workloadName({
        namespace: 'ns',
        pod: 'web-1',
        workload: { kind: 'Deployment', name: 'web' },
      }),
    ).toBe('ns/Deployment/web');
    expect(workloadName({ namespace: 'ns', pod: 'web-1' })).toBe('ns/Pod/web-1');
    expect(workloadName({ pod: 'web-1' })).toBeUndefined();
  });
});
