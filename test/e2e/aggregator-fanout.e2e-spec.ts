/**
 * The BUILT aggregator in front of three BUILT collectors (each its own process, own coredump and
 * journal fixture directories, own loopback address) plus a recording fake collector: merged
 * order, filters, paging, metadata, the streaming download proxy, and bad input that must never
 * leave the aggregator. Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  spawnBuiltAggregator,
  startFakeCollector,
  type FakeCollector,
  type SpawnedAggregator,
} from '../support/aggregator.js';
import { spawnBuiltCollector, type SpawnedCollector } from '../support/collector.js';
import { run } from '../support/exec.js';
import { coredumpEntry, writeJournalFile, type FixtureEntry } from '../support/fixtures.js';

const BOOT = '0123456789abcdef0123456789abcdef';
const POD_UID = '11111111-2222-3333-4444-555555555555';
const CID = 'cd'.repeat(32);
const T0 = 1_800_000_000;
const usec = (s: number): string => `${T0 + s}000000`;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Core {
  id: string;
  node: string;
  timestamp: number;
  namespace?: string;
  COREDUMP_SIGNAL?: number;
  [k: string]: unknown;
}

interface FixtureCore {
  node: string;
  comm: string;
  pid: number;
  s: number;
  ns?: string;
  signal: number;
  size?: number;
  zst?: boolean;
}

const NODES = { 'node-a': '127.0.0.2', 'node-b': '127.0.0.3', 'node-c': '127.0.0.4' } as const;

const CORES: FixtureCore[] = [
  { node: 'node-a', comm: 'app', pid: 101, s: 1, ns: 'team-a', signal: 11, zst: true },
  { node: 'node-a', comm: 'db', pid: 102, s: 4, ns: 'team-b', signal: 6 },
  // The same file name on two nodes: ordered by node.
  { node: 'node-a', comm: 'same', pid: 500, s: 5, ns: 'team-a', signal: 11 },
  { node: 'node-a', comm: 'host', pid: 103, s: 7, signal: 11 },
  { node: 'node-b', comm: 'web', pid: 201, s: 2, ns: 'team-a', signal: 11, size: 2 << 20 },
  { node: 'node-b', comm: 'same', pid: 500, s: 5, ns: 'team-b', signal: 6 },
  { node: 'node-b', comm: 'late', pid: 202, s: 9, ns: 'team-a', signal: 11 },
  // Three cores in the same millisecond: pages must still split them exactly.
  { node: 'node-c', comm: 'burst', pid: 301, s: 3, ns: 'team-a', signal: 11 },
  { node: 'node-c', comm: 'burst', pid: 302, s: 3, ns: 'team-a', signal: 11 },
  { node: 'node-c', comm: 'burst', pid: 303, s: 3, ns: 'team-a', signal: 11 },
  { node: 'node-c', comm: 'bus', pid: 304, s: 8, ns: 'team-b', signal: 7 },
];

const idOf = (c: FixtureCore): string =>
  `core.${c.comm}.0.${BOOT}.${c.pid}.${usec(c.s)}${c.zst ? '.zst' : ''}`;

function order(a: Core, b: Core): number {
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return a.timestamp - b.timestamp || cmp(a.id, b.id) || cmp(a.node, b.node);
}

async function getJson<T>(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

/** GET without any URL normalisation (fetch would resolve ../ and re-encode). */
function rawGet(
  base: string,
  path: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('aggregator in front of built collectors (static collector list)', () => {
  let work: string;
  const collectors: SpawnedCollector[] = [];
  let recorder: FakeCollector;
  let agg: SpawnedAggregator;
  const contents = new Map<string, Buffer>();
  let all: Core[];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredump-agg-'));
    await Promise.all(
      Object.entries(NODES).map(async ([node, host]) => {
        const coreDir = join(work, node, 'coredump');
        const journalDir = join(work, node, 'journal');
        await mkdir(coreDir, { recursive: true });
        await mkdir(journalDir, { recursive: true });
        const entries: FixtureEntry[] = [];
        for (const c of CORES.filter((x) => x.node === node)) {
          const id = idOf(c);
          const content = randomBytes(c.size ?? 8192 + c.pid);
          contents.set(`${node}/${id}`, content);
          if (c.zst) {
            const plain = join(work, `${id}.plain`);
            await writeFile(plain, content);
            await run('zstd', ['-q', '-c', '--', plain], { stdoutFile: join(coreDir, id) });
          } else {
            await writeFile(join(coreDir, id), content);
          }
          entries.push(
            coredumpEntry({
              filename: `/var/lib/systemd/coredump/${id}`,
              pid: c.pid,
              signal: c.signal,
              comm: c.comm,
              timestampUsec: usec(c.s),
              hostname: `${c.comm}-pod`,
              ...(c.ns
                ? {
                    containerCmdline: `/usr/bin/conmon -b /run/containers/storage/overlay-containers/${CID}/userdata -c ${CID} -n k8s_app_${c.comm}-pod_${c.ns}_${POD_UID}_0 -r /usr/bin/runc`,
                  }
                : {}),
              extra: { _HOSTNAME: `${node}-host`, _BOOT_ID: BOOT },
            }),
          );
        }
        await writeJournalFile(join(journalDir, 'fixtures.journal'), entries);
        collectors.push(
          await spawnBuiltCollector({
            HOST: host,
            KOREDUMP_NODE_NAME: node,
            KOREDUMP_COREDUMP_DIR: coreDir,
            KOREDUMP_JOURNAL_DIR: journalDir,
            KOREDUMP_POD_LOGS_DIR: '/nonexistent',
          }),
        );
      }),
    );
    recorder = await startFakeCollector('127.0.0.5');
    const list = [
      ...collectors.map(
        (c) =>
          `${c.url.includes('127.0.0.2') ? 'node-a' : c.url.includes('127.0.0.3') ? 'node-b' : 'node-c'}=${c.url}`,
      ),
      `rec=${recorder.url}`,
    ].join(',');
    agg = await spawnBuiltAggregator({
      KOREDUMP_COLLECTORS: list,
      KOREDUMP_NODE_TIMEOUT_MS: '5000',
    });
    all = (await getJson<Core[]>(`${agg.url}/apiv1/cores`)).body;
  }, 90_000);

  afterAll(async () => {
    await agg?.stop();
    await Promise.all(collectors.map((c) => c.stop()));
    await recorder?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('merges every node’s cores oldest first (timestamp, then id, then node), no Warning', async () => {
    const res = await fetch(`${agg.url}/apiv1/cores`);
    expect(res.status).toBe(200);
    expect(res.headers.get('warning')).toBeNull();
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await res.json()) as Core[];
    const expected = CORES.map((c) => ({
      id: idOf(c),
      node: c.node,
      timestamp: (T0 + c.s) * 1000,
    })).sort((a, b) => order(a, b));
    expect(body.map(({ id, node, timestamp }) => ({ id, node, timestamp }))).toEqual(expected);
    // The same id on two nodes: node-a before node-b.
    const same = body.filter((c) => c.id.startsWith('core.same.'));
    expect(same.map((c) => c.node)).toEqual(['node-a', 'node-b']);
    expect(body.find((c) => c.id.startsWith('core.web.'))).toMatchObject({
      namespace: 'team-a',
      pod: 'web-pod',
      hostname: 'node-b-host',
      size: 2 << 20,
    });
  });

  it.each([
    ['namespace=team-a', (c: FixtureCore) => c.ns === 'team-a'],
    ['namespace=team-b&signal=SIGABRT', (c: FixtureCore) => c.ns === 'team-b' && c.signal === 6],
    ['signal=7', (c: FixtureCore) => c.signal === 7],
    ['comm=same', (c: FixtureCore) => c.comm === 'same'],
    [
      `since=${new Date((T0 + 3) * 1000).toISOString()}&until=${new Date((T0 + 5) * 1000).toISOString()}`,
      (c: FixtureCore) => c.s >= 3 && c.s <= 5,
    ],
    ['node=node-c', (c: FixtureCore) => c.node === 'node-c'],
    ['node=node-b&namespace=team-a', (c: FixtureCore) => c.node === 'node-b' && c.ns === 'team-a'],
    ['node=rec', () => false],
    ['namespace=', () => true],
    ['pod=nope', () => false],
  ])('filters %s across nodes', async (query, keep) => {
    const { status, body } = await getJson<Core[]>(`${agg.url}/apiv1/cores?${query}`);
    expect(status).toBe(200);
    const wanted = new Set(CORES.filter(keep).map((c) => `${c.node}/${idOf(c)}`));
    expect(body.map((c) => `${c.node}/${c.id}`)).toEqual(
      all.filter((c) => wanted.has(`${c.node}/${c.id}`)).map((c) => `${c.node}/${c.id}`),
    );
  });

  async function pages(query: string): Promise<{ ids: string[]; count: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let count = 0;
    for (;;) {
      const url: string = `${agg.url}/apiv1/cores?${query}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const page = (await res.json()) as Core[];
      const limit = Number(new URLSearchParams(query).get('limit'));
      expect(page.length).toBeLessThanOrEqual(limit);
      ids.push(...page.map((c) => `${c.node}/${c.id}`));
      count++;
      const next = res.headers.get('x-next-cursor');
      if (next) {
        expect(page.length).toBe(limit);
        const link = res.headers.get('link');
        expect(link).toMatch(/^<\?[^>]*cursor=[A-Za-z0-9_-]+>; rel="next"$/);
        const linked = new URLSearchParams(link!.slice(2, link!.indexOf('>')));
        expect(linked.get('cursor')).toBe(next);
        for (const [k, v] of new URLSearchParams(query)) expect(linked.get(k)).toBe(v);
      } else {
        expect(res.headers.get('link')).toBeNull();
      }
      cursor = next;
      if (!cursor) return { ids, count };
      if (count > 50) throw new Error('paging does not end');
    }
  }

  it.each([1, 2, 3, 4, 5, 11, 12])(
    'pages with limit=%i through the whole list exactly once',
    async (limit) => {
      const { ids, count } = await pages(`limit=${limit}`);
      expect(ids).toEqual(all.map((c) => `${c.node}/${c.id}`));
      expect(count).toBe(Math.floor(all.length / limit) + 1 - (all.length % limit === 0 ? 1 : 0));
    },
  );

  it('pages with filters and a node filter', async () => {
    const teamA = (await getJson<Core[]>(`${agg.url}/apiv1/cores?namespace=team-a`)).body;
    expect((await pages('namespace=team-a&limit=2')).ids).toEqual(
      teamA.map((c) => `${c.node}/${c.id}`),
    );
    const nodeC = (await getJson<Core[]>(`${agg.url}/apiv1/cores?node=node-c`)).body;
    expect(nodeC).toHaveLength(4);
    expect((await pages('node=node-c&limit=1')).ids).toEqual(nodeC.map((c) => `${c.node}/${c.id}`));
  });

  it('keeps a page boundary stable when cores are added before it or deleted', async () => {
    const first = await fetch(`${agg.url}/apiv1/cores?limit=4`);
    const cursor = first.headers.get('x-next-cursor')!;
    // A core older than every other appears on node-c (an offset would now shift by one).
    const early = `core.early.0.${BOOT}.399.${usec(0)}`;
    const file = join(work, 'node-c', 'coredump', early);
    await writeFile(file, 'early');
    const listed = async (): Promise<string[]> =>
      (await getJson<Core[]>(`${agg.url}/apiv1/cores`)).body.map((c) => c.id);
    try {
      for (let i = 0; !(await listed()).includes(early); i++) {
        if (i > 100) throw new Error('the new core was not listed within 5 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await listed())[0]).toBe(early);
      const rest = (await getJson<Core[]>(`${agg.url}/apiv1/cores?cursor=${cursor}`)).body;
      expect(rest.map((c) => `${c.node}/${c.id}`)).toEqual(
        all.slice(4).map((c) => `${c.node}/${c.id}`),
      );
    } finally {
      await rm(file, { force: true });
      for (let i = 0; (await listed()).includes(early) && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  it('passes the metadata of a core through, and the collector’s 404', async () => {
    const web = CORES.find((c) => c.comm === 'web')!;
    const { status, body } = await getJson<Record<string, unknown>>(
      `${agg.url}/apiv1/cores/metadata/node-b/${idOf(web)}`,
    );
    expect(status).toBe(200);
    const direct = await getJson<Record<string, unknown>>(
      `${collectors.find((c) => c.url.includes('127.0.0.3'))!.url}/apiv1/cores/metadata/${idOf(web)}`,
    );
    expect(body).toEqual(direct.body);
    expect(typeof body.MESSAGE).toBe('string');
    // The core is on node-b, not node-a: the collector of node-a says 404.
    const missing = await getJson(`${agg.url}/apiv1/cores/metadata/node-a/${idOf(web)}`);
    expect(missing).toMatchObject({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: `core ${idOf(web)} not found` },
    });
  });

  describe('download proxy', () => {
    const web = CORES.find((c) => c.comm === 'web')!;
    const url = (): string => `${agg.url}/apiv1/cores/download/node-b/${idOf(web)}`;
    const content = (): Buffer => contents.get(`node-b/${idOf(web)}`)!;

    it('streams the core with the same sha256 and the collector’s headers', async () => {
      const res = await fetch(url());
      expect(res.status).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect(sha(body)).toBe(sha(content()));
      expect(res.headers.get('content-length')).toBe(String(2 << 20));
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('etag')).toMatch(/^"[0-9a-f-]+"$/);
      expect(res.headers.get('last-modified')).toMatch(/GMT$/);
      expect(res.headers.get('content-disposition')).toContain(`filename="${idOf(web)}"`);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('transfer-encoding')).toBeNull();
    });

    it('HEAD gives the headers and no body', async () => {
      const res = await fetch(url(), { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe(String(2 << 20));
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    });

    it('Range gives 206 with exactly those bytes; If-Range and 416 pass through', async () => {
      const res = await fetch(url(), { headers: { Range: 'bytes=1000-1999' } });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes 1000-1999/${2 << 20}`);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(content().subarray(1000, 2000));
      const etag = res.headers.get('etag')!;
      const suffix = await fetch(url(), { headers: { Range: 'bytes=-10', 'If-Range': etag } });
      expect(suffix.status).toBe(206);
      expect(Buffer.from(await suffix.arrayBuffer())).toEqual(content().subarray(-10));
      const stale = await fetch(url(), { headers: { Range: 'bytes=0-9', 'If-Range': '"old"' } });
      expect(stale.status).toBe(200);
      expect((await stale.arrayBuffer()).byteLength).toBe(2 << 20);
      const bad = await fetch(url(), { headers: { Range: `bytes=${4 << 20}-` } });
      expect(bad.status).toBe(416);
      expect(bad.headers.get('content-range')).toBe(`bytes */${2 << 20}`);
      expect(await bad.json()).toMatchObject({ statusCode: 416 });
    });

    it('answers 304 to If-None-Match and If-Modified-Since', async () => {
      const head = await fetch(url(), { method: 'HEAD' });
      const etag = head.headers.get('etag')!;
      const inm = await fetch(url(), { headers: { 'If-None-Match': etag } });
      expect(inm.status).toBe(304);
      expect(inm.headers.get('etag')).toBe(etag);
      expect((await inm.arrayBuffer()).byteLength).toBe(0);
      const ims = await fetch(url(), {
        headers: { 'If-Modified-Since': head.headers.get('last-modified')! },
      });
      expect(ims.status).toBe(304);
    });

    it('decompress=true streams the decompressed core, chunked', async () => {
      const app = CORES.find((c) => c.comm === 'app')!;
      const res = await fetch(
        `${agg.url}/apiv1/cores/download/node-a/${idOf(app)}?decompress=true`,
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBeNull();
      expect(res.headers.get('accept-ranges')).toBe('none');
      expect(res.headers.get('content-disposition')).toContain(
        `filename="${idOf(app).replace(/\.zst$/, '')}"`,
      );
      expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(
        sha(contents.get(`node-a/${idOf(app)}`)!),
      );
      // Without decompress: the .zst file as stored.
      const raw = await fetch(`${agg.url}/apiv1/cores/download/node-a/${idOf(app)}`);
      const stored = await readFile(join(work, 'node-a', 'coredump', idOf(app)));
      expect(sha(Buffer.from(await raw.arrayBuffer()))).toBe(sha(stored));
    });
  });

  it('reports every node in /apiv1/nodes', async () => {
    const { status, body } = await getJson<Record<string, unknown>[]>(`${agg.url}/apiv1/nodes`);
    expect(status).toBe(200);
    expect(body.map((n) => n.node)).toEqual(['node-a', 'node-b', 'node-c', 'rec']);
    expect(body[0]).toMatchObject({
      node: 'node-a',
      source: 'static',
      url:
        'http://127.0.0.2:' +
        new URL(collectors.find((c) => c.url.includes('127.0.0.2'))!.url).port,
      ready: true,
      reachable: true,
      collectorReady: true,
      cores: 4,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      lastSeen: expect.any(String),
    });
    expect(body[0]).not.toHaveProperty('lastError');
    expect(body[3]).toMatchObject({ node: 'rec', cores: 0, version: 'fake-1', reachable: true });
  });

  describe('bad input: 400/404 JSON and no request leaves the aggregator', () => {
    const id = `core.app.0.${BOOT}.101.${usec(1)}.zst`;
    const cases: [string, string, number][] = [
      ['unknown node', `/apiv1/cores/download/node-z/${id}`, 404],
      ['unknown node (metadata)', `/apiv1/cores/metadata/node-z/${id}`, 404],
      ['unknown node filter', '/apiv1/cores?node=node-z', 404],
      ['a host name as node', `/apiv1/cores/download/127.0.0.5/${id}`, 404],
      ['an IP:port as node', `/apiv1/cores/download/127.0.0.5:80/${id}`, 400],
      ['URL-encoded host:port', `/apiv1/cores/download/127.0.0.5%3A${'80'}/${id}`, 400],
      ['URL-encoded URL', `/apiv1/cores/download/http%3A%2F%2F127.0.0.5%2F/${id}`, 400],
      ['node with %2F', `/apiv1/cores/download/rec%2F..%2Fx/${id}`, 400],
      ['node with %2F (filter)', '/apiv1/cores?node=rec%2Fx', 400],
      ['node ..', `/apiv1/cores/download/../${id}`, 400],
      ['node %2E%2E', `/apiv1/cores/download/%2E%2E/${id}`, 400],
      ['node with @', `/apiv1/cores/download/user@rec/${id}`, 400],
      ['node with @ (filter)', '/apiv1/cores?node=x%40127.0.0.5', 400],
      ['node with :', `/apiv1/cores/metadata/rec:1/${id}`, 400],
      ['uppercase node', `/apiv1/cores/download/REC/${id}`, 400],
      ['over-long node', `/apiv1/cores/download/${'a'.repeat(254)}/${id}`, 400],
      ['over-long node filter', `/apiv1/cores?node=${'a'.repeat(300)}`, 400],
      ['bad percent-encoding', `/apiv1/cores/download/%E0%A4%A/${id}`, 400],
      ['id with %2F', '/apiv1/cores/download/rec/core.x%2F..%2F..%2Fetc%2Fshadow', 400],
      ['id not a core', '/apiv1/cores/metadata/rec/README', 400],
      ['id with NUL', '/apiv1/cores/metadata/rec/core.x%00', 400],
      ['over-long id', `/apiv1/cores/download/rec/core.${'a'.repeat(300)}`, 400],
      ['unknown query parameter', `/apiv1/cores/download/rec/${id}?url=http://evil`, 400],
      ['unknown list parameter', '/apiv1/cores?host=127.0.0.5', 400],
      ['bad decompress', `/apiv1/cores/download/rec/${id}?decompress=yes`, 400],
      ['bad limit', '/apiv1/cores?limit=0', 400],
      ['bad since', '/apiv1/cores?since=yesterday', 400],
      [
        'since after until',
        '/apiv1/cores?since=2027-01-02T00:00:00Z&until=2027-01-01T00:00:00Z',
        400,
      ],
      ['forged cursor', '/apiv1/cores?cursor=eyJ2IjoxfQ', 400],
      [
        'cursor with a bad node',
        `/apiv1/cores?cursor=${Buffer.from(JSON.stringify({ v: 1, t: 1, i: id, n: 'a/b' })).toString('base64url')}`,
        400,
      ],
      ['over-long cursor', `/apiv1/cores?cursor=${'a'.repeat(2000)}`, 400],
      ['extra path segment', `/apiv1/cores/download/rec/x/${id}`, 404],
    ];

    it.each(cases)('%s', async (_what, path, code) => {
      const before = recorder.requests.length;
      const res = await rawGet(agg.url, path);
      expect(res.status).toBe(code);
      expect(JSON.parse(res.body)).toEqual({
        statusCode: code,
        error: expect.any(String),
        message: expect.any(String),
      });
      expect(recorder.requests.slice(before)).toEqual([]);
    });

    it('only the whitelisted, validated parameters reach a collector', async () => {
      const before = recorder.requests.length;
      const res = await fetch(
        `${agg.url}/apiv1/cores?node=rec&namespace=a%26b%3Dc&signal=segv&limit=3&comm=`,
      );
      expect(res.status).toBe(200);
      const calls = recorder.requests.slice(before);
      expect(calls).toHaveLength(1);
      const u = new URL(calls[0].url, 'http://x');
      expect(u.pathname).toBe('/apiv1/cores');
      expect([...u.searchParams.entries()]).toEqual([
        ['namespace', 'a&b=c'],
        ['signal', 'segv'],
        ['limit', '4'],
      ]);
      // NO_TOKENS=1: no token to pass on.
      expect(calls[0].headers.authorization).toBeUndefined();
      const dl = recorder.requests.length;
      await (
        await fetch(`${agg.url}/apiv1/cores/download/rec/${id}?decompress=false`)
      ).arrayBuffer();
      expect(recorder.requests.slice(dl).map((r) => r.url)).toEqual([
        `/apiv1/cores/download/${id}`,
      ]);
    });
  });
});
