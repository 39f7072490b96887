import { describe, it, expect } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { attribute, type Attribution, type AttributionInput } from './attribute.js';
import type { CgroupPodRef } from './cgroup.js';
import type { ConmonRef } from './conmon.js';
import { PodIndex } from './pod-index.js';
import type { PodLogDir } from './pod-logs.js';

const UID = '0a1b2c3d-0000-4000-8000-00000000000a';
const UID_GONE = '0a1b2c3d-0000-4000-8000-00000000000b';
const UID_UNKNOWN = '0a1b2c3d-0000-4000-8000-0000000000ff';
const UID_HOSTNET = '0a1b2c3d-0000-4000-8000-00000000000d';
const HASH = '0123456789abcdef0123456789abcdef';
const MIRROR_UID = '0a1b2c3d-0000-4000-8000-00000000000c';
const RUN = 'a1'.repeat(32);
const CRASHED = 'c2'.repeat(32);
const OTHER = 'e3'.repeat(32);
const DIGEST = 'registry.example/api@sha256:' + 'f'.repeat(64);

function makePod(o: {
  uid: string;
  name: string;
  namespace: string;
  container: string;
  id: string;
  lastId?: string;
  hostNetwork?: boolean;
  annotations?: Record<string, string>;
}): V1Pod {
  return {
    metadata: {
      uid: o.uid,
      name: o.name,
      namespace: o.namespace,
      annotations: o.annotations,
      labels: { 'pod-template-hash': '7d9f8b6c5d' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'api-7d9f8b6c5d',
          uid: 'rs',
          controller: true,
        },
      ],
    },
    spec: {
      nodeName: 'node-1',
      hostNetwork: o.hostNetwork,
      containers: [{ name: o.container, image: 'registry.example/api:1.2' }],
    },
    status: {
      containerStatuses: [
        {
          name: o.container,
          image: 'registry.example/api:1.2',
          imageID: DIGEST,
          ready: true,
          restartCount: o.lastId ? 1 : 0,
          containerID: `cri-o://${o.id}`,
          lastState: o.lastId
            ? { terminated: { exitCode: 134, containerID: `cri-o://${o.lastId}` } }
            : undefined,
        },
      ],
    },
  };
}

const api = makePod({
  uid: UID,
  name: 'api-7d9f8b6c5d-x2x4q',
  namespace: 'prod',
  container: 'server',
  id: RUN,
  lastId: CRASHED,
});
const gone = makePod({
  uid: UID_GONE,
  name: 'batch-1',
  namespace: 'jobs',
  container: 'worker',
  id: OTHER,
});
const hostNet = makePod({
  uid: UID_HOSTNET,
  name: 'agent-abcde',
  namespace: 'monitoring',
  container: 'agent',
  id: OTHER,
  hostNetwork: true,
});
const staticPod = makePod({
  uid: MIRROR_UID,
  name: 'kube-apiserver-node-1',
  namespace: 'kube-system',
  container: 'kube-apiserver',
  id: RUN,
  annotations: { 'kubernetes.io/config.hash': HASH, 'kubernetes.io/config.mirror': HASH },
});

function podIndex(): PodIndex {
  const index = new PodIndex();
  index.upsert(api);
  index.upsert(hostNet);
  index.upsert(staticPod);
  index.upsert(gone);
  index.remove(gone);
  return index;
}

const cg = (podUID: string, containerID?: string): CgroupPodRef => ({
  podUID,
  staticPod: podUID.length === 32,
  qosClass: 'burstable',
  driver: 'systemd',
  runtime: 'cri-o',
  ...(containerID ? { containerID } : {}),
});

const conmonRef = (over: Partial<ConmonRef> = {}): ConmonRef => ({
  container: 'server',
  pod: 'api-7d9f8b6c5d-x2x4q',
  namespace: 'prod',
  podUID: UID_UNKNOWN,
  restartCount: 2,
  containerID: CRASHED,
  ...over,
});

type LogEntry = PodLogDir & { containers: readonly string[] };
const podLogs = (containers: string[], uid = UID_UNKNOWN): Map<string, LogEntry> =>
  new Map([[uid, { namespace: 'prod', pod: 'api-old', podUID: uid, containers }]]);

const deployment = { kind: 'Deployment', name: 'api' };
const apiIdentity = {
  namespace: 'prod',
  pod: 'api-7d9f8b6c5d-x2x4q',
  podUID: UID,
  image: 'registry.example/api:1.2',
  imageID: DIGEST,
  owner: deployment,
  restartCount: 1,
};

