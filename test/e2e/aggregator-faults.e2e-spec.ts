/**
 * Faults between the BUILT aggregator and its collectors: a dead collector (closed port), a hung
 * one (accepts, never answers), one answering 500, fake upstreams that stream forever or break
 * mid-download, and a BUILT collector killed mid-download. Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  answerEmpty,
  deadUrl,
  sendJson,
  spawnBuiltAggregator,
  startFakeCollector,
  startHungServer,
  type FakeCollector,
  type HungServer,
  type SpawnedAggregator,
} from '../support/aggregator.js';
import { spawnBuiltCollector, type SpawnedCollector } from '../support/collector.js';
import { coredumpEntry, writeJournalFile } from '../support/fixtures.js';
import { until } from '../support/exec.js';

const DEADLINE_MS = 1000;
const BOOT = '0123456789abcdef0123456789abcdef';
const CORE = `core.app.0.${BOOT}.4242.1800000001000000`;
const BIG = `core.big.0.${BOOT}.4343.1800000002000000`;
const BIG_SIZE = 1 << 30;
const MiB = 1 << 20;

interface Core {
  id: string;
  node: string;
}

/** A fake collector whose downloads stream forever, or break after 1 MiB. */
function streaming(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0];
  const chunk = Buffer.alloc(64 << 10, 0x5a);
  if (path === '/apiv1/cores/download/core.endless') {
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(BIG_SIZE),
    });
    const timer = setInterval(() => res.write(chunk), 5);
    res.on('close', () => clearInterval(timer));
    return;
  }
  if (path === '/apiv1/cores/download/core.cut' || path === '/apiv1/cores/download/core.cutz') {
    // core.cut: Content-Length says 10 MiB; core.cutz: chunked (as decompress=true).
    res.writeHead(
      200,
      path.endsWith('cutz')
        ? { 'Content-Type': 'application/octet-stream' }
        : { 'Content-Type': 'application/octet-stream', 'Content-Length': String(10 * MiB) },
    );
    for (let i = 0; i < 16; i++) res.write(chunk);
    setTimeout(() => req.socket.destroy(), 50);
    return;
  }
  answerEmpty(req, res);
}

/** Downloads through http.get; resolves how it ended: 'end' (complete) or 'aborted'. */
function download(
  url: string,
  onResponse?: (res: IncomingMessage) => void,
): Promise<{ status: number; bytes: number; ended: 'end' | 'aborted' }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, (res) => {
      let bytes = 0;
      let done = false;
      const finish = (ended: 'end' | 'aborted'): void => {
        if (done) return;
        done = true;
        resolve({ status: res.statusCode ?? 0, bytes, ended });
      };
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => finish('end'));
      res.on('aborted', () => finish('aborted'));
      res.on('error', () => finish('aborted'));
      res.on('close', () => finish(res.complete ? 'end' : 'aborted'));
      onResponse?.(res);
    });
    req.on('error', reject);
  });
}

