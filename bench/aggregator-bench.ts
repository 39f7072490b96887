/**
 * Aggregator benchmark (`npm run bench` runs it after the collector benchmark; alone:
 * `npm run bench:aggregator`). Measures the BUILT aggregator (dist/apps/aggregator/src/main.js,
 * spawned as production runs it) and prints a markdown table of measured figures against targets:
 *
 *   A1. GET /apiv1/cores latency through the aggregator with 1 and 10 BUILT collectors (200
 *       cores each, real journal files) and 50 lightweight collectors (see below), all healthy
 *   A2. the same with one of them hung (accepts, never answers), node deadline 1000 ms:
 *       target p99 <= deadline + 100 ms
 *   A3. 1 GiB download through the aggregator vs through an nginx reverse proxy (Debian nginx,
 *       proxy_buffers 8 1m, proxy_buffer_size 1m) in front of the same collector, same run:
 *       target >= 85 % of nginx's throughput
 *   A4. aggregator peak RSS during a 4 GiB download: target < 150 MiB
 *
 * Lightweight collectors (row A1/A2 with 50 nodes): one small node:http process per node on its
 * own 127.0.0.x address, serving a fixed JSON array of 200 records (the records a real collector
 * of row A1 listed, re-numbered per node); 50 real collectors would need ~6 GB of RAM here.
 * The 4 GiB core of row A4 is a sparse file (the aggregator's memory does not depend on content).
 *
 * The report is also written to .bench/aggregator-bench-latest.md. Every row runs in its own
 * try/catch (a failed row prints `error: …`); processes and temp files are cleaned up in finally
 * blocks and on SIGINT/SIGTERM/SIGHUP. Environment: BENCH_ROWS=A1,A3 (only these), BENCH_KEEP=1
 * (keep the temp dir). The report, cleanup, clients and nginx come from bench/support.ts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import {
  spawnBuiltAggregator,
  startHungServer,
  type HungServer,
  type SpawnedAggregator,
} from '../test/support/aggregator.js';
import { freePort, spawnBuiltCollector, type SpawnedCollector } from '../test/support/collector.js';
import { coredumpEntry, writeJournalFile, type FixtureEntry } from '../test/support/fixtures.js';

import {
  GiB,
  KEEP,
  MiB,
  ProcSampler,
  Report,
  benchWorkDir,
  curl,
  ensureBuilt,
  httpGet,
  killChild,
  median,
  mibs,
  ms,
  percentile,
  pool,
  runMain,
  startNginx,
  undo,
  wantedRows,
  type CurlOptions,
  type Nginx,
  type Timed,
} from './support.js';

const CORES_PER_NODE = 200;
const DEADLINE_MS = 1000;
const SEQ_REQUESTS = 60;
const CONC_REQUESTS = 120;
const CONCURRENCY = 8;
const HUNG_REQUESTS = 20;
const DOWNLOAD_RUNS = 3;
/** curl options of the downloads (1 GiB and 4 GiB; a slow machine needs minutes). */
const CURL: CurlOptions = { maxTimeS: 600 };
const BOOT = randomBytes(16).toString('hex');

const report = new Report('aggregator-bench', 'koredump aggregator benchmark', ['nginx']);
const { addRow, errorRow, note } = report;
const { track, undoAll, checkAborted } = undo;

// ---------------------------------------------------------------------------------------------
// Collectors

/** A node's coredump + journal fixture: 200 cores with realistic journal entries. */
async function nodeFixture(
  dir: string,
  node: string,
  index: number,
): Promise<Record<string, string>> {
  const coreDir = join(dir, 'coredump');
  const journalDir = join(dir, 'journal');
  await mkdir(coreDir, { recursive: true });
  await mkdir(journalDir, { recursive: true });
  const entries: FixtureEntry[] = [];
  const core = Buffer.alloc(4096, 7);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < CORES_PER_NODE; i++) {
    const pid = 1000 + i;
    const ts = `${1_800_000_000 + index * 1000 + i}${String(i % 1000).padStart(3, '0')}000`;
    const comm = ['nginx', 'envoy', 'java', 'python3'][i % 4];
    const ns = ['team-a', 'team-b', 'infra'][i % 3];
    const id = `core.${comm}.0.${BOOT}.${pid}.${ts}.zst`;
    const cid = randomBytes(32).toString('hex');
    writes.push(writeFile(join(coreDir, id), core));
    entries.push(
      coredumpEntry({
        filename: `/var/lib/systemd/coredump/${id}`,
        pid,
        comm,
        signal: [11, 6, 7][i % 3],
        timestampUsec: ts,
        hostname: `${comm}-${i}`,
        containerCmdline: `/usr/bin/conmon -b /run/containers/storage/overlay-containers/${cid}/userdata -c ${cid} -n k8s_app_${comm}-${i}_${ns}_${randomBytes(4).toString('hex')}-0000-4000-8000-000000000000_0 -r /usr/bin/runc`,
        extra: { _HOSTNAME: node, _BOOT_ID: BOOT },
      }),
    );
  }
  await Promise.all(writes);
  await writeJournalFile(join(journalDir, 'cores.journal'), entries);
  return { KOREDUMP_COREDUMP_DIR: coreDir, KOREDUMP_JOURNAL_DIR: journalDir };
}

