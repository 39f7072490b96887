/**
 * Crash events on pods: the collector, talking to the fake apiserver through the real
 * @kubernetes/client-node, puts `Warning CoreDumped` core/v1 Events on the pods of new cores.
 * Fixture journals drive the repeated-crash, restart and failure cases (crash times chosen by the
 * test); real crashes through systemd-coredump in kubepods cgroups drive the last block.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import {
  spawnBuiltCollector,
  startCollector,
  type RunningCollector,
} from '../support/collector.js';
import { startCoredumpHost, type CoredumpHost } from '../support/coredump-host.js';
import { buildCrasher, crash } from '../support/crasher.js';
import { waitFor } from '../support/exec.js';
import {
  makePod,
  startFakeApiServer,
  useKubeconfig,
  type FakeApiServer,
  type Wire,
} from '../support/fake-apiserver.js';
import { coredumpEntry, writeJournalFile } from '../support/fixtures.js';
import type { CoreV1Event } from '@kubernetes/client-node';

type Event = Wire<CoreV1Event>;

const BOOT = '0123456789abcdef0123456789abcdef';
const MIN = 60_000;

interface FakePod {
  namespace: string;
  name: string;
  uid: string;
  container: string;
  cid: string;
}

const fakePod = (n: number, name: string, container: string): FakePod => ({
  namespace: 'team-e',
  name,
  uid: `e0e0e0e0-${String(n).padStart(4, '0')}-4bbb-8ccc-0000000000${String(n).padStart(2, '0')}`,
  container,
  cid: `e${n}`.padEnd(64, '0'),
});

function podObject(p: FakePod, nodeName: string) {
  return makePod({
    namespace: p.namespace,
    name: p.name,
    uid: p.uid,
    nodeName,
    containers: [
      { name: p.container, image: `registry/${p.name}:1`, containerID: `containerd://${p.cid}` },
    ],
  });
}

function cgroupOf(p: FakePod): string {
  const u = p.uid.replace(/-/g, '_');
  return `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice/cri-containerd-${p.cid}.scope`;
}

/** The 'Nov 28 12:00:00'-free, second-precision form the API server stores times in. */
const wireTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function collectorCores(
  url: string,
): Promise<{ id: string; pod?: string; attribution?: { source: string } }[]> {
  const res = await fetch(`${url}/apiv1/cores`);
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string; pod?: string; attribution?: { source: string } }[];
}

