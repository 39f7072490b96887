/**
 * Crash events benchmark: how long from a real crash to its `CoreDumped` Event arriving at the
 * Kubernetes API. The BUILT collector (dist/, spawned as production runs it) talks to the fake
 * apiserver (test/support) through the real @kubernetes/client-node; a C program crashes in a
 * real kubepods cgroup of a pod the fake apiserver knows, through the real kernel →
 * systemd-coredump → journald path.
 *
 * Per crash it reports two spans, both ending when the fake apiserver receives the event write
 * (POST for the first crash of the pod, PATCH for the crash loop after it):
 *   - crash start → event: from spawning the crasher (includes its start, the dump and
 *     systemd-coredump's work);
 *   - journal entry → event: from the journal entry's __REALTIME_TIMESTAMP (systemd-coredump
 *     done), the collector's own share.
 * One warm-up crash, then BENCH_EVENTS_CRASHES (default 10) measured ones. Writes
 * .bench/events-latest.md. Needs root (cgroups, core_pattern) and a built collector
 * (`npm run bench:build` builds both).
 *
 *   npm run bench:build && node .bench/build/bench/events-bench.js
 */
import { existsSync, lstatSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

import { spawnBuiltCollector, type SpawnedCollector } from '../test/support/collector.js';
import { startCoredumpHost, type CoredumpHost } from '../test/support/coredump-host.js';
import { buildCrasher, crash } from '../test/support/crasher.js';
import { waitFor } from '../test/support/exec.js';
import {
  makePod,
  startFakeApiServer,
  type FakeApiServer,
  type RecordedRequest,
} from '../test/support/fake-apiserver.js';

const CRASHES = Number(process.env.BENCH_EVENTS_CRASHES ?? '10');
const NODE = 'bench-events-node';
const POD = {
  namespace: 'bench',
  name: 'crashloop-0',
  uid: '5be0c4a0-0000-4000-8000-00000000e7e7',
  container: 'crashy',
  cid: 'be'.repeat(32),
};

function repoRoot(): string {
  let dir = __dirname;
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'apps'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`repository root not found above ${__dirname}`);
}

/** spawnBuiltCollector() runs <test/support>/../../dist: make .bench/build/dist lead to dist/. */
function ensureBuiltCollector(): void {
  const root = repoRoot();
  if (!existsSync(join(root, 'dist/apps/node-collector/src/main.js'))) {
    throw new Error('the collector is not built: run npm run bench:build');
  }
  const buildRoot = join(__dirname, '..');
  if (buildRoot === root) return;
  const link = join(buildRoot, 'dist');
  try {
    lstatSync(link);
  } catch {
    symlinkSync(join(root, 'dist'), link);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const ms = (x: number): string => x.toFixed(0);

/** The write of the event that carries this core (the newest-core annotation). */
function eventWriteFor(api: FakeApiServer, id: string): RecordedRequest | undefined {
  return api.requests.find((r) => {
    if ((r.method !== 'POST' && r.method !== 'PATCH') || !r.path.includes('/events')) return false;
    const body = r.body as { metadata?: { annotations?: Record<string, string> } } | undefined;
    return body?.metadata?.annotations?.['koredump.io/last-core'] === id;
  });
}

async function main(): Promise<void> {
  ensureBuiltCollector();
  const work = await mkdtemp(join(tmpdir(), 'koredump-events-bench-'));
  let api: FakeApiServer | undefined;
  let host: CoredumpHost | undefined;
  let collector: SpawnedCollector | undefined;
  const cores: string[] = [];
  const fromStart: number[] = [];
  const fromJournal: number[] = [];
  const lines: string[] = [];
  try {
    api = await startFakeApiServer();
    api.setPods([
      makePod({
        namespace: POD.namespace,
        name: POD.name,
        uid: POD.uid,
        nodeName: NODE,
        containers: [
          {
            name: POD.container,
            image: 'registry/crashy:1',
            containerID: `containerd://${POD.cid}`,
          },
        ],
      }),
    ]);
    const kubeconfig = join(work, 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);
    host = await startCoredumpHost();
    const crasher = await buildCrasher(join(work, 'crasher'));
    collector = await spawnBuiltCollector({
      FAKE_K8S: '0',
      KOREDUMP_NODE_NAME: NODE,
      KUBECONFIG: kubeconfig,
      KOREDUMP_LOG_FORMAT: 'json',
    });
    // The pod watch must have synced before the first crash, or that crash measures the sync.
    await waitFor(
      'the pod watch',
      () => api!.requests.some((r) => r.path === '/api/v1/pods' && r.query.watch === 'true'),
      { timeoutMs: 20_000 },
    );
    for (let i = 0; i <= CRASHES; i++) {
      const t0 = Date.now();
      const result = await crash(crasher, {
        comm: 'crashy',
        kubepods: { podUID: POD.uid, containerID: POD.cid },
        timeoutMs: 20_000,
      });
      cores.push(result.coreFile);
      const id = basename(result.coreFile);
      const write = await waitFor('the event', () => eventWriteFor(api!, id), {
        timeoutMs: 20_000,
        intervalMs: 2,
      });
      const journalMs = Number(BigInt(String(result.journal.__REALTIME_TIMESTAMP)) / 1000n);
      const a = write.at - t0;
      const b = write.at - journalMs;
      lines.push(
        `- crash ${i}${i === 0 ? ' (warm-up, not counted)' : ''}: ${write.method} after ${ms(a)} ms from the crash start, ${ms(b)} ms from the journal entry`,
      );
      if (i > 0) {
        fromStart.push(a);
        fromJournal.push(b);
      }
    }
    const stored = api.events().filter((e) => e.involvedObject.uid === POD.uid);
    const counts = stored.map((e) => e.count).join(', ');
    const row = (name: string, xs: number[]): string =>
      `| ${name} | ${ms(median(xs))} | ${ms(quantile(xs, 0.9))} | ${ms(Math.min(...xs))} | ${ms(Math.max(...xs))} |`;
    const report = [
      '# Crash events benchmark',
      '',
      `${new Date().toISOString()} · Linux ${release()} · Node ${process.version} · ${CRASHES} crashes of one pod (after 1 warm-up), real systemd-coredump, built collector, fake apiserver (HTTPS, real client-node)`,
      '',
      '| span (ms) | median | p90 | min | max |',
      '| --- | --- | --- | --- | --- |',
      row('crash start → event at the API server', fromStart),
      row('journal entry written → event at the API server', fromJournal),
      '',
      `Events stored for the pod: ${stored.length} (count ${counts}): one event per 10 min window, the crash loop raises its count.`,
      '',
      ...lines,
      '',
    ].join('\n');
    process.stdout.write(report);
    const out = join(repoRoot(), '.bench');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'events-latest.md'), report);
    process.stdout.write(`\nreport written to ${join(out, 'events-latest.md')}\n`);
  } finally {
    await collector?.stop();
    for (const f of cores) await rm(f, { force: true });
    await host?.stop();
    await api?.close();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`events bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
