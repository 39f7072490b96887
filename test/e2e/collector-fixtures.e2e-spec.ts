import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { CoreCatalog, type IndexedCore } from '../../apps/node-collector/src/cores/core-catalog.js';
import { startCollector, type RunningCollector } from '../support/collector.js';
import {
  coredumpEntry,
  setCoredumpXattrs,
  writeCompressedCores,
  writeJournalFile,
} from '../support/fixtures.js';

const BOOT = '0123456789abcdef0123456789abcdef';
const POD_UID = '11111111-2222-3333-4444-555555555555';
const CID = 'ab'.repeat(32);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const usec = (iso: string): string => `${Date.parse(iso)}000`;

interface Core {
  id: string;
  [k: string]: unknown;
}

async function getJson<T = unknown>(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

/** Raw GET without URL normalisation (fetch would resolve ../ itself). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitUntil(
  what: string,
  fn: () => Promise<boolean>,
  timeoutMs: number,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('node-collector on fixtures (real journal files, real compressed cores)', () => {
  let work: string;
  let coreDir: string;
  let journalDir: string;
  let collector: RunningCollector;
  const content = randomBytes(3 << 20); // incompressible: 3 MiB
  const names: Record<string, string> = {};

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredump-fixtures-'));
    coreDir = join(work, 'coredump');
    journalDir = join(work, 'journal');
    await mkdir(coreDir);
    await mkdir(journalDir);
    // Four cores of one crash in each compression, each with its own journal entry.
    const files = await writeCompressedCores(
      coreDir,
      `core.app.1000.${BOOT}.101.${usec('2026-01-01T00:00:01Z')}`,
      content,
    );
    for (const [kind, file] of Object.entries(files)) names[kind] = basename(file);
    const conmon = `/usr/bin/conmon -b /run/containers/storage/overlay-containers/${CID}/userdata -c ${CID} -n k8s_app_web-1_team-a_${POD_UID}_0 -r /usr/bin/runc`;
    const entries = [
      coredumpEntry({
        filename: `/var/lib/systemd/coredump/${names.zst}`,
        pid: 101,
        uid: 1000,
        gid: 1000,
        signal: 11,
        comm: 'app',
        exe: '/usr/bin/app',
        hostname: 'web-1',
        timestampUsec: usec('2026-01-01T00:00:01Z'),
        containerCmdline: conmon,
        extra: { _HOSTNAME: 'node-host' },
      }),
      coredumpEntry({
        filename: `/var/lib/systemd/coredump/${names.lz4}`,
        pid: 102,
        signal: 11,
        comm: 'app',
        hostname: 'web-2',
        timestampUsec: usec('2026-01-01T00:00:02Z'),
        cgroup: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replace(/-/g, '_')}.slice/cri-containerd-${CID}.scope`,
        extra: { _HOSTNAME: 'node-host' },
      }),
      coredumpEntry({
        filename: `/var/lib/systemd/coredump/${names.xz}`,
        pid: 103,
        signal: 6,
        comm: 'other',
        timestampUsec: usec('2026-01-01T00:00:03Z'),
        extra: { COREDUMP_TRUNCATED: '1' },
      }),
      coredumpEntry({
        filename: `/var/lib/systemd/coredump/${names.none}`,
        pid: 104,
        signal: 7,
        comm: 'app',
        timestampUsec: usec('2026-01-01T00:00:04Z'),
      }),
      // A journal entry whose file is gone, and one of Storage=journal (no file at all).
      coredumpEntry({
        filename: `/var/lib/systemd/coredump/core.gone.0.${BOOT}.105.${usec('2026-01-01T00:00:05Z')}.zst`,
        pid: 105,
        signal: 11,
        comm: 'gone',
        timestampUsec: usec('2026-01-01T00:00:05Z'),
      }),
      coredumpEntry({
        pid: 106,
        signal: 11,
        comm: 'nofile',
        timestampUsec: usec('2026-01-01T00:00:06Z'),
      }),
    ];
    await writeJournalFile(join(journalDir, 'fixtures.journal'), entries);
    // A core with no journal entry: metadata from xattrs.
    names.orphan = `core.orphan.0.${BOOT}.107.${usec('2026-01-01T00:00:07Z')}.zst`;
    await writeFile(join(coreDir, names.orphan), Buffer.from('not really zstd'));
    await setCoredumpXattrs(join(coreDir, names.orphan), {
      comm: 'orphan-x',
      pid: '107',
      signal: '6',
      uid: '0',
      gid: '0',
      timestamp: usec('2026-01-01T00:00:07Z'),
      exe: '/usr/sbin/orphan',
    });
    // Things that are not cores.
    await writeFile(join(coreDir, `.#core.tmp.0.${BOOT}.108.1`), 'in progress');
    await writeFile(join(coreDir, 'README'), 'not a core');
    await mkdir(join(coreDir, `core.dir.0.${BOOT}.109.1`));
    await writeFile(join(work, 'secret'), 'outside the coredump directory');
    await symlink(join(work, 'secret'), join(coreDir, `core.evil.0.${BOOT}.110.1`));
    collector = await startCollector({ coreDir, journalDir });
  }, 60_000);

  afterAll(async () => {
    await collector?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('lists exactly the core files, oldest first, with journal fields merged', async () => {
    const { status, body } = await getJson<Core[]>(`${collector.url}/apiv1/cores`);
    expect(status).toBe(200);
    expect(body.map((c) => c.id)).toEqual([
      names.zst,
      names.lz4,
      names.xz,
      names.none,
      names.orphan,
    ]);
    const [zst, lz4, xz, none, orphan] = body;
    expect(zst).toMatchObject({
      node: 'test-node',
      hostname: 'node-host',
      COREDUMP_PID: 101,
      COREDUMP_UID: 1000,
      COREDUMP_SIGNAL: 11,
      COREDUMP_SIGNAL_NAME: 'SIGSEGV',
      COREDUMP_COMM: 'app',
      COREDUMP_TIMESTAMP: '2026-01-01T00:00:01Z',
      timestamp: Date.parse('2026-01-01T00:00:01Z'),
      namespace: 'team-a',
      pod: 'web-1',
      container: 'app',
      podUID: POD_UID,
      containerID: CID,
      attribution: { source: 'conmon' },
      compression: 'zst',
      truncated: false,
    });
    expect(lz4).toMatchObject({
      podUID: POD_UID,
      containerID: CID,
      pod: 'web-2',
      attribution: { source: 'hostname' },
      compression: 'lz4',
    });
    expect(lz4.namespace).toBeUndefined();
    expect(xz).toMatchObject({
      COREDUMP_SIGNAL_NAME: 'SIGABRT',
      truncated: true,
      compression: 'xz',
      attribution: { source: 'none' },
    });
    expect(none).toMatchObject({
      compression: 'none',
      size: content.length,
      COREDUMP_SIGNAL_NAME: 'SIGBUS',
    });
    expect(orphan).toMatchObject({
      COREDUMP_COMM: 'orphan-x',
      COREDUMP_PID: 107,
      COREDUMP_SIGNAL: 6,
      COREDUMP_SIGNAL_NAME: 'SIGABRT',
      COREDUMP_EXE: '/usr/sbin/orphan',
      COREDUMP_TIMESTAMP: '2026-01-01T00:00:07Z',
    });
    // Compact: no bulky or sensitive fields, no bookkeeping.
    for (const c of body) {
      for (const k of [
        'MESSAGE',
        'COREDUMP_ENVIRON',
        'COREDUMP_PROC_MAPS',
        'COREDUMP_PROC_AUXV',
        'COREDUMP_FILENAME',
        '__CURSOR',
        'journalFilename',
        'xattrs',
      ]) {
        expect(c).not.toHaveProperty(k);
      }
    }
  });

  it.each([
    ['namespace=team-a', [0]],
    ['pod=web-2', [1]],
    ['container=app', [0]],
    ['comm=app', [0, 1, 3]],
    ['signal=11', [0, 1]],
    ['signal=SIGABRT', [2, 4]],
    ['signal=abrt', [2, 4]],
    ['since=2026-01-01T00:00:03Z', [2, 3, 4]],
    ['until=2026-01-01T00:00:02Z', [0, 1]],
    ['since=2026-01-01T00:00:02Z&until=2026-01-01T00:00:03Z', [1, 2]],
    ['limit=2', [0, 1]],
    ['namespace=', [0, 1, 2, 3, 4]],
    ['namespace=nope', []],
  ])('filters %s', async (query, expected) => {
    const all = (await getJson<Core[]>(`${collector.url}/apiv1/cores`)).body.map((c) => c.id);
    const { status, body } = await getJson<Core[]>(`${collector.url}/apiv1/cores?${query}`);
    expect(status).toBe(200);
    expect(body.map((c) => c.id)).toEqual(expected.map((i) => all[i]));
  });

  it.each([
    'limit=0',
    'limit=abc',
    'limit=-1',
    'since=yesterday',
    'until=2026-13-45',
    'signal=%21%21',
    'foo=1',
    'since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z',
  ])('rejects the bad query %s with a JSON 400', async (query) => {
    const { status, body } = await getJson<Record<string, unknown>>(
      `${collector.url}/apiv1/cores?${query}`,
    );
    expect(status).toBe(400);
    expect(body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
  });

  it('serves the full record with journal-only fields', async () => {
    const { status, body } = await getJson<Record<string, unknown>>(
      `${collector.url}/apiv1/cores/metadata/${names.zst}`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: names.zst,
      COREDUMP_PID: 101,
      COREDUMP_EXE: '/usr/bin/app',
      namespace: 'team-a',
    });
    expect(typeof body.MESSAGE).toBe('string');
    expect(body.COREDUMP_CONTAINER_CMDLINE).toContain('conmon');
    expect(body).not.toHaveProperty('__CURSOR');
    expect(body).not.toHaveProperty('COREDUMP');
    // The orphan's full record comes from xattrs and the name.
    const orphan = await getJson<Record<string, unknown>>(
      `${collector.url}/apiv1/cores/metadata/${names.orphan}`,
    );
    expect(orphan.body).toMatchObject({ COREDUMP_COMM: 'orphan-x', COREDUMP_PID: 107 });
  });

  it.each([
    ['unknown id', '/apiv1/cores/metadata/core.nope.0.0.0.0', 404],
    ['symlink out of the directory', `/apiv1/cores/metadata/core.evil.0.${BOOT}.110.1`, 404],
    ['directory named like a core', `/apiv1/cores/download/core.dir.0.${BOOT}.109.1`, 404],
    ['in-progress temp file', `/apiv1/cores/download/.%23core.tmp.0.${BOOT}.108.1`, 400],
    [
      'entry whose file is gone',
      `/apiv1/cores/download/core.gone.0.${BOOT}.105.${usec('2026-01-01T00:00:05Z')}.zst`,
      404,
    ],
    ['encoded traversal', '/apiv1/cores/download/..%2F..%2Fetc%2Fshadow', 400],
    ['double-encoded traversal', '/apiv1/cores/download/..%252F..%252Fetc%252Fshadow', 400],
    ['traversal inside a core-looking id', '/apiv1/cores/download/core.x%2F..%2F..%2Fsecret', 400],
    ['NUL byte', '/apiv1/cores/metadata/core.x%00.zst', 400],
    ['oversized id', `/apiv1/cores/metadata/core.${'a'.repeat(300)}`, 400],
    ['not a core name', '/apiv1/cores/download/README', 400],
  ])('answers %s with a JSON error', async (_what, path, code) => {
    const res = await rawGet(collector.url, path);
    expect(res.status).toBe(code);
    expect(JSON.parse(res.body)).toEqual({
      statusCode: code,
      error: expect.any(String),
      message: expect.any(String),
    });
  });

  it('answers a raw ../ path without serving anything outside', async () => {
    const res = await rawGet(collector.url, '/apiv1/cores/download/../../../../etc/shadow');
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('root:');
  });

  it.each(['zst', 'lz4', 'xz', 'none'])(
    'downloads the %s core byte for byte with the right headers',
    async (kind) => {
      const id = names[kind];
      const res = await fetch(`${collector.url}/apiv1/cores/download/${id}`);
      expect(res.status).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect(sha(body)).toBe(sha(await readFile(join(coreDir, id))));
      expect(res.headers.get('content-length')).toBe(String(body.length));
      expect(res.headers.get('content-disposition')).toContain(`filename="${id}"`);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
      expect(res.headers.get('last-modified')).toMatch(/GMT$/);
    },
  );

  it.each(['zst', 'lz4', 'xz', 'none'])(
    'decompress=true on the %s core streams the original bytes',
    async (kind) => {
      const res = await fetch(
        `${collector.url}/apiv1/cores/download/${names[kind]}?decompress=true`,
      );
      expect(res.status).toBe(200);
      expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(content));
      expect(res.headers.get('content-disposition')).toContain(`filename="${names.none}"`);
    },
  );

  it('aborts the connection when a compressed core is corrupt (never a clean short 200)', async () => {
    const res = await fetch(
      `${collector.url}/apiv1/cores/download/${names.orphan}?decompress=true`,
    );
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it('rejects a bad decompress value', async () => {
    const { status } = await getJson(
      `${collector.url}/apiv1/cores/download/${names.zst}?decompress=yes`,
    );
    expect(status).toBe(400);
  });

  it('serves byte ranges, 304s and 416s', async () => {
    const url = `${collector.url}/apiv1/cores/download/${names.none}`;
    const part = await fetch(url, { headers: { Range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${content.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(content.subarray(100, 200))).toBe(true);
    const suffix = await fetch(url, { headers: { Range: 'bytes=-10' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(content.subarray(-10))).toBe(true);
    const open = await fetch(url, { headers: { Range: `bytes=${content.length - 5}-` } });
    expect(Buffer.from(await open.arrayBuffer()).equals(content.subarray(-5))).toBe(true);
    for (const range of [`bytes=${content.length}-`, 'bytes=5-2', 'bytes=abc']) {
      const bad = await getJson(url, { headers: { Range: range } });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('content-range')).toBe(`bytes */${content.length}`);
      expect(bad.body).toMatchObject({ statusCode: 416 });
    }
    const full = await fetch(url, { method: 'HEAD' });
    expect(full.status).toBe(200);
    expect(full.headers.get('content-length')).toBe(String(content.length));
    const etag = full.headers.get('etag')!;
    expect((await fetch(url, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    const other = await fetch(url, { headers: { 'If-None-Match': '"other"' } });
    expect(other.status).toBe(200);
    await other.arrayBuffer();
    const lastModified = full.headers.get('last-modified')!;
    expect((await fetch(url, { headers: { 'If-Modified-Since': lastModified } })).status).toBe(304);
    // If-Range with a stale validator: the whole file, not a stale slice.
    const stale = await fetch(url, { headers: { Range: 'bytes=0-0', 'If-Range': '"stale"' } });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  it('shows a new core within 1 s, merges a late journal entry, and drops a deleted core within 1 s', async () => {
    const catalog = collector.app.get(CoreCatalog);
    expect(catalog.ready).toBe(true);
    const changes: [string, string, unknown][] = [];
    const onAdded = (c: IndexedCore) => changes.push(['added', c.file.id, c.record.COREDUMP_EXE]);
    const onUpdated = (c: IndexedCore) =>
      changes.push(['updated', c.file.id, c.record.COREDUMP_EXE]);
    const onRemoved = (c: IndexedCore) => changes.push(['removed', c.file.id, undefined]);
    catalog.changes.on('added', onAdded).on('updated', onUpdated).on('removed', onRemoved);
    const ts = usec('2026-01-01T00:00:08Z');
    const id = `core.late.0.${BOOT}.111.${ts}.zst`;
    await writeFile(join(coreDir, id), Buffer.from('late'));
    await waitUntil(
      'new core listed',
      async () =>
        (await getJson<Core[]>(`${collector.url}/apiv1/cores`)).body.some((c) => c.id === id),
      1000,
    );
    const early = (await getJson<Core[]>(`${collector.url}/apiv1/cores?comm=late`)).body;
    expect(early).toHaveLength(1); // from the file name alone
    expect(early[0].COREDUMP_EXE).toBeUndefined();
    // Logged later in the same boot, as journald would: the follower reads entries in time order.
    const late = coredumpEntry({
      filename: `/var/lib/systemd/coredump/${id}`,
      pid: 111,
      signal: 11,
      comm: 'late',
      exe: '/usr/bin/late-exe',
      timestampUsec: ts,
    });
    late.realtimeUsec = `${Date.now()}000`;
    late.fields.__MONOTONIC_TIMESTAMP = String(1e12);
    await writeJournalFile(join(journalDir, 'late.journal'), [late]);
    await waitUntil(
      'late journal entry merged',
      async () => {
        const [c] = (await getJson<Core[]>(`${collector.url}/apiv1/cores?comm=late`)).body;
        return c?.COREDUMP_EXE === '/usr/bin/late-exe';
      },
      1000,
    );
    await unlink(join(coreDir, id));
    await waitUntil(
      'deleted core gone',
      async () =>
        !(await getJson<Core[]>(`${collector.url}/apiv1/cores`)).body.some((c) => c.id === id),
      1000,
    );
    catalog.changes.off('added', onAdded).off('updated', onUpdated).off('removed', onRemoved);
    // The change feed: announced once when settled (xattrs read), updated by the journal entry,
    // removed with the file; nothing about the cores that were there at start.
    expect(changes[0]).toEqual(['added', id, undefined]);
    expect(changes.filter(([type]) => type === 'added')).toHaveLength(1);
    expect(changes).toContainEqual(['updated', id, '/usr/bin/late-exe']);
    expect(changes.at(-1)).toEqual(['removed', id, undefined]);
    expect(changes.every(([, changed]) => changed === id)).toBe(true);
  });

  it('reports ready and live, and serves its OpenAPI document and Swagger UI', async () => {
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    const ready = await getJson<{ status: string }>(`${collector.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    const doc = await getJson<{ paths: Record<string, unknown> }>(`${collector.url}/openapi.json`);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/apiv1/cores',
        '/apiv1/cores/metadata/{id}',
        '/apiv1/cores/download/{id}',
      ]),
    );
    expect((await fetch(`${collector.url}/docs`)).status).toBe(200);
  });
});