describe('crash events on pods (fixture journals, fake apiserver)', () => {
  const NODE = 'events-node';
  const LOOP = fakePod(1, 'loop-0', 'loop');
  const OLD = fakePod(2, 'old-0', 'old');
  const DENIED = fakePod(3, 'denied-0', 'd');
  const QUIET = fakePod(4, 'quiet-0', 'q');
  /** Not in the API until a test adds it. */
  const LATE = fakePod(5, 'late-0', 'l');
  let api: FakeApiServer;
  let work: string;
  let coreDir: string;
  let journalDir: string;
  let collector: RunningCollector | undefined;
  let journalFiles = 0;
  let pids = 2000;
  /** "Now" of the test: crash times are set relative to it. */
  const T = Date.now();

  /** A core of `pod` that crashed at `crashMs`, with its journal entry logged now. */
  async function addCore(comm: string, pod: FakePod, crashMs: number): Promise<string> {
    const pid = pids++;
    const usec = `${crashMs}000`;
    const id = `core.${comm}.0.${BOOT}.${pid}.${usec}.zst`;
    await writeFile(join(coreDir, id), `core ${comm}`);
    const entry = coredumpEntry({
      filename: `/var/lib/systemd/coredump/${id}`,
      pid,
      signal: 11,
      comm,
      timestampUsec: usec,
      cgroup: cgroupOf(pod),
      hostname: `${pod.name}`,
      extra: { _HOSTNAME: 'events-node-host', _BOOT_ID: BOOT },
    });
    // Logged now, later than everything before it: the journal follower reads in order.
    const now = BigInt(Date.now()) * 1000n + BigInt(pid);
    entry.realtimeUsec = String(now);
    entry.fields.__MONOTONIC_TIMESTAMP = String(now - 1_700_000_000_000_000n);
    await writeJournalFile(join(journalDir, `j${journalFiles++}.journal`), [entry]);
    return id;
  }

  const eventsOf = (pod: FakePod): Event[] =>
    api
      .events()
      .filter((e) => e.involvedObject.uid === pod.uid)
      .sort((a, b) => Date.parse(a.firstTimestamp!) - Date.parse(b.firstTimestamp!));

  const start = async (): Promise<RunningCollector> =>
    startCollector({ coreDir, journalDir, nodeName: NODE, fakeK8s: false });

  beforeAll(async () => {
    api = await startFakeApiServer();
    work = await mkdtemp(join(tmpdir(), 'koredump-events-'));
    coreDir = join(work, 'coredump');
    journalDir = join(work, 'journal');
    await mkdir(coreDir);
    await mkdir(journalDir);
    api.setPods([LOOP, OLD, DENIED, QUIET].map((p) => podObject(p, NODE)));
    await useKubeconfig(api, work);
  }, 60_000);

  afterAll(async () => {
    delete process.env.KUBECONFIG;
    await collector?.close();
    await api?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a crash loop of one pod makes one Warning CoreDumped event whose count follows the cores', async () => {
    collector = await start();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await addCore('loop', LOOP, T - 30 * MIN + i * 1000));
    await waitFor('count 3', () => eventsOf(LOOP)[0]?.count === 3, { timeoutMs: 15_000 });

    const events = eventsOf(LOOP);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      kind: 'Event',
      apiVersion: 'v1',
      type: 'Warning',
      reason: 'CoreDumped',
      count: 3,
      involvedObject: {
        kind: 'Pod',
        apiVersion: 'v1',
        namespace: 'team-e',
        name: 'loop-0',
        uid: LOOP.uid,
        fieldPath: 'spec.containers{loop}',
      },
      source: { component: 'koredump-collector', host: NODE },
      reportingComponent: 'koredump-collector',
      reportingInstance: NODE,
      firstTimestamp: wireTime(T - 30 * MIN),
      lastTimestamp: wireTime(T - 30 * MIN + 2000),
      metadata: {
        namespace: 'team-e',
        annotations: {
          'koredump.io/last-core': ids[2],
          'koredump.io/last-core-time': new Date(T - 30 * MIN + 2000).toISOString(),
        },
      },
    });
    expect(event.metadata.name).toMatch(/^loop-0\.[0-9a-f]{16}$/);
    // The message names the newest core and how to fetch it.
    expect(event.message).toBe(
      `Container loop, process "loop" dumped core on SIGSEGV (signal 11) on node ${NODE}: core ${ids[2]}. Get it with: koredumpctl get ${NODE} ${ids[2]}`,
    );
    // One create, then updates (JSON merge patches) for the other crashes.
    const writes = api.requests.filter((r) =>
      r.path.startsWith('/api/v1/namespaces/team-e/events'),
    );
    expect(writes.filter((r) => r.method === 'POST')).toHaveLength(1);
    const patches = writes.filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(2);
    expect(patches.map((r) => r.headers['content-type'])).toEqual([
      'application/merge-patch+json',
      'application/merge-patch+json',
    ]);
  }, 60_000);

  it('after a restart reports nothing twice, a core made while down once, and no old cores', async () => {
    await collector!.close();
    collector = undefined;
    // While the collector is down: one more crash in the first event's window, one in a new
    // window, and a core two hours old (beyond the one-hour lookback) of another pod.
    const inWindow = await addCore('loop', LOOP, T - 29 * MIN);
    const newWindow = await addCore('loop', LOOP, T - 1 * MIN);
    await addCore('old', OLD, T - 120 * MIN);

    collector = await start();
    await waitFor('the new window', () => eventsOf(LOOP).length === 2, { timeoutMs: 15_000 });
    // A crash after the restart: once it is counted, everything before it has been handled.
    const after = await addCore('loop', LOOP, Date.now());
    await waitFor(
      'the crash after the restart',
      () => eventsOf(LOOP)[1]?.metadata.annotations?.['koredump.io/last-core'] === after,
      { timeoutMs: 15_000 },
    );

    const [first, second] = eventsOf(LOOP);
    expect(eventsOf(LOOP)).toHaveLength(2);
    expect(first.count).toBe(4);
    expect(first.metadata.annotations?.['koredump.io/last-core']).toBe(inWindow);
    expect(second).toMatchObject({ count: 2, firstTimestamp: wireTime(T - 1 * MIN) });
    expect(second.metadata.name).not.toBe(first.metadata.name);
    expect(second.message).toContain(`koredumpctl get ${NODE} ${after}`);
    expect(newWindow).not.toBe(after);
    expect(eventsOf(OLD)).toEqual([]);
    // The restarted collector read the pod's events back once (then it knows them).
    const lists = api.requests.filter(
      (r) =>
        r.method === 'GET' &&
        r.path === '/api/v1/namespaces/team-e/events' &&
        r.query.fieldSelector === `involvedObject.uid=${LOOP.uid},reason=CoreDumped`,
    );
    expect(lists.length).toBe(2); // one per collector start
  }, 60_000);

  it('keeps serving when the API refuses or is unreachable, and reports again once it is back', async () => {
    api.denyServiceAccount([{ verbs: ['*'], apiGroups: [''], resources: ['events'] }]);
    const refused = await addCore('denied', DENIED, Date.now());
    await waitFor(
      'the refused call',
      () =>
        api.requests.some(
          (r) =>
            r.path === '/api/v1/namespaces/team-e/events' &&
            r.query.fieldSelector?.includes(DENIED.uid),
        ),
      { timeoutMs: 15_000 },
    );
    const listed = (await collectorCores(collector!.url)).find((c) => c.id === refused);
    expect(listed).toMatchObject({ pod: 'denied-0', attribution: { source: 'api' } });
    expect((await fetch(`${collector!.url}/readyz`)).status).toBe(200);
    expect(eventsOf(DENIED)).toEqual([]);

    api.setDown(true);
    const whileDown = await addCore('denied', DENIED, Date.now());
    await waitFor(
      'the core indexed while the API is down',
      async () => (await collectorCores(collector!.url)).some((c) => c.id === whileDown),
      { timeoutMs: 15_000 },
    );
    api.setDown(false);
    api.denyServiceAccount([]);

    const allowed = await addCore('denied', DENIED, Date.now() + 1000);
    await waitFor(
      'the event once allowed',
      () =>
        eventsOf(DENIED).some((e) => e.metadata.annotations?.['koredump.io/last-core'] === allowed),
      { timeoutMs: 20_000 },
    );
    expect(eventsOf(DENIED)).toHaveLength(1);
  }, 60_000);

  it('reports a core whose pod becomes known only after the core was indexed', async () => {
    const id = await addCore('late', LATE, Date.now());
    await waitFor(
      'the core, not yet named by the API',
      async () => (await collectorCores(collector!.url)).some((c) => c.id === id),
      { timeoutMs: 15_000 },
    );
    expect(eventsOf(LATE)).toEqual([]);
    api.upsertPod(podObject(LATE, NODE));
    await waitFor('the late event', () => eventsOf(LATE).length === 1, { timeoutMs: 15_000 });
    expect(eventsOf(LATE)[0]).toMatchObject({
      count: 1,
      involvedObject: { name: 'late-0', uid: LATE.uid },
      metadata: { annotations: { 'koredump.io/last-core': id } },
    });
  }, 60_000);

  it('with KOREDUMP_EVENTS=false the built collector makes no event calls at all', async () => {
    await collector!.close();
    collector = undefined;
    api.requests.length = 0;
    const quiet = await spawnBuiltCollector({
      FAKE_K8S: '0',
      KOREDUMP_EVENTS: 'false',
      KOREDUMP_NODE_NAME: NODE,
      KOREDUMP_COREDUMP_DIR: coreDir,
      KOREDUMP_JOURNAL_DIR: journalDir,
      KOREDUMP_POD_LOGS_DIR: '/nonexistent',
      KUBECONFIG: process.env.KUBECONFIG!,
    });
    try {
      const id = await addCore('quiet', QUIET, Date.now());
      await waitFor(
        'the core named by the API',
        async () =>
          (await collectorCores(quiet.url)).some(
            (c) => c.id === id && c.pod === 'quiet-0' && c.attribution?.source === 'api',
          ),
        { timeoutMs: 15_000 },
      );
      // Events would follow the core within milliseconds; give them a generous second.
      await new Promise((r) => setTimeout(r, 1000));
      expect(api.requests.filter((r) => r.path.includes('/events'))).toEqual([]);
      expect(eventsOf(QUIET)).toEqual([]);
    } finally {
      await quiet.stop();
    }
  }, 60_000);
});

