/**
 * Node health end to end: the BUILT collector reports its node (GET /apiv1/node) from the real
 * kernel.core_pattern (piping to systemd-coredump while the harness runs), a temporary host root
 * with coredump.conf and drop-ins in every systemd directory (precedence as systemd applies it),
 * fixture cores, and the pods of the fake Kubernetes API (one with a memory limit above
 * ExternalSizeMax). The BUILT aggregator merges it into GET /apiv1/nodes next to a collector that
 * is down, and `koredumpctl status` (bundled, its own process) shows the warning.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { deadUrl, spawnBuiltAggregator, type SpawnedAggregator } from '../support/aggregator.js';
import { spawnBuiltApp } from '../support/built-app.js';
import { spawnBuiltCollector, type SpawnedCollector } from '../support/collector.js';
import { startCoredumpHost, type CoredumpHost } from '../support/coredump-host.js';
import {
  addClusterAdmin,
  makePod,
  startFakeApiServer,
  type FakeApiServer,
} from '../support/fake-apiserver.js';
import { coredumpEntry, writeJournalFile } from '../support/fixtures.js';
import { cliEnv, ensureCliBundle, runBundled } from '../support/koredumpctl.js';

jest.setTimeout(60_000);

const NODE = 'node-health';
const BOOT = '0123456789abcdef0123456789abcdef';
const G = 2 ** 30;
/** Crash times of the two fixture cores (epoch seconds). */
const T1 = 1_767_225_600;
const T2 = T1 + 3600;
const uid = (n: number): string => `${String(n).padStart(8, '0')}-aaaa-4bbb-8ccc-000000000000`;

/** The host's systemd configuration, as a temporary root: every rule of coredump.conf(5). */
const HOST_FILES: Record<string, string> = {
  // The main file: overridden by every drop-in below.
  '/etc/systemd/coredump.conf': '[Coredump]\n#ExternalSizeMax=2G\nStorage=journal\nMaxUse=8G\n',
  // Only the first main file found is read: /etc's, not this one.
  '/usr/lib/systemd/coredump.conf': '[Coredump]\nCompress=no\n',
  // Same name in /etc masks this one entirely (its ProcessSizeMax never applies).
  '/usr/lib/systemd/coredump.conf.d/50-size.conf':
    '[Coredump]\nExternalSizeMax=64G\nProcessSizeMax=1G\n',
  '/etc/systemd/coredump.conf.d/50-size.conf': '# site size\n[Coredump]\nExternalSizeMax=1G\n',
  // Sorted by name across directories: 40 (run) < 50 (etc) < 60 (usr/local) < 70 (usr/lib).
  '/run/systemd/coredump.conf.d/40-early.conf': '[Coredump]\nExternalSizeMax=16G\n',
  '/usr/local/lib/systemd/coredump.conf.d/60-storage.conf': '[Coredump]\nStorage=external\n',
  '/usr/lib/systemd/coredump.conf.d/70-typo.conf':
    '[Coredump]\nCompress=perhaps\n[Journal]\nStorage=none\n',
  // Not a drop-in (no .conf).
  '/etc/systemd/coredump.conf.d/README': '[Coredump]\nStorage=none\n',
};

interface Health {
  node: string;
  warnings: { code: string; message: string }[];
  [k: string]: unknown;
}

