import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CoreCatalog } from '../../apps/node-collector/src/cores/core-catalog.js';
import { CoresWatchService } from '../../apps/node-collector/src/cores/cores-watch.service.js';
import { startCollector, type RunningCollector } from '../support/collector.js';
import { coredumpEntry, writeJournalFile } from '../support/fixtures.js';
import { openSse, type SseConnection } from '../support/sse-client.js';
import { until } from '../support/exec.js';

const BOOT = 'fedcba9876543210fedcba9876543210';
const HEARTBEAT_MS = 200;
const MAX_CLIENTS = 40;

describe('GET /apiv1/cores/watch on the collector (fixtures, real HTTP)', () => {
  let work: string;
  let coreDir: string;
  let collector: RunningCollector;
  let pid = 300;
  const open: SseConnection[] = [];

  const watch = async (query = '', lastEventId?: string): Promise<SseConnection> => {
    const c = await openSse(`${collector.url}/apiv1/cores/watch${query}`, { lastEventId });
    open.push(c);
    return c;
  };
  /** A new core file named like systemd-coredump names them, crashed `agoMs` ago. */
  const newCore = async (comm: string, agoMs = 0): Promise<string> => {
    const id = `core.${comm}.0.${BOOT}.${pid++}.${(Date.now() - agoMs) * 1000}.zst`;
    await writeFile(join(coreDir, id), `core of ${comm}`);
    return id;
  };
  const listed = async (): Promise<Record<string, unknown>[]> =>
    (await (await fetch(`${collector.url}/apiv1/cores`)).json()) as Record<string, unknown>[];
  const listeners = (): number => {
    const changes = collector.app.get(CoreCatalog).changes as unknown as EventEmitter;
    return ['added', 'updated', 'removed'].reduce((n, e) => n + changes.listenerCount(e), 0);
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredump-watch-'));
    coreDir = join(work, 'coredump');
    const journalDir = join(work, 'journal');
    await mkdir(coreDir);
    await mkdir(journalDir);
    // One core present at start, with its journal entry.
    const old = `core.old.0.${BOOT}.200.1767225600000000.zst`;
    await writeFile(join(coreDir, old), 'old core');
    await writeJournalFile(join(journalDir, 'old.journal'), [
      coredumpEntry({
        filename: `/var/lib/systemd/coredump/${old}`,
        pid: 200,
        comm: 'old',
        timestampUsec: '1767225600000000',
      }),
    ]);
    collector = await startCollector({
      coreDir,
      journalDir,
      watchHeartbeatMs: HEARTBEAT_MS,
      watchMaxClients: MAX_CLIENTS,
    });
  }, 60_000);

  afterAll(async () => {
    for (const c of open) c.close();
    await collector?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('streams a new core as `added` (the list record, exactly), then `removed` when its file goes; filtered like the list', async () => {
    const all = await watch();
    const mine = await watch('?comm=w-alpha&signal=SIGSEGV');
    const others = await watch('?comm=w-beta');
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(all.headers['cache-control']).toBe('no-cache, no-transform');
    expect(all.headers['x-accel-buffering']).toBe('no');
    // The first frame sets the resume point and the retry delay before any event.
    await until('first id', () => all.lastEventId() !== '');
    expect(all.retry).toBe(2000);

    const id = await newCore('w-alpha');
    const added = await all.next((e) => e.event === 'added' && e.json?.id === id);
    const record = (await listed()).find((r) => r.id === id);
    expect(added.json).toEqual(record);
    expect(Number(added.lastEventId)).toBeGreaterThanOrEqual(record!.timestamp as number);
    // xattrs-only core: no journal signal, so the signal filter excludes it.
    await unlink(join(coreDir, id));
    const removed = await all.next((e) => e.event === 'removed' && e.json?.id === id);
    expect(removed.json).toMatchObject({ id });

    const id2 = await newCore('w-beta');
    await others.next((e) => e.event === 'added' && e.json?.id === id2);
    await all.next((e) => e.event === 'added' && e.json?.id === id2);
    // The filtered streams never saw what did not match.
    expect(mine.events.map((e) => e.json?.id)).toEqual([]);
    expect(others.events.map((e) => [e.event, e.json?.id])).toEqual([['added', id2]]);
  });

  it('sends `: heartbeat` comments every KOREDUMP_WATCH_HEARTBEAT_S', async () => {
    const opened = Date.now();
    const c = await watch('?comm=nothing-matches');
    await until('three heartbeats', () => c.comments.length >= 3, 10 * HEARTBEAT_MS + 2000);
    expect(c.comments.slice(0, 3).map((h) => h.text)).toEqual([
      'heartbeat',
      'heartbeat',
      'heartbeat',
    ]);
    // Not sooner than the interval (a busy machine may only make them later).
    expect(c.comments[2].at - opened).toBeGreaterThanOrEqual(3 * HEARTBEAT_MS - 50);
    expect(c.events).toEqual([]);
  });

  it('starts with the current cores when initial=true, and resumes after Last-Event-ID', async () => {
    const initial = await watch('?initial=true');
    const list = await listed();
    await until('snapshot', () => initial.events.length >= list.length);
    expect(initial.events.slice(0, list.length).map((e) => [e.event, e.json])).toEqual(
      list.map((r) => ['added', r]),
    );

    const live = await watch();
    const id = await newCore('w-resume');
    const seen = await live.next((e) => e.json?.id === id);
    live.close();
    // A core that crashed while the client was away (its crash time is after the last id).
    const missed = await newCore('w-missed');
    await until('indexed', async () => (await listed()).some((r) => r.id === missed));
    const resumed = await watch('', seen.lastEventId);
    const replay = await resumed.next((e) => e.json?.id === missed);
    expect(replay.event).toBe('added');
    // At least once: the core of the id's own timestamp may come again, nothing older does.
    expect(resumed.events.length).toBeGreaterThan(0);
    for (const e of resumed.events) {
      expect(e.json!.timestamp as number).toBeGreaterThanOrEqual(Number(seen.lastEventId));
    }
  });

  it('frees the catalog listeners when clients disconnect (no leak after many connects)', async () => {
    for (const c of open.splice(0)) c.close();
    const service = collector.app.get(CoresWatchService);
    await until('previous streams closed', () => service.active === 0);
    const baseline = listeners();
    for (let round = 0; round < 5; round++) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => watch()));
      expect(listeners()).toBe(baseline + 3 * 20);
      for (const c of batch) c.close();
      open.length = 0;
      await until('listeners released', () => listeners() === baseline && service.active === 0);
    }
    // Still serving after all that.
    const c = await watch();
    const id = await newCore('w-after');
    await c.next((e) => e.json?.id === id);
  });

  it('refuses streams beyond KOREDUMP_WATCH_MAX_CLIENTS with 503, and bad parameters with 400', async () => {
    const service = collector.app.get(CoresWatchService);
    for (const c of open.splice(0)) c.close();
    await until('previous streams closed', () => service.active === 0);
    const extra = await Promise.all(Array.from({ length: MAX_CLIENTS }, () => watch()));
    expect(extra.every((c) => c.status === 200)).toBe(true);
    const refused = await watch();
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('10');
    expect(JSON.parse(refused.body!)).toMatchObject({
      statusCode: 503,
      message: expect.stringContaining('too many watch streams'),
    });
    for (const c of extra) c.close();
    await until('closed', () => service.active === 0);

    for (const q of ['?limit=1', '?since=yesterday', '?initial=yes', '?signal=%25%25']) {
      const bad = await watch(q);
      expect([q, bad.status]).toEqual([q, 400]);
      expect(JSON.parse(bad.body!)).toMatchObject({ statusCode: 400 });
    }
    const since = await watch('?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z');
    expect(JSON.parse(since.body!)).toMatchObject({
      statusCode: 400,
      message: 'since is after until',
    });
  });
});
