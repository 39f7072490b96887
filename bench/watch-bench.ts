/**
 * Watch benchmark (`npm run bench` runs it last; alone: `npm run bench:watch`): the time from a
 * real crash (through the host's systemd-coredump and journald) to its Server-Sent Event, on the
 * BUILT collector's GET /apiv1/cores/watch and through the BUILT aggregator's merged stream.
 *
 *   W1. crash → collector event: from just before the crasher is started (so it includes the
 *       process, the kernel's core dump and systemd-coredump compressing and writing the core)
 *   W2. crash → aggregator event (same crash, same start)
 *   W3. crash → collector event carrying the journal's fields (COREDUMP_CMDLINE is journal-only):
 *       the `added` event comes from the file and its xattrs, usually before systemd-coredump has
 *       logged the entry; the entry then arrives as `updated`
 *
 * Target: p95 < 1000 ms for W1 and W2 (the "a crash appears on the stream within 1 s").
 * ~10 crashes of 1 MiB processes, one at a time; each core is deleted afterwards. The report is
 * written to .bench/watch-latest.md. Environment: BENCH_CRASHES=n (default 10).
 */
import { unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';

import { spawnBuiltAggregator } from '../test/support/aggregator.js';
import { spawnBuiltCollector } from '../test/support/collector.js';
import { startCoredumpHost } from '../test/support/coredump-host.js';
import { buildCrasher, crash } from '../test/support/crasher.js';
import { sleep, waitFor } from '../test/support/exec.js';
import { openSse } from '../test/support/sse-client.js';
import {
  benchWorkDir,
  ensureBuilt,
  log,
  median,
  percentile,
  Report,
  runMain,
  undo,
} from './support.js';

const CRASHES = Number(process.env.BENCH_CRASHES ?? 10);
const TARGET_MS = 1000;
const COMM = 'kd-wbench';

const report = new Report('watch', 'Watch benchmark (crash → Server-Sent Event)');
const { addRow, errorRow } = report;

async function main(): Promise<void> {
  const started = performance.now();
  await report.begin();
  ensureBuilt(['node-collector', 'aggregator']);
  const { work, remove: removeWork } = await benchWorkDir('koredump-watch-bench-');
  const m1 = 'crash → collector SSE event (ms)';
  const m2 = 'crash → aggregator SSE event (ms)';
  const m3 = 'crash → collector event with the journal fields (ms)';
  const target = `p95 < ${TARGET_MS} ms`;
  try {
    const host = await startCoredumpHost();
    undo.track('coredump host', () => host.stop());
    const crasher = await buildCrasher(work);
    const collector = await spawnBuiltCollector({ KOREDUMP_NODE_NAME: 'bench-node' });
    undo.track('collector', () => collector.stop());
    const aggregator = await spawnBuiltAggregator({
      KOREDUMP_COLLECTORS: `bench-node=${collector.url}`,
    });
    undo.track('aggregator', () => aggregator.stop());
    const direct = await openSse(`${collector.url}/apiv1/cores/watch?comm=${COMM}`);
    undo.track('collector watch', () => direct.close());
    const merged = await openSse(`${aggregator.url}/apiv1/cores/watch?comm=${COMM}`);
    undo.track('aggregator watch', () => merged.close());
    if (direct.status !== 200 || merged.status !== 200) {
      throw new Error(`watch answered ${direct.status} / ${merged.status}`);
    }
    // Both streams are live once their first frame (the resume id) arrived.
    await waitFor(
      'the watch streams to start',
      () => direct.lastEventId() !== '' && merged.lastEventId() !== '',
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    const w1: number[] = [];
    const w2: number[] = [];
    const w3: number[] = [];
    try {
      for (let i = 0; i < CRASHES; i++) {
        undo.checkAborted();
        const before = Date.now();
        const result = await crash(crasher, { comm: COMM, timeoutMs: 20_000 });
        const id = basename(result.coreFile);
        const isAdded = (e: { event: string; json?: Record<string, unknown> }): boolean =>
          e.event === 'added' && e.json?.id === id;
        const withJournal = (e: { json?: Record<string, unknown> }): boolean =>
          e.json?.id === id && typeof e.json?.COREDUMP_CMDLINE === 'string';
        const [a, b, c] = await Promise.all([
          direct.next(isAdded, 10_000),
          merged.next(isAdded, 10_000),
          direct.next(withJournal, 10_000),
        ]);
        w1.push(a.at - before);
        w2.push(b.at - before);
        w3.push(c.at - before);
        log(
          `crash ${i + 1}/${CRASHES}: collector ${a.at - before} ms, aggregator ${b.at - before} ms, with journal fields ${c.at - before} ms (${c.event})`,
        );
        await unlink(result.coreFile);
        await sleep(200);
      }
      const row = (n: string, metric: string, v: number[], withTarget: boolean): void => {
        const p95 = percentile(v, 95);
        addRow(
          n,
          metric,
          `median ${median(v)}, p95 ${p95}, max ${Math.max(...v)}`,
          withTarget ? target : '—',
          !withTarget ? 'info' : p95 < TARGET_MS ? 'PASS' : 'FAIL',
        );
      };
      row('W1', m1, w1, true);
      row('W2', m2, w2, true);
      row('W3', m3, w3, false);
    } catch (err) {
      errorRow('W1', m1, target, err);
    }
  } finally {
    await undo.undoAll();
    await removeWork();
  }
  if (undo.shuttingDown) return; // abort() reports and exits
  await report.finish(started, [
    `${CRASHES} real crashes (1 MiB, SIGSEGV) through systemd-coredump, one at a time. Command: \`npm run bench:watch\`.`,
    'All start just before the crasher is spawned (process start, core dump, systemd-coredump compressing and writing the core included). W1/W2: the `added` event (file + xattrs). W3: the first event whose record has the journal entry merged (COREDUMP_CMDLINE), usually an `updated`.',
  ]);
  // A missed target fails the run (Report.finish only fails it for errored rows).
  if (report.rows.some((r) => r.verdict === 'FAIL')) process.exitCode = 1;
}

runMain(main);