describe('node-collector namespace filter and auth', () => {
  let work: string;
  let filtered: RunningCollector;
  let secured: RunningCollector;
  const ids: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredump-filter-'));
    const coreDir = join(work, 'coredump');
    const journalDir = join(work, 'journal');
    await mkdir(coreDir);
    await mkdir(journalDir);
    const entries = [];
    for (const [i, ns] of ['team-a', 'team-ab', 'kube-system', undefined].entries()) {
      const ts = usec(`2026-02-01T00:00:0${i}Z`);
      const id = `core.app${i}.0.${BOOT}.${200 + i}.${ts}.zst`;
      ids.push(id);
      await writeFile(join(coreDir, id), Buffer.from(`core ${i}`));
      const cmdline = ns
        ? `/usr/bin/conmon -c ${CID} -n k8s_app_pod${i}_${ns}_${POD_UID}_0`
        : undefined;
      entries.push(
        coredumpEntry({
          filename: `/var/lib/systemd/coredump/${id}`,
          pid: 200 + i,
          signal: 11,
          comm: `app${i}`,
          timestampUsec: ts,
          containerCmdline: cmdline,
        }),
      );
    }
    await writeJournalFile(join(journalDir, 'f.journal'), entries);
    filtered = await startCollector({
      coreDir,
      journalDir,
      namespaceFilter: /^(?:team-a|kube-.*)$/,
    });
    secured = await startCollector({ coreDir, journalDir, authDisabled: false });
  }, 60_000);

  afterAll(async () => {
    await filtered?.close();
    await secured?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('serves only cores whose namespace fully matches; unknown namespaces are hidden', async () => {
    const { body } = await getJson<Core[]>(`${filtered.url}/apiv1/cores`);
    expect(body.map((c) => c.namespace)).toEqual(['team-a', 'kube-system']);
    expect((await fetch(`${filtered.url}/apiv1/cores/metadata/${ids[1]}`)).status).toBe(404);
    expect((await fetch(`${filtered.url}/apiv1/cores/download/${ids[3]}`)).status).toBe(404);
    const ok = await fetch(`${filtered.url}/apiv1/cores/download/${ids[0]}`);
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  it.each([
    ['no header', {}],
    ['another scheme', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ['an empty bearer', { Authorization: 'Bearer ' }],
    ['an unverifiable token', { Authorization: 'Bearer some-token' }],
  ])(
    'answers %s with 401 JSON on every API route, probes stay open',
    async (_what, headers: Record<string, string>) => {
      for (const path of [
        '/apiv1/cores',
        `/apiv1/cores/metadata/${ids[0]}`,
        `/apiv1/cores/download/${ids[0]}`,
      ]) {
        const res = await getJson(`${secured.url}${path}`, { headers });
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: expect.any(String),
        });
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      expect((await fetch(`${secured.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${secured.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${secured.url}/docs`)).status).toBe(200);
      expect((await fetch(`${secured.url}/openapi.json`)).status).toBe(200);
    },
  );
});

describe('node-collector before anything exists', () => {
  let work: string;
  let collector: RunningCollector;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredump-empty-'));
    await mkdir(join(work, 'journal'));
    // Neither a core directory nor a journal file yet: a node where nothing has crashed.
    collector = await startCollector({
      coreDir: join(work, 'coredump'),
      journalDir: join(work, 'journal'),
      rescanIntervalMs: 200,
    });
  }, 60_000);

  afterAll(async () => {
    await collector?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('starts, reports not ready with a JSON reason, then serves cores once the directory and journal appear', async () => {
    const notReady = await getJson<{ statusCode: number; message: string }>(
      `${collector.url}/readyz`,
    );
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(notReady.body.message).toContain('coreDir');
    expect((await getJson<Core[]>(`${collector.url}/apiv1/cores`)).body).toEqual([]);

    await mkdir(join(work, 'coredump'));
    const ts = usec('2026-03-01T00:00:00Z');
    const id = `core.first.0.${BOOT}.300.${ts}.zst`;
    await writeFile(join(work, 'coredump', id), 'x');
    const entry = coredumpEntry({
      filename: `/var/lib/systemd/coredump/${id}`,
      pid: 300,
      signal: 11,
      comm: 'first',
      exe: '/usr/bin/first',
      timestampUsec: ts,
    });
    entry.realtimeUsec = `${Date.now()}000`;
    await writeJournalFile(join(work, 'journal', 'first.journal'), [entry]);
    await waitUntil(
      'core from the new directory and journal',
      async () => {
        const [c] = (await getJson<Core[]>(`${collector.url}/apiv1/cores`)).body;
        return c?.COREDUMP_EXE === '/usr/bin/first';
      },
      3000,
    );
    expect((await fetch(`${collector.url}/readyz`)).status).toBe(200);
  });
});

describe("node-collector naming pods from kubelet's pod log directories", () => {
  let work: string;
  let collector: RunningCollector;
  const POD = '33333333-4444-4555-8666-777777777777';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredump-podlogs-'));
    for (const d of ['coredump', 'journal', `pods/team-p_logger-0_${POD}/app`]) {
      await mkdir(join(work, d), { recursive: true });
    }
    const ts = usec('2026-04-01T00:00:00Z');
    const id = `core.logger.0.${BOOT}.400.${ts}.zst`;
    await writeFile(join(work, 'coredump', id), 'x');
    await writeJournalFile(join(work, 'journal', 'p.journal'), [
      coredumpEntry({
        filename: `/var/lib/systemd/coredump/${id}`,
        pid: 400,
        comm: 'logger',
        timestampUsec: ts,
        cgroup: `/kubepods/besteffort/pod${POD}/${'12'.repeat(32)}`,
      }),
    ]);
    collector = await startCollector({
      coreDir: join(work, 'coredump'),
      journalDir: join(work, 'journal'),
      podLogsDir: join(work, 'pods'),
    });
  }, 60_000);

  afterAll(async () => {
    await collector?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('uses /var/log/pods/<namespace>_<pod>_<uid>/<container> when nothing better is known', async () => {
    const [core] = (await getJson<Core[]>(`${collector.url}/apiv1/cores`)).body;
    expect(core).toMatchObject({
      namespace: 'team-p',
      pod: 'logger-0',
      container: 'app',
      podUID: POD,
      attribution: { source: 'pod-logs' },
    });
  });
});
