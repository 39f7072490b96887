import { describe, it, expect } from '@jest/globals';
import type { V1ContainerStatus, V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { PodIndex, workloadOwnerOf, type PodMatch, type WorkloadOwner } from './pod-index.js';

const UID_A = '0a1b2c3d-0000-4000-8000-00000000000a';
const UID_B = '0a1b2c3d-0000-4000-8000-00000000000b';
const UID_MIRROR = '0a1b2c3d-0000-4000-8000-00000000000c';
const UID_HOSTNET = '0a1b2c3d-0000-4000-8000-00000000000d';
const HASH = '0123456789abcdef0123456789abcdef';
const cid = (n: number): string => n.toString(16).padStart(2, '0').repeat(32);
const [RUN, CRASHED, INIT, EPH, OTHER, SIDE] = [1, 2, 3, 4, 5, 6].map(cid);
const DIGEST = 'registry.example/app@sha256:' + 'e'.repeat(64);

interface ContainerOpts {
  name: string;
  image?: string;
  id?: string;
  lastId?: string;
  restartCount?: number;
  runtime?: string;
}

function status(c: ContainerOpts): V1ContainerStatus {
  const runtime = c.runtime ?? 'containerd';
  const s: V1ContainerStatus = {
    name: c.name,
    image: c.image ?? `docker.io/library/${c.name}:1.0`,
    imageID: DIGEST,
    ready: true,
    restartCount: c.restartCount ?? 0,
    started: true,
    state: { running: { startedAt: new Date('2025-01-01T00:00:10Z') } },
  };
  if (c.id) s.containerID = `${runtime}://${c.id}`;
  if (c.lastId) {
    s.lastState = {
      terminated: {
        exitCode: 139,
        reason: 'Error',
        containerID: `${runtime}://${c.lastId}`,
        startedAt: new Date('2025-01-01T00:00:00Z'),
        finishedAt: new Date('2025-01-01T00:00:05Z'),
      },
    };
  }
  return s;
}

interface PodOpts {
  uid: string;
  name: string;
  namespace?: string;
  containers?: ContainerOpts[];
  initContainers?: ContainerOpts[];
  ephemeralContainers?: ContainerOpts[];
  owner?: Partial<V1OwnerReference> & { kind: string; name: string };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  hostNetwork?: boolean;
  resourceVersion?: string;
}

/** A pod as the API returns it for a scheduled, running pod on node-1. */
function makePod(o: PodOpts): V1Pod {
  const containers = o.containers ?? [{ name: 'app', id: RUN }];
  const spec = (cs: ContainerOpts[] = []) =>
    cs.map((c) => ({ name: c.name, image: `${c.name}:spec` }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      uid: o.uid,
      name: o.name,
      namespace: o.namespace ?? 'default',
      resourceVersion: o.resourceVersion ?? '1',
      labels: o.labels,
      annotations: o.annotations,
      ownerReferences: o.owner
        ? [{ apiVersion: 'apps/v1', uid: 'owner-uid', controller: true, ...o.owner }]
        : undefined,
    },
    spec: {
      nodeName: 'node-1',
      hostNetwork: o.hostNetwork,
      containers: spec(containers),
      initContainers: o.initContainers && spec(o.initContainers),
      ephemeralContainers: o.ephemeralContainers && spec(o.ephemeralContainers),
    },
    status: {
      phase: 'Running',
      containerStatuses: containers.map(status),
      initContainerStatuses: o.initContainers?.map(status),
      ephemeralContainerStatuses: o.ephemeralContainers?.map(status),
    },
  };
}

const webA = makePod({
  uid: UID_A,
  name: 'web-0',
  namespace: 'team-a',
  containers: [
    { name: 'app', id: RUN, lastId: CRASHED, restartCount: 3 },
    { name: 'sidecar', id: SIDE, runtime: 'cri-o' },
  ],
  initContainers: [{ name: 'migrate', id: INIT }],
  ephemeralContainers: [{ name: 'debugger', id: EPH }],
  owner: { kind: 'StatefulSet', name: 'web' },
});
const webB = makePod({
  uid: UID_B,
  name: 'web-0',
  namespace: 'team-b',
  containers: [{ name: 'app', id: OTHER }],
  owner: { kind: 'StatefulSet', name: 'web' },
});
const mirror = makePod({
  uid: UID_MIRROR,
  name: 'etcd-node-1',
  namespace: 'kube-system',
  containers: [{ name: 'etcd', id: OTHER.toUpperCase() }],
  annotations: {
    'kubernetes.io/config.hash': HASH,
    'kubernetes.io/config.mirror': HASH,
    'kubernetes.io/config.source': 'file',
  },
  owner: { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
  hostNetwork: true,
});
const hostNet = makePod({
  uid: UID_HOSTNET,
  name: 'node-exporter-x7k2p',
  namespace: 'monitoring',
  containers: [{ name: 'exporter', id: SIDE }],
  owner: { kind: 'DaemonSet', name: 'node-exporter' },
  hostNetwork: true,
});

const statefulWeb: WorkloadOwner = { kind: 'StatefulSet', name: 'web' };
const aPod = { namespace: 'team-a', pod: 'web-0', podUID: UID_A, owner: statefulWeb };

function fullIndex(): PodIndex {
  const index = new PodIndex();
  for (const p of [webA, webB, mirror, hostNet]) index.upsert(p);
  return index;
}

describe('PodIndex.resolve', () => {
  it.each<[string, string, string | undefined, PodMatch | undefined]>([
    [
      'running container',
      UID_A,
      RUN,
      {
        source: 'api',
        identity: {
          ...aPod,
          hostNetwork: false,
          container: 'app',
          image: 'app:spec',
          imageID: DIGEST,
          restartCount: 3,
        },
      },
    ],
    [
      'restarted container: the crashed ID is only in lastState.terminated',
      UID_A,
      CRASHED,
      {
        source: 'api-last-state',
        identity: {
          ...aPod,
          hostNetwork: false,
          container: 'app',
          image: 'app:spec',
          imageID: DIGEST,
          restartCount: 3,
        },
      },
    ],
    [
      'second container with a cri-o:// prefix',
      UID_A,
      SIDE,
      {
        source: 'api',
        identity: {
          ...aPod,
          hostNetwork: false,
          container: 'sidecar',
          image: 'sidecar:spec',
          imageID: DIGEST,
          restartCount: 0,
        },
      },
    ],
    [
      'init container',
      UID_A,
      INIT,
      {
        source: 'api',
        identity: {
          ...aPod,
          hostNetwork: false,
          container: 'migrate',
          image: 'migrate:spec',
          imageID: DIGEST,
          restartCount: 0,
        },
      },
    ],
    [
      'ephemeral container',
      UID_A,
      EPH,
      {
        source: 'api',
        identity: {
          ...aPod,
          hostNetwork: false,
          container: 'debugger',
          image: 'debugger:spec',
          imageID: DIGEST,
          restartCount: 0,
        },
      },
    ],
    [
      'container ID given with a runtime prefix and in upper case',
      UID_A,
      `containerd://${RUN.toUpperCase()}`,
      {
        source: 'api',
        identity: {
          ...aPod,
          hostNetwork: false,
          container: 'app',
          image: 'app:spec',
          imageID: DIGEST,
          restartCount: 3,
        },
      },
    ],
    [
      'unknown container ID: the pod, never a guessed container',
      UID_A,
      cid(0xee),
      { source: 'api', identity: { ...aPod, hostNetwork: false } },
    ],
    [
      'no container ID: the pod only',
      UID_A,
      undefined,
      { source: 'api', identity: { ...aPod, hostNetwork: false } },
    ],
    [
      'same pod name, other namespace: by UID only',
      UID_B,
      OTHER,
      {
        source: 'api',
        identity: {
          namespace: 'team-b',
          pod: 'web-0',
          podUID: UID_B,
          owner: statefulWeb,
          hostNetwork: false,
          container: 'app',
          image: 'app:spec',
          imageID: DIGEST,
          restartCount: 0,
        },
      },
    ],
    [
      "a container of team-a's web-0 is not found in team-b's web-0",
      UID_B,
      RUN,
      {
        source: 'api',
        identity: {
          namespace: 'team-b',
          pod: 'web-0',
          podUID: UID_B,
          owner: statefulWeb,
          hostNetwork: false,
        },
      },
    ],
    [
      'static pod by config hash resolves to its mirror pod (upper-case status ID)',
      HASH,
      OTHER,
      {
        source: 'api',
        identity: {
          namespace: 'kube-system',
          pod: 'etcd-node-1',
          podUID: UID_MIRROR,
          owner: { kind: 'Node', name: 'node-1' },
          hostNetwork: true,
          container: 'etcd',
          image: 'etcd:spec',
          imageID: DIGEST,
          restartCount: 0,
        },
      },
    ],
    [
      'hostNetwork pod by UID',
      UID_HOSTNET,
      SIDE,
      {
        source: 'api',
        identity: {
          namespace: 'monitoring',
          pod: 'node-exporter-x7k2p',
          podUID: UID_HOSTNET,
          owner: { kind: 'DaemonSet', name: 'node-exporter' },
          hostNetwork: true,
          container: 'exporter',
          image: 'exporter:spec',
          imageID: DIGEST,
          restartCount: 0,
        },
      },
    ],
    ['unknown UID', '0a1b2c3d-0000-4000-8000-0000000000ff', RUN, undefined],
    ['unknown hash', 'f'.repeat(32), undefined, undefined],
    ['empty UID', '', RUN, undefined],
  ])('%s', (_name, uid, containerID, expected) => {
    expect(fullIndex().resolve(uid, containerID)).toEqual(expected);
  });

  it('falls back to the status image when the spec does not name the container', () => {
    const pod = makePod({ uid: UID_A, name: 'p', containers: [{ name: 'app', id: RUN }] });
    pod.spec!.containers = [{ name: 'renamed', image: 'x' }];
    const index = new PodIndex();
    index.upsert(pod);
    expect(index.resolve(UID_A, RUN)?.identity.image).toBe('docker.io/library/app:1.0');
  });

  it('ignores pods without a UID, name or namespace', () => {
    const index = new PodIndex();
    const noUid = makePod({ uid: '', name: 'x' });
    const noName = makePod({ uid: UID_A, name: '' });
    index.upsert(noUid);
    index.upsert(noName);
    expect([index.size, index.version, index.resolve(UID_A)]).toEqual([0, 0, undefined]);
  });
});

describe('PodIndex tombstones', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it.each<[string, number, PodMatch['source'] | undefined]>([
    ['just deleted', 0, 'tombstone'],
    ['within the TTL', 59_999, 'tombstone'],
    ['at the TTL', 60_000, undefined],
    ['long after', 3_600_000, undefined],
  ])('deleted pod, %s', (_name, elapsed, expected) => {
    const c = clock();
    const index = new PodIndex({ tombstoneTtlMs: 60_000, now: c.now });
    index.upsert(webA);
    index.remove(webA);
    c.advance(elapsed);
    const m = index.resolve(UID_A, CRASHED);
    expect(m?.source).toBe(expected);
    if (expected) {
      expect(m?.identity).toMatchObject({ ...aPod, container: 'app', image: 'app:spec' });
    }
    expect(index.size).toBe(0);
  });

  it.each<[string, string, string | undefined, Partial<PodMatch['identity']>]>([
    ['running container', UID_A, RUN, { container: 'app' }],
    ['no container match', UID_A, cid(0xee), { pod: 'web-0' }],
    ['static pod by hash', HASH, OTHER, { pod: 'etcd-node-1', container: 'etcd' }],
  ])('tombstone resolves like the live pod: %s', (_name, uid, containerID, fields) => {
    const index = fullIndex();
    index.remove(webA);
    index.remove(mirror);
    const m = index.resolve(uid, containerID);
    expect(m?.source).toBe('tombstone');
    expect(m?.identity).toMatchObject(fields);
    if (fields.container === undefined) expect(m?.identity.container).toBeUndefined();
  });

  it('keeps the last known state when the delete event has no status', () => {
    const index = new PodIndex();
    index.upsert(webA);
    index.remove({ metadata: { uid: UID_A, name: 'web-0', namespace: 'team-a' } });
    expect(index.resolve(UID_A, RUN)?.identity.container).toBe('app');
  });

  it('tombstones a pod it never saw when the delete event names it', () => {
    const index = new PodIndex();
    index.remove(webB);
    expect(index.resolve(UID_B, OTHER)?.source).toBe('tombstone');
  });

  it('re-adding a pod removes its tombstone', () => {
    const index = new PodIndex();
    index.upsert(webA);
    index.remove(webA);
    expect(index.tombstoneCount).toBe(1);
    index.upsert(webA);
    expect([index.resolve(UID_A, RUN)?.source, index.tombstoneCount, index.size]).toEqual([
      'api',
      0,
      1,
    ]);
  });

  it('a recreated mirror pod (new UID, same hash) takes over the hash', () => {
    const index = new PodIndex();
    index.upsert(mirror);
    const recreated = { ...mirror, metadata: { ...mirror.metadata, uid: UID_A } };
    index.upsert(recreated);
    index.remove(mirror);
    expect(index.resolve(HASH)).toMatchObject({ source: 'api', identity: { podUID: UID_A } });
  });

  it('replaceAll turns pods missing from the list into tombstones', () => {
    const c = clock();
    const index = new PodIndex({ tombstoneTtlMs: 60_000, now: c.now });
    index.upsert(webA);
    index.upsert(webB);
    const v = index.version;
    index.replaceAll([webB, hostNet]);
    expect(index.version).toBeGreaterThan(v);
    expect(index.size).toBe(2);
    expect(index.resolve(UID_A, RUN)?.source).toBe('tombstone');
    expect(index.resolve(UID_B, OTHER)?.source).toBe('api');
    expect(index.resolve(UID_HOSTNET, SIDE)?.source).toBe('api');
    c.advance(60_000);
    expect(index.resolve(UID_A, RUN)).toBeUndefined();
  });

  it('replaceAll revives a tombstoned pod that is listed again', () => {
    const index = new PodIndex();
    index.upsert(webA);
    index.remove(webA);
    index.replaceAll([webA]);
    expect([index.resolve(UID_A, RUN)?.source, index.tombstoneCount]).toEqual(['api', 0]);
  });

  it('caps tombstones, dropping the oldest first', () => {
    const c = clock();
    const index = new PodIndex({ maxTombstones: 3, now: c.now });
    const uids = [0, 1, 2, 3, 4].map((i) => `0a1b2c3d-0000-4000-8000-00000000010${i}`);
    for (const uid of uids) {
      const pod = makePod({ uid, name: `job-${uid.slice(-1)}` });
      index.upsert(pod);
      index.remove(pod);
      c.advance(1);
    }
    expect(index.tombstoneCount).toBe(3);
    expect(uids.map((u) => index.resolve(u)?.source)).toEqual([
      undefined,
      undefined,
      'tombstone',
      'tombstone',
      'tombstone',
    ]);
  });

  it('a second delete keeps the original deletion time', () => {
    const c = clock();
    const index = new PodIndex({ tombstoneTtlMs: 100, now: c.now });
    index.upsert(webA);
    index.remove(webA);
    c.advance(60);
    index.remove(webA);
    c.advance(50);
    expect(index.resolve(UID_A)).toBeUndefined();
  });
});

describe('PodIndex.version', () => {
  it.each<[string, (i: PodIndex) => void, boolean]>([
    ['upsert of a new pod', (i) => i.upsert(webB), true],
    [
      'upsert with a new resourceVersion',
      (i) => i.upsert({ ...webA, metadata: { ...webA.metadata, resourceVersion: '2' } }),
      true,
    ],
    ['resync: same resourceVersion', (i) => i.upsert({ ...webA }), false],
    ['same object again', (i) => i.upsert(webA), false],
    ['remove', (i) => i.remove(webA), true],
    ['remove of a pod without a UID', (i) => i.remove({ metadata: {} }), false],
    ['replaceAll with the same pods', (i) => i.replaceAll([webA]), false],
    ['replaceAll dropping a pod', (i) => i.replaceAll([]), true],
    ['resolve', (i) => void i.resolve(UID_A, RUN), false],
  ])('%s -> changed: %s', (_name, action, changed) => {
    const index = new PodIndex();
    index.upsert(webA);
    const before = index.version;
    expect(before).toBe(1);
    action(index);
    expect(index.version > before).toBe(changed);
  });
});

describe('workloadOwnerOf', () => {
  const owned = (
    owner: PodOpts['owner'],
    labels?: Record<string, string>,
    extra?: V1OwnerReference[],
  ): V1Pod => {
    const pod = makePod({ uid: UID_A, name: 'p', owner, labels });
    if (extra) pod.metadata!.ownerReferences = [...extra, ...(pod.metadata!.ownerReferences ?? [])];
    return pod;
  };

  it.each<[string, V1Pod, WorkloadOwner | undefined]>([
    [
      'ReplicaSet of a Deployment',
      owned(
        { kind: 'ReplicaSet', name: 'api-server-7d9f8b6c5d' },
        { 'pod-template-hash': '7d9f8b6c5d' },
      ),
      { kind: 'Deployment', name: 'api-server' },
    ],
    [
      'ReplicaSet without the template hash label stays a ReplicaSet',
      owned({ kind: 'ReplicaSet', name: 'api-server-7d9f8b6c5d' }),
      { kind: 'ReplicaSet', name: 'api-server-7d9f8b6c5d' },
    ],
    [
      'ReplicaSet whose name does not end with the hash',
      owned({ kind: 'ReplicaSet', name: 'custom-rs' }, { 'pod-template-hash': '7d9f8b6c5d' }),
      { kind: 'ReplicaSet', name: 'custom-rs' },
    ],
    [
      'ReplicaSet named exactly like the hash',
      owned({ kind: 'ReplicaSet', name: '-abc' }, { 'pod-template-hash': 'abc' }),
      { kind: 'ReplicaSet', name: '-abc' },
    ],
    [
      'Job stays a Job',
      owned({ apiVersion: 'batch/v1', kind: 'Job', name: 'backup-28934120' }),
      { kind: 'Job', name: 'backup-28934120' },
    ],
    [
      'StatefulSet',
      owned({ kind: 'StatefulSet', name: 'db' }),
      { kind: 'StatefulSet', name: 'db' },
    ],
    [
      'the controller reference wins over earlier ones',
      owned({ kind: 'DaemonSet', name: 'agent' }, undefined, [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'u' },
      ]),
      { kind: 'DaemonSet', name: 'agent' },
    ],
    [
      'no controller: the first reference',
      owned({ kind: 'Widget', name: 'w', controller: false }),
      { kind: 'Widget', name: 'w' },
    ],
    ['mirror pod with its Node reference', mirror, { kind: 'Node', name: 'node-1' }],
    [
      'mirror pod without references: its node',
      { ...mirror, metadata: { ...mirror.metadata, ownerReferences: undefined } },
      { kind: 'Node', name: 'node-1' },
    ],
    ['bare pod', makePod({ uid: UID_A, name: 'p' }), undefined],
  ])('%s', (_name, pod, expected) => {
    expect(workloadOwnerOf(pod)).toEqual(expected);
  });
});
