import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import {
  spawnBuiltCollector,
  startCollector,
  type RunningCollector,
  type SpawnedCollector,
} from '../support/collector.js';
import { startCoredumpHost, type CoredumpHost } from '../support/coredump-host.js';
import { buildCrasher, crash } from '../support/crasher.js';
import {
  addClusterAdmin,
  makePod,
  startFakeApiServer,
  useKubeconfig,
  type FakeApiServer,
} from '../support/fake-apiserver.js';
import { coredumpEntry, writeJournalFile, type FixtureEntry } from '../support/fixtures.js';
import { until } from '../support/exec.js';

const NODE = 'node-k8s';
const BOOT = '0123456789abcdef0123456789abcdef';
const uid = (n: number): string =>
  `${String(n).padStart(8, '0')}-aaaa-4bbb-8ccc-${String(n).padStart(12, '0')}`;
const cid = (n: number, tag = 'a'): string => `${tag}${n}`.padEnd(64, '0');
const STATIC_HASH = 'f00dfeed'.repeat(4);
const usec = (sec: number): string => `${1_800_000_000 + sec}000000`;

interface Core {
  id: string;
  [k: string]: unknown;
}

function cgroupOf(podUID: string, containerID: string): string {
  const u = podUID.replace(/-/g, '_');
  return `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice/cri-containerd-${containerID}.scope`;
}