interface Node {
  node: string;
  url: string;
  stop: () => Promise<void>;
}

async function realCollectors(work: string, count: number): Promise<Node[]> {
  const nodes = await pool(count, 4, async (i) => {
    checkAborted();
    const node = `node-${String(i).padStart(2, '0')}`;
    const env = await nodeFixture(join(work, node), node, i);
    const c: SpawnedCollector = await spawnBuiltCollector({
      ...env,
      HOST: `127.0.0.${2 + i}`,
      KOREDUMP_NODE_NAME: node,
      KOREDUMP_POD_LOGS_DIR: '/nonexistent',
    });
    const stop = track(`collector ${node}`, () => killChild(c.child));
    return { node, url: c.url, stop };
  });
  return nodes;
}

const LIGHT_SERVER = `
const http = require('node:http');
const body = require('node:fs').readFileSync(process.argv[1]);
const ready = Buffer.from('{"status":"ok","info":{"coreDir":{"status":"up","cores":${CORES_PER_NODE}}}}');
http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  const b = path === '/apiv1/cores' ? body : path === '/readyz' ? ready : null;
  if (!b) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': b.length });
  res.end(b);
}).listen(Number(process.argv[2]), process.argv[3], () => process.stdout.write('ready\\n'));
`;

/** One tiny node:http process per node, serving a fixed list of `template` records. */
async function lightCollectors(
  work: string,
  count: number,
  template: Record<string, unknown>[],
): Promise<Node[]> {
  return pool(count, 8, async (i) => {
    checkAborted();
    const node = `light-${String(i).padStart(2, '0')}`;
    const host = `127.0.1.${2 + i}`;
    const port = await freePort(host);
    const body = join(work, `${node}.json`);
    await writeFile(
      body,
      JSON.stringify(
        template.map((r, k) => ({
          ...r,
          node,
          id: `${String(r.id)}.${i}`,
          timestamp: Number(r.timestamp) + k,
        })),
      ),
    );
    const child = spawn(process.execPath, ['-e', LIGHT_SERVER, body, String(port), host], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const stop = track(`light collector ${node}`, () => killChild(child));
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`light collector exited with ${code}`)));
    });
    return { node, url: `http://${host}:${port}`, stop };
  });
}

async function startAggregator(
  nodes: readonly { node: string; url: string }[],
  extra: Record<string, string> = {},
): Promise<SpawnedAggregator & { stopTracked: () => Promise<void> }> {
  const agg = await spawnBuiltAggregator({
    KOREDUMP_COLLECTORS: nodes.map((n) => `${n.node}=${n.url}`).join(','),
    KOREDUMP_LOG_FORMAT: 'json',
    ...extra,
  });
  const stopTracked = track(`aggregator pid ${agg.child.pid}`, () => killChild(agg.child));
  return { ...agg, stopTracked };
}

// ---------------------------------------------------------------------------------------------
// Rows A1 + A2

/** The first answer is checked in full (count of records); the others must be as long. */
async function checkedFirst(url: string, agent: Agent, expected: number): Promise<Timed> {
  const first = await httpGet(url, agent, true);
  const count = (JSON.parse(first.body) as unknown[]).length;
  if (first.status !== 200 || count !== expected) {
    throw new Error(`list: status ${first.status}, ${count} cores, expected ${expected}`);
  }
  return first;
}

function check(r: Timed, first: Timed): Timed {
  if (r.status !== 200 || r.bytes !== first.bytes) {
    throw new Error(`list: status ${r.status}, ${r.bytes} bytes, expected ${first.bytes}`);
  }
  return r;
}

