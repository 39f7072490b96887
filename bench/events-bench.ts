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
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { spawnBuiltCollector } from '../test/support/collector.js';
import { startCoredumpHost } from '../test/support/coredump-host.js';
import { buildCrasher, crash } from '../test/support/crasher.js';
import { waitFor } from '../test/support/exec.js';
import {
  makePod,
  startFakeApiServer,
  type FakeApiServer,
  type RecordedRequest,
} from '../test/support/fake-apiserver.js';
import {
  benchWorkDir,
  ensureBuilt,
  median,
  ms,
  percentile,
  Report,
  runMain,
  undo,
} from './support.js';

const CRASHES = Number(process.env.BENCH_EVENTS_CRASHES ?? '10');
const NODE = 'bench-events-node';
const POD = {
  namespace: 'bench',
  name: 'crashloop-0',
  uid: '5be0c4a0-0000-4000-8000-00000000e7e7',
  container: 'crashy',
  cid: 'be'.repeat(32),
};

/** The write of the event that carries this core (the newest-core annotation). */
function eventWriteFor(api: FakeApiServer, id: string): RecordedRequest | undefined {
  return api.requests.find((r) => {
    if ((r.method !== 'POST' && r.method !== 'PATCH') || !r.path.includes('/events')) return false;
    const body = r.body as { metadata?: { annotations?: Record<string, string> } } | undefined;
    return body?.metadata?.annotations?.['koredump.io/last-core'] === id;
  });
}

const report = new Report('events', 'koredump crash events benchmark');
const { addRow, errorRow, note } = report;

async function main(): Promise<void> {
  const started = performance.now();
  await report.begin();
  ensureBuilt(['node-collector']);
  const { work, remove: removeWork } = await benchWorkDir('koredump-events-bench-');
  const m1 = 'crash start → event at the API server (ms)';
  const m2 = 'journal entry written → event at the API server (ms)';
  try {
    const api = await startFakeApiServer();
    undo.track('fake apiserver', () => api.close());
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
    const host = await startCoredumpHost();
    undo.track('coredump host', () => host.stop());
    const crasher = await buildCrasher(join(work, 'crasher'));
    const collector = await spawnBuiltCollector({
      FAKE_K8S: '0',
      KOREDUMP_NODE_NAME: NODE,
      KUBECONFIG: kubeconfig,
      KOREDUMP_LOG_FORMAT: 'json',
    });
    undo.track('collector', () => collector.stop());
    // The pod watch must have synced before the first crash, or that crash measures the sync.
    await waitFor(
      'the pod watch',
      () => api.requests.some((r) => r.path === '/api/v1/pods' && r.query.watch === 'true'),
      { timeoutMs: 20_000 },
    );
    const fromStart: number[] = [];
    const fromJournal: number[] = [];
    try {
      for (let i = 0; i <= CRASHES; i++) {
        undo.checkAborted();
        const t0 = Date.now();
        const result = await crash(crasher, {
          comm: 'crashy',
          kubepods: { podUID: POD.uid, containerID: POD.cid },
          timeoutMs: 20_000,
        });
        undo.track(`core ${result.coreFile}`, () => rm(result.coreFile, { force: true }));
        const id = basename(result.coreFile);
        const write = await waitFor('the event', () => eventWriteFor(api, id), {
          timeoutMs: 20_000,
          intervalMs: 2,
        });
        const journalMs = Number(BigInt(String(result.journal.__REALTIME_TIMESTAMP)) / 1000n);
        const a = write.at - t0;
        const b = write.at - journalMs;
        note(
          `crash ${i}${i === 0 ? ' (warm-up, not counted)' : ''}: ${write.method} after ${ms(a)} ms from the crash start, ${ms(b)} ms from the journal entry`,
        );
        if (i > 0) {
          fromStart.push(a);
          fromJournal.push(b);
        }
      }
      const spans = (xs: number[]): string =>
        `median ${ms(median(xs))}, p90 ${ms(percentile(xs, 90))}, min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))}`;
      addRow('E1', m1, spans(fromStart));
      addRow('E2', m2, spans(fromJournal));
      const stored = api.events().filter((e) => e.involvedObject.uid === POD.uid);
      note(
        `events stored for the pod: ${stored.length} (count ${stored.map((e) => e.count).join(', ')}): one event per 10 min window, the crash loop raises its count`,
      );
    } catch (err) {
      errorRow('E1', m1, '—', err);
    }
  } finally {
    await undo.undoAll();
    await removeWork();
  }
  if (undo.shuttingDown) return; // abort() reports and exits
  await report.finish(started, [
    `${CRASHES} crashes of one pod (after 1 warm-up), real systemd-coredump, built collector, fake apiserver (HTTPS, real client-node); both spans end when the fake apiserver receives the event write (POST for the first crash of the pod, PATCH for the crash loop)`,
  ]);
}

runMain(main);