describe('crash events on pods (real crashes in kubepods cgroups)', () => {
  const NODE = 'real-events-node';
  const POD = fakePod(9, 'crashloop-0', 'crashy');
  POD.uid = `9e0e0e0e-${process.pid.toString(16).padStart(4, '0').slice(-4)}-4bbb-8ccc-${Date.now().toString(16).padStart(12, '0').slice(-12)}`;
  let api: FakeApiServer;
  let host: CoredumpHost;
  let work: string;
  let crasher: string;
  let collector: RunningCollector | undefined;
  const coreFiles: string[] = [];

  beforeAll(async () => {
    api = await startFakeApiServer();
    work = await mkdtemp(join(tmpdir(), 'koredump-events-real-'));
    api.setPods([podObject(POD, NODE)]);
    await useKubeconfig(api, work);
    host = await startCoredumpHost();
    crasher = await buildCrasher(work);
    collector = await startCollector({
      coreDir: '/var/lib/systemd/coredump',
      journalDir: undefined,
      nodeName: NODE,
      fakeK8s: false,
    });
  }, 120_000);

  afterAll(async () => {
    delete process.env.KUBECONFIG;
    await collector?.close();
    for (const f of coreFiles) await unlink(f).catch(() => undefined);
    await host?.stop();
    await api?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('one event for a real crash, counted up by the next crashes of the same pod', async () => {
    const first = await crash(crasher, {
      comm: 'crashy',
      kubepods: { podUID: POD.uid, containerID: POD.cid },
    });
    coreFiles.push(first.coreFile);
    const id = basename(first.coreFile);
    await waitFor('the event', () => api.events().length === 1, { timeoutMs: 15_000 });
    const [event] = api.events();
    expect(event).toMatchObject({
      type: 'Warning',
      reason: 'CoreDumped',
      count: 1,
      involvedObject: {
        kind: 'Pod',
        apiVersion: 'v1',
        namespace: 'team-e',
        name: 'crashloop-0',
        uid: POD.uid,
        fieldPath: 'spec.containers{crashy}',
      },
      reportingComponent: 'koredump-collector',
      reportingInstance: NODE,
      metadata: { annotations: { 'koredump.io/last-core': id } },
    });
    expect(event.message).toBe(
      `Container crashy, process "crashy" dumped core on SIGSEGV (signal 11) on node ${NODE}: core ${id}. Get it with: koredumpctl get ${NODE} ${id}`,
    );

    for (let i = 0; i < 2; i++) {
      const again = await crash(crasher, {
        comm: 'crashy',
        signal: 'ABRT',
        kubepods: { podUID: POD.uid, containerID: POD.cid },
      });
      coreFiles.push(again.coreFile);
    }
    const last = basename(coreFiles[2]);
    await waitFor(
      'count 3',
      () => api.events()[0]?.metadata.annotations?.['koredump.io/last-core'] === last,
      { timeoutMs: 15_000, onTimeout: () => JSON.stringify(api.events(), null, 1) },
    );

    expect(api.events()).toHaveLength(1);
    expect(api.events()[0]).toMatchObject({ count: 3 });
    expect(api.events()[0].message).toContain('SIGABRT (signal 6)');
  }, 90_000);
});