describe('attribute', () => {
  it.each<[string, AttributionInput, Attribution]>([
    // 1) the API
    [
      'api: running container',
      { cgroup: cg(UID, RUN), podIndex: podIndex() },
      { source: 'api', ...apiIdentity, container: 'server', containerID: RUN },
    ],
    [
      'api-last-state: crashed instance of a restarted container',
      { cgroup: cg(UID, CRASHED), podIndex: podIndex() },
      { source: 'api-last-state', ...apiIdentity, container: 'server', containerID: CRASHED },
    ],
    [
      'api: pod-level cgroup, no container',
      { cgroup: cg(UID), podIndex: podIndex(), utsHostname: 'whatever', nodeHostname: 'node-1' },
      {
        source: 'api',
        namespace: 'prod',
        pod: 'api-7d9f8b6c5d-x2x4q',
        podUID: UID,
        owner: deployment,
      },
    ],
    [
      'api: unknown container ID, conmon of the same pod names the container',
      {
        cgroup: cg(UID, OTHER),
        conmon: conmonRef({ podUID: UID, container: 'server' }),
        podIndex: podIndex(),
      },
      {
        source: 'api',
        namespace: 'prod',
        pod: 'api-7d9f8b6c5d-x2x4q',
        podUID: UID,
        owner: deployment,
        container: 'server',
        containerID: OTHER,
      },
    ],
    [
      'api: pod UID and container ID from conmon when there is no cgroup',
      { conmon: conmonRef({ podUID: UID, containerID: RUN }), podIndex: podIndex() },
      { source: 'api', ...apiIdentity, container: 'server', containerID: RUN },
    ],
    [
      'api: cgroup at pod level, container ID from conmon of the same pod',
      {
        cgroup: cg(UID),
        conmon: conmonRef({ podUID: UID, containerID: RUN }),
        podIndex: podIndex(),
      },
      { source: 'api', ...apiIdentity, container: 'server', containerID: RUN },
    ],
    [
      'api: static pod by config hash gives the mirror pod',
      { cgroup: cg(HASH, RUN), podIndex: podIndex() },
      {
        source: 'api',
        namespace: 'kube-system',
        pod: 'kube-apiserver-node-1',
        podUID: MIRROR_UID,
        container: 'kube-apiserver',
        containerID: RUN,
        image: 'registry.example/api:1.2',
        imageID: DIGEST,
        owner: deployment,
        restartCount: 0,
      },
    ],
    [
      'api: hostNetwork pod by UID, though its host name is the node',
      {
        cgroup: cg(UID_HOSTNET, OTHER),
        podIndex: podIndex(),
        utsHostname: 'node-1',
        nodeHostname: 'node-1',
      },
      {
        source: 'api',
        namespace: 'monitoring',
        pod: 'agent-abcde',
        podUID: UID_HOSTNET,
        container: 'agent',
        containerID: OTHER,
        image: 'registry.example/api:1.2',
        imageID: DIGEST,
        owner: deployment,
        restartCount: 0,
      },
    ],
    [
      'tombstone: the pod was deleted after the crash',
      { cgroup: cg(UID_GONE, OTHER), podIndex: podIndex(), utsHostname: 'batch-1' },
      {
        source: 'tombstone',
        namespace: 'jobs',
        pod: 'batch-1',
        podUID: UID_GONE,
        container: 'worker',
        containerID: OTHER,
        image: 'registry.example/api:1.2',
        imageID: DIGEST,
        owner: deployment,
        restartCount: 0,
      },
    ],
    // 2) conmon
    [
      'conmon: pod unknown to the API',
      { cgroup: cg(UID_UNKNOWN, CRASHED), conmon: conmonRef(), podIndex: podIndex() },
      {
        source: 'conmon',
        namespace: 'prod',
        pod: 'api-7d9f8b6c5d-x2x4q',
        podUID: UID_UNKNOWN,
        container: 'server',
        containerID: CRASHED,
        restartCount: 2,
      },
    ],
    [
      'conmon: no pod index (FAKE_K8S), identity from conmon alone',
      { conmon: conmonRef({ containerID: undefined }) },
      {
        source: 'conmon',
        namespace: 'prod',
        pod: 'api-7d9f8b6c5d-x2x4q',
        podUID: UID_UNKNOWN,
        container: 'server',
        restartCount: 2,
      },
    ],
    [
      'conmon naming another pod than the cgroup is ignored',
      {
        cgroup: cg(UID_UNKNOWN, RUN),
        conmon: conmonRef({ podUID: UID_GONE }),
        utsHostname: 'node-1',
        nodeHostname: 'node-1',
      },
      { source: 'none', podUID: UID_UNKNOWN, containerID: RUN },
    ],
    // 3) /var/log/pods
    [
      'pod-logs: one container directory names the container',
      { cgroup: cg(UID_UNKNOWN, RUN), podIndex: podIndex(), podLogs: podLogs(['server']) },
      {
        source: 'pod-logs',
        namespace: 'prod',
        pod: 'api-old',
        podUID: UID_UNKNOWN,
        container: 'server',
        containerID: RUN,
      },
    ],
    [
      'pod-logs: several containers, no way to tell: no container',
      { cgroup: cg(UID_UNKNOWN, RUN), podLogs: podLogs(['init', 'server', 'proxy']) },
      {
        source: 'pod-logs',
        namespace: 'prod',
        pod: 'api-old',
        podUID: UID_UNKNOWN,
        containerID: RUN,
      },
    ],
    [
      "pod-logs: several containers, conmon's container name is one of them",
      {
        cgroup: cg(UID_UNKNOWN, RUN),
        conmon: { container: 'proxy' },
        podLogs: podLogs(['init', 'server', 'proxy']),
      },
      {
        source: 'pod-logs',
        namespace: 'prod',
        pod: 'api-old',
        podUID: UID_UNKNOWN,
        container: 'proxy',
        containerID: RUN,
      },
    ],
    [
      "pod-logs: conmon's container name is not among them",
      {
        cgroup: cg(UID_UNKNOWN, RUN),
        conmon: { container: 'other' },
        podLogs: podLogs(['init', 'server']),
      },
      {
        source: 'pod-logs',
        namespace: 'prod',
        pod: 'api-old',
        podUID: UID_UNKNOWN,
        containerID: RUN,
      },
    ],
    [
      'pod-logs: static pod by hash',
      { cgroup: cg(HASH, RUN), podLogs: podLogs(['etcd'], HASH) },
      {
        source: 'pod-logs',
        namespace: 'prod',
        pod: 'api-old',
        podUID: HASH,
        container: 'etcd',
        containerID: RUN,
      },
    ],
    [
      'pod-logs: no directory for this UID falls through',
      {
        cgroup: cg(UID_UNKNOWN, RUN),
        podLogs: podLogs(['server'], UID_GONE),
        utsHostname: 'api-7d9f8b6c5d-x2x4q',
        nodeHostname: 'node-1',
      },
      { source: 'hostname', pod: 'api-7d9f8b6c5d-x2x4q', podUID: UID_UNKNOWN, containerID: RUN },
    ],
    // 4) the UTS host name
    [
      'hostname: a pod process whose host name is not the node',
      {
        cgroup: cg(UID_UNKNOWN, RUN),
        podIndex: podIndex(),
        utsHostname: 'web-0',
        nodeHostname: 'node-1.example.internal',
      },
      { source: 'hostname', pod: 'web-0', podUID: UID_UNKNOWN, containerID: RUN },
    ],
    [
      'hostname: hostNetwork pod unknown to the API has the node name: none',
      { cgroup: cg(UID_UNKNOWN, RUN), utsHostname: 'node-1', nodeHostname: 'node-1' },
      { source: 'none', podUID: UID_UNKNOWN, containerID: RUN },
    ],
    [
      'hostname: node name short vs fully qualified: none',
      {
        cgroup: cg(UID_UNKNOWN, RUN),
        utsHostname: 'node-1',
        nodeHostname: 'node-1.example.internal',
      },
      { source: 'none', podUID: UID_UNKNOWN, containerID: RUN },
    ],
    [
      'hostname: node name in another case: none',
      { cgroup: cg(UID_UNKNOWN, RUN), utsHostname: 'node-1', nodeHostname: 'NODE-1' },
      { source: 'none', podUID: UID_UNKNOWN, containerID: RUN },
    ],
    [
      'hostname: not in a pod cgroup (host process): none',
      { cgroup: null, utsHostname: 'web-0', nodeHostname: 'node-1' },
      { source: 'none' },
    ],
    [
      'hostname: node host name unknown, cannot rule out hostNetwork: none',
      { cgroup: cg(UID_UNKNOWN, RUN), utsHostname: 'web-0' },
      { source: 'none', podUID: UID_UNKNOWN, containerID: RUN },
    ],
    [
      'hostname: not a pod-shaped name: none',
      { cgroup: cg(UID_UNKNOWN, RUN), utsHostname: 'Web_0', nodeHostname: 'node-1' },
      { source: 'none', podUID: UID_UNKNOWN, containerID: RUN },
    ],
    [
      'hostname: empty: none',
      { cgroup: cg(UID_UNKNOWN, RUN), utsHostname: '', nodeHostname: 'node-1' },
      { source: 'none', podUID: UID_UNKNOWN, containerID: RUN },
    ],
    // 5) nothing
    ['none: no input at all', {}, { source: 'none' }],
    [
      'none: pod cgroup, nothing else known',
      { cgroup: cg(UID_UNKNOWN, RUN), podIndex: podIndex() },
      { source: 'none', podUID: UID_UNKNOWN, containerID: RUN },
    ],
    [
      'none: conmon without pod identity',
      { conmon: { container: 'x', containerID: RUN.toUpperCase() } },
      { source: 'none', containerID: RUN },
    ],
  ])('%s', (_name, input, expected) => {
    expect(attribute(input)).toStrictEqual(expected);
  });

  it('the tombstone expires and the chain falls back', () => {
    let t = 0;
    const index = new PodIndex({ tombstoneTtlMs: 1000, now: () => t });
    index.upsert(gone);
    index.remove(gone);
    const input: AttributionInput = {
      cgroup: cg(UID_GONE, OTHER),
      podIndex: index,
      podLogs: podLogs(['worker'], UID_GONE),
    };
    expect(attribute(input).source).toBe('tombstone');
    t = 1000;
    expect(attribute(input)).toStrictEqual({
      source: 'pod-logs',
      namespace: 'prod',
      pod: 'api-old',
      podUID: UID_GONE,
      container: 'worker',
      containerID: OTHER,
    });
  });
});