async function latency(
  url: string,
  expected: number,
): Promise<{ seq: number[]; conc: number[]; bytes: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const first = await checkedFirst(url, agent, expected);
    for (let i = 0; i < 3; i++) check(await httpGet(url, agent), first);
    const seq: number[] = [];
    for (let i = 0; i < SEQ_REQUESTS; i++) {
      checkAborted();
      seq.push(check(await httpGet(url, agent), first).ms);
    }
    const conc = await pool(
      CONC_REQUESTS,
      CONCURRENCY,
      async () => check(await httpGet(url, agent), first).ms,
    );
    return { seq, conc, bytes: first.bytes };
  } finally {
    agent.destroy();
  }
}

interface HungResult {
  seq: Timed[];
  conc: Timed[];
  warning: string;
}

/** Sequential requests (the target), then 4 at a time (their answers compete for the client). */
async function hungLatency(url: string, expected: number): Promise<HungResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const first = await checkedFirst(url, agent, expected);
    const warning = typeof first.headers.warning === 'string' ? first.headers.warning : '';
    const one = async (): Promise<Timed> => {
      checkAborted();
      const r = check(await httpGet(url, agent), first);
      if (r.headers.warning !== warning) throw new Error(`Warning: ${String(r.headers.warning)}`);
      return r;
    };
    const seq: Timed[] = [];
    for (let i = 0; i < HUNG_REQUESTS; i++) seq.push(await one());
    const conc = await pool(HUNG_REQUESTS, 4, one);
    return { seq, conc, warning };
  } finally {
    agent.destroy();
  }
}

