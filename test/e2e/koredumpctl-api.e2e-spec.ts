/**
 * koredumpctl end to end: the bundled CLI (dist/koredumpctl.cjs) as its own process, against the
 * BUILT aggregator in front of the BUILT node-collector, over fixture cores (real journal files,
 * cores compressed by the real tools). Then with authentication on: tokens checked by the fake
 * Kubernetes API server, which also serves the API through its service proxy.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

import type { CoreRecord } from '../../apps/koredumpctl/src/core-record.js';
import { formatHuman } from '../../apps/koredumpctl/src/format/human.js';
import {
  formatTable,
  TABLE_COLUMNS,
  WIDE_COLUMNS,
} from '../../apps/koredumpctl/src/format/table.js';
import { startFakeApiServer, type FakeApiServer } from '../support/fake-apiserver.js';
import { coredumpEntry, writeCompressedCores, writeJournalFile } from '../support/fixtures.js';
import {
  cliEnv,
  ensureCliBundle,
  runBundled,
  runInProcess,
  startCuttingProxy,
  startKoredumpStack,
  type KoredumpStack,
} from '../support/koredumpctl.js';

const BOOT = '0123456789abcdef0123456789abcdef';
const NODE = 'node-fx';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const usec = (sec: number): string => `${1767225600 + sec}000000`;
const conmon = (ctr: string, pod: string, ns: string, n: number): string =>
  `/usr/bin/conmon -b /run/containers/storage/overlay-containers/${'c'.repeat(63)}${n}/userdata -n k8s_${ctr}_${pod}_${ns}_${'1'.repeat(8)}-2222-3333-4444-${String(n).padStart(12, '0')}_0 -r /usr/bin/runc`;

// Every CLI process costs about half a second on a busy machine.
jest.setTimeout(60_000);

interface Fixture {
  comm: string;
  pid: number;
  sec: number;
  signal: number;
  kind: 'zst' | 'lz4' | 'xz' | 'none';
  ns?: [string, string, string];
  sizeMiB: number;
}

const FIXTURES: Fixture[] = [
  {
    comm: 'app',
    pid: 101,
    sec: 1,
    signal: 11,
    kind: 'zst',
    ns: ['app', 'web-1', 'team-a'],
    sizeMiB: 3,
  },
  {
    comm: 'db',
    pid: 202,
    sec: 2,
    signal: 6,
    kind: 'lz4',
    ns: ['db', 'db-0', 'team-b'],
    sizeMiB: 1,
  },
  {
    comm: 'app',
    pid: 303,
    sec: 3,
    signal: 11,
    kind: 'xz',
    ns: ['app', 'web-2', 'team-a'],
    sizeMiB: 1,
  },
  { comm: 'hostd', pid: 404, sec: 4, signal: 7, kind: 'none', sizeMiB: 1 },
];

/** Writes the fixture cores and their journal entries; returns id → original (uncompressed) bytes. */
async function writeFixtures(coreDir: string, journalDir: string): Promise<Map<string, Buffer>> {
  const originals = new Map<string, Buffer>();
  const scratch = await mkdtemp(join(tmpdir(), 'koredumpctl-scratch-'));
  const entries = [];
  for (const f of FIXTURES) {
    const content = randomBytes(f.sizeMiB << 20);
    const files = await writeCompressedCores(
      scratch,
      `core.${f.comm}.0.${BOOT}.${f.pid}.${usec(f.sec)}`,
      content,
    );
    const id = basename(files[f.kind]);
    await rename(files[f.kind], join(coreDir, id));
    originals.set(id, content);
    entries.push(
      coredumpEntry({
        filename: `/var/lib/systemd/coredump/${id}`,
        pid: f.pid,
        signal: f.signal,
        comm: f.comm,
        hostname: f.ns ? f.ns[1] : 'fixture-node',
        timestampUsec: usec(f.sec),
        containerCmdline: f.ns ? conmon(f.ns[0], f.ns[1], f.ns[2], f.pid) : undefined,
        extra: { _HOSTNAME: 'fixture-node' },
      }),
    );
  }
  await writeJournalFile(join(journalDir, 'fixtures.journal'), entries);
  await rm(scratch, { recursive: true, force: true });
  return originals;
}

