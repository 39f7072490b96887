import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { spawnBuiltAggregator, type SpawnedAggregator } from '../support/aggregator.js';
import { startCollector, type RunningCollector } from '../support/collector.js';
import {
  addClusterAdmin,
  startFakeApiServer,
  useKubeconfig,
  type FakeApiServer,
} from '../support/fake-apiserver.js';
import { coredumpEntry, writeJournalFile } from '../support/fixtures.js';
import { openSse, type SseConnection } from '../support/sse-client.js';
import { until } from '../support/exec.js';

const NODE = 'node-rbac';
const BOOT = 'abcdefabcdefabcdefabcdefabcdef00';
const POD_UID = '00000007-aaaa-4bbb-8ccc-000000000007';
const CID = 'd'.repeat(64);
const AUTH_TTL_S = 1;

/**
 * The watch stream's RBAC view against the fake apiserver (real client, real TokenReview and
 * SubjectAccessReview wire format): on the collector and through the BUILT aggregator, which
 * passes the caller's token on.
 */
describe('watch streams and RBAC (fake apiserver)', () => {
  let api: FakeApiServer;
  let work: string;
  let coreDir: string;
  let journalDir: string;
  let collector: RunningCollector;
  let aggregator: SpawnedAggregator;
  let n = 0;
  const open: SseConnection[] = [];

  /** A core of a pod in `ns` (named by conmon's container name), logged now. */
  const newCore = async (ns: string): Promise<string> => {
    n++;
    const now = BigInt(Date.now()) * 1000n;
    const id = `core.rb${n}.0.${BOOT}.${700 + n}.${now}.zst`;
    await writeFile(join(coreDir, id), `core ${n}`);
    const entry = coredumpEntry({
      filename: `/var/lib/systemd/coredump/${id}`,
      pid: 700 + n,
      comm: `rb${n}`,
      timestampUsec: String(now),
      containerCmdline: `/usr/bin/conmon -c ${CID} -n k8s_app_web-${n}_${ns}_${POD_UID}_0 -r /usr/bin/runc`,
      extra: {
        _BOOT_ID: BOOT,
        COREDUMP_CMDLINE: `/usr/bin/rb${n} --password=hunter2`,
      },
    });
    entry.realtimeUsec = String(now);
    entry.fields.__MONOTONIC_TIMESTAMP = String(now - 1_700_000_000_000_000n);
    await writeJournalFile(join(journalDir, `j${n}.journal`), [entry]);
    return id;
  };
  const watch = async (url: string, token: string): Promise<SseConnection> => {
    const c = await openSse(`${url}/apiv1/cores/watch`, {
      headers: { authorization: `Bearer ${token}` },
    });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    api = await startFakeApiServer();
    work = await mkdtemp(join(tmpdir(), 'koredump-watch-rbac-'));
    coreDir = join(work, 'coredump');
    journalDir = join(work, 'journal');
    await mkdir(coreDir);
    await mkdir(journalDir);
    api.addToken('alice-token', { username: 'alice', groups: ['team-a-devs'] });
    addClusterAdmin(api, 'admin-token');
    api.grant(
      { group: 'team-a-devs' },
      {
        verbs: ['get', 'list'],
        apiGroups: ['koredump.io'],
        resources: ['coredumps'],
        namespaces: ['team-a'],
      },
    );
    const kubeconfig = await useKubeconfig(api, work);
    collector = await startCollector({
      coreDir,
      journalDir,
      nodeName: NODE,
      authDisabled: false,
      fakeK8s: false,
      authMode: 'rbac',
      authCacheTtlMs: AUTH_TTL_S * 1000,
      watchHeartbeatMs: 1000,
    });
    aggregator = await spawnBuiltAggregator({
      NO_TOKENS: '0',
      FAKE_K8S: '0',
      KUBECONFIG: kubeconfig,
      KOREDUMP_COLLECTORS: `${NODE}=${collector.url}`,
      KOREDUMP_AUTH_CACHE_TTL_S: String(AUTH_TTL_S),
    });
  }, 90_000);

  afterAll(async () => {
    for (const c of open) c.close();
    delete process.env.KUBECONFIG;
    await aggregator?.stop();
    await collector?.close();
    await api?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('rejects a missing or unknown token before streaming (401 at the collector and the aggregator)', async () => {
    for (const url of [collector.url, aggregator.url]) {
      const anonymous = await openSse(`${url}/apiv1/cores/watch`);
      expect(anonymous.status).toBe(401);
      const unknown = await watch(url, 'nobody-token');
      expect(unknown.status).toBe(401);
      expect(JSON.parse(unknown.body!)).toMatchObject({ statusCode: 401 });
    }
  });

  it("a team-a user never sees team-b's cores, and sees team-a's redacted; on the collector and via the aggregator", async () => {
    const aliceDirect = await watch(collector.url, 'alice-token');
    const aliceMerged = await watch(aggregator.url, 'alice-token');
    const adminMerged = await watch(aggregator.url, 'admin-token');
    await until('streams open', () =>
      [aliceDirect, aliceMerged, adminMerged].every((c) => c.lastEventId() !== ''),
    );
    const b = await newCore('team-b');
    const a = await newCore('team-a');
    // A core is `added` as soon as its file and xattrs are read; its pod (and namespace) come with
    // the journal entry, as `updated`. The admin sees both cores, in full.
    const inNs = (id: string, ns: string) => (e: { json?: Record<string, unknown> }) =>
      e.json?.id === id && e.json?.namespace === ns;
    await adminMerged.next(inNs(b, 'team-b'));
    const adminA = await adminMerged.next(inNs(a, 'team-a'));
    expect(adminA.json?.COREDUMP_CMDLINE).toBe(`/usr/bin/rb${n} --password=hunter2`);
    for (const alice of [aliceDirect, aliceMerged]) {
      const seen = await alice.next(inNs(a, 'team-a'));
      // No sensitive right: redacted.
      expect(seen.json).toMatchObject({
        COREDUMP_CMDLINE: `/usr/bin/rb${n}`,
        redacted: expect.arrayContaining(['COREDUMP_CMDLINE']),
      });
    }
    // Give b's events every chance to reach alice (the admin already has them).
    await new Promise((r) => setTimeout(r, 300));
    for (const alice of [aliceDirect, aliceMerged]) {
      // Not b, not a before it was known to be team-a's (cluster scope): only team-a records.
      expect(alice.events.map((e) => [e.json?.id, e.json?.namespace])).toEqual(
        alice.events.map(() => [a, 'team-a']),
      );
    }
    const aliceList = (await (
      await fetch(`${aggregator.url}/apiv1/cores`, {
        headers: { authorization: 'Bearer alice-token' },
      })
    ).json()) as Record<string, unknown>[];
    expect(aliceMerged.events.at(-1)?.json).toEqual(aliceList.find((r) => r.id === a));
  });

  it("stops a stream's cores once the right is revoked (re-checked when the auth cache expires)", async () => {
    const alice = await watch(collector.url, 'alice-token');
    const admin = await watch(collector.url, 'admin-token');
    await until('streams open', () => alice.lastEventId() !== '' && admin.lastEventId() !== '');
    const before = await newCore('team-a');
    await alice.next((e) => e.json?.id === before && e.json?.namespace === 'team-a');
    api.revoke({ group: 'team-a-devs' });
    // Past the TTL of the stream's decisions and of the review cache.
    await new Promise((r) => setTimeout(r, AUTH_TTL_S * 1000 + 500));
    const after = await newCore('team-a');
    await admin.next((e) => e.json?.id === after && e.json?.namespace === 'team-a');
    // Give alice's stream the same chance to (wrongly) deliver it.
    await new Promise((r) => setTimeout(r, 500));
    expect(new Set(alice.events.map((e) => e.json?.id))).toEqual(new Set([before]));
    expect(admin.events.some((e) => e.json?.id === after && e.json?.namespace === 'team-a')).toBe(
      true,
    );
  }, 30_000);
});