async function rowsList(work: string, wanted: Set<string>): Promise<void> {
  const cases: { n: number; light: boolean }[] = [
    { n: 1, light: false },
    { n: 10, light: false },
    { n: 50, light: true },
  ];
  let template: Record<string, unknown>[] | undefined;
  let hung: HungServer | undefined;
  try {
    hung = await startHungServer('127.0.2.1');
    const stopHung = track('hung server', () => hung!.close());
    for (const { n, light } of cases) {
      checkAborted();
      const label = `${n} ${light ? 'lightweight' : 'built'} collector${n > 1 ? 's' : ''}`;
      const m1 = `list latency through the aggregator, ${label} × ${CORES_PER_NODE} cores (${n * CORES_PER_NODE} records)`;
      const m2 = `list latency with ${label}, one of them hung (${n === 1 ? '1 + 1 hung' : `${n - 1} + 1 hung`}), deadline ${DEADLINE_MS} ms`;
      let nodes: Node[] = [];
      try {
        const t0 = performance.now();
        nodes = light
          ? await lightCollectors(work, n, template ?? [])
          : await realCollectors(join(work, `real-${n}`), n);
        note(`${label}: started in ${ms(performance.now() - t0)} ms`);
        if (!light && n === 1) {
          const agent = new Agent();
          template = JSON.parse(
            (await httpGet(`${nodes[0].url}/apiv1/cores`, agent, true)).body,
          ) as Record<string, unknown>[];
          agent.destroy();
        }
        if (wanted.has('A1')) {
          try {
            const agg = await startAggregator(nodes);
            try {
              const r = await latency(`${agg.url}/apiv1/cores`, n * CORES_PER_NODE);
              addRow(
                'A1',
                m1,
                `sequential p50 ${ms(median(r.seq))} ms, p99 ${ms(percentile(r.seq, 99))} ms; ${CONCURRENCY} concurrent p50 ${ms(median(r.conc))} ms, p99 ${ms(percentile(r.conc, 99))} ms (${(r.bytes / 1024).toFixed(0)} KiB)`,
              );
            } finally {
              await agg.stopTracked();
            }
          } catch (err) {
            errorRow('A1', m1, '—', err);
          }
        }
        if (wanted.has('A2')) {
          try {
            const live = n === 1 ? nodes : nodes.slice(0, n - 1);
            const agg = await startAggregator([...live, { node: 'hung', url: hung.url }], {
              KOREDUMP_NODE_TIMEOUT_MS: String(DEADLINE_MS),
            });
            try {
              const r = await hungLatency(`${agg.url}/apiv1/cores`, live.length * CORES_PER_NODE);
              const total = r.seq.map((t) => t.ms);
              const p99 = percentile(total, 99);
              const ok =
                p99 <= DEADLINE_MS + 100 && /hung \(timeout after 1000 ms\)/.test(r.warning);
              const stats = (t: Timed[]): string =>
                `p50 ${ms(median(t.map((x) => x.ms)))} ms, p99 ${ms(
                  percentile(
                    t.map((x) => x.ms),
                    99,
                  ),
                )} ms (first byte p99 ${ms(
                  percentile(
                    t.map((x) => x.ttfb),
                    99,
                  ),
                )} ms)`;
              addRow(
                'A2',
                m2,
                `sequential ${stats(r.seq)}, max ${ms(Math.max(...total))} ms; 4 concurrent ${stats(r.conc)}; ${HUNG_REQUESTS} requests each; Warning: ${r.warning.replace(/"/g, "'")}`,
                `p99 ≤ ${DEADLINE_MS + 100} ms`,
                ok ? 'PASS' : 'FAIL',
              );
            } finally {
              await agg.stopTracked();
            }
          } catch (err) {
            errorRow('A2', m2, `p99 ≤ ${DEADLINE_MS + 100} ms`, err);
          }
        }
      } catch (err) {
        errorRow(wanted.has('A1') ? 'A1' : 'A2', m1, '—', err);
      } finally {
        await Promise.all(nodes.map((x) => x.stop()));
      }
    }
    await stopHung();
  } finally {
    await hung?.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Rows A3 + A4: downloads

async function rowsDownload(work: string, wanted: Set<string>): Promise<void> {
  const m3 =
    '1 GiB core download, curl: through the aggregator vs through nginx (proxy_buffers 8 1m) in front of the same collector, best of 3';
  const m4 = 'aggregator peak RSS during a 4 GiB download (sparse core, 20 ms samples)';
  const dir = join(work, 'dl');
  const coreDir = join(dir, 'coredump');
  const journalDir = join(dir, 'journal');
  await mkdir(coreDir, { recursive: true });
  await mkdir(journalDir, { recursive: true });
  const oneGiB = `core.big.0.${BOOT}.4242.1800000001000000`;
  const fourGiB = `core.huge.0.${BOOT}.4343.1800000002000000`;
  // 1 GiB of random data (a 64 MiB random block repeated), and a sparse 4 GiB file.
  const block = randomBytes(64 * MiB);
  const fh = await open(join(coreDir, oneGiB), 'w');
  for (let off = 0; off < GiB; off += block.length) await fh.write(block, 0, block.length, off);
  await fh.close();
  const sparse = await open(join(coreDir, fourGiB), 'w');
  await sparse.truncate(4 * GiB);
  await sparse.close();
  await writeJournalFile(join(journalDir, 'j.journal'), [
    coredumpEntry({ pid: 1, comm: 'placeholder', timestampUsec: '1800000000000000' }),
  ]);
  const collector = await spawnBuiltCollector({
    HOST: '127.0.0.2',
    KOREDUMP_NODE_NAME: 'dl-node',
    KOREDUMP_COREDUMP_DIR: coreDir,
    KOREDUMP_JOURNAL_DIR: journalDir,
  });
  const stopCollector = track('download collector', () => killChild(collector.child));
  let nginx: Nginx | undefined;
  let agg: (SpawnedAggregator & { stopTracked: () => Promise<void> }) | undefined;
  try {
    const upstream = new URL(collector.url).host;
    nginx = await startNginx(
      join(dir, 'nginx'),
      (port) => [
        'access_log off;',
        `upstream collector { server ${upstream}; keepalive 8; }`,
        'server {',
        `  listen 127.0.0.1:${port};`,
        '  location / {',
        '    proxy_pass http://collector;',
        '    proxy_http_version 1.1;',
        '    proxy_set_header Connection "";',
        '    proxy_buffer_size 1m;',
        '    proxy_buffers 8 1m;',
        '    proxy_busy_buffers_size 2m;',
        '    proxy_max_temp_file_size 0;',
        '  }',
        '}',
      ],
      '/readyz',
    );
    agg = await startAggregator([{ node: 'dl-node', url: collector.url }]);
    const sampler = new ProcSampler(agg.child.pid!);
    const idle = sampler.read().rss * 1024;
    const cpuSeconds = (): number => {
      const { user, sys } = sampler.cpu();
      return user + sys;
    };
    /** Max VmRSS (bytes) sampled during `phase`. */
    const maxRss = (phase: string): number => (sampler.maxRssKiB.get(phase) ?? 0) * 1024;
    sampler.start();
    if (wanted.has('A3')) {
      try {
        const viaAgg: number[] = [];
        const viaNginx: number[] = [];
        const direct: number[] = [];
        const aggCpu: number[] = [];
        for (let i = 0; i < DOWNLOAD_RUNS; i++) {
          checkAborted();
          direct.push((await curl(`${collector.url}/apiv1/cores/download/${oneGiB}`, CURL)).speed);
          viaNginx.push((await curl(`${nginx.url}/apiv1/cores/download/${oneGiB}`, CURL)).speed);
          const c0 = cpuSeconds();
          const t0 = performance.now();
          const r = await curl(`${agg.url}/apiv1/cores/download/dl-node/${oneGiB}`, CURL);
          aggCpu.push((cpuSeconds() - c0) / ((performance.now() - t0) / 1000));
          if (r.bytes !== GiB) throw new Error(`aggregator download: ${r.bytes} bytes`);
          viaAgg.push(r.speed);
        }
        const best = Math.max(...viaAgg) / Math.max(...viaNginx);
        addRow(
          'A3',
          m3,
          `aggregator ${mibs(Math.max(...viaAgg))} vs nginx ${mibs(Math.max(...viaNginx))} = **${(100 * best).toFixed(0)} %** (medians ${mibs(median(viaAgg))} vs ${mibs(median(viaNginx))} = ${((100 * median(viaAgg)) / median(viaNginx)).toFixed(0)} %); direct from the collector ${mibs(Math.max(...direct))}`,
          '≥ 85 % of nginx',
          best >= 0.85 ? 'PASS' : 'FAIL',
        );
        note(
          `download runs: aggregator ${viaAgg.map(mibs).join(', ')} (aggregator CPU ${aggCpu.map((c) => `${(100 * c).toFixed(0)} %`).join(', ')}); nginx ${viaNginx.map(mibs).join(', ')}; direct ${direct.map(mibs).join(', ')}`,
        );
      } catch (err) {
        errorRow('A3', m3, '≥ 85 % of nginx', err);
      }
    }
    if (wanted.has('A4')) {
      try {
        sampler.phase = 'A4 4 GiB';
        const t0 = performance.now();
        const r = await curl(`${agg.url}/apiv1/cores/download/dl-node/${fourGiB}`, CURL);
        if (r.bytes !== 4 * GiB) throw new Error(`4 GiB download: ${r.bytes} bytes`);
        const fast = maxRss('A4 4 GiB');
        // And a slow client (backpressure all the way to the collector).
        sampler.phase = 'A4 slow client';
        await curl(`${agg.url}/apiv1/cores/download/dl-node/${oneGiB}`, {
          ...CURL,
          extra: ['--limit-rate', '200M', '-r', `0-${256 * MiB - 1}`],
          okCodes: [200, 206],
        });
        const slow = maxRss('A4 slow client');
        const peak = Math.max(fast, sampler.read().hwm * 1024);
        addRow(
          'A4',
          m4,
          `max VmRSS ${(fast / MiB).toFixed(0)} MiB during the 4 GiB download (${mibs((4 * GiB) / ((performance.now() - t0) / 1000))}); ${(slow / MiB).toFixed(0)} MiB for 256 MiB to a client limited to 200 MB/s; VmHWM ${(peak / MiB).toFixed(0)} MiB; idle ${(idle / MiB).toFixed(0)} MiB`,
          '< 150 MiB',
          peak < 150 * MiB ? 'PASS' : 'FAIL',
        );
      } catch (err) {
        errorRow('A4', m4, '< 150 MiB', err);
      }
    }
    sampler.stop();
  } finally {
    await agg?.stopTracked();
    await nginx?.stop();
    await stopCollector();
    if (!KEEP) await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const wanted = wantedRows('A1,A2,A3,A4');
  await report.begin();
  ensureBuilt(['node-collector', 'aggregator']);
  const { work, remove: removeWork } = await benchWorkDir('koredump-agg-bench-');
  try {
    if (wanted.has('A1') || wanted.has('A2')) await rowsList(work, wanted);
    if (wanted.has('A3') || wanted.has('A4')) await rowsDownload(work, wanted);
  } finally {
    await undoAll();
    await removeWork();
  }
  if (undo.shuttingDown) return; // abort() reports and exits
  await report.finish(started, [
    'Rows with 50 nodes use lightweight collectors: one node:http process per node serving a fixed JSON array of 200 records (the records a built collector listed in the 1-node row). Rows with 1 and 10 nodes use built collectors over real journal files.',
    'A2 targets the sequential p99 (one client); with 4 clients at once the answers of 10,000 records (7 MB each) compete for the same 2 CPUs as the 49 collector processes, the aggregator and the client, which the 4-concurrent figures show.',
    "A4's core is a sparse file (4 GiB of holes, no disk needed): its MiB/s reflect the collector reading holes, not the relay; A3 is the throughput figure.",
  ]);
}

runMain(main);
