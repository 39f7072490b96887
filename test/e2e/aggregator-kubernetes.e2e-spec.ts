/**
 * The BUILT aggregator with the Kubernetes API (the fake apiserver, real client): it finds the
 * collector pods by label (only Ready pods with an IP), follows pod changes, authenticates each
 * caller once, and passes the caller's token to BUILT collectors that enforce RBAC against the
 * same API, so a caller sees through the aggregator exactly what the collectors allow.
 * Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  answerEmpty,
  sendJson,
  spawnBuiltAggregator,
  startFakeCollector,
  type FakeCollector,
  type SpawnedAggregator,
} from '../support/aggregator.js';
import { freePort, spawnBuiltCollector, type SpawnedCollector } from '../support/collector.js';
import {
  addAggregatorServiceAccount,
  addClusterAdmin,
  makePod,
  startFakeApiServer,
  type FakeApiServer,
} from '../support/fake-apiserver.js';
import { coredumpEntry, writeJournalFile } from '../support/fixtures.js';
import { until } from '../support/exec.js';

const BOOT = 'fedcba9876543210fedcba9876543210';
const POD_UID = '11111111-2222-3333-4444-555555555555';
const CID = 'ef'.repeat(32);
const T0 = 1_800_000_000;
const LABELS = {
  'app.kubernetes.io/name': 'koredump',
  'app.kubernetes.io/component': 'node-collector',
};
const AGGREGATOR_TOKEN = 'aggregator-sa-token';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Core {
  id: string;
  node: string;
  namespace?: string;
}

/** node, namespace (none: a host process), seconds after T0. */
const CORES: [string, string | undefined, number][] = [
  ['node-1', 'team-a', 1],
  ['node-1', 'team-b', 2],
  ['node-2', 'team-a', 3],
  ['node-2', 'team-b', 4],
  ['node-2', undefined, 5],
];
const idOf = (i: number): string => `core.app${i}.0.${BOOT}.${100 + i}.${T0 + CORES[i][2]}000000`;
const content = (i: number): Buffer => Buffer.alloc(5000 + i, i);

/** A collector pod as the DaemonSet makes it; ready: Running + Ready; ip: its pod IP. */
function collectorPod(
  node: string,
  opts: { ip?: string; ready?: boolean; namespace?: string; labels?: Record<string, string> },
): V1Pod {
  const pod = makePod({
    namespace: opts.namespace ?? 'koredump',
    name: `koredump-node-collector-${node}`,
    uid: `00000000-0000-4000-8000-${createHash('sha256').update(`${opts.namespace}/${node}`).digest('hex').slice(0, 12)}`,
    nodeName: node,
    labels: opts.labels ?? LABELS,
    containers: [{ name: 'collector', image: 'koredump:0.1.0' }],
    ownerReferences: [{ kind: 'DaemonSet', name: 'koredump-node-collector' }],
    phase: opts.ip ? 'Running' : 'Pending',
  });
  const status = pod.status!;
  if (opts.ip) {
    status.podIP = opts.ip;
    status.podIPs = [{ ip: opts.ip }];
  } else {
    delete status.podIP;
    delete status.podIPs;
  }
  for (const c of status.conditions ?? []) {
    if (c.type === 'Ready' || c.type === 'ContainersReady') {
      c.status = opts.ip && opts.ready !== false ? 'True' : 'False';
    }
  }
  return pod;
}

