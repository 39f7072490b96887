/**
 * Stack traces, crash signatures and crash groups from real crashes: C programs (with symbols,
 * stripped, multi-threaded) crash through the host's real systemd-coredump; two built collectors
 * ("node-a", "node-b") each serve a copy of some of those cores (the journal entry is found by
 * the core's file name), behind the built aggregator; the fake apiserver names the pods and
 * decides RBAC.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import type { CrashGroup as Group } from '@koredump/crash';

import { deadUrl, spawnBuiltAggregator, type SpawnedAggregator } from '../support/aggregator.js';
import { spawnBuiltCollector, type SpawnedCollector } from '../support/collector.js';
import { startCoredumpHost, type CoredumpHost } from '../support/coredump-host.js';
import { buildCrasher, crash, type CrashResult } from '../support/crasher.js';
import { run } from '../support/exec.js';
import { makePod, startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { runInProcess } from '../support/koredumpctl.js';

/** Crashes in a worker thread while two other threads wait. Ignores the crasher's arguments. */
const THREADS_C = String.raw`#include <pthread.h>
#include <unistd.h>
__attribute__((noinline)) void worker_crash(int *p) { *p = 42; }
void *worker(void *arg) { worker_crash((int *)arg); return 0; }
void *idle(void *arg) { for (;;) pause(); return arg; }
int main(void) {
  pthread_t a, b;
  pthread_create(&b, 0, idle, 0);
  pthread_create(&a, 0, worker, 0);
  pthread_join(a, 0);
  return 0;
}
`;

/** Two functions deep, then SIGSEGV; built stripped (no symbols: frames are n/a). */
const STRIPPED_C = String.raw`__attribute__((noinline)) void crash_here(int *p) { *p = 1; }
__attribute__((noinline)) void level2(int *p) { crash_here(p); }
int main(void) { level2(0); return 0; }
`;

const POD_A = { uid: 'aaaaaaaa-1111-2222-3333-444444444444', cid: 'a1'.repeat(32) };
const POD_B = { uid: 'bbbbbbbb-1111-2222-3333-444444444444', cid: 'b2'.repeat(32) };

interface Frame {
  n?: number;
  function?: string;
  module?: string;
  offset?: string;
}
interface Record_ {
  id: string;
  namespace?: string;
  signature?: string;
  MESSAGE?: string;
  topFrames?: Frame[];
  stacktrace?: {
    crashingThread: number;
    threads: { tid: number; crashing: boolean; frames: Frame[] }[];
  };
}

async function get<T>(
  url: string,
  token: string,
): Promise<{ status: number; body: T; res: Response }> {
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as T, res };
}

async function compile(
  work: string,
  name: string,
  source: string,
  flags: string[],
): Promise<string> {
  await writeFile(join(work, `${name}.c`), source);
  const bin = join(work, name);
  await run('gcc', ['-O0', ...flags, '-o', bin, join(work, `${name}.c`)], { timeoutMs: 60_000 });
  return bin;
}

