import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { CoresWatchService } from '../../apps/node-collector/src/cores/cores-watch.service.js';
import { spawnBuiltAggregator, type SpawnedAggregator } from '../support/aggregator.js';
import {
  freePort,
  spawnBuiltCollector,
  startCollector,
  type RunningCollector,
  type SpawnedCollector,
} from '../support/collector.js';
import { startCoredumpHost, type CoredumpHost } from '../support/coredump-host.js';
import { buildCrasher, crash } from '../support/crasher.js';
import { CLI_BUNDLE, cliEnv, ensureCliBundle } from '../support/koredumpctl.js';
import { openSse, type SseConnection } from '../support/sse-client.js';
import { until } from '../support/exec.js';

const BOOT = '00112233445566778899aabbccddeeff';

/**
 * The watch streams end to end: real crashes through systemd-coredump on the BUILT collector, a
 * second collector on fixtures (in-process, so its streams can be counted and it can restart on
 * the same port), the BUILT aggregator over both, and the bundled koredumpctl.
 */
describe('watch streams with real crashes: collector, aggregator, koredumpctl list --follow', () => {
  let host: CoredumpHost;
  let work: string;
  let crasher: string;
  let real: SpawnedCollector;
  let fixtureDir: string;
  let fixturePort: number;
  let fixture: RunningCollector;
  let aggregator: SpawnedAggregator;
  let pid = 500;
  const open: SseConnection[] = [];

  const watch = async (url: string, query = ''): Promise<SseConnection> => {
    const c = await openSse(`${url}/apiv1/cores/watch${query}`);
    open.push(c);
    expect(c.status).toBe(200);
    return c;
  };
  const startFixture = async (): Promise<RunningCollector> =>
    startCollector({
      coreDir: fixtureDir,
      journalDir: join(work, 'journal'),
      nodeName: 'fixture-node',
      port: fixturePort,
      watchHeartbeatMs: 1000,
    });
  const fixtureCore = async (comm: string): Promise<string> => {
    const id = `core.${comm}.0.${BOOT}.${pid++}.${Date.now() * 1000}.zst`;
    await writeFile(join(fixtureDir, id), `core of ${comm}`);
    return id;
  };

  beforeAll(async () => {
    host = await startCoredumpHost();
    work = await mkdtemp(join(tmpdir(), 'koredump-watch-real-'));
    fixtureDir = join(work, 'coredump');
    await mkdir(fixtureDir);
    await mkdir(join(work, 'journal'));
    crasher = await buildCrasher(work);
    await ensureCliBundle();
    real = await spawnBuiltCollector({
      KOREDUMP_NODE_NAME: 'real-node',
      KOREDUMP_WATCH_HEARTBEAT_S: '1',
    });
    fixturePort = await freePort();
    fixture = await startFixture();
    aggregator = await spawnBuiltAggregator({
      KOREDUMP_COLLECTORS: `real-node=${real.url},fixture-node=http://127.0.0.1:${fixturePort}`,
      KOREDUMP_WATCH_HEARTBEAT_S: '1',
    });
  }, 180_000);

  afterAll(async () => {
    for (const c of open) c.close();
    await aggregator?.stop();
    await fixture?.close();
    await real?.stop();
    await host?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a real crash is on the collector stream and the aggregator stream within 1 s; `removed` when its file is deleted', async () => {
    const direct = await watch(real.url, '?comm=kd-watch');
    const merged = await watch(aggregator.url, '?comm=kd-watch');
    const other = await watch(aggregator.url, '?comm=kd-nothing');
    await until('first ids', () => direct.lastEventId() !== '' && merged.lastEventId() !== '');

    // A first crash stages the crasher under its comm (a file copy, test overhead): not timed.
    const warmup = await crash(crasher, { comm: 'kd-watch' });
    await direct.next((e) => e.json?.id === basename(warmup.coreFile));
    await unlink(warmup.coreFile);

    const before = Date.now();
    const result = await crash(crasher, { comm: 'kd-watch' });
    const id = basename(result.coreFile);
    const atCollector = await direct.next((e) => e.event === 'added' && e.json?.id === id);
    const atAggregator = await merged.next((e) => e.event === 'added' && e.json?.id === id);
    // From before the crasher was even started to the event: an upper bound of the latency.
    expect(atCollector.at - before).toBeLessThan(1000);
    expect(atAggregator.at - before).toBeLessThan(1000);
    expect(atCollector.json).toMatchObject({
      id,
      node: 'real-node',
      COREDUMP_PID: result.pid,
      COREDUMP_COMM: 'kd-watch',
      COREDUMP_SIGNAL_NAME: 'SIGSEGV',
    });
    // The aggregator's record is the one its list has (node included).
    const list = (await (
      await fetch(`${aggregator.url}/apiv1/cores?comm=kd-watch`)
    ).json()) as Record<string, unknown>[];
    expect(atAggregator.json).toEqual(list.find((r) => r.id === id));

    await unlink(result.coreFile);
    await direct.next((e) => e.event === 'removed' && e.json?.id === id);
    const removed = await merged.next((e) => e.event === 'removed' && e.json?.id === id);
    expect(removed.json).toMatchObject({ id, node: 'real-node' });
    expect(other.events).toEqual([]);
    // Heartbeats reach the aggregator's client too.
    await until('aggregator heartbeats', () => merged.comments.length >= 2, 5000);
  }, 60_000);

  it('merges the fixture node, reconnects to it after a restart, and closes its upstreams when the client leaves', async () => {
    const service = (): CoresWatchService => fixture.app.get(CoresWatchService);
    for (const c of open.splice(0)) c.close();
    await until('earlier streams closed', () => service().active === 0);
    const merged = await watch(aggregator.url, '?comm=kd-fix');
    await until('aggregator connected to the fixture node', () => service().active === 1);
    const first = await fixtureCore('kd-fix');
    const e1 = await merged.next((e) => e.event === 'added' && e.json?.id === first);
    expect(e1.json).toMatchObject({ id: first, node: 'fixture-node' });

    // Restart: the aggregator reconnects (with backoff) and resumes where it was.
    await fixture.close();
    const whileDown = await fixtureCore('kd-fix');
    fixture = await startFixture();
    await until('reconnected', () => service().active === 1, 15_000);
    const replayed = await merged.next((e) => e.json?.id === whileDown, 10_000);
    expect(replayed).toMatchObject({ event: 'added' });
    const after = await fixtureCore('kd-fix');
    await merged.next((e) => e.event === 'added' && e.json?.id === after);
    expect(merged.ended()).toBe(false);

    merged.close();
    await until('upstream closed', () => service().active === 0);
  }, 60_000);

  it('koredumpctl list --follow prints the list, then each new core (NDJSON with -o json), and exits 0 on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [CLI_BUNDLE, 'list', '--follow', '-o', 'json', '--server', aggregator.url, 'kd-follow'],
      { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    try {
      await until('the list', () => stdout.includes('[]'), 15_000);
      // Wait until its watch stream is open on the fixture node, then make a core there and crash.
      await until('follow connected', () => fixture.app.get(CoresWatchService).active >= 1);
      const fixtureId = await fixtureCore('kd-follow');
      const result = await crash(crasher, { comm: 'kd-follow' });
      const realId = basename(result.coreFile);
      await until('both printed', () => stdout.includes(realId) && stdout.includes(fixtureId));
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toBe('[]');
      const objects = lines.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(objects.map((o) => [o.node, o.id]).sort()).toEqual(
        [
          ['fixture-node', fixtureId],
          ['real-node', realId],
        ].sort(),
      );
      await unlink(result.coreFile);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  }, 90_000);
});