describe('aggregator with the Kubernetes API: pod discovery and end-to-end RBAC', () => {
  let api: FakeApiServer;
  let work: string;
  let port: number;
  const collectors: SpawnedCollector[] = [];
  let node3: FakeCollector;
  let agg: SpawnedAggregator;

  const get = async (path: string, token?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${agg.url}${path}`, {
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
  };

  /** TokenReviews of `token` sent with the given service credential. */
  const reviews = (token: string, by: string): number =>
    api.requests.filter(
      (r) =>
        r.path === '/apis/authentication.k8s.io/v1/tokenreviews' &&
        r.headers.authorization === `Bearer ${by}` &&
        (r.body as { spec?: { token?: string } } | undefined)?.spec?.token === token,
    ).length;

  beforeAll(async () => {
    api = await startFakeApiServer({ bookmarkIntervalMs: 500 });
    work = await mkdtemp(join(tmpdir(), 'koredump-agg-k8s-'));
    api.addToken('alice-token', {
      username: 'alice',
      groups: ['team-a-devs', 'system:authenticated'],
    });
    addClusterAdmin(api, 'admin-token');
    addAggregatorServiceAccount(api, AGGREGATOR_TOKEN);
    api.grant(
      { group: 'team-a-devs' },
      {
        verbs: ['get', 'list'],
        apiGroups: ['koredump.io'],
        resources: ['coredumps', 'coredumps/download'],
        namespaces: ['team-a'],
      },
    );
    // Alice reaches the aggregator through the API server's service proxy.
    api.grant('alice', {
      verbs: ['get'],
      apiGroups: [''],
      resources: ['services/proxy'],
      namespaces: ['koredump'],
    });

    const collectorsKubeconfig = join(work, 'collectors.kubeconfig');
    const aggregatorKubeconfig = join(work, 'aggregator.kubeconfig');
    await api.writeKubeconfig(collectorsKubeconfig);
    await api.writeKubeconfig(aggregatorKubeconfig, { token: AGGREGATOR_TOKEN });

    // Every collector listens on the same port (the DaemonSet's), each on its own pod IP.
    port = await freePort('127.0.0.2');
    await Promise.all(
      (['node-1', 'node-2'] as const).map(async (node, n) => {
        const coreDir = join(work, node, 'coredump');
        const journalDir = join(work, node, 'journal');
        await mkdir(coreDir, { recursive: true });
        await mkdir(journalDir, { recursive: true });
        const entries = [];
        for (let i = 0; i < CORES.length; i++) {
          const [where, ns, s] = CORES[i];
          if (where !== node) continue;
          await writeFile(join(coreDir, idOf(i)), content(i));
          entries.push(
            coredumpEntry({
              filename: `/var/lib/systemd/coredump/${idOf(i)}`,
              pid: 100 + i,
              comm: `app${i}`,
              timestampUsec: `${T0 + s}000000`,
              extra: { _BOOT_ID: BOOT },
              ...(ns
                ? {
                    containerCmdline: `/usr/bin/conmon -c ${CID} -n k8s_app_web-${i}_${ns}_${POD_UID}_0 -r /usr/bin/runc`,
                  }
                : {}),
            }),
          );
        }
        await writeJournalFile(join(journalDir, 'j.journal'), entries);
        collectors.push(
          await spawnBuiltCollector({
            HOST: `127.0.0.${2 + n}`,
            PORT: String(port),
            NO_TOKENS: '0',
            FAKE_K8S: '0',
            KUBECONFIG: collectorsKubeconfig,
            KOREDUMP_NODE_NAME: node,
            KOREDUMP_COREDUMP_DIR: coreDir,
            KOREDUMP_JOURNAL_DIR: journalDir,
          }),
        );
      }),
    );
    // node-3's collector: a recorder, to see whether the aggregator calls it.
    node3 = await startFakeCollector(
      '127.0.0.4',
      (req, res) => {
        if ((req.url ?? '').startsWith('/apiv1/cores?') || req.url === '/apiv1/cores') {
          return sendJson(res, 200, [
            { id: 'core.three.0.x.1.1', node: 'node-3', timestamp: (T0 + 6) * 1000 },
          ]);
        }
        answerEmpty(req, res);
      },
      port,
    );

    api.setPods([
      collectorPod('node-1', { ip: '127.0.0.2' }),
      collectorPod('node-2', { ip: '127.0.0.3' }),
      collectorPod('node-3', { ip: '127.0.0.4', ready: false }),
      collectorPod('node-4', {}),
      // Same labels in another namespace, and another pod of ours: neither is a collector here.
      collectorPod('node-5', { ip: '127.0.0.6', namespace: 'other' }),
      collectorPod('node-6', {
        ip: '127.0.0.7',
        labels: {
          'app.kubernetes.io/name': 'koredump',
          'app.kubernetes.io/component': 'aggregator',
        },
      }),
    ]);
    agg = await spawnBuiltAggregator({
      NO_TOKENS: '0',
      FAKE_K8S: '0',
      KUBECONFIG: aggregatorKubeconfig,
      KOREDUMP_DAEMONSET_PORT: String(port),
      KOREDUMP_NAMESPACE: 'koredump',
      KOREDUMP_NODE_TIMEOUT_MS: '3000',
    });
  }, 90_000);

  afterAll(async () => {
    await agg?.stop();
    await Promise.all(collectors.map((c) => c.stop()));
    await node3?.close();
    await api?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('uses only Ready collector pods with an IP, keyed by node name', async () => {
    const ready = await fetch(`${agg.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      info: { discovery: { status: 'up', mode: 'pods', nodes: 4, ready: 2 } },
    });
    const { status, body } = await get('/apiv1/nodes', 'admin-token');
    expect(status).toBe(200);
    expect(body).toEqual([
      expect.objectContaining({
        node: 'node-1',
        source: 'pod',
        pod: 'koredump/koredump-node-collector-node-1',
        url: `http://127.0.0.2:${port}`,
        ready: true,
        reachable: true,
        cores: 2,
      }),
      expect.objectContaining({ node: 'node-2', url: `http://127.0.0.3:${port}`, ready: true }),
      expect.objectContaining({
        node: 'node-3',
        ready: false,
        reachable: false,
        reason: 'collector pod is not ready',
      }),
      expect.objectContaining({ node: 'node-4', ready: false, reason: 'collector pod is Pending' }),
    ]);
    expect((body as Record<string, unknown>[])[2]).not.toHaveProperty('url');
    // The aggregator watched only its namespace, with the collector labels.
    const watches = api.requests.filter(
      (r) => r.headers.authorization === `Bearer ${AGGREGATOR_TOKEN}` && r.path.endsWith('/pods'),
    );
    expect(watches.length).toBeGreaterThan(0);
    for (const w of watches) {
      expect(w.path).toBe('/api/v1/namespaces/koredump/pods');
      expect(w.query.labelSelector).toBe(
        'app.kubernetes.io/name=koredump,app.kubernetes.io/component=node-collector',
      );
    }
    expect(node3.requests).toEqual([]);
  });

  it('shows each caller exactly what the collectors allow them (RBAC end to end)', async () => {
    const admin = await get('/apiv1/cores', 'admin-token');
    expect(admin.status).toBe(200);
    expect((admin.body as Core[]).map((c) => `${c.node}/${c.id}`)).toEqual(
      CORES.map(([node], i) => `${node}/${idOf(i)}`),
    );
    expect(admin.headers.get('warning')).toBe(
      '199 koredump "nodes left out: node-3 (collector pod is not ready), node-4 (collector pod is Pending)"',
    );
    const alice = await get('/apiv1/cores', 'alice-token');
    expect(alice.status).toBe(200);
    expect((alice.body as Core[]).map((c) => `${c.node}/${c.namespace}/${c.id}`)).toEqual([
      `node-1/team-a/${idOf(0)}`,
      `node-2/team-a/${idOf(2)}`,
    ]);
    // Downloads and metadata: the collector's decision, passed through.
    const ok = await fetch(`${agg.url}/apiv1/cores/download/node-2/${idOf(2)}`, {
      headers: { Authorization: 'Bearer alice-token' },
    });
    expect(ok.status).toBe(200);
    expect(sha(Buffer.from(await ok.arrayBuffer()))).toBe(sha(content(2)));
    const denied = await get(`/apiv1/cores/download/node-1/${idOf(1)}`, 'alice-token');
    expect(denied).toMatchObject({
      status: 403,
      body: {
        statusCode: 403,
        error: 'Forbidden',
        message: 'alice cannot get coredumps/download.koredump.io in namespace "team-b"',
      },
    });
    const meta = await get(`/apiv1/cores/metadata/node-2/${idOf(4)}`, 'alice-token');
    expect(meta.status).toBe(403);
    expect((meta.body as { message: string }).message).toContain('at cluster scope');
  });

  it('reviews a token once at the aggregator and passes it on to the collectors', async () => {
    for (let i = 0; i < 3; i++) expect((await get('/apiv1/cores', 'alice-token')).status).toBe(200);
    // One TokenReview by the aggregator, one by each collector (all cached after that).
    expect(reviews('alice-token', AGGREGATOR_TOKEN)).toBe(1);
    expect(reviews('alice-token', api.serviceAccountToken)).toBe(2);
  });

  it('rejects a missing or bad token at the edge: 401, and no collector is asked', async () => {
    const collectorReviews = (): number =>
      api.requests.filter(
        (r) =>
          r.path === '/apis/authentication.k8s.io/v1/tokenreviews' &&
          r.headers.authorization === `Bearer ${api.serviceAccountToken}`,
      ).length;
    const before = collectorReviews();
    const none = await fetch(`${agg.url}/apiv1/cores`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="koredump"');
    const bad = await get('/apiv1/cores', 'not-a-token');
    expect(bad).toMatchObject({ status: 401, body: { statusCode: 401 } });
    expect(reviews('not-a-token', AGGREGATOR_TOKEN)).toBe(1);
    expect(collectorReviews()).toBe(before);
  });

  it('works through the API server’s service proxy with X-Koredump-Authorization', async () => {
    api.registerServiceProxy('koredump', 'koreapi', 80, agg.url);
    const { status, body, link } = await new Promise<{
      status: number;
      body: Core[];
      link?: string;
    }>((resolve, reject) => {
      const u = new URL(
        `${api.url}/api/v1/namespaces/koredump/services/koreapi:80/proxy/apiv1/cores?limit=1`,
      );
      const req = httpsRequest(
        {
          hostname: u.hostname,
          port: u.port,
          path: `${u.pathname}${u.search}`,
          ca: api.caCert,
          headers: {
            // The API server authenticates alice with this one and removes it...
            Authorization: 'Bearer alice-token',
            // ...so koredump gets her token here.
            'X-Koredump-Authorization': 'Bearer alice-token',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(text) as Core[],
              link: res.headers.link as string | undefined,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(body.map((c) => c.id)).toEqual([idOf(0)]);
    // Relative to the request URL, so it works behind the proxy's path prefix too.
    expect(link).toMatch(/^<\?limit=1&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
  });

  it('follows collector pods: one becoming Ready is used, a deleted one is dropped', async () => {
    api.upsertPod(collectorPod('node-3', { ip: '127.0.0.4' }));
    await until('node-3 used', async () => {
      const nodes = (await get('/apiv1/nodes', 'admin-token')).body as Record<string, unknown>[];
      return nodes.find((n) => n.node === 'node-3')?.ready === true;
    });
    const admin = await get('/apiv1/cores', 'admin-token');
    expect((admin.body as Core[]).map((c) => c.node)).toContain('node-3');
    expect(admin.headers.get('warning')).toBe(
      '199 koredump "nodes left out: node-4 (collector pod is Pending)"',
    );
    // The caller's token went to the collector, as a plain bearer token.
    const call = node3.requests.find((r) => r.url.startsWith('/apiv1/cores'))!;
    expect(call.headers.authorization).toBe('Bearer admin-token');

    api.deletePod('koredump', 'koredump-node-collector-node-2');
    await until('node-2 dropped', async () => {
      const nodes = (await get('/apiv1/nodes', 'admin-token')).body as Record<string, unknown>[];
      return !nodes.some((n) => n.node === 'node-2');
    });
    const after = await get('/apiv1/cores', 'admin-token');
    expect((after.body as Core[]).some((c) => c.node === 'node-2')).toBe(false);
    expect(await get(`/apiv1/cores/download/node-2/${idOf(2)}`, 'admin-token')).toMatchObject({
      status: 404,
      body: { statusCode: 404, message: 'node node-2 is not known (no collector there)' },
    });
  });
});