describe('stack traces, signatures and crash groups (real crashes, two collectors, aggregator)', () => {
  let host: CoredumpHost;
  let api: FakeApiServer;
  let work: string;
  const collectors: SpawnedCollector[] = [];
  let agg: SpawnedAggregator;
  let nodeA: SpawnedCollector;
  let nodeB: SpawnedCollector;
  let segvA: CrashResult;
  let segvB: CrashResult;
  let abortA: CrashResult;
  let stripped: CrashResult;
  let threads: CrashResult;
  let clusterEnv: Record<string, string>;
  const id = (r: CrashResult) => basename(r.coreFile);

  /** Polls a collector until every core is listed, attributed as `namespaces` says. */
  async function untilIndexed(
    c: SpawnedCollector,
    wanted: Record<string, string | undefined>,
  ): Promise<Record_[]> {
    const end = Date.now() + 20_000;
    for (;;) {
      const { body } = await get<Record_[]>(`${c.url}/apiv1/cores`, 'admin-token');
      const ok = Object.entries(wanted).every(([core, ns]) => {
        const r = body.find((x) => x.id === core);
        return r && r.signature && r.namespace === ns;
      });
      if (ok) return body;
      if (Date.now() > end) {
        throw new Error(`not indexed as expected: ${JSON.stringify(body)}\n${c.output()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    api = await startFakeApiServer();
    work = await mkdtemp(join(tmpdir(), 'koredump-groups-'));
    // systemd-coredump reads the crashed binaries for their symbols: it must be able to.
    await chmod(work, 0o755);
    const { env } = await api.writeInClusterFiles(work);
    clusterEnv = { ...env, KOREDUMP_IN_CLUSTER_ROOT: work };
    api.addToken('admin-token', { username: 'admin', groups: ['system:masters'] });
    api.addToken('alice-token', { username: 'alice', groups: ['system:authenticated'] });
    api.grant('admin', {
      verbs: ['get', 'list'],
      apiGroups: ['koredump.io'],
      resources: ['coredumps', 'coredumps/sensitive'],
    });
    api.grant('alice', {
      verbs: ['get', 'list'],
      apiGroups: ['koredump.io'],
      resources: ['coredumps'],
      namespaces: ['team-a'],
    });
    api.setPods([
      makePod({
        namespace: 'team-a',
        name: 'web-0',
        uid: POD_A.uid,
        nodeName: 'node-a',
        containers: [
          { name: 'web', image: 'registry/web:1', containerID: `containerd://${POD_A.cid}` },
        ],
        ownerReferences: [{ kind: 'StatefulSet', name: 'web', controller: true }],
      }),
      makePod({
        namespace: 'team-b',
        name: 'web-0',
        uid: POD_B.uid,
        nodeName: 'node-b',
        containers: [
          { name: 'web', image: 'registry/web:1', containerID: `containerd://${POD_B.cid}` },
        ],
        ownerReferences: [{ kind: 'StatefulSet', name: 'web', controller: true }],
      }),
    ]);
    host = await startCoredumpHost();
    const crasher = await buildCrasher(work);
    const strippedBin = await compile(work, 'kd-stripped', STRIPPED_C, ['-s']);
    const threadsBin = await compile(work, 'kd-threads', THREADS_C, ['-g', '-pthread']);

    // The same program crashing the same way in two pods (two pids), and differently once.
    const inA = { podUID: POD_A.uid, containerID: POD_A.cid, qos: 'besteffort' as const };
    const inB = { podUID: POD_B.uid, containerID: POD_B.cid, qos: 'besteffort' as const };
    segvA = await crash(crasher, { comm: 'kd-grp', kubepods: inA });
    segvB = await crash(crasher, { comm: 'kd-grp', kubepods: inB });
    abortA = await crash(crasher, { comm: 'kd-grp', signal: 'ABRT', kubepods: inA });
    stripped = await crash(strippedBin);
    threads = await crash(threadsBin);

    const dirA = join(work, 'node-a');
    const dirB = join(work, 'node-b');
    await mkdir(dirA);
    await mkdir(dirB);
    for (const r of [segvA, abortA, stripped, threads]) {
      await copyFile(r.coreFile, join(dirA, id(r)));
    }
    await copyFile(segvB.coreFile, join(dirB, id(segvB)));

    const collectorEnv = (node: string, dir: string, hostIp: string) => ({
      HOST: hostIp,
      NO_TOKENS: '0',
      FAKE_K8S: '0',
      KOREDUMP_NODE_NAME: node,
      KOREDUMP_COREDUMP_DIR: dir,
      KOREDUMP_POD_LOGS_DIR: '/nonexistent',
      KUBERNETES_SERVICE_HOST: env.KUBERNETES_SERVICE_HOST,
      KUBERNETES_SERVICE_PORT: env.KUBERNETES_SERVICE_PORT,
      KOREDUMP_IN_CLUSTER_ROOT: work,
    });
    [nodeA, nodeB] = await Promise.all([
      spawnBuiltCollector(collectorEnv('node-a', dirA, '127.0.0.2')),
      spawnBuiltCollector(collectorEnv('node-b', dirB, '127.0.0.3')),
    ]);
    collectors.push(nodeA, nodeB);
    await untilIndexed(nodeA, {
      [id(segvA)]: 'team-a',
      [id(abortA)]: 'team-a',
      [id(stripped)]: undefined,
      [id(threads)]: undefined,
    });
    await untilIndexed(nodeB, { [id(segvB)]: 'team-b' });
    agg = await spawnBuiltAggregator({
      NO_TOKENS: '0',
      FAKE_K8S: '0',
      KOREDUMP_COLLECTORS: `node-a=${nodeA.url},node-b=${nodeB.url}`,
      KOREDUMP_NODE_TIMEOUT_MS: '5000',
      KUBERNETES_SERVICE_HOST: env.KUBERNETES_SERVICE_HOST,
      KUBERNETES_SERVICE_PORT: env.KUBERNETES_SERVICE_PORT,
      KOREDUMP_IN_CLUSTER_ROOT: work,
    });
  }, 180_000);

  afterAll(async () => {
    await agg?.stop();
    await Promise.all(collectors.map((c) => c.stop()));
    await host?.stop();
    await api?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const metadata = async (c: SpawnedCollector, r: CrashResult) =>
    (await get<Record_>(`${c.url}/apiv1/cores/metadata/${id(r)}`, 'admin-token')).body;

  it('serves the parsed stack trace of a program with symbols in the core metadata', async () => {
    const full = await metadata(nodeA, segvA);
    expect(full.MESSAGE).toContain(`Stack trace of thread ${segvA.pid}:`);
    expect(full.stacktrace!.crashingThread).toBe(segvA.pid);
    const [thread] = full.stacktrace!.threads;
    expect(thread).toMatchObject({ tid: segvA.pid, crashing: true });
    expect(thread.frames[0]).toMatchObject({ n: 0, function: 'main', module: 'kd-grp' });
    expect(thread.frames[0].offset).toMatch(/^0x[0-9a-f]+$/);
    expect(full.topFrames![0]).toEqual({ function: 'main', module: 'kd-grp' });
  });

  it('falls back to module + offset for a stripped program', async () => {
    const full = await metadata(nodeA, stripped);
    const frames = full.stacktrace!.threads[0].frames;
    expect(frames[0].function).toBeUndefined();
    expect(frames[0]).toMatchObject({
      module: 'kd-stripped',
      offset: expect.stringMatching(/^0x/),
    });
    expect(full.topFrames![0]).toEqual({ module: 'kd-stripped', offset: frames[0].offset });
  });

  it('names the crashing thread of a multi-threaded program (not the main thread)', async () => {
    const full = await metadata(nodeA, threads);
    const trace = full.stacktrace!;
    expect(trace.threads).toHaveLength(3);
    expect(trace.crashingThread).not.toBe(threads.pid);
    expect(trace.threads[0]).toMatchObject({ tid: trace.crashingThread, crashing: true });
    expect(trace.threads[0].frames[0].function).toBe('worker_crash');
    expect(trace.threads.filter((t) => t.crashing)).toHaveLength(1);
    expect(trace.threads.map((t) => t.tid)).toContain(threads.pid);
  });

  it('gives the same crash in two pods (two pids, two nodes) one signature, a different crash another', async () => {
    const a = await metadata(nodeA, segvA);
    const b = await metadata(nodeB, segvB);
    expect(segvA.pid).not.toBe(segvB.pid);
    expect(a.signature).toMatch(/^[0-9a-f]{16}$/);
    expect(b.signature).toBe(a.signature);
    const others = await Promise.all([abortA, stripped, threads].map((r) => metadata(nodeA, r)));
    const signatures = new Set([a.signature, ...others.map((o) => o.signature)]);
    expect(signatures.size).toBe(4);
    // The list record carries the signature too (the aggregator and the CLI group by it).
    const list = (await get<Record_[]>(`${nodeA.url}/apiv1/cores`, 'admin-token')).body;
    expect(list.find((r) => r.id === id(segvA))?.signature).toBe(a.signature);
    expect(list.find((r) => r.id === id(segvA))).not.toHaveProperty('MESSAGE');
  });

  it("groups a collector's cores by signature", async () => {
    const { status, body } = await get<Group[]>(`${nodeA.url}/apiv1/crashgroups`, 'admin-token');
    expect(status).toBe(200);
    expect(body).toHaveLength(4);
    expect(body.every((g) => g.count === 1 && g.nodes[0] === 'node-a')).toBe(true);
    // Newest crash first (crash times are whole seconds: ties are possible).
    const times = body.map((g) => Date.parse(g.lastSeen));
    expect(times).toEqual([...times].sort((x, y) => y - x));
  });

  it('merges the groups of both nodes in the aggregator: one group, count 2, both pods named', async () => {
    const signature = (await metadata(nodeA, segvA)).signature;
    const { status, body, res } = await get<Group[]>(`${agg.url}/apiv1/crashgroups`, 'admin-token');
    expect(status).toBe(200);
    expect(res.headers.get('warning')).toBeNull();
    expect(body).toHaveLength(4);
    const group = body.find((g) => g.signature === signature)!;
    expect(group).toMatchObject({
      count: 2,
      executable: 'kd-grp',
      signal: 'SIGSEGV',
      nodes: ['node-a', 'node-b'],
      namespaces: ['team-a', 'team-b'],
      workloads: ['team-a/StatefulSet/web', 'team-b/StatefulSet/web'],
      images: ['registry/web:1'],
    });
    expect(group.examples.map((e) => `${e.node} ${e.id}`).sort()).toEqual(
      [`node-a ${id(segvA)}`, `node-b ${id(segvB)}`].sort(),
    );
    expect(group.topFrames[0]).toEqual({ function: 'main', module: 'kd-grp' });
    expect(Date.parse(group.firstSeen)).toBeLessThanOrEqual(Date.parse(group.lastSeen));
    expect(body.find((g) => g.signal === 'SIGABRT')).toMatchObject({ count: 1, nodes: ['node-a'] });
  });

  it('applies the list filters and the sort order', async () => {
    const teamB = await get<Group[]>(
      `${agg.url}/apiv1/crashgroups?namespace=team-b`,
      'admin-token',
    );
    expect(teamB.body.map((g) => [g.count, g.nodes])).toEqual([[1, ['node-b']]]);
    const abrt = await get<Group[]>(
      `${agg.url}/apiv1/crashgroups?comm=kd-grp&signal=SIGABRT`,
      'admin-token',
    );
    expect(abrt.body.map((g) => g.signal)).toEqual(['SIGABRT']);
    const byCount = await get<Group[]>(
      `${agg.url}/apiv1/crashgroups?sort=count&limit=1`,
      'admin-token',
    );
    expect(byCount.body.map((g) => g.count)).toEqual([2]);
    const bad = await get<{ statusCode: number; message: unknown }>(
      `${agg.url}/apiv1/crashgroups?sort=size`,
      'admin-token',
    );
    expect(bad.status).toBe(400);
    const unknown = await get<{ statusCode: number }>(
      `${nodeA.url}/apiv1/crashgroups?limit=0`,
      'admin-token',
    );
    expect(unknown.status).toBe(400);
  });

  it("respects the caller's RBAC view: only team-a's cores count for alice", async () => {
    const viaAgg = await get<Group[]>(`${agg.url}/apiv1/crashgroups`, 'alice-token');
    expect(viaAgg.status).toBe(200);
    expect(viaAgg.body.map((g) => [g.signal, g.count, g.nodes, g.namespaces]).sort()).toEqual([
      ['SIGABRT', 1, ['node-a'], ['team-a']],
      ['SIGSEGV', 1, ['node-a'], ['team-a']],
    ]);
    const nodeBOnly = await get<Group[]>(`${nodeB.url}/apiv1/crashgroups`, 'alice-token');
    expect(nodeBOnly).toMatchObject({ status: 200, body: [] });
    const noToken = await fetch(`${agg.url}/apiv1/crashgroups`);
    expect(noToken.status).toBe(401);
  });

  it('leaves out a node that does not answer and names it in a Warning header', async () => {
    const withDead = await spawnBuiltAggregator({
      NO_TOKENS: '0',
      FAKE_K8S: '0',
      KOREDUMP_COLLECTORS: `node-b=${nodeB.url},node-c=${await deadUrl('127.0.0.4')}`,
      KOREDUMP_NODE_TIMEOUT_MS: '3000',
      ...clusterEnv,
    });
    try {
      const { status, body, res } = await get<Group[]>(
        `${withDead.url}/apiv1/crashgroups`,
        'admin-token',
      );
      expect(status).toBe(200);
      expect(body.map((g) => [g.count, g.nodes])).toEqual([[1, ['node-b']]]);
      expect(res.headers.get('warning')).toMatch(/^199 koredump "nodes left out: node-c \(/);
      // Only node-c: nobody answered, and the call fails naming it.
    } finally {
      await withDead.stop();
    }
    const onlyDead = await spawnBuiltAggregator({
      KOREDUMP_COLLECTORS: `node-c=${await deadUrl('127.0.0.4')}`,
      KOREDUMP_NODE_TIMEOUT_MS: '3000',
    });
    try {
      const res = await fetch(`${onlyDead.url}/apiv1/crashgroups`);
      expect(res.status).toBe(502);
      expect(((await res.json()) as { message: string }).message).toContain('node-c');
    } finally {
      await onlyDead.stop();
    }
  }, 60_000);

  it('koredumpctl groups prints the groups as a table, and as JSON with -o json', async () => {
    const signature = (await metadata(nodeA, segvA)).signature!;
    const env = { KOREDUMP_URL: agg.url, KOREDUMP_TOKEN: 'admin-token' };
    const table = await runInProcess(['groups'], { env, columns: 200 });
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^SIGNATURE\s+COUNT\s+LAST SEEN\s+SIGNAL\s+EXE\s+NAMESPACES\s+TOP FRAME$/,
    );
    expect(lines).toHaveLength(5);
    const row = lines.find((l) => l.startsWith(signature))!;
    expect(row.split(/\s{2,}/)).toEqual([
      signature,
      '2',
      expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      'SIGSEGV',
      'kd-grp',
      'team-a,team-b',
      'main',
    ]);
    expect(lines.some((l) => /kd-stripped\s+-\s+kd-stripped \+ 0x[0-9a-f]+$/.test(l))).toBe(true);

    const json = await runInProcess(['groups', '-o', 'json', '-n', 'team-a'], { env });
    expect(json.code).toBe(0);
    const groups = JSON.parse(json.stdout) as Group[];
    expect(groups.map((g) => [g.signal, g.count]).sort()).toEqual([
      ['SIGABRT', 1],
      ['SIGSEGV', 1],
    ]);
    const alice = await runInProcess(['groups', '-o', 'yaml', '--signal', 'segv'], {
      env: { ...env, KOREDUMP_TOKEN: 'alice-token' },
    });
    expect(alice.stdout).toContain(`signature: ${signature}`);
    expect(alice.stdout).toContain('count: 1');
    const wildcard = await runInProcess(['groups', '-n', 'team-*'], { env });
    expect(wildcard.code).not.toBe(0);
    expect(wildcard.stderr).toContain('one exact value');
  }, 30_000);
});