describe('aggregator with collectors that fail', () => {
  let work: string;
  let good: SpawnedCollector;
  let doomed: SpawnedCollector;
  let hung: HungServer;
  let failing: FakeCollector;
  let stream: FakeCollector;
  let dead: string;
  let agg: SpawnedAggregator;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredump-agg-faults-'));
    const dirs = async (name: string): Promise<{ coreDir: string; journalDir: string }> => {
      const coreDir = join(work, name, 'coredump');
      const journalDir = join(work, name, 'journal');
      await mkdir(coreDir, { recursive: true });
      await mkdir(journalDir, { recursive: true });
      await writeJournalFile(join(journalDir, 'j.journal'), [
        coredumpEntry({
          filename: `/var/lib/systemd/coredump/${name === 'good' ? CORE : BIG}`,
          pid: 4242,
          comm: name === 'good' ? 'app' : 'big',
          timestampUsec: name === 'good' ? '1800000001000000' : '1800000002000000',
        }),
      ]);
      return { coreDir, journalDir };
    };
    const g = await dirs('good');
    const fh = await open(join(g.coreDir, CORE), 'w');
    await fh.write(Buffer.alloc(4096, 1));
    await fh.close();
    const k = await dirs('doomed');
    // A sparse 1 GiB core: reads are fast, nothing is written to disk.
    const big = await open(join(k.coreDir, BIG), 'w');
    await big.truncate(BIG_SIZE);
    await big.close();
    // Assigned one by one, so afterAll stops whatever did start when one fails.
    await Promise.all([
      spawnBuiltCollector({
        HOST: '127.0.0.2',
        KOREDUMP_NODE_NAME: 'node-good',
        KOREDUMP_COREDUMP_DIR: g.coreDir,
        KOREDUMP_JOURNAL_DIR: g.journalDir,
      }).then((c) => (good = c)),
      spawnBuiltCollector({
        HOST: '127.0.0.3',
        KOREDUMP_NODE_NAME: 'node-doomed',
        KOREDUMP_COREDUMP_DIR: k.coreDir,
        KOREDUMP_JOURNAL_DIR: k.journalDir,
      }).then((c) => (doomed = c)),
      startHungServer('127.0.0.4').then((h) => (hung = h)),
      startFakeCollector('127.0.0.5', (req, res) =>
        sendJson(res, 500, { statusCode: 500, error: 'Internal Server Error', message: 'boom' }),
      ).then((f) => (failing = f)),
      startFakeCollector('127.0.0.6', streaming).then((f) => (stream = f)),
      deadUrl('127.0.0.7').then((u) => (dead = u)),
    ]);
    agg = await spawnBuiltAggregator({
      KOREDUMP_NODE_TIMEOUT_MS: String(DEADLINE_MS),
      KOREDUMP_COLLECTORS: [
        `node-good=${good.url}`,
        `node-doomed=${doomed.url}`,
        `node-hung=${hung.url}`,
        `node-500=${failing.url}`,
        `node-stream=${stream.url}`,
        `node-dead=${dead}`,
      ].join(','),
    });
  }, 90_000);

  afterAll(async () => {
    await agg?.stop();
    await Promise.all([
      good?.stop(),
      doomed?.stop(),
      hung?.close(),
      failing?.close(),
      stream?.close(),
    ]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('answers the list with what did answer, within the deadline, naming the rest', async () => {
    const t0 = Date.now();
    const res = await fetch(`${agg.url}/apiv1/cores`);
    const elapsed = Date.now() - t0;
    expect(res.status).toBe(200);
    const body = (await res.json()) as Core[];
    expect(body.map((c) => `${c.node}/${c.id}`)).toEqual([
      `node-good/${CORE}`,
      `node-doomed/${BIG}`,
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(elapsed).toBeLessThan(DEADLINE_MS + 1000);
    const warning = res.headers.get('warning')!;
    expect(warning).toMatch(/^199 koredump "nodes left out: .*"$/);
    // Sorted by node name, each with its reason.
    expect(warning).toBe(
      '199 koredump "nodes left out: node-500 (HTTP 500: boom), node-dead (unreachable: ECONNREFUSED), node-hung (timeout after 1000 ms)"',
    );
    // The hung collector's connection was given up at the deadline.
    await until('hung connections closed', () => hung.open() === 0, 1000);
  });

  it('fails a list of one node with an error naming it: 504, 502, 502', async () => {
    const cases: [string, number, RegExp][] = [
      ['node-hung', 504, /^node node-hung: the collector did not answer within 1000 ms$/],
      ['node-dead', 502, /^node node-dead: the collector is unreachable \(ECONNREFUSED\)$/],
      ['node-500', 502, /^node node-500: the collector answered HTTP 500 \(boom\)$/],
    ];
    for (const [node, status, message] of cases) {
      const t0 = Date.now();
      const res = await fetch(`${agg.url}/apiv1/cores?node=${node}`);
      expect(Date.now() - t0).toBeLessThan(DEADLINE_MS + 1000);
      expect(res.status).toBe(status);
      const body = (await res.json()) as { message: string };
      expect(body).toMatchObject({ statusCode: status });
      expect(body.message).toMatch(message);
    }
  });

  it('maps metadata and download failures: 504 hung, 502 dead, 502 for a 500', async () => {
    for (const [node, status] of [
      ['node-hung', 504],
      ['node-dead', 502],
      ['node-500', 502],
    ] as const) {
      for (const route of ['metadata', 'download']) {
        const t0 = Date.now();
        const res = await fetch(`${agg.url}/apiv1/cores/${route}/${node}/${CORE}`);
        expect(Date.now() - t0).toBeLessThan(DEADLINE_MS + 1000);
        expect(res.status).toBe(status);
        expect(((await res.json()) as { message: string }).message).toContain(`node ${node}`);
      }
    }
  });

  it('reports each collector’s state in /apiv1/nodes', async () => {
    const res = await fetch(`${agg.url}/apiv1/nodes`);
    expect(res.status).toBe(200);
    const nodes = (await res.json()) as Record<string, unknown>[];
    const by = Object.fromEntries(nodes.map((n) => [n.node, n]));
    expect(Object.keys(by).sort()).toEqual([
      'node-500',
      'node-dead',
      'node-doomed',
      'node-good',
      'node-hung',
      'node-stream',
    ]);
    expect(by['node-good']).toMatchObject({ ready: true, reachable: true, cores: 1 });
    expect(by['node-good']).not.toHaveProperty('lastError');
    expect(by['node-dead']).toMatchObject({
      ready: true,
      reachable: false,
      lastError: 'unreachable: ECONNREFUSED',
      lastErrorAt: expect.any(String),
    });
    expect(by['node-dead']).not.toHaveProperty('lastSeen');
    expect(by['node-hung']).toMatchObject({
      reachable: false,
      lastError: 'timeout after 1000 ms',
    });
    expect(by['node-500']).toMatchObject({
      reachable: true,
      lastError: 'HTTP 500: boom',
      lastSeen: expect.any(String),
    });
  });

  it('cancels the upstream request when the client goes away mid-download', async () => {
    const result = await download(
      `${agg.url}/apiv1/cores/download/node-stream/core.endless`,
      (res) => {
        let seen = 0;
        res.on('data', (d: Buffer) => {
          seen += d.length;
          if (seen > MiB) res.destroy();
        });
      },
    );
    expect(result.status).toBe(200);
    expect(result.ended).toBe('aborted');
    await until('upstream request closed', () =>
      stream.aborted.includes('/apiv1/cores/download/core.endless'),
    );
  });

  it('cancels the upstream request when the client goes away before the answer', async () => {
    await until('earlier connections to the hung collector closed', () => hung.open() === 0);
    const controller = new AbortController();
    const t0 = Date.now();
    const pending = fetch(`${agg.url}/apiv1/cores/download/node-hung/${CORE}`, {
      signal: controller.signal,
    }).catch(() => 'aborted');
    await until('request reached the hung collector', () => hung.open() === 1, 900);
    controller.abort();
    expect(await pending).toBe('aborted');
    await until('upstream connection closed', () => hung.open() === 0, 2000);
    // Closed because the client left, not by the 1000 ms header deadline.
    expect(Date.now() - t0).toBeLessThan(DEADLINE_MS);
  });

  it.each([
    ['with a Content-Length', 'core.cut', ''],
    ['chunked (decompress=true)', 'core.cutz', '?decompress=true'],
  ])(
    'makes an upstream failure mid-stream an aborted transfer (%s), never a clean short 200',
    async (_what, id, query) => {
      const result = await download(`${agg.url}/apiv1/cores/download/node-stream/${id}${query}`);
      expect(result.status).toBe(200);
      expect(result.ended).toBe('aborted');
      expect(result.bytes).toBeLessThan(10 * MiB);
    },
  );

  it('aborts the client’s transfer when the collector is killed mid-download', async () => {
    let paused: IncomingMessage | undefined;
    const pending = download(`${agg.url}/apiv1/cores/download/node-doomed/${BIG}`, (res) => {
      res.once('data', () => {
        res.pause();
        paused = res;
      });
    });
    await until('first bytes received', () => paused !== undefined);
    doomed.child.kill('SIGKILL');
    await until(
      'collector killed',
      () => doomed.child.exitCode !== null || doomed.child.signalCode !== null,
    );
    paused!.resume();
    const result = await pending;
    expect(result.status).toBe(200);
    expect(result.ended).toBe('aborted');
    expect(result.bytes).toBeLessThan(BIG_SIZE);
    // The node is now dead for the list, too.
    const list = await fetch(`${agg.url}/apiv1/cores`);
    expect(list.headers.get('warning')).toContain('node-doomed (unreachable: ECONNREFUSED)');
  });
});
