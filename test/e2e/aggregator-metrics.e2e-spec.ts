/**
 * GET /metrics of the BUILT aggregator, with token auth and pod discovery through the fake
 * apiserver: nodes ready/total from the collector pods, per-node call latency and errors when one
 * collector answers, one hangs past the deadline, one refuses connections and one is not ready,
 * and request latency by route template. Parsed by Prometheus' Python client parser.
 * Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  spawnBuiltAggregator,
  startFakeCollector,
  startHungServer,
  type FakeCollector,
  type HungServer,
  type SpawnedAggregator,
} from '../support/aggregator.js';
import { freePort } from '../support/collector.js';
import {
  addAggregatorServiceAccount,
  addClusterAdmin,
  makePod,
  startFakeApiServer,
  type FakeApiServer,
} from '../support/fake-apiserver.js';
import { scrapeMetrics, type Scrape } from '../support/prometheus.js';

const LABELS = {
  'app.kubernetes.io/name': 'koredump',
  'app.kubernetes.io/component': 'node-collector',
};
const AGGREGATOR_TOKEN = 'metrics-aggregator-sa-token';
const ADMIN = 'metrics-admin-token';
const DEADLINE_MS = 400;

function collectorPod(node: string, n: number, ip: string, ready = true): V1Pod {
  const pod = makePod({
    namespace: 'koredump',
    name: `koredump-node-collector-${node}`,
    uid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    nodeName: node,
    labels: LABELS,
    containers: [{ name: 'collector', image: 'koredump:0.1.0' }],
    ownerReferences: [{ kind: 'DaemonSet', name: 'koredump-node-collector' }],
  });
  pod.status!.podIP = ip;
  pod.status!.podIPs = [{ ip }];
  for (const c of pod.status!.conditions ?? []) {
    if (c.type === 'Ready' || c.type === 'ContainersReady') c.status = ready ? 'True' : 'False';
  }
  return pod;
}

describe('aggregator /metrics (pod discovery, auth on, a hung and a dead node)', () => {
  let api: FakeApiServer;
  let work: string;
  let good: FakeCollector;
  let hung: HungServer;
  let agg: SpawnedAggregator;

  const scrape = (): Promise<Scrape> => scrapeMetrics(agg.url);

  beforeAll(async () => {
    api = await startFakeApiServer({ bookmarkIntervalMs: 500 });
    work = await mkdtemp(join(tmpdir(), 'koredump-agg-metrics-'));
    addClusterAdmin(api, ADMIN);
    addAggregatorServiceAccount(api, AGGREGATOR_TOKEN);
    const kubeconfig = join(work, 'aggregator.kubeconfig');
    await api.writeKubeconfig(kubeconfig, { token: AGGREGATOR_TOKEN });

    // The DaemonSet's port on every pod IP: node-good answers, node-hung never does, nothing
    // listens on node-dead's, node-unready's pod is not Ready.
    const port = await freePort('127.0.0.20');
    good = await startFakeCollector('127.0.0.20', undefined, port);
    hung = await startHungServer('127.0.0.21', port);
    api.setPods([
      collectorPod('node-good', 1, '127.0.0.20'),
      collectorPod('node-hung', 2, '127.0.0.21'),
      collectorPod('node-dead', 3, '127.0.0.22'),
      collectorPod('node-unready', 4, '127.0.0.23', false),
    ]);
    agg = await spawnBuiltAggregator({
      NO_TOKENS: '0',
      FAKE_K8S: '0',
      KUBECONFIG: kubeconfig,
      KOREDUMP_DAEMONSET_PORT: String(port),
      KOREDUMP_NAMESPACE: 'koredump',
      KOREDUMP_NODE_TIMEOUT_MS: String(DEADLINE_MS),
    });
  }, 60_000);

  afterAll(async () => {
    await agg?.stop();
    await good?.close();
    await hung?.close();
    await api?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('needs no token for /metrics while /apiv1 still returns 401 without one', async () => {
    const denied = await fetch(`${agg.url}/apiv1/cores`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ statusCode: 401 });
    const m = await scrape();
    expect(m.family('koredump_node_request_duration_seconds')?.type).toBe('histogram');
    expect(m.family('koredump_node_request_errors_total')?.type).toBe('counter');
    expect(m.family('koredump_http_request_duration_seconds')?.type).toBe('histogram');
    expect(m.family('koredump_process_cpu_seconds_total')?.type).toBe('counter');
  });

  it('reports nodes ready and total from the discovered collector pods', async () => {
    const m = await scrape();
    expect(m.value('koredump_discovery_synced')).toBe(1);
    expect(m.value('koredump_nodes')).toBe(4);
    expect(m.value('koredump_nodes_ready')).toBe(3);
  });

  it('times each node of a fan-out and counts the failures by node and kind', async () => {
    const started = Date.now();
    const res = await fetch(`${agg.url}/apiv1/cores`, {
      headers: { Authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(Date.now() - started).toBeGreaterThanOrEqual(DEADLINE_MS);
    expect(res.headers.get('warning')).toMatch(/node-hung/);

    const m = await scrape();
    const errors = (node: string, kind: string) =>
      m.value('koredump_node_request_errors_total', { node, kind });
    expect(errors('node-hung', 'timeout')).toBe(1);
    expect(errors('node-dead', 'unreachable')).toBe(1);
    expect(errors('node-unready', 'not-ready')).toBe(1);
    expect(m.value('koredump_node_request_errors_total', { node: 'node-good' })).toBe(0);

    // The hung node took the whole deadline: in the 0.5 s bucket, not in the 0.25 s one.
    const hungCalls = m.histogram('koredump_node_request_duration_seconds', { node: 'node-hung' });
    expect(hungCalls.count).toBe(1);
    expect(hungCalls.sum).toBeGreaterThanOrEqual(DEADLINE_MS / 1000);
    expect(hungCalls.buckets.get(0.25)).toBe(0);
    expect(hungCalls.buckets.get(0.5)).toBe(1);
    const goodCalls = m.histogram('koredump_node_request_duration_seconds', { node: 'node-good' });
    expect(goodCalls.count).toBe(1);
    expect(goodCalls.sum).toBeLessThan(DEADLINE_MS / 1000);
    expect(good.requests.map((r) => r.url.split('?')[0])).toContain('/apiv1/cores');

    // The aggregator's own requests, by route template and status class.
    expect(
      m.value('koredump_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/apiv1/cores',
        status_class: '2xx',
      }),
    ).toBe(1);
    expect(
      m.value('koredump_http_request_duration_seconds_count', {
        route: '/apiv1/cores',
        status_class: '4xx',
      }),
    ).toBe(1);
  }, 30_000);

  it('drops the series of a node discovery no longer knows', async () => {
    api.deletePod('koredump', 'koredump-node-collector-node-dead');
    const end = Date.now() + 10_000;
    let m = await scrape();
    while (m.value('koredump_nodes') !== 3 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
      m = await scrape();
    }
    expect(m.value('koredump_nodes')).toBe(3);
    expect(m.samples('koredump_node_request_errors_total', { node: 'node-dead' })).toEqual([]);
    expect(
      m.samples('koredump_node_request_duration_seconds_count', { node: 'node-dead' }),
    ).toEqual([]);
    expect(m.value('koredump_node_request_errors_total', { node: 'node-hung' })).toBe(1);
  }, 30_000);
});