describe('node health: collector, aggregator and koredumpctl status', () => {
  let api: FakeApiServer;
  let host: CoredumpHost;
  let work: string;
  let root: string;
  let collector: SpawnedCollector;
  let agg: SpawnedAggregator;
  let down: string;
  const coreSizes = [3000, 5000];

  beforeAll(async () => {
    host = await startCoredumpHost(); // kernel.core_pattern pipes to systemd-coredump
    api = await startFakeApiServer();
    addClusterAdmin(api, 'admin-token');
    api.addToken('alice-token', { username: 'alice', groups: ['team-a-devs'] });
    api.grant(
      { group: 'team-a-devs' },
      {
        verbs: ['get', 'list'],
        apiGroups: ['koredump.io'],
        resources: ['coredumps'],
        namespaces: ['team-a'],
      },
    );
    api.setPods([
      makePod({
        namespace: 'team-a',
        name: 'big',
        uid: uid(1),
        nodeName: NODE,
        containers: [
          { name: 'app', image: 'registry/big:1', memoryLimit: '3Gi' },
          { name: 'side', image: 'registry/side:1', memoryLimit: '256Mi' },
        ],
      }),
      makePod({
        namespace: 'team-b',
        name: 'small',
        uid: uid(2),
        nodeName: NODE,
        containers: [{ name: 'app', image: 'registry/small:1', memoryLimit: '512Mi' }],
      }),
      makePod({
        namespace: 'team-b',
        name: 'free',
        uid: uid(3),
        nodeName: NODE,
        containers: [{ name: 'app', image: 'registry/free:1' }],
      }),
      // On another node: not this collector's concern.
      makePod({
        namespace: 'team-a',
        name: 'elsewhere',
        uid: uid(4),
        nodeName: 'another-node',
        containers: [{ name: 'app', image: 'registry/huge:1', memoryLimit: '64Gi' }],
      }),
    ]);

    work = await mkdtemp(join(tmpdir(), 'koredump-node-health-'));
    root = join(work, 'host');
    for (const [path, text] of Object.entries(HOST_FILES)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    const coreDir = join(work, 'coredump');
    const journalDir = join(work, 'journal');
    await mkdir(coreDir);
    await mkdir(journalDir);
    const entries = [];
    for (const [i, t] of [T1, T2].entries()) {
      const id = `core.app${i}.0.${BOOT}.${100 + i}.${t}000000.zst`;
      await writeFile(join(coreDir, id), Buffer.alloc(coreSizes[i]));
      entries.push(
        coredumpEntry({
          filename: `/var/lib/systemd/coredump/${id}`,
          pid: 100 + i,
          comm: `app${i}`,
          timestampUsec: `${t}000000`,
        }),
      );
    }
    await writeJournalFile(join(journalDir, 'cores.journal'), entries);
    const kubeconfig = join(work, 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);

    collector = await spawnBuiltCollector({
      NO_TOKENS: '0',
      FAKE_K8S: '0',
      KUBECONFIG: kubeconfig,
      KOREDUMP_NODE_NAME: NODE,
      KOREDUMP_COREDUMP_DIR: coreDir,
      KOREDUMP_JOURNAL_DIR: journalDir,
      KOREDUMP_HOST_ROOT: root,
    });
    down = await deadUrl('127.0.0.1');
    agg = await spawnBuiltAggregator({
      NO_TOKENS: '0',
      FAKE_K8S: '0',
      KUBECONFIG: kubeconfig,
      KOREDUMP_COLLECTORS: `${NODE}=${collector.url},node-down=${down}`,
      KOREDUMP_NODE_TIMEOUT_MS: '3000',
    });
    await ensureCliBundle();
  }, 180_000);

  afterAll(async () => {
    await agg?.stop();
    await collector?.stop();
    await api?.close();
    await host?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function nodeHealth(token?: string): Promise<{ status: number; body: Health }> {
    const res = await fetch(`${collector.url}/apiv1/node`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, body: (await res.json()) as Health };
  }

  /** The report once the pod watch has listed the pods (the collector is ready before that). */
  async function syncedHealth(): Promise<Health> {
    const end = Date.now() + 10_000;
    for (;;) {
      const { status, body } = await nodeHealth('admin-token');
      expect(status).toBe(200);
      if ((body.pods as { synced?: boolean } | undefined)?.synced) return body;
      if (Date.now() > end) throw new Error(`pods never synced: ${JSON.stringify(body.pods)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('reports the real core_pattern, the effective coredump.conf with drop-in precedence, space, the oldest core and the pods', async () => {
    const body = await syncedHealth();
    const realPattern = (await readFile('/proc/sys/kernel/core_pattern', 'utf8')).trim();
    expect(realPattern).toMatch(/^\|\S*systemd-coredump /);
    expect(body).toMatchObject({
      node: NODE,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      kernel: {
        corePattern: realPattern,
        pipesToSystemdCoredump: true,
        corePipeLimit: expect.any(Number),
        coreUsesPid: expect.any(Boolean),
      },
      coredumpConf: {
        storage: 'external',
        compress: true, // "perhaps" ignored; /usr/lib's main file not read
        processSizeMax: 32 * G, // /usr/lib's 50-size.conf masked by /etc's
        externalSizeMax: 1 * G,
        journalSizeMax: 767 * 2 ** 20,
        maxUse: 8 * G,
        maxUseEffective: 8 * G,
        files: [
          '/etc/systemd/coredump.conf',
          '/run/systemd/coredump.conf.d/40-early.conf',
          '/etc/systemd/coredump.conf.d/50-size.conf',
          '/usr/local/lib/systemd/coredump.conf.d/60-storage.conf',
          '/usr/lib/systemd/coredump.conf.d/70-typo.conf',
        ],
        sources: {
          storage: '/usr/local/lib/systemd/coredump.conf.d/60-storage.conf',
          externalSizeMax: '/etc/systemd/coredump.conf.d/50-size.conf',
          maxUse: '/etc/systemd/coredump.conf',
        },
      },
      storage: {
        cores: 2,
        usedBytes: coreSizes[0] + coreSizes[1],
        filesystemBytes: expect.any(Number),
        filesystemFreeBytes: expect.any(Number),
        oldestCoreAt: new Date(T1 * 1000).toISOString(),
      },
      journal: { readable: true },
      pods: {
        synced: true,
        known: 3,
        largestMemoryLimit: { bytes: 3 * G, quantity: '3Gi', pod: 'team-a/big', container: 'app' },
        podsWithoutMemoryLimit: 1,
      },
    });
    const storage = body.storage as { oldestCoreAgeSeconds: number };
    expect(storage.oldestCoreAgeSeconds).toBeGreaterThanOrEqual(
      Math.floor(Date.now() / 1000) - T1 - 5,
    );
    expect(body.warnings).toEqual([
      {
        code: 'coredump-conf-invalid',
        message:
          '/usr/lib/systemd/coredump.conf.d/70-typo.conf:2: Compress=perhaps is not a boolean; ignored',
      },
      {
        code: 'coredump-conf-invalid',
        message:
          '/usr/lib/systemd/coredump.conf.d/70-typo.conf:3: unknown section [Journal], ignored',
      },
      {
        code: 'external-size-max-below-pod-memory',
        message:
          'ExternalSizeMax=1G is below the largest pod memory limit on the node (3Gi, team-a/big container app): cores will be truncated',
      },
    ]);
  });

  it('follows the pods: the warning goes when the big pod goes', async () => {
    api.deletePod('team-a', 'big');
    const end = Date.now() + 10_000;
    let body: Health;
    do {
      body = (await nodeHealth('admin-token')).body;
      if (!body.warnings.some((w) => w.code === 'external-size-max-below-pod-memory')) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < end);
    expect(body.pods).toMatchObject({
      largestMemoryLimit: { quantity: '512Mi', pod: 'team-b/small' },
    });
    expect(body.warnings.map((w) => w.code)).toEqual([
      'coredump-conf-invalid',
      'coredump-conf-invalid',
    ]);
    api.upsertPod(
      makePod({
        namespace: 'team-a',
        name: 'big',
        uid: uid(1),
        nodeName: NODE,
        containers: [{ name: 'app', image: 'registry/big:1', memoryLimit: '3Gi' }],
      }),
    );
    await syncedHealth();
  });

  it('needs a token, and list on coredumps at cluster scope', async () => {
    expect((await nodeHealth()).status).toBe(401);
    const alice = await nodeHealth('alice-token');
    expect(alice.status).toBe(403);
    expect(alice.body).toMatchObject({
      statusCode: 403,
      message: 'alice cannot list coredumps.koredump.io at cluster scope (node health needs it)',
    });
  });

  it('the aggregator merges each node’s report into /apiv1/nodes; a collector that is down gets healthError', async () => {
    const end = Date.now() + 10_000;
    let nodes: Record<string, unknown>[];
    for (;;) {
      const res = await fetch(`${agg.url}/apiv1/nodes`, {
        headers: { Authorization: 'Bearer admin-token' },
      });
      expect(res.status).toBe(200);
      nodes = (await res.json()) as Record<string, unknown>[];
      const h = nodes.find((n) => n.node === NODE)?.health as Health | undefined;
      if (h?.warnings.some((w) => w.code === 'external-size-max-below-pod-memory')) break;
      if (Date.now() > end) throw new Error(JSON.stringify(nodes));
      await new Promise((r) => setTimeout(r, 100));
    }
    const by = Object.fromEntries(nodes.map((n) => [n.node, n]));
    expect(by[NODE]).toMatchObject({
      ready: true,
      reachable: true,
      cores: 2,
      health: {
        node: NODE,
        coredumpConf: { externalSizeMax: G },
        warnings: expect.arrayContaining([
          expect.objectContaining({ code: 'external-size-max-below-pod-memory' }),
        ]),
      },
    });
    expect(by[NODE]).not.toHaveProperty('healthError');
    expect(by['node-down']).toMatchObject({
      reachable: false,
      healthError: 'unreachable: ECONNREFUSED',
    });
    expect(by['node-down']).not.toHaveProperty('health');

    // A caller without cluster-wide list: the node list still answers, each report is refused.
    const res = await fetch(`${agg.url}/apiv1/nodes`, {
      headers: { Authorization: 'Bearer alice-token' },
    });
    expect(res.status).toBe(200);
    const forAlice = Object.fromEntries(
      ((await res.json()) as Record<string, unknown>[]).map((n) => [n.node, n]),
    );
    expect(forAlice[NODE]).toMatchObject({
      reachable: true,
      healthError:
        'HTTP 403: alice cannot list coredumps.koredump.io at cluster scope (node health needs it)',
    });
  });

  it('koredumpctl status shows the node health table and a WARNING line per problem', async () => {
    const r = await runBundled(['status'], {
      env: cliEnv({ KOREDUMP_URL: agg.url, KOREDUMP_TOKEN: 'admin-token' }),
    });
    expect(r.code).toBe(0); // warnings are reported, not failed on
    expect(r.stdout).toContain('Node health:\n');
    expect(r.stdout).toMatch(
      new RegExp(
        `\n  node-down +\\? .* no report: unreachable: ECONNREFUSED\n  ${NODE} +ok +external +1G +\\S+ +\\d+d( \\d+h)? +ok\n`,
      ),
    );
    expect(r.stdout).toContain(
      `WARNING ${NODE}: ExternalSizeMax=1G is below the largest pod memory limit on the node (3Gi, team-a/big container app): cores will be truncated\n`,
    );
    expect(r.stdout).toContain(
      `WARNING ${NODE}: /usr/lib/systemd/coredump.conf.d/70-typo.conf:2: Compress=perhaps is not a boolean; ignored\n`,
    );
  });

  it('flags a core_pattern that does not pipe to systemd-coredump and an unreadable journal', async () => {
    const sysctls = join(work, 'sysctl-kernel');
    await mkdir(sysctls);
    await writeFile(join(sysctls, 'core_pattern'), 'core\n');
    const notADir = join(work, 'not-a-journal');
    await writeFile(notADir, 'x');
    const other = await spawnBuiltApp(
      'node-collector',
      {
        KOREDUMP_NODE_NAME: 'node-plain',
        KOREDUMP_COREDUMP_DIR: join(work, 'coredump'),
        KOREDUMP_JOURNAL_DIR: notADir,
        KOREDUMP_KERNEL_SYSCTL_DIR: sysctls,
        KOREDUMP_HOST_ROOT: join(work, 'empty-root'),
      },
      { waitReady: false },
    );
    try {
      // journalctl fails at once and is restarted with backoff: between two attempts (all but a
      // few ms) the journal is reported unreadable.
      let body: Health;
      const end = Date.now() + 5000;
      do {
        body = (await (await fetch(`${other.url}/apiv1/node`)).json()) as Health;
        if (!(body.journal as { readable: boolean }).readable) break;
        await new Promise((r) => setTimeout(r, 50));
      } while (Date.now() < end);
      expect(body).toMatchObject({
        kernel: { corePattern: 'core', pipesToSystemdCoredump: false },
        coredumpConf: { storage: 'external', externalSizeMax: 32 * G, files: [], sources: {} },
        journal: { readable: false },
      });
      expect(body).not.toHaveProperty('pods'); // no Kubernetes API
      expect(body.warnings.map((w) => w.code)).toEqual([
        'core-pattern-not-systemd-coredump',
        'journal-unreadable',
      ]);
      expect(body.warnings[0].message).toBe(
        'kernel.core_pattern is "core", not a pipe to systemd-coredump: koredump will not see the cores',
      );
    } finally {
      await other.stop();
    }
  });
});
