/**
 * GET /metrics of the collector against real systemd-coredump and journald, with token auth on
 * (the fake apiserver): a real crash inside a pod's cgroup counts as a new core with its
 * namespace, container and signal; downloads count the bytes the client got and the active
 * downloads go back to 0 after an abort. The exposition is parsed by Prometheus' own Python
 * client parser (test/support/prometheus.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import { get as httpGet, type ClientRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { startCollector, type RunningCollector } from '../support/collector.js';
import { CORE_DIR, startCoredumpHost, type CoredumpHost } from '../support/coredump-host.js';
import { buildCrasher, crash, type CrashResult } from '../support/crasher.js';
import {
  addClusterAdmin,
  makePod,
  startFakeApiServer,
  useKubeconfig,
  type FakeApiServer,
} from '../support/fake-apiserver.js';
import { scrapeMetrics, type Scrape } from '../support/prometheus.js';
import { until } from '../support/exec.js';

const NODE = 'metrics-node';
const NAMESPACE = 'team-metrics';
const POD_UID = '5e7a11c5-0000-4000-8000-00000000c0de';
const CID = 'feedc0de'.repeat(8);
const ADMIN = 'metrics-admin-token';

describe('collector /metrics (real crashes, auth on)', () => {
  let host: CoredumpHost;
  let api: FakeApiServer;
  let work: string;
  let crasher: string;
  let collector: RunningCollector;
  let podCrash: CrashResult;
  let podCoreId: string;

  const authed = (path: string): Promise<Response> =>
    fetch(`${collector.url}${path}`, { headers: { Authorization: `Bearer ${ADMIN}` } });
  const scrape = (): Promise<Scrape> => scrapeMetrics(collector.url);

  beforeAll(async () => {
    host = await startCoredumpHost();
    work = await mkdtemp(join(tmpdir(), 'koredump-metrics-'));
    crasher = await buildCrasher(work);
    api = await startFakeApiServer({ bookmarkIntervalMs: 500 });
    addClusterAdmin(api, ADMIN);
    api.setPods([
      makePod({
        namespace: NAMESPACE,
        name: 'web-0',
        uid: POD_UID,
        nodeName: NODE,
        containers: [{ name: 'app', image: 'registry/web:1', containerID: `containerd://${CID}` }],
      }),
    ]);
    await useKubeconfig(api, work);
    // In this process on the host's real coredump directory and journal, auth on.
    collector = await startCollector({
      coreDir: CORE_DIR,
      journalDir: undefined,
      nodeName: NODE,
      authDisabled: false,
      fakeK8s: false,
      authMode: 'rbac',
    });
    await until('pods synced', async () => {
      const res = await fetch(`${collector.url}/readyz`);
      await res.arrayBuffer();
      return res.ok && api.requests.some((r) => r.path === '/api/v1/pods' && r.query?.watch);
    });
  }, 120_000);

  afterAll(async () => {
    if (podCrash) await unlink(podCrash.coreFile).catch(() => undefined);
    delete process.env.KUBECONFIG;
    await collector?.close();
    await api?.close();
    await host?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('serves /metrics without a token in the Prometheus text format while the API still demands one', async () => {
    const noToken = await fetch(`${collector.url}/apiv1/cores`);
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ statusCode: 401 });
    const m = await scrape();
    for (const [name, type] of [
      ['koredump_cores', 'gauge'],
      ['koredump_cores_bytes', 'gauge'],
      ['koredump_cores_truncated', 'gauge'],
      ['koredump_cores_attribution', 'gauge'],
      ['koredump_cores_new', 'counter'],
      ['koredump_cores_new_attribution', 'counter'],
      ['koredump_journal_lag_seconds', 'histogram'],
      ['koredump_index_build_seconds', 'gauge'],
      ['koredump_download_bytes', 'counter'],
      ['koredump_downloads_active', 'gauge'],
      ['koredump_http_request_duration_seconds', 'histogram'],
      // prom-client's default process metrics, with our prefix.
      ['koredump_process_cpu_seconds', 'counter'],
      ['koredump_process_resident_memory_bytes', 'gauge'],
    ]) {
      expect({ name, type: m.family(name)?.type }).toEqual({ name, type });
    }
    expect(m.value('koredump_index_ready')).toBe(1);
    expect(m.value('koredump_index_build_seconds')).toBeGreaterThan(0);
    // The 401 above is timed under its route template, not its URL.
    expect(
      m.value('koredump_http_request_duration_seconds_count', {
        route: '/apiv1/cores',
        status_class: '4xx',
      }),
    ).toBeGreaterThanOrEqual(1);
    // No label carries a core id, a pod name or a path; routes are templates, never URLs.
    const labels = m.families.flatMap((f) => f.samples.map((x) => x.labels));
    const values = labels.flatMap(({ route: _route, ...rest }) => Object.values(rest));
    expect(values.filter((v) => /core\.|web-0|\//.test(v))).toEqual([]);
    const routes = labels.map((l) => l.route).filter((r) => r !== undefined);
    expect(routes).toContain('/apiv1/cores');
    expect(routes.filter((r) => r.includes('core.') || r.includes('?'))).toEqual([]);
  });

  it('counts a real crash in a pod as a new core with its namespace, container and signal', async () => {
    const labels = { namespace: NAMESPACE, container: 'app', signal: 'SIGSEGV' };
    const before = await scrape();
    const newBefore = before.value('koredump_cores_new_total', labels);
    const apiBefore = before.value('koredump_cores_new_attribution_total', { source: 'api' });
    const lagBefore = before.histogram('koredump_journal_lag_seconds').count;
    const presentBefore = before.value('koredump_cores', { namespace: NAMESPACE });
    const bytesBefore = before.value('koredump_cores_bytes', { namespace: NAMESPACE });

    podCrash = await crash(crasher, {
      sizeMiB: 48,
      comm: 'kd-metrics',
      kubepods: { podUID: POD_UID, containerID: CID },
    });
    podCoreId = basename(podCrash.coreFile);
    const after = await until('new core counted', async () => {
      const m = await scrape();
      return m.value('koredump_cores_new_total', labels) > newBefore && m;
    });
    expect(after.value('koredump_cores_new_total', labels)).toBe(newBefore + 1);
    expect(after.value('koredump_cores_new_attribution_total', { source: 'api' })).toBe(
      apiBefore + 1,
    );
    // Present: one more core in this pod's namespace, with its size on disk.
    const size = (await stat(podCrash.coreFile)).size;
    expect(after.value('koredump_cores', { namespace: NAMESPACE, signal: 'SIGSEGV' })).toBe(
      presentBefore + 1,
    );
    expect(after.value('koredump_cores_bytes', { namespace: NAMESPACE })).toBe(bytesBefore + size);
    expect(after.value('koredump_cores_truncated', { namespace: NAMESPACE })).toBe(0);
    expect(after.value('koredump_cores_attribution', { source: 'api' })).toBeGreaterThanOrEqual(1);
    // systemd-coredump writes the file, then logs: the journal entry's lag is measured.
    const lag = await until('journal lag observed', async () => {
      const h = (await scrape()).histogram('koredump_journal_lag_seconds');
      return h.count > lagBefore && h;
    });
    expect(lag.sum).toBeGreaterThan(0);
    expect(lag.buckets.get(Infinity)).toBe(lag.count);
  }, 60_000);

  it('counts the bytes of a download, raw and decompressed', async () => {
    const size = (await stat(podCrash.coreFile)).size;
    const before = await scrape();
    const raw = await authed(`/apiv1/cores/download/${podCoreId}`);
    expect(raw.status).toBe(200);
    expect((await raw.arrayBuffer()).byteLength).toBe(size);
    const decompressed = await authed(`/apiv1/cores/download/${podCoreId}?decompress=true`);
    expect(decompressed.status).toBe(200);
    const plainLength = (await decompressed.arrayBuffer()).byteLength;
    expect(plainLength).toBeGreaterThan(48 << 20);
    const after = await until('downloads settled', async () => {
      const m = await scrape();
      return m.value('koredump_downloads_active') === 0 && m;
    });
    expect(after.value('koredump_download_bytes_total', { mode: 'raw' })).toBe(
      before.value('koredump_download_bytes_total', { mode: 'raw' }) + size,
    );
    expect(after.value('koredump_download_bytes_total', { mode: 'decompressed' })).toBe(
      before.value('koredump_download_bytes_total', { mode: 'decompressed' }) + plainLength,
    );
    expect(
      after.value('koredump_http_request_duration_seconds_count', {
        route: '/apiv1/cores/download/:id',
        status_class: '2xx',
      }),
    ).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('shows a download in progress as active and takes it back to 0 when the client aborts', async () => {
    const before = await scrape();
    const bytesBefore = before.value('koredump_download_bytes_total', { mode: 'decompressed' });
    // Read the first chunk of a ~48 MiB decompressed body, then stop reading: the server is
    // held by backpressure with the download still running.
    let req: ClientRequest | undefined;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req = httpGet(
        `${collector.url}/apiv1/cores/download/${podCoreId}?decompress=true`,
        { headers: { Authorization: `Bearer ${ADMIN}` } },
        resolve,
      );
      req.on('error', reject);
    });
    expect(res.statusCode).toBe(200);
    await new Promise<void>((resolve) => res.once('data', () => (res.pause(), resolve())));
    const during = await until('download active', async () => {
      const m = await scrape();
      return m.value('koredump_downloads_active', { mode: 'decompressed' }) === 1 && m;
    });
    expect(during.value('koredump_downloads_active', { mode: 'raw' })).toBe(0);

    req!.destroy();
    const after = await until('download ended', async () => {
      const m = await scrape();
      return m.value('koredump_downloads_active', { mode: 'decompressed' }) === 0 && m;
    });
    const sent =
      after.value('koredump_download_bytes_total', { mode: 'decompressed' }) - bytesBefore;
    // Only what the socket accepted before the abort: some, never the whole core.
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(48 << 20);
    expect(
      after.value('koredump_http_request_duration_seconds_count', {
        route: '/apiv1/cores/download/:id',
        status_class: 'aborted',
      }),
    ).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

describe('collector with KOREDUMP_METRICS=0', () => {
  let work: string;
  let collector: RunningCollector;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredump-nometrics-'));
    await mkdir(join(work, 'cores'));
    await mkdir(join(work, 'journal'));
    collector = await startCollector({
      coreDir: join(work, 'cores'),
      journalDir: join(work, 'journal'),
      metricsEnabled: false,
    });
  }, 30_000);

  afterAll(async () => {
    await collector?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('has no /metrics (404 in the one error shape) and still serves the API', async () => {
    const res = await fetch(`${collector.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect((await fetch(`${collector.url}/apiv1/cores`)).status).toBe(200);
  });
});