async function waitForCores(
  url: string,
  n: number,
  headers: Record<string, string> = {},
): Promise<void> {
  const end = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${url}/apiv1/cores`, { headers });
    const body = (await res.json()) as CoreRecord[];
    if (res.ok && body.length === n && body.every((c) => c.COREDUMP_SIGNAL !== undefined)) return;
    if (Date.now() > end) {
      throw new Error(`API did not list ${n} cores: ${JSON.stringify(body).slice(0, 500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('koredumpctl against the built aggregator and collector (fixtures)', () => {
  let work: string;
  let stack: KoredumpStack;
  let originals: Map<string, Buffer>;
  let api: CoreRecord[];
  const env = (): NodeJS.ProcessEnv => cliEnv({ KOREDUMP_URL: stack.url });
  const ctl = (args: string[], cwd = work) => runBundled(args, { env: env(), cwd });
  /** The same CLI in this process (CommandTestFactory): for the many small list checks. */
  const inproc = (args: string[]) =>
    runInProcess(args, { env: { KOREDUMP_URL: stack.url }, cwd: work });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredumpctl-api-'));
    const coreDir = join(work, 'coredump');
    const journalDir = join(work, 'journal');
    await mkdir(coreDir);
    await mkdir(journalDir);
    originals = await writeFixtures(coreDir, journalDir);
    const [, s] = await Promise.all([
      ensureCliBundle(),
      startKoredumpStack({
        node: NODE,
        collectorEnv: { KOREDUMP_COREDUMP_DIR: coreDir, KOREDUMP_JOURNAL_DIR: journalDir },
      }),
    ]);
    stack = s;
    await waitForCores(stack.url, FIXTURES.length);
    api = (await (await fetch(`${stack.url}/apiv1/cores`)).json()) as CoreRecord[];
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the fixtures are what the API lists (sanity)', () => {
    expect(api.map((c) => [c.COREDUMP_PID, c.namespace, c.pod, c.compression])).toEqual([
      [101, 'team-a', 'web-1', 'zst'],
      [202, 'team-b', 'db-0', 'lz4'],
      [303, 'team-a', 'web-2', 'xz'],
      [404, undefined, undefined, 'none'],
    ]);
  });

  it('list in every format is the API data', async () => {
    const json = await ctl(['list', '-o', 'json']); // the real process once
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(api);
    expect((await ctl([])).stdout).toBe(formatHuman(api));
    expect(parseYaml((await inproc(['-o', 'yaml'])).stdout)).toEqual(api);
    expect((await inproc(['-o', 'table'])).stdout).toBe(formatTable(api, TABLE_COLUMNS));
    expect((await inproc(['-o', 'wide'])).stdout).toBe(formatTable(api, WIDE_COLUMNS));
    expect(JSON.parse((await inproc(['-o', 'json', '-1'])).stdout)).toEqual(api[3]);
  });

  it('filters give what the API gives for the same query', async () => {
    const q = async (query: string): Promise<CoreRecord[]> =>
      (await (await fetch(`${stack.url}/apiv1/cores?${query}`)).json()) as CoreRecord[];
    const j = async (...args: string[]): Promise<CoreRecord[]> =>
      JSON.parse((await inproc(['-o', 'json', ...args])).stdout) as CoreRecord[];
    expect(await j('-n', 'team-a')).toEqual(await q('namespace=team-a'));
    expect(await j('-n', 'team-a', '-p', 'web-2')).toEqual(await q('namespace=team-a&pod=web-2'));
    expect(await j('--signal', 'SIGABRT')).toEqual(await q('signal=6'));
    expect(await j('app', '--node', NODE)).toEqual(await q(`comm=app&node=${NODE}`));
    expect(await j('-S', '2026-01-01T00:00:02Z', '-U', '2026-01-01T00:00:03Z')).toEqual(
      await q('since=2026-01-01T00:00:02Z&until=2026-01-01T00:00:03Z'),
    );
    expect((await j('-n', 'team-a')).length).toBe(2);
    expect(await ctl(['-n', 'nobody'])).toEqual({
      stdout: '',
      stderr: 'Nothing found.\n',
      code: 0,
    });
  });

  it('info shows the journal message with the stack trace', async () => {
    const r = await ctl(['info', '202']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      '     Namespace: team-b\n           Pod: db-0\n     Container: db\n',
    );
    expect(r.stdout).toContain('        Signal: 6 (ABRT)\n');
    expect(r.stdout).toContain('       Message: Process 202 (db) of user 0 dumped core.\n');
    expect(r.stdout).toContain('                Stack trace of thread 202:\n');
    const full = await (
      await fetch(`${stack.url}/apiv1/cores/metadata/${NODE}/${api[1].id}`)
    ).json();
    expect(JSON.parse((await ctl(['info', '-o', 'json', '202'])).stdout)).toEqual(full);
  });

  it('get: every compression, sha256 of the node file; metadata as the API; -d gives the original bytes', async () => {
    const out = join(work, 'get-all');
    const r = await ctl(['get', '-a', '-d', '-O', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const c of api) {
      const file = await readFile(join(out, c.id));
      expect(sha(file)).toBe(sha(await readFile(join(work, 'coredump', c.id))));
      const base = c.id.replace(/\.(zst|lz4|xz)$/, '');
      expect(sha(await readFile(join(out, base)))).toBe(sha(originals.get(c.id)!));
      const meta = JSON.parse(await readFile(join(out, `${base}.json`), 'utf8'));
      expect(meta).toEqual(
        await (await fetch(`${stack.url}/apiv1/cores/metadata/${NODE}/${c.id}`)).json(),
      );
      for (const f of [c.id, base, `${base}.json`]) {
        expect((await stat(join(out, f))).mode & 0o777).toBe(0o600);
      }
    }
    expect((await readdir(out)).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('get NODE ID into the current directory', async () => {
    const dir = join(work, 'cwd');
    await mkdir(dir);
    const c = api[0];
    const r = await ctl(['get', NODE, c.id], dir);
    expect(r.code).toBe(0);
    // The metadata is the full record: journal fields plus the parsed stack trace.
    expect(r.stdout).toBe(
      `Saved ./${c.id} (3.0M)\nSaved ./${c.id.replace('.zst', '')}.json (5.1K)\n`,
    );
    const saved = JSON.parse(
      await readFile(join(dir, `${c.id.replace('.zst', '')}.json`), 'utf8'),
    ) as { stacktrace?: { crashingThread?: number }; signature?: string };
    expect(saved.stacktrace?.crashingThread).toBe(c.COREDUMP_PID);
    expect(saved.signature).toMatch(/^[0-9a-f]{16}$/);
    expect(sha(await readFile(join(dir, c.id)))).toBe(
      sha(await readFile(join(work, 'coredump', c.id))),
    );
  });

  it('--continue after a download interrupted half-way finishes with the right sha256', async () => {
    const c = api[0]; // 3 MiB, incompressible
    const dir = join(work, 'resume');
    await mkdir(dir);
    const proxy = await startCuttingProxy(stack.url, Math.floor(c.size! / 2));
    try {
      const broken = await runBundled(['get', NODE, c.id], {
        env: cliEnv({ KOREDUMP_URL: proxy.url }),
        cwd: dir,
      });
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(
        /^error: download of \S+ interrupted after [\d.]+[KM] of 3\.0M: /,
      );
      expect(broken.stderr).toContain('run again with --continue to resume');
    } finally {
      await proxy.close();
    }
    expect(proxy.cut).toBeGreaterThan(0);
    const part = await stat(join(dir, `${c.id}.part`));
    expect(part.size).toBeGreaterThan(c.size! / 4);
    expect(part.size).toBeLessThan(c.size!);
    expect(part.mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual([`${c.id}.part`]);

    const resumed = await ctl(['get', '--continue', '-v', NODE, c.id], dir);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`Saved ./${c.id} (3.0M, resumed at `);
    expect(resumed.stderr).toMatch(/GET \S+\/apiv1\/cores\/download\/node-fx\/\S+ -> 206/);
    expect(sha(await readFile(join(dir, c.id)))).toBe(
      sha(await readFile(join(work, 'coredump', c.id))),
    );
    expect((await readdir(dir)).sort()).toEqual([c.id, `${c.id.replace('.zst', '')}.json`].sort());
  });

  it('unknown core, unknown node, unreachable server: clear message, exit 1', async () => {
    const missing = `core.nosuch.0.${BOOT}.9.${usec(9)}.zst`;
    const r = await ctl(['get', NODE, missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^error: core ${missing.replace(/\./g, '\\.')} not found on node ${NODE}`),
    );
    const node = await ctl(['get', 'no-such-node', api[0].id]);
    expect(node.code).toBe(1);
    expect(node.stderr).toContain(`error: core ${api[0].id} not found on node no-such-node`);
    const down = await runBundled(['list'], {
      env: cliEnv({ KOREDUMP_URL: 'http://127.0.0.1:9' }),
    });
    expect(down).toEqual({
      stdout: '',
      stderr:
        'error: cannot reach the koredump API at http://127.0.0.1:9/apiv1/cores: connection refused\nhint: check KOREDUMP_URL\n',
      code: 1,
    });
    expect((await ctl(['list', '-o', 'nope'])).code).toBe(2);
  });

  it('status: the aggregator, its node, this host, the version', async () => {
    const r = await ctl(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^koredump API: ${stack.url} \\(reachable, version \\S+\\)\n`),
    );
    expect(r.stdout).toContain('Nodes: 1 (1 ready)\n');
    // (LAST ERROR may name the download cut off by an earlier test)
    expect(r.stdout).toMatch(new RegExp(`\n  ${NODE} +yes +4 +\\S+`));
    expect(r.stdout).toContain('Core count in cluster: 4\n');
    expect(r.stdout).toMatch(/\/proc\/sys\/kernel\/core_pattern \[HOSTNAME=\S+\]: /);
    const down = await runBundled(['status'], {
      env: cliEnv({ KOREDUMP_URL: 'http://127.0.0.1:9' }),
    });
    expect(down.code).toBe(1);
    expect(down.stdout).toContain('koredump API: unavailable\n');
  });

  it('a node left out of the list is named on stderr', async () => {
    // A second aggregator whose other node is down: partial list + Warning header.
    const { spawnBuiltAggregator } = await import('../support/aggregator.js');
    const partial = await spawnBuiltAggregator({
      KOREDUMP_COLLECTORS: `${NODE}=${stack.collector.url},node-down=http://127.0.0.1:9`,
    });
    try {
      const r = await runBundled(['-o', 'json'], { env: cliEnv({ KOREDUMP_URL: partial.url }) });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(api);
      expect(r.stderr).toMatch(/^warning: partial result: nodes left out: node-down \(.+\)\n$/);
    } finally {
      await partial.stop();
    }
  });
});

describe('koredumpctl with authentication: kubeconfig tokens, the service proxy, 401 and 403', () => {
  let work: string;
  let kube: FakeApiServer;
  let stack: KoredumpStack;
  let api: CoreRecord[];
  let kubeconfig: (name: string, token?: string) => Promise<string>;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredumpctl-auth-'));
    const coreDir = join(work, 'coredump');
    const journalDir = join(work, 'journal');
    await mkdir(coreDir);
    await mkdir(journalDir);
    await writeFixtures(coreDir, journalDir);
    kube = await startFakeApiServer();
    kube.addToken('alice-token', {
      username: 'alice',
      groups: ['team-a-devs', 'system:authenticated'],
    });
    kube.addToken('bob-token', { username: 'bob', groups: ['system:authenticated'] });
    kube.addToken('carol-token', { username: 'carol', groups: ['team-a-devs'] });
    kube.grant(
      { group: 'team-a-devs' },
      {
        verbs: ['get', 'list'],
        apiGroups: ['koredump.io'],
        resources: ['coredumps', 'coredumps/download'],
        namespaces: ['team-a'],
      },
    );
    // alice and bob may reach koredump through the API server; carol may not
    // bob may read metadata in team-a, not download
    kube.grant('bob', {
      verbs: ['get', 'list'],
      apiGroups: ['koredump.io'],
      resources: ['coredumps'],
      namespaces: ['team-a'],
    });
    for (const user of ['alice', 'bob']) {
      kube.grant(user, {
        verbs: ['get', 'create'],
        apiGroups: [''],
        resources: ['services/proxy'],
        namespaces: ['koredump'],
      });
    }
    kubeconfig = async (name, token) => {
      const file = join(work, `${name}.kubeconfig`);
      await kube.writeKubeconfig(file, { token, user: name });
      return file;
    };
    const serviceKubeconfig = join(work, 'service.kubeconfig');
    await kube.writeKubeconfig(serviceKubeconfig);
    const authEnv = { NO_TOKENS: '0', FAKE_K8S: '0', KUBECONFIG: serviceKubeconfig };
    const [, s] = await Promise.all([
      ensureCliBundle(),
      startKoredumpStack({
        node: NODE,
        collectorEnv: {
          ...authEnv,
          KOREDUMP_COREDUMP_DIR: coreDir,
          KOREDUMP_JOURNAL_DIR: journalDir,
        },
        aggregatorEnv: authEnv,
      }),
    ]);
    stack = s;
    kube.registerServiceProxy('koredump', 'koreapi', 80, stack.url);
    await waitForCores(stack.url, 2, { Authorization: 'Bearer alice-token' });
    api = (await (
      await fetch(`${stack.url}/apiv1/cores`, { headers: { Authorization: 'Bearer alice-token' } })
    ).json()) as CoreRecord[];
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await kube?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('finds the API through the service proxy and the token in the kubeconfig, with no setup', async () => {
    kube.requests.length = 0;
    const r = await runBundled(['-o', 'json'], {
      env: cliEnv({ KUBECONFIG: await kubeconfig('alice', 'alice-token') }),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(api); // team-a only: RBAC of alice
    expect(api.map((c) => c.namespace)).toEqual(['team-a', 'team-a']);
    const proxied = kube.requests.find((q) => q.path.endsWith('/apiv1/cores'));
    expect(proxied?.path).toBe('/api/v1/namespaces/koredump/services/koreapi:80/proxy/apiv1/cores');
    expect(proxied?.headers.authorization).toBe('Bearer alice-token');
    expect(proxied?.headers['x-koredump-authorization']).toBe('Bearer alice-token');
    expect(proxied?.headers['user-agent']).toMatch(/^koredumpctl\//);
  });

  it('downloads through the service proxy', async () => {
    const dir = join(work, 'proxy-get');
    await mkdir(dir);
    const env = cliEnv({ HOME: join(work, 'alice-home') });
    await mkdir(join(work, 'alice-home/.kube'), { recursive: true });
    await kube.writeKubeconfig(join(work, 'alice-home/.kube/config'), {
      token: 'alice-token',
      user: 'alice',
    });
    const r = await runBundled(['get', '-1', '-d', '-n', 'team-a'], { env, cwd: dir });
    expect(r.code).toBe(0);
    const c = api[1];
    expect(sha(await readFile(join(dir, c.id)))).toBe(
      sha(await readFile(join(work, 'coredump', c.id))),
    );
  });

  it('a token from --token or KOREDUMP_TOKEN goes in X-Koredump-Authorization; the kubeconfig one opens the proxy', async () => {
    kube.requests.length = 0;
    const env = cliEnv({
      KUBECONFIG: await kubeconfig('bob', 'bob-token'),
      KOREDUMP_TOKEN: 'alice-token',
    });
    const r = await runBundled(['-o', 'json'], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(api);
    const proxied = kube.requests.find((q) => q.path.endsWith('/apiv1/cores'));
    expect(proxied?.headers.authorization).toBe('Bearer bob-token');
    expect(proxied?.headers['x-koredump-authorization']).toBe('Bearer alice-token');
  });

  it('exec credential plugins and tokenFile, as kubectl', async () => {
    const plugin = join(work, 'kd-credential-plugin');
    await writeFile(
      plugin,
      '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"alice-token"}}\'\n',
    );
    await chmod(plugin, 0o755);
    const base = await readFile(await kubeconfig('alice', 'alice-token'), 'utf8');
    const execConfig = join(work, 'exec.kubeconfig');
    await writeFile(
      execConfig,
      base.replace(
        / {4}token: "alice-token"/,
        `    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ${plugin}\n      interactiveMode: Never`,
      ),
    );
    const viaExec = await runBundled(['-o', 'json'], { env: cliEnv({ KUBECONFIG: execConfig }) });
    expect(viaExec.stderr).toBe('');
    expect(JSON.parse(viaExec.stdout)).toEqual(api);

    await writeFile(join(work, 'alice.token'), 'alice-token\n');
    const fileConfig = join(work, 'tokenfile.kubeconfig');
    await writeFile(
      fileConfig,
      base.replace(/ {4}token: "alice-token"/, '    tokenFile: alice.token'),
    );
    const viaFile = await runBundled(['-o', 'json', '--kubeconfig', fileConfig], { env: cliEnv() });
    expect(viaFile.stderr).toBe('');
    expect(JSON.parse(viaFile.stdout)).toEqual(api);
  });

  it('bad token: 401 from the API names --token and the kubeconfig; exit 1', async () => {
    const direct = await runBundled(['list'], {
      env: cliEnv({ KOREDUMP_URL: stack.url, KOREDUMP_TOKEN: 'invalid' }),
    });
    expect(direct).toEqual({
      stdout: '',
      stderr:
        'error: the API rejected the token; check --token or your kubeconfig (the token was not accepted)\n',
      code: 1,
    });
    // the original's test: list and get -a with --token=invalid both fail
    expect(
      (
        await runBundled(['get', '-a', '--token=invalid'], {
          env: cliEnv({ KOREDUMP_URL: stack.url }),
        })
      ).code,
    ).toBe(1);
    // through the proxy, a kubeconfig token the API server does not know is the API server's 401
    const proxy = await runBundled(['list'], {
      env: cliEnv({ KUBECONFIG: await kubeconfig('mallory', 'nope') }),
    });
    expect(proxy.code).toBe(1);
    expect(proxy.stderr).toMatch(
      /^error: the Kubernetes API server rejected your kubeconfig credentials \(401\)/,
    );
  });

  it('forbidden namespace: the API says who, what and where; exit 1', async () => {
    const env = cliEnv({ KOREDUMP_URL: stack.url, KOREDUMP_TOKEN: 'bob-token' });
    const core = (await (
      await fetch(`${stack.url}/apiv1/cores`, { headers: { Authorization: 'Bearer alice-token' } })
    ).json()) as CoreRecord[];
    const r = await runBundled(['get', NODE, core[0].id], { env, cwd: work });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: permission denied: bob cannot get coredumps\/download\.koredump\.io in namespace "team-a"\n$/,
    );
    const team = await runBundled(['info', '-n', 'team-b'], {
      env: cliEnv({ KOREDUMP_URL: stack.url, KOREDUMP_TOKEN: 'alice-token' }),
    });
    expect(team.code).toBe(1);
    expect(team.stderr).toContain('error: no core matches'); // the list hides what alice may not see
  });

  it('no permission for the service proxy, wrong namespace, client-certificate users: what to do', async () => {
    const carol = await runBundled(['list'], {
      env: cliEnv({ KUBECONFIG: await kubeconfig('carol', 'carol-token') }),
    });
    expect(carol.code).toBe(1);
    expect(carol.stderr).toMatch(
      /^error: the Kubernetes API server denied access to the koredump service: .*carol/,
    );
    expect(carol.stderr).toContain(
      'hint: reaching koredump through the API server needs permission to "get services/proxy" in namespace "koredump"',
    );

    const ns = await runBundled(['list', '--koredump-namespace', 'elsewhere'], {
      env: cliEnv({ KUBECONFIG: await kubeconfig('alice', 'alice-token') }),
    });
    expect(ns.code).toBe(1);
    expect(ns.stderr).toMatch(/(service koreapi not found in namespace "elsewhere"|denied access)/);

    const base = await readFile(await kubeconfig('admin', 'x'), 'utf8');
    const certConfig = join(work, 'cert.kubeconfig');
    const pem = Buffer.from(
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    ).toString('base64');
    await writeFile(
      certConfig,
      base.replace(
        / {4}token: "x"/,
        `    client-certificate-data: ${pem}\n    client-key-data: ${pem}`,
      ),
    );
    const cert = await runBundled(['list'], { env: cliEnv({ KUBECONFIG: certConfig }) });
    expect(cert.code).toBe(1);
    expect(cert.stderr).toBe(
      'error: kubeconfig user "admin" has no bearer token (it authenticates with a client certificate), and koredump needs a token it can verify\n' +
        'hint: pass --token or set KOREDUMP_TOKEN, for example with a service account token: `kubectl create token <serviceaccount> -n <namespace>`\n',
    );
  });

  it('the API server unreachable: names the URL tried', async () => {
    const file = join(work, 'down.kubeconfig');
    await writeFile(
      file,
      (await readFile(await kubeconfig('alice', 'alice-token'), 'utf8')).replace(
        /server: "https:\/\/127\.0\.0\.1:\d+"/,
        'server: "https://127.0.0.1:9"',
      ),
    );
    const r = await runBundled(['list'], { env: cliEnv({ KUBECONFIG: file }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: cannot reach the koredump API at https://127.0.0.1:9/api/v1/namespaces/koredump/services/koreapi:80/proxy/apiv1/cores: connection refused\n' +
        'hint: check the cluster server of your kubeconfig (`kubectl cluster-info`), or pass --server\n',
    );
  });
});