describe('node-collector with the Kubernetes API (fake apiserver, real client)', () => {
  let api: FakeApiServer;
  let work: string;
  let coreDir: string;
  let journalDir: string;
  let collector: RunningCollector;
  let journalFiles = 0;
  const ids: Record<string, string> = {};

  /** A core file plus its journal entry, logged "now" so the journal follower sees it. */
  async function addCore(
    name: string,
    n: number,
    fields: { cgroup?: string; hostname?: string; later?: boolean },
  ): Promise<string> {
    const id = `core.${name}.0.${BOOT}.${1000 + n}.${usec(n)}.zst`;
    ids[name] = id;
    await writeFile(join(coreDir, id), `core ${name}`);
    const entry: FixtureEntry = coredumpEntry({
      filename: `/var/lib/systemd/coredump/${id}`,
      pid: 1000 + n,
      signal: 11,
      comm: name,
      exe: `/usr/bin/${name}`,
      hostname: fields.hostname ?? `${name}-host`,
      timestampUsec: usec(n),
      cgroup: fields.cgroup,
      extra: {
        _HOSTNAME: 'node-k8s-host',
        _BOOT_ID: BOOT,
        COREDUMP_CMDLINE: `/usr/bin/${name} --password=hunter2`,
        COREDUMP_ENVIRON: 'SECRET=1\nPATH=/usr/bin',
      },
    });
    if (fields.later) {
      // Logged now, later in the same boot than everything before: the follower reads in order.
      const now = BigInt(Date.now()) * 1000n;
      entry.realtimeUsec = String(now);
      entry.fields.__MONOTONIC_TIMESTAMP = String(now - 1_700_000_000_000_000n);
    }
    await writeJournalFile(join(journalDir, `j${journalFiles++}.journal`), [entry]);
    return id;
  }

  async function list(
    token: string,
    path = '/apiv1/cores',
  ): Promise<{ status: number; body: Core[] }> {
    const res = await fetch(`${collector.url}${path}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as Core[] };
  }

  async function core(name: string): Promise<Core> {
    const found = (await list('admin-token')).body.find((c) => c.id === ids[name]);
    if (!found) throw new Error(`${name} not listed`);
    return found;
  }

  beforeAll(async () => {
    api = await startFakeApiServer({ bookmarkIntervalMs: 500 });
    work = await mkdtemp(join(tmpdir(), 'koredump-k8s-'));
    coreDir = join(work, 'coredump');
    journalDir = join(work, 'journal');
    await mkdir(coreDir);
    await mkdir(journalDir);

    api.addToken('alice-token', {
      username: 'alice',
      groups: ['team-a-devs', 'system:authenticated'],
    });
    api.addToken('bob-token', { username: 'bob', groups: ['system:authenticated'] });
    addClusterAdmin(api, 'admin-token');
    api.addToken('carol-token', { username: 'carol', groups: ['team-a-devs'] });
    api.addToken('old-token', { username: 'old', groups: [] }, { expired: true });
    api.grant(
      { group: 'team-a-devs' },
      {
        verbs: ['get', 'list'],
        apiGroups: ['koredump.io'],
        resources: ['coredumps', 'coredumps/download'],
        namespaces: ['team-a'],
      },
    );
    api.grant('bob', {
      verbs: ['get', 'list'],
      apiGroups: ['koredump.io'],
      resources: ['coredumps'],
      namespaces: ['team-a'],
    });

    api.setPods([
      makePod({
        namespace: 'team-a',
        name: 'web-1',
        uid: uid(1),
        nodeName: NODE,
        containers: [
          {
            name: 'app',
            image: 'registry/web:1',
            containerID: `containerd://${cid(1)}`,
            imageID: 'registry/web@sha256:aa',
          },
        ],
        ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5d8f7c9b4', controller: true }],
        labels: { 'pod-template-hash': '5d8f7c9b4' },
      }),
      makePod({
        namespace: 'team-b',
        name: 'web-1',
        uid: uid(2),
        nodeName: NODE,
        containers: [
          { name: 'app', image: 'registry/other:2', containerID: `containerd://${cid(2)}` },
        ],
      }),
      makePod({
        namespace: 'team-a',
        name: 'worker',
        uid: uid(3),
        nodeName: NODE,
        containers: [
          {
            name: 'w',
            image: 'registry/worker:3',
            containerID: `containerd://${cid(3, 'b')}`,
            lastTerminatedContainerID: `containerd://${cid(3)}`,
            restartCount: 1,
          },
        ],
      }),
      makePod({
        namespace: 'kube-system',
        name: `etcd-${NODE}`,
        uid: uid(4),
        nodeName: NODE,
        staticHash: STATIC_HASH,
        containers: [
          { name: 'etcd', image: 'registry/etcd:3.5', containerID: `containerd://${cid(4)}` },
        ],
      }),
      makePod({
        namespace: 'team-a',
        name: 'hostnet',
        uid: uid(5),
        nodeName: NODE,
        hostNetwork: true,
        containers: [
          { name: 'agent', image: 'registry/agent:5', containerID: `containerd://${cid(5)}` },
        ],
      }),
      makePod({
        namespace: 'team-a',
        name: 'job-1',
        uid: uid(6),
        nodeName: NODE,
        containers: [
          { name: 'job', image: 'registry/job:6', containerID: `containerd://${cid(6)}` },
        ],
      }),
      makePod({
        namespace: 'team-a',
        name: 'elsewhere',
        uid: uid(9),
        nodeName: 'another-node',
        containers: [{ name: 'x', image: 'x', containerID: `containerd://${cid(9)}` }],
      }),
    ]);

    await addCore('web', 1, { cgroup: cgroupOf(uid(1), cid(1)) });
    await addCore('webb', 2, { cgroup: cgroupOf(uid(2), cid(2)) });
    await addCore('worker', 3, { cgroup: cgroupOf(uid(3), cid(3)) });
    await addCore('etcd', 4, {
      cgroup: `/kubepods.slice/kubepods-pod${STATIC_HASH}.slice/cri-containerd-${cid(4)}.scope`,
    });
    await addCore('agent', 5, { cgroup: cgroupOf(uid(5), cid(5)), hostname: 'node-k8s-host' });
    await addCore('hostproc', 8, {});
    await addCore('unknownctr', 10, { cgroup: cgroupOf(uid(1), cid(10, 'c')) });

    await useKubeconfig(api, work);
    collector = await startCollector({
      coreDir,
      journalDir,
      nodeName: NODE,
      authDisabled: false,
      fakeK8s: false,
      authMode: 'rbac',
    });
    await until(
      'pods synced',
      async () =>
        (await core('web')).attribution !== undefined && (await core('web')).namespace === 'team-a',
    );
  }, 60_000);

  afterAll(async () => {
    delete process.env.KUBECONFIG;
    await collector?.close();
    await api?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('names pods through the API: running, restarted, static, hostNetwork, same name in two namespaces', async () => {
    expect(await core('web')).toMatchObject({
      namespace: 'team-a',
      pod: 'web-1',
      container: 'app',
      image: 'registry/web:1',
      imageID: 'registry/web@sha256:aa',
      podUID: uid(1),
      containerID: cid(1),
      workload: { kind: 'Deployment', name: 'web' },
      attribution: { source: 'api' },
    });
    expect(await core('webb')).toMatchObject({
      namespace: 'team-b',
      pod: 'web-1',
      container: 'app',
      image: 'registry/other:2',
      attribution: { source: 'api' },
    });
    expect(await core('worker')).toMatchObject({
      namespace: 'team-a',
      pod: 'worker',
      container: 'w',
      containerID: cid(3),
      attribution: { source: 'api-last-state' },
    });
    expect(await core('etcd')).toMatchObject({
      namespace: 'kube-system',
      pod: `etcd-${NODE}`,
      container: 'etcd',
      attribution: { source: 'api' },
    });
    expect(await core('agent')).toMatchObject({
      namespace: 'team-a',
      pod: 'hostnet',
      container: 'agent',
      attribution: { source: 'api' },
    });
    const unknownContainer = await core('unknownctr');
    expect(unknownContainer).toMatchObject({
      namespace: 'team-a',
      pod: 'web-1',
      attribution: { source: 'api' },
    });
    expect(unknownContainer.container).toBeUndefined(); // never a guess
    const host = await core('hostproc');
    expect(host.attribution).toEqual({ source: 'none' });
    expect(host.namespace).toBeUndefined();
  });

  it('re-attributes a core whose pod the watch learns about later, and resolves a pod deleted before its core arrived', async () => {
    await addCore('late', 7, { cgroup: cgroupOf(uid(7), cid(7)), later: true });
    await until('late core listed with its journal entry', async () =>
      (await list('admin-token')).body.some(
        (c) => c.id === ids.late && c.COREDUMP_EXE === '/usr/bin/late',
      ),
    );
    expect((await core('late')).attribution).toEqual({ source: 'hostname' });
    api.upsertPod(
      makePod({
        namespace: 'team-c',
        name: 'late-pod',
        uid: uid(7),
        nodeName: NODE,
        containers: [
          { name: 'late', image: 'registry/late:7', containerID: `containerd://${cid(7)}` },
        ],
      }),
    );
    await until(
      'late core re-attributed',
      async () => (await core('late')).attribution?.['source' as never] === 'api',
    );
    expect(await core('late')).toMatchObject({
      namespace: 'team-c',
      pod: 'late-pod',
      container: 'late',
    });

    api.deletePod('team-a', 'job-1');
    await new Promise((r) => setTimeout(r, 300)); // the watch delivers the deletion
    await addCore('job', 6, { cgroup: cgroupOf(uid(6), cid(6)), later: true });
    await until('job core listed with its journal entry', async () =>
      (await list('admin-token')).body.some(
        (c) => c.id === ids.job && c.COREDUMP_EXE === '/usr/bin/job',
      ),
    );
    expect(await core('job')).toMatchObject({
      namespace: 'team-a',
      pod: 'job-1',
      container: 'job',
      attribution: { source: 'tombstone' },
    });
  }, 30_000);

  it('shows each caller exactly what RBAC allows, redacting sensitive fields without coredumps/sensitive', async () => {
    const alice = await list('alice-token');
    expect(alice.status).toBe(200);
    expect(new Set(alice.body.map((c) => c.namespace))).toEqual(new Set(['team-a']));
    expect(alice.body.map((c) => c.id)).toEqual(
      expect.arrayContaining([ids.web, ids.worker, ids.agent]),
    );
    expect(alice.body.find((c) => c.id === ids.web)).toMatchObject({
      COREDUMP_CMDLINE: '/usr/bin/web',
      redacted: ['COREDUMP_CMDLINE'],
    });

    const admin = await list('admin-token');
    expect(admin.body.map((c) => c.id)).toEqual(
      expect.arrayContaining([ids.web, ids.webb, ids.etcd, ids.hostproc]),
    );
    expect(admin.body.find((c) => c.id === ids.web)).toMatchObject({
      COREDUMP_CMDLINE: '/usr/bin/web --password=hunter2',
    });

    const meta = await fetch(`${collector.url}/apiv1/cores/metadata/${ids.web}`, {
      headers: { Authorization: 'Bearer alice-token' },
    });
    expect(meta.status).toBe(200);
    const record = (await meta.json()) as Record<string, unknown>;
    expect(record).not.toHaveProperty('COREDUMP_ENVIRON');
    expect(record.redacted).toEqual(
      expect.arrayContaining(['COREDUMP_ENVIRON', 'COREDUMP_CMDLINE']),
    );
    const adminMeta = (await (
      await fetch(`${collector.url}/apiv1/cores/metadata/${ids.web}`, {
        headers: { Authorization: 'Bearer admin-token' },
      })
    ).json()) as Record<string, unknown>;
    expect(adminMeta.COREDUMP_ENVIRON).toBe('SECRET=1\nPATH=/usr/bin');

    const forbidden = await fetch(`${collector.url}/apiv1/cores/metadata/${ids.webb}`, {
      headers: { Authorization: 'Bearer alice-token' },
    });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'alice cannot get coredumps.koredump.io in namespace "team-b"',
    });
    const hostCore = await fetch(`${collector.url}/apiv1/cores/download/${ids.hostproc}`, {
      headers: { Authorization: 'Bearer alice-token' },
    });
    expect(hostCore.status).toBe(403);
    expect(((await hostCore.json()) as { message: string }).message).toContain('cluster scope');

    const download = await fetch(`${collector.url}/apiv1/cores/download/${ids.web}`, {
      headers: { Authorization: 'Bearer alice-token' },
    });
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('core web');
    const bob = await fetch(`${collector.url}/apiv1/cores/download/${ids.web}`, {
      headers: { Authorization: 'Bearer bob-token' },
    });
    expect(bob.status).toBe(403);
    expect(((await bob.json()) as { message: string }).message).toBe(
      'bob cannot get coredumps/download.koredump.io in namespace "team-a"',
    );
  });

  it.each([
    ['no token', undefined],
    ['an invalid token', 'Bearer nope'],
    ['an expired token', 'Bearer old-token'],
  ])('answers %s with 401', async (_what, auth) => {
    const res = await fetch(`${collector.url}/apiv1/cores`, {
      headers: auth ? { Authorization: auth } : {},
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('lets any valid token see everything with KOREDUMP_AUTH_MODE=authenticated (the original behaviour)', async () => {
    const open = await startCollector({
      coreDir,
      journalDir,
      nodeName: NODE,
      authDisabled: false,
      fakeK8s: false,
      authMode: 'authenticated',
    });
    try {
      const res = await fetch(`${open.url}/apiv1/cores`, {
        headers: { Authorization: 'Bearer bob-token' },
      });
      const body = (await res.json()) as Core[];
      expect(body.map((c) => c.id)).toEqual(expect.arrayContaining([ids.webb, ids.hostproc]));
      expect(body.find((c) => c.id === ids.webb)).not.toHaveProperty('redacted');
      const bad = await fetch(`${open.url}/apiv1/cores`, {
        headers: { Authorization: 'Bearer nope' },
      });
      expect(bad.status).toBe(401);
    } finally {
      await open.close();
    }
  });

  it('asks TokenReview once per token, not once per request', async () => {
    api.addToken('dave-token', { username: 'dave', groups: ['team-a-devs'] });
    api.requests.length = 0;
    await Promise.all(Array.from({ length: 20 }, () => list('dave-token')));
    const reviews = api.requests.filter(
      (r) => r.path === '/apis/authentication.k8s.io/v1/tokenreviews',
    );
    expect(reviews).toHaveLength(1);
    const accessReviews = api.requests.filter(
      (r) => r.path === '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    );
    // list + sensitive for each namespace seen, once, whatever the number of requests
    expect(accessReviews.length).toBeLessThanOrEqual(10);
  });

  it('keeps serving cached decisions while the API is down, answers 503 (not 200, not a hang) otherwise', async () => {
    await list('alice-token'); // warm
    api.setDown(true);
    try {
      const warm = await list('alice-token');
      expect(warm.status).toBe(200);
      expect(warm.body.length).toBeGreaterThan(0);
      const started = Date.now();
      const cold = await fetch(`${collector.url}/apiv1/cores`, {
        headers: { Authorization: 'Bearer carol-token' },
      });
      expect(cold.status).toBe(503);
      expect(await cold.json()).toMatchObject({
        statusCode: 503,
        message: expect.stringContaining('Kubernetes API'),
      });
      expect(Date.now() - started).toBeLessThan(6000);
    } finally {
      api.setDown(false);
    }
  });

  it('resumes the pod watch after the connection drops', async () => {
    await addCore('resume', 11, { cgroup: cgroupOf(uid(11), cid(11)), later: true });
    await until('resume core listed with its journal entry', async () =>
      (await list('admin-token')).body.some(
        (c) => c.id === ids.resume && c.COREDUMP_EXE === '/usr/bin/resume',
      ),
    );
    api.dropWatches({ abrupt: true });
    await new Promise((r) => setTimeout(r, 100));
    api.upsertPod(
      makePod({
        namespace: 'team-a',
        name: 'resumed',
        uid: uid(11),
        nodeName: NODE,
        containers: [{ name: 'r', image: 'registry/r:1', containerID: `containerd://${cid(11)}` }],
      }),
    );
    await until(
      're-attributed after reconnect',
      async () => (await core('resume')).pod === 'resumed',
      10_000,
    );
  }, 30_000);
});

describe('node-collector in a pod: in-cluster config, real crashes in kubepods cgroups', () => {
  let api: FakeApiServer;
  let host: CoredumpHost;
  let work: string;
  let crasher: string;
  let collector: SpawnedCollector;
  const PODUID = '9d7c3b1a-1111-4222-8333-944455556666';
  const CID = 'feed'.repeat(16);
  const RESTARTED = {
    uid: '9d7c3b1a-2222-4222-8333-944455556666',
    old: 'dead'.repeat(16),
    now: 'beef'.repeat(16),
  };
  const STATIC = {
    uid: '9d7c3b1a-3333-4222-8333-944455556666',
    hash: 'cafe'.repeat(8),
    cid: 'babe'.repeat(16),
  };
  const DOOMED = { uid: '9d7c3b1a-4444-4222-8333-944455556666', cid: 'd00d'.repeat(16) };

  /** Polls the viewer's list until the core `id` is attributed by the API (any API source). */
  async function attributed(id: string): Promise<Core | undefined> {
    let found: Core | undefined;
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      const res = await fetch(`${collector.url}/apiv1/cores`, {
        headers: { Authorization: 'Bearer viewer-token' },
      });
      found = ((await res.json()) as Core[]).find((c) => c.id === id);
      const source = (found?.attribution as { source?: string } | undefined)?.source;
      if (source && ['api', 'api-last-state', 'tombstone'].includes(source)) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    return found;
  }

  beforeAll(async () => {
    api = await startFakeApiServer();
    work = await mkdtemp(join(tmpdir(), 'koredump-incluster-'));
    const { env } = await api.writeInClusterFiles(work);
    api.addToken('viewer-token', {
      username: 'system:serviceaccount:team-z:viewer',
      groups: ['system:serviceaccounts'],
    });
    api.grant('system:serviceaccount:team-z:viewer', {
      verbs: ['list', 'get'],
      apiGroups: ['koredump.io'],
      resources: ['coredumps', 'coredumps/sensitive'],
      namespaces: ['team-z'],
    });
    api.setPods([
      makePod({
        namespace: 'team-z',
        name: 'crashy-0',
        uid: PODUID,
        nodeName: 'real-node',
        containers: [
          { name: 'crashy', image: 'registry/crashy:1', containerID: `containerd://${CID}` },
        ],
        ownerReferences: [{ kind: 'StatefulSet', name: 'crashy', controller: true }],
      }),
      makePod({
        namespace: 'team-z',
        name: 'looping',
        uid: RESTARTED.uid,
        nodeName: 'real-node',
        containers: [
          {
            name: 'loop',
            image: 'registry/loop:1',
            containerID: `containerd://${RESTARTED.now}`,
            lastTerminatedContainerID: `containerd://${RESTARTED.old}`,
            restartCount: 3,
          },
        ],
      }),
      makePod({
        namespace: 'team-z',
        name: 'static-real-node',
        uid: STATIC.uid,
        nodeName: 'real-node',
        staticHash: STATIC.hash,
        containers: [
          { name: 'st', image: 'registry/static:1', containerID: `containerd://${STATIC.cid}` },
        ],
      }),
      makePod({
        namespace: 'team-z',
        name: 'doomed',
        uid: DOOMED.uid,
        nodeName: 'real-node',
        hostNetwork: true,
        containers: [
          { name: 'd', image: 'registry/doomed:1', containerID: `containerd://${DOOMED.cid}` },
        ],
      }),
    ]);
    host = await startCoredumpHost();
    crasher = await buildCrasher(work);
    collector = await spawnBuiltCollector({
      NO_TOKENS: '0',
      FAKE_K8S: '0',
      KOREDUMP_NODE_NAME: 'real-node',
      KUBERNETES_SERVICE_HOST: env.KUBERNETES_SERVICE_HOST,
      KUBERNETES_SERVICE_PORT: env.KUBERNETES_SERVICE_PORT,
      KOREDUMP_IN_CLUSTER_ROOT: work,
    });
  }, 120_000);

  afterAll(async () => {
    await collector?.stop();
    await host?.stop();
    await api?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('authenticates with the service account and names the pod of a real crash', async () => {
    const result = await crash(crasher, {
      comm: 'crashy',
      kubepods: { podUID: PODUID, containerID: CID, qos: 'besteffort' },
    });
    const id = basename(result.coreFile);
    let found: Core | undefined;
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      const res = await fetch(`${collector.url}/apiv1/cores`, {
        headers: { Authorization: 'Bearer viewer-token' },
      });
      expect(res.status).toBe(200);
      found = ((await res.json()) as Core[]).find((c) => c.id === id);
      if (found?.attribution && (found.attribution as { source: string }).source === 'api') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(found).toMatchObject({
      namespace: 'team-z',
      pod: 'crashy-0',
      container: 'crashy',
      image: 'registry/crashy:1',
      workload: { kind: 'StatefulSet', name: 'crashy' },
      attribution: { source: 'api' },
    });
    // The collector used the mounted service account token for its own calls.
    const saCalls = api.requests.filter(
      (r) =>
        r.path === '/api/v1/pods' &&
        r.headers.authorization === `Bearer ${api.serviceAccountToken}`,
    );
    expect(saCalls.length).toBeGreaterThan(0);
    const unauthenticated = await fetch(`${collector.url}/apiv1/cores/download/${id}`);
    expect(unauthenticated.status).toBe(401);
    await unlink(result.coreFile);
  }, 60_000);

  it('attributes real crashes of a restarted container, a static pod, and a hostNetwork pod deleted before its core is indexed', async () => {
    const restarted = await crash(crasher, {
      comm: 'looping',
      kubepods: { podUID: RESTARTED.uid, containerID: RESTARTED.old },
    });
    expect(await attributed(basename(restarted.coreFile))).toMatchObject({
      namespace: 'team-z',
      pod: 'looping',
      container: 'loop',
      attribution: { source: 'api-last-state' },
    });

    const stat = await crash(crasher, {
      comm: 'static',
      kubepods: { podUID: STATIC.hash, containerID: STATIC.cid, qos: 'guaranteed' },
    });
    expect(await attributed(basename(stat.coreFile))).toMatchObject({
      namespace: 'team-z',
      pod: 'static-real-node',
      container: 'st',
      podUID: STATIC.uid,
      attribution: { source: 'api' },
    });

    api.deletePod('team-z', 'doomed');
    await new Promise((r) => setTimeout(r, 300)); // the collector's watch sees the deletion first
    const doomed = await crash(crasher, {
      comm: 'doomed',
      kubepods: { podUID: DOOMED.uid, containerID: DOOMED.cid },
    });
    // Its UTS hostname is the node's (as in a hostNetwork pod): only the API can name it.
    expect(await attributed(basename(doomed.coreFile))).toMatchObject({
      namespace: 'team-z',
      pod: 'doomed',
      container: 'd',
      attribution: { source: 'tombstone' },
    });

    for (const r of [restarted, stat, doomed]) await unlink(r.coreFile);
  }, 60_000);
});
