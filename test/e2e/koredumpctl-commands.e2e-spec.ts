/**
 * koredumpctl's commands and flags, run in-process through nest-commander's CommandTestFactory
 * (the real module; OutputService and CliEnvironment overridden) against a stub API that records
 * what the CLI sends. What the real API answers is covered by koredumpctl-api.e2e-spec.ts.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

import type { CoreRecord } from '../../apps/koredumpctl/src/core-record.js';
import { formatHuman } from '../../apps/koredumpctl/src/format/human.js';
import { formatInfo } from '../../apps/koredumpctl/src/format/info.js';
import { stripAnsi } from '../../apps/koredumpctl/src/format/style.js';
import {
  formatTable,
  TABLE_COLUMNS,
  WIDE_COLUMNS,
} from '../../apps/koredumpctl/src/format/table.js';
import { CLI_VERSION } from '../../apps/koredumpctl/src/version.js';
import { run } from '../support/exec.js';
import { sendJson } from '../support/aggregator.js';
import {
  runInProcess,
  startStubApi,
  type InProcessOptions,
  type StubApi,
  type StubRequest,
} from '../support/koredumpctl.js';

const BOOT = '0123456789abcdef0123456789abcdef';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const id = (comm: string, pid: number, sec: number, suffix = '.zst'): string =>
  `core.${comm}.1000.${BOOT}.${pid}.${1767225600 + sec}000000${suffix}`;

function record(
  comm: string,
  pid: number,
  sec: number,
  extra: Partial<CoreRecord> = {},
): CoreRecord {
  return {
    id: id(comm, pid, sec),
    node: 'node-a',
    hostname: 'node-a',
    namespace: 'team-a',
    pod: `${comm}-pod`,
    container: comm,
    image: `registry/${comm}:1`,
    COREDUMP_PID: pid,
    COREDUMP_UID: 1000,
    COREDUMP_GID: 1000,
    COREDUMP_SIGNAL: 11,
    COREDUMP_SIGNAL_NAME: 'SIGSEGV',
    COREDUMP_TIMESTAMP: new Date((1767225600 + sec) * 1000).toISOString().replace('.000', ''),
    COREDUMP_COMM: comm,
    COREDUMP_EXE: `/usr/bin/${comm}`,
    COREDUMP_CMDLINE: `/usr/bin/${comm} --serve`,
    attribution: { source: 'api' },
    size: 1000 + pid,
    compression: 'zst',
    truncated: false,
    timestamp: (1767225600 + sec) * 1000,
    ...extra,
  };
}

const CORES: CoreRecord[] = [
  record('web', 101, 1),
  record('db', 202, 2, {
    namespace: 'team-b',
    node: 'node-b',
    COREDUMP_SIGNAL: 6,
    COREDUMP_SIGNAL_NAME: 'SIGABRT',
  }),
  record('web', 103, 3, { pod: 'web-2' }),
  record('host', 404, 4, {
    namespace: undefined,
    pod: undefined,
    container: undefined,
    image: undefined,
    attribution: { source: 'none' },
  }),
];
const CONTENT: Record<string, Buffer> = Object.fromEntries(
  CORES.map((c, i) => [c.id, Buffer.alloc(200_000 + i, i + 1)]),
);
const PLAIN_CONTENT: Record<string, Buffer> = Object.fromEntries(
  CORES.map((c, i) => [c.id, Buffer.alloc(500_000 + i, 0x40 + i)]),
);
const MESSAGE =
  'Process 101 (web) of user 1000 dumped core.\n\nStack trace of thread 101:\n#0  0x0000000000401136 main (web + 0x1136)\n';
const metadata = (c: CoreRecord): CoreRecord => ({
  ...c,
  MESSAGE: MESSAGE.replace(/101/g, String(c.COREDUMP_PID)),
  COREDUMP_FILENAME: `/var/lib/systemd/coredump/${c.id}`,
  _BOOT_ID: BOOT,
});

/** Serves a core with Range support (one range), like the collector. */
function serveCore(req: StubRequest, res: ServerResponse, body: Buffer): void {
  const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
  if (range) {
    const start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` });
      res.end();
      return;
    }
    res.writeHead(206, {
      'Content-Length': body.length - start,
      'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
      'Accept-Ranges': 'bytes',
    });
    res.end(req.method === 'HEAD' ? undefined : body.subarray(start));
    return;
  }
  res.writeHead(200, { 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

describe('koredumpctl commands (CommandTestFactory, stub API)', () => {
  let api: StubApi;
  let work: string;
  let cores: CoreRecord[];
  let listHeaders: Record<string, string>;

  const cli = (args: string[], opts: InProcessOptions = {}) =>
    runInProcess(args, {
      cwd: work,
      home: join(work, 'home'),
      ...opts,
      env: { KOREDUMP_URL: api.url, ...opts.env },
    });
  const listRequests = (): StubRequest[] => api.requests.filter((r) => r.path === '/apiv1/cores');

  beforeAll(async () => {
    api = await startStubApi();
  });

  afterAll(async () => {
    await api?.close();
  });

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredumpctl-cmd-'));
    cores = CORES;
    listHeaders = {};
    api.requests.length = 0;
    api.routes.set('/apiv1/cores', (_req, res) => sendJson(res, 200, cores, listHeaders));
    api.routes.set('/apiv1/nodes', (_req, res) =>
      sendJson(res, 200, [
        {
          node: 'node-a',
          source: 'static',
          ready: true,
          reachable: true,
          cores: 3,
          version: '9.9.9',
        },
        {
          node: 'node-b',
          source: 'static',
          ready: false,
          reachable: false,
          lastError: 'timeout after 5000 ms',
        },
      ]),
    );
    api.routes.set('/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
    api.routes.set('/openapi.json', (_req, res) =>
      sendJson(res, 200, { info: { version: '9.9.9' } }),
    );
    // metadata and downloads of every core, on its node
    for (const c of CORES) {
      const path = `/apiv1/cores/metadata/${c.node}/${c.id}`;
      api.routes.set(path, (_req, res) => sendJson(res, 200, metadata(c)));
      api.routes.set(`/apiv1/cores/download/${c.node}/${c.id}`, (req, res) =>
        req.query.decompress === 'true'
          ? (res.writeHead(200, { 'Transfer-Encoding': 'chunked' }), res.end(PLAIN_CONTENT[c.id]))
          : serveCore(req, res, CONTENT[c.id]),
      );
    }
  });

  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  describe('list', () => {
    it('is the default command and prints the original human layout', async () => {
      const r = await cli([]);
      expect(r).toEqual({ stdout: formatHuman(CORES), stderr: '', code: 0 });
      const [req] = listRequests();
      expect(req.query).toEqual({});
      expect(req.headers['user-agent']).toBe(`koredumpctl/${CLI_VERSION}`);
      expect(req.headers.accept).toBe('application/json');
      expect(req.headers.authorization).toBeUndefined(); // no token anywhere
      expect((await cli(['list'])).stdout).toBe(formatHuman(CORES));
    });

    it('bolds labels on a terminal only', async () => {
      const r = await cli(['list'], { tty: true });
      expect(r.stdout).toContain('\x1b[1m');
      expect(stripAnsi(r.stdout)).toBe(formatHuman(CORES));
    });

    it('-o json prints the API records as they are; -1 the newest as one object', async () => {
      const r = await cli(['-o', 'json']);
      expect(JSON.parse(r.stdout)).toEqual(CORES);
      expect(r.stdout).toBe(`${JSON.stringify(CORES, null, 2)}\n`);
      expect(JSON.parse((await cli(['list', '-o', 'json', '-1'])).stdout)).toEqual(CORES[3]);
      expect(
        JSON.parse((await cli(['list', '--output=json', '-n', 'team-a', '-1'])).stdout),
      ).toEqual(CORES[2]);
    });

    it('-o yaml', async () => {
      expect(parseYaml((await cli(['-o', 'yaml'])).stdout)).toEqual(CORES);
      expect(parseYaml((await cli(['-o', 'yaml', '-1', 'db'])).stdout)).toEqual(CORES[1]);
    });

    it('-o table fits the terminal; -o wide has every column', async () => {
      const table = await cli(['-o', 'table'], { columns: 120 });
      expect(table.stdout).toBe(formatTable(CORES, TABLE_COLUMNS, 120));
      for (const line of table.stdout.trimEnd().split('\n')) {
        expect([...line].length).toBeLessThanOrEqual(120);
      }
      expect(table.stdout.split('\n')[0]).toMatch(
        /^TIME +NODE +NAMESPACE +POD +CONTAINER +SIGNAL +COMM +SIZE +ID$/,
      );
      // on a pipe (no width), nothing is shortened
      expect((await cli(['-o', 'table'])).stdout).toBe(formatTable(CORES, TABLE_COLUMNS));
      expect((await cli(['-o', 'table'])).stdout).toContain(CORES[0].id);
      const wide = await cli(['-o', 'wide'], { columns: 80 });
      expect(wide.stdout).toBe(formatTable(CORES, WIDE_COLUMNS));
      expect(wide.stdout).toContain('/usr/bin/web');
    });

    it('empty: "Nothing found." on stderr, exit 0; json and yaml print the empty value', async () => {
      cores = [];
      expect(await cli([])).toEqual({ stdout: '', stderr: 'Nothing found.\n', code: 0 });
      expect(await cli(['-o', 'table'])).toEqual({
        stdout: '',
        stderr: 'Nothing found.\n',
        code: 0,
      });
      expect(await cli(['-o', 'json'])).toEqual({ stdout: '[]\n', stderr: '', code: 0 });
      expect(await cli(['-o', 'json', '-1'])).toEqual({ stdout: 'null\n', stderr: '', code: 0 });
      expect((await cli(['-o', 'yaml'])).stdout).toBe('[]\n');
      cores = CORES;
      expect(await cli(['no-such-command'])).toEqual({
        stdout: '',
        stderr: 'Nothing found.\n',
        code: 0,
      });
    });

    it('sends single exact filters to the server and checks everything on the client', async () => {
      // The stub ignores the query: what is printed proves the client-side filtering.
      const r = await cli([
        'list',
        '-o',
        'json',
        '-n',
        'team-a',
        '-p',
        'web-pod',
        '--container',
        'web',
        '--node',
        'node-a',
        '--image',
        'registry/web:1',
        '--signal',
        'segv',
        '-S',
        '2026-01-01T00:00:00Z',
        '-U',
        '2026-01-01T00:00:02Z',
      ]);
      expect(JSON.parse(r.stdout)).toEqual([CORES[0]]);
      expect(listRequests()[0].query).toEqual({
        namespace: 'team-a',
        pod: 'web-pod',
        container: 'web',
        node: 'node-a',
        signal: 'SIGSEGV',
        since: '2026-01-01T00:00:00.000Z',
        until: '2026-01-01T00:00:02.000Z',
      });
    });

    it('repeated flags are alternatives; wildcards and relative times work', async () => {
      const r = await cli([
        '-o',
        'json',
        '-n',
        'team-a',
        '-n',
        'team-b',
        '-p',
        'w*',
        '--signal',
        '11',
        '--signal',
        'abrt',
      ]);
      expect((JSON.parse(r.stdout) as CoreRecord[]).map((c) => c.COREDUMP_PID)).toEqual([101, 103]);
      expect(listRequests()[0].query).toEqual({}); // nothing single and exact
      const now = new Date((1767225600 + 3) * 1000 + 30 * 60_000); // 30 min after the third core
      const recent = await cli(['-o', 'json', '--since', '1h', '--until', '10m'], { now });
      expect((JSON.parse(recent.stdout) as CoreRecord[]).map((c) => c.COREDUMP_PID)).toEqual([
        101, 202, 103, 404,
      ]);
      expect((await cli(['-o', 'json', '-S', '29m'], { now })).stdout).toBe('[]\n');
    });

    it('MATCH arguments: PID, COMM, EXE, FIELD=value, core id', async () => {
      const pids = async (...args: string[]): Promise<number[]> =>
        (JSON.parse((await cli(['-o', 'json', ...args])).stdout) as CoreRecord[]).map(
          (c) => c.COREDUMP_PID!,
        );
      expect(await pids('202')).toEqual([202]);
      expect(await pids('web')).toEqual([101, 103]);
      expect(await pids('list', '/usr/bin/db')).toEqual([202]);
      expect(await pids('namespace=team-b')).toEqual([202]);
      expect(await pids('attribution.source=none')).toEqual([404]);
      expect(await pids('web', '103')).toEqual([103]);
      expect(await pids('web', 'db')).toEqual([101, 202, 103]); // same field: either
      expect(await pids(CORES[2].id)).toEqual([103]);
      expect(listRequests().find((r) => r.query.comm === 'web')).toBeDefined();
    });

    it('-r newest first, --limit the newest N, options before the command', async () => {
      const pids = async (...args: string[]): Promise<number[]> =>
        (JSON.parse((await cli(args)).stdout) as CoreRecord[]).map((c) => c.COREDUMP_PID!);
      expect(await pids('-o', 'json', '-r')).toEqual([404, 103, 202, 101]);
      expect(await pids('-o', 'json', '--limit', '2')).toEqual([103, 404]);
      expect(await pids('-o', 'json', '--limit', '2', '--reverse')).toEqual([404, 103]);
      expect(await pids('-o', 'json', 'list', '--limit=1')).toEqual([404]);
    });

    it('prints the Warning of a partial answer on stderr', async () => {
      listHeaders = { Warning: '199 koredump "nodes left out: node-c (timeout after 5000 ms)"' };
      const r = await cli(['-o', 'json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(CORES);
      expect(r.stderr).toBe(
        'warning: partial result: nodes left out: node-c (timeout after 5000 ms)\n',
      );
    });

    it.each([
      [['-o', 'xml'], /argument 'xml' is invalid\. Use one of: human, table, wide, json, yaml/],
      [['--limit', 'x'], /argument 'x' is invalid\. a whole number is needed/],
      [['--signal', 'SIGNOPE'], /unknown signal "SIGNOPE"/],
      [['-S', 'someday'], /cannot read the time "someday"/],
      [['-S', '1h', '-U', '2h'], /--since .* is after --until/],
      [['--frobnicate'], /unknown option '--frobnicate'/],
      [['-o'], /option '-o, --output <format>' argument missing/],
    ])('usage error %j: message and exit 2, no request', async (args, message) => {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(listRequests()).toHaveLength(0);
    });

    it('-v tells what it does on stderr, never the token', async () => {
      const r = await cli(['-v', '--token', 's3cret-token', '-o', 'json']);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(
        `koredumpctl: API ${api.url}/ (from KOREDUMP_URL); token from --token`,
      );
      expect(r.stderr).toMatch(new RegExp(`GET ${api.url}/apiv1/cores -> 200 \\(\\d+ ms\\)`));
      expect(r.stderr).not.toContain('s3cret-token');
      expect(listRequests()[0].headers.authorization).toBe('Bearer s3cret-token');
    });
  });

  describe('finding the API and the token', () => {
    it('--server beats KOREDUMP_URL; --token beats KOREDUMP_TOKEN', async () => {
      const r = await cli(['--server', api.url, '-o', 'json'], {
        env: { KOREDUMP_URL: 'http://127.0.0.1:1', KOREDUMP_TOKEN: 'env-token' },
      });
      expect(r.code).toBe(0);
      expect(listRequests()[0].headers.authorization).toBe('Bearer env-token');
      await cli(['--token=flag-token', '-o', 'json'], { env: { KOREDUMP_TOKEN: 'env-token' } });
      expect(listRequests()[1].headers.authorization).toBe('Bearer flag-token');
    });

    it('falls back to the pod service account token', async () => {
      const root = join(work, 'incluster');
      await mkdir(join(root, 'var/run/secrets/kubernetes.io/serviceaccount'), { recursive: true });
      await writeFile(
        join(root, 'var/run/secrets/kubernetes.io/serviceaccount/token'),
        'sa-token\n',
      );
      await cli(['-o', 'json'], { env: { KOREDUMP_IN_CLUSTER_ROOT: root } });
      expect(listRequests()[0].headers.authorization).toBe('Bearer sa-token');
    });

    it('in a pod: http://koreapi.<namespace>.svc, and a failure names it', async () => {
      const env = { KOREDUMP_URL: undefined, KUBERNETES_SERVICE_HOST: '10.96.0.1' };
      const r = await cli(['--koredump-namespace', 'kd-test-ns'], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: cannot reach the koredump API at http:\/\/koreapi\.kd-test-ns\.svc\/apiv1\/cores: /,
      );
      expect(r.stderr).toContain('is koredump installed in namespace "kd-test-ns"?');
      const viaEnv = await cli([], { env: { ...env, KOREDUMP_NAMESPACE: 'kd-env-ns' } });
      expect(viaEnv.stderr).toContain('http://koreapi.kd-env-ns.svc/apiv1/cores');
    });

    it('no server anywhere and no kubeconfig: says what to set', async () => {
      const r = await cli([], { env: { KOREDUMP_URL: undefined } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'error: cannot find the koredump API: no --server, no KOREDUMP_URL, not in a pod, and no kubeconfig',
      );
      expect(r.stderr).toContain(
        `hint: pass --server http://…, set KOREDUMP_URL, or point KUBECONFIG at your cluster's kubeconfig (looked for ${join(work, 'home/.kube/config')})`,
      );
    });

    it('--kubeconfig and --context: the service proxy of that cluster, with its token twice', async () => {
      const file = join(work, 'kubeconfig');
      await writeFile(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters:',
          '- name: c',
          '  cluster:',
          `    server: ${api.url}/prefix`,
          '    insecure-skip-tls-verify: true',
          'users:',
          '- name: u',
          '  user:',
          '    token: kube-token',
          'contexts:',
          '- name: a',
          '  context: {cluster: c, user: u}',
          'current-context: missing',
          '',
        ].join('\n'),
      );
      const proxyPath = '/prefix/api/v1/namespaces/kd/services/koreapi:80/proxy/apiv1/cores';
      api.routes.set(proxyPath, (_req, res) => sendJson(res, 200, cores));
      const env = { KOREDUMP_URL: undefined };
      const r = await cli(
        ['-o', 'json', '--kubeconfig', file, '--context', 'a', '--koredump-namespace', 'kd'],
        { env },
      );
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual(CORES);
      const req = api.requests.find((q) => q.path === proxyPath)!;
      expect(req.headers.authorization).toBe('Bearer kube-token');
      expect(req.headers['x-koredump-authorization']).toBe('Bearer kube-token');
      const bad = await cli(['--kubeconfig', file, '--context', 'nope'], { env });
      expect(bad).toEqual({
        stdout: '',
        stderr: 'error: kubeconfig has no context "nope" (it has: a)\n',
        code: 2,
      });
      const none = await cli(['--kubeconfig', file], { env });
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/has no current context with a cluster/);
    });

    it('a URL that is not http(s) is a usage error', async () => {
      expect(await cli(['--server', 'ftp://x'])).toMatchObject({
        code: 2,
        stderr: 'error: --server is not an http(s) URL: ftp://x\n',
      });
    });
  });

  describe('API errors', () => {
    const fail = (status: number, message: string) => (_req: StubRequest, res: ServerResponse) =>
      sendJson(res, status, { statusCode: status, error: 'x', message });

    it('401: the API rejected the token; exit 1', async () => {
      api.routes.set('/apiv1/cores', fail(401, 'the token was not accepted'));
      const r = await cli(['--token', 'bad']);
      expect(r).toEqual({
        stdout: '',
        stderr:
          'error: the API rejected the token; check --token or your kubeconfig (the token was not accepted)\n',
        code: 1,
      });
    });

    it("403: the API's message", async () => {
      api.routes.set(
        '/apiv1/cores',
        fail(403, 'bob cannot list coredumps.koredump.io in namespace "team-b"'),
      );
      const r = await cli(['-n', 'team-b']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'error: permission denied: bob cannot list coredumps.koredump.io in namespace "team-b"\n',
      );
    });

    it('unreachable: names the URL tried', async () => {
      const r = await cli([], { env: { KOREDUMP_URL: 'http://127.0.0.1:1' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'error: cannot reach the koredump API at http://127.0.0.1:1/apiv1/cores: connection refused\nhint: check KOREDUMP_URL\n',
      );
    });

    it('an answer that is not the API', async () => {
      api.routes.set('/apiv1/nodes', (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html>login</html>');
      });
      const r = await cli(['status']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /node status: the answer from .* is not JSON \(is it the koredump API\?\): <html>login/,
      );
    });
  });

  describe('info', () => {
    it('prints the full record of the newest match, stack trace included', async () => {
      const now = new Date((1767225600 + 3) * 1000 + 120_000);
      const r = await cli(['info', 'web'], { now });
      expect(r.code).toBe(0);
      const full = { ...CORES[2], ...metadata(CORES[2]) };
      expect(r.stdout).toBe(formatInfo(full, undefined, now.getTime()));
      expect(r.stdout).toContain('       Message: Process 103 (web) of user 1000 dumped core.\n');
      expect(r.stdout).toContain('                #0  0x0000000000401136 main (web + 0x1136)\n');
      expect(r.stdout).toContain('     Namespace: team-a\n           Pod: web-2\n');
      expect(api.requests.map((q) => q.path)).toContain(
        `/apiv1/cores/metadata/node-a/${CORES[2].id}`,
      );
    });

    it('-o json and -o yaml print the metadata as the API sent it', async () => {
      expect(JSON.parse((await cli(['info', '-o', 'json', '202'])).stdout)).toEqual(
        metadata(CORES[1]),
      );
      expect(parseYaml((await cli(['info', '--output', 'yaml'])).stdout)).toEqual(
        metadata(CORES[3]),
      );
      expect((await cli(['info', '-o', 'table'])).code).toBe(2);
    });

    it('no match: exit 1; unknown core: names core and node', async () => {
      expect(await cli(['info', 'nosuch'])).toEqual({
        stdout: '',
        stderr: 'error: no core matches\nhint: see what there is with `koredumpctl list`\n',
        code: 1,
      });
      cores = [record('gone', 9, 9)];
      const r = await cli(['info']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`^error: core ${cores[0].id.replace(/\./g, '\\.')} not found on node node-a`),
      );
    });
  });

  describe('get / dump', () => {
    it('get NODE ID saves the core and <id without suffix>.json, mode 0600, no part files left', async () => {
      const c = CORES[0];
      const r = await cli(['get', c.node!, c.id]);
      expect(r.code).toBe(0);
      const base = c.id.replace(/\.zst$/, '');
      expect(r.stdout).toBe(
        `Saved ./${c.id} (195K)\nSaved ./${base}.json (${(await stat(join(work, `${base}.json`))).size}B)\n`,
      );
      expect(r.stderr).toBe(''); // no progress bar on a pipe
      expect(sha(await readFile(join(work, c.id)))).toBe(sha(CONTENT[c.id]));
      expect(JSON.parse(await readFile(join(work, `${base}.json`), 'utf8'))).toEqual(metadata(c));
      for (const f of [c.id, `${base}.json`]) {
        expect((await stat(join(work, f))).mode & 0o777).toBe(0o600);
      }
      expect((await readdir(work)).sort()).toEqual([`${base}.json`, c.id].sort());
    });

    it('get -1 -d -O DIR: the newest match, also decompressed (?decompress=true)', async () => {
      const r = await cli(['dump', '-1', '-d', '-O', 'out', '-n', 'team-a']);
      expect(r.code).toBe(0);
      const c = CORES[2];
      const base = c.id.replace(/\.zst$/, '');
      expect(r.stdout).toContain(`Saved ./out/${c.id} (`);
      expect(r.stdout).toContain(`Saved ./out/${base} (488K)`);
      expect(sha(await readFile(join(work, 'out', base)))).toBe(sha(PLAIN_CONTENT[c.id]));
      expect(sha(await readFile(join(work, 'out', c.id)))).toBe(sha(CONTENT[c.id]));
      expect(api.requests.find((q) => q.query.decompress === 'true')?.path).toBe(
        `/apiv1/cores/download/node-a/${c.id}`,
      );
    });

    it('get -a downloads every match; a progress bar on a terminal only', async () => {
      const r = await cli(['get', '-a', 'web'], { tty: true, columns: 100 });
      expect(r.code).toBe(0);
      expect((await readdir(work)).filter((f) => f.endsWith('.zst')).sort()).toEqual(
        [CORES[0].id, CORES[2].id].sort(),
      );
      expect(r.stderr).toMatch(/\r.*100% \[#+\] 195K\/195K {2}\S+\/s {2}ETA 00:00/);
    });

    it('get -a goes on after a failure and exits 1', async () => {
      api.routes.set(`/apiv1/cores/download/node-b/${CORES[1].id}`, (_req, res) =>
        sendJson(res, 403, {
          statusCode: 403,
          message: 'bob cannot get coredumps/download.koredump.io in namespace "team-b"',
        }),
      );
      const r = await cli(['get', '-a']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'error: permission denied: bob cannot get coredumps/download.koredump.io in namespace "team-b"\nerror: 1 of 4 cores could not be downloaded\n',
      );
      const files = await readdir(work);
      for (const c of [CORES[0], CORES[2], CORES[3]]) expect(files).toContain(c.id);
      expect(files).not.toContain(CORES[1].id);
      expect(files.filter((f) => f.endsWith('.part'))).toEqual([]);
    });

    it('nothing to get: "Nothing found.", exit 0 (as the original)', async () => {
      expect(await cli(['get', '-1', 'nosuch'])).toEqual({
        stdout: '',
        stderr: 'Nothing found.\n',
        code: 0,
      });
    });

    it.each([
      [['get'], /which core\? Give NODE ID, or -1 \(the newest\), or -a \(all\)/],
      [['get', 'node-a'], /give NODE and ID \(two arguments\)/],
      [['get', '-1', '-a'], /use either -1 or -a/],
      [['get', '-n', 'x', 'node-a', 'core.x'], /filters work with -1 or -a/],
    ])('usage error %j: exit 2', async (args, message) => {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    });

    it('unknown core: names core and node, exit 1', async () => {
      const r = await cli(['get', 'node-a', id('nosuch', 1, 1)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error: core ${id('nosuch', 1, 1)} not found on node node-a`);
      expect(await readdir(work)).toEqual([]);
    });

    it('refuses an id that is not a plain file name', async () => {
      cores = [{ ...record('evil', 1, 1), id: '../../etc/evil' }];
      const r = await cli(['get', '-1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        'error: refusing to save a core with the id "../../etc/evil": not a plain file name\n',
      );
    });

    it('a transfer cut short: exit 1, the part file kept; --continue finishes it with a Range request', async () => {
      const c = CORES[0];
      const body = CONTENT[c.id];
      const path = `/apiv1/cores/download/node-a/${c.id}`;
      api.routes.set(path, (req, res) => {
        if (req.headers.range || req.method === 'HEAD') return serveCore(req, res, body);
        res.writeHead(200, { 'Content-Length': body.length });
        res.write(body.subarray(0, 70_000), () => res.destroy());
      });
      const r = await cli(['get', 'node-a', c.id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: download of core\.web\.\S+ interrupted after [\d.]+K of 195K: /,
      );
      expect(r.stderr).toContain(
        `hint: the partial file ${join(work, c.id)}.part was kept; run again with --continue to resume`,
      );
      const partSize = (await stat(join(work, `${c.id}.part`))).size;
      expect(partSize).toBeGreaterThan(0);
      expect(partSize).toBeLessThan(body.length);

      const again = await cli(['get', '--continue', 'node-a', c.id]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`Saved ./${c.id} (195K, resumed at `);
      expect(sha(await readFile(join(work, c.id)))).toBe(sha(body));
      const ranged = api.requests.filter((q) => q.path === path && q.headers.range);
      expect(ranged.map((q) => q.headers.range)).toEqual([`bytes=${partSize}-`]);
      // A third run with --continue keeps the complete file (HEAD, no download).
      const third = await cli(['get', '-c', 'node-a', c.id]);
      expect(third.stdout).toContain(`Saved ./${c.id} (195K, already complete)`);
    });

    it('a short answer with a clean end is caught by the size check', async () => {
      const c = CORES[0];
      api.routes.set(`/apiv1/cores/download/node-a/${c.id}`, (_req, res) => {
        res.writeHead(206, {
          'Content-Range': `bytes 0-9/${CONTENT[c.id].length}`,
          'Content-Length': 10,
        });
        res.end(CONTENT[c.id].subarray(0, 10));
      });
      await writeFile(join(work, `${c.id}.part`), '');
      const r = await cli(['get', '-c', 'node-a', c.id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is 10 bytes but the server announced 200000/);
    });
  });

  describe('debug', () => {
    it('caches the decompressed core and runs the debugger on it; the second run uses the cache', async () => {
      const calls: string[][] = [];
      const launcher = { launch: (argv: string[]) => (calls.push(argv), Promise.resolve(0)) };
      const env = { XDG_CACHE_HOME: join(work, 'cache'), KOREDUMPCTL_DEBUGGER: 'gdb -q' };
      const r = await cli(['debug', 'db', '-A', '-batch -ex "bt full"'], { launcher, env });
      expect(r.code).toBe(0);
      const cached = join(work, 'cache/koredump/node-b', CORES[1].id.replace(/\.zst$/, ''));
      expect(sha(await readFile(cached))).toBe(sha(PLAIN_CONTENT[CORES[1].id]));
      expect(r.stderr).toContain(`Saved ${cached} (488K)`);
      expect(r.stderr).toContain('warning: /usr/bin/db is not on this host');
      expect(calls).toEqual([['gdb', '-q', '-batch', '-ex', 'bt full', '-c', cached]]);
      const again = await cli(['gdb', 'db', '--debugger', 'lldb'], { launcher, env });
      expect(again.stderr).toContain(`Using cached ${cached} (488K)`);
      expect(calls[1]).toEqual(['lldb', '--core', cached]);
      expect(api.requests.filter((q) => q.query.decompress === 'true')).toHaveLength(1);
    });

    it("passes the debugger's exit code on; no debugger installed: a clear message", async () => {
      const env = { XDG_CACHE_HOME: join(work, 'cache') };
      const failing = { launch: () => Promise.resolve(3) };
      expect((await cli(['debug', 'web'], { launcher: failing, env })).code).toBe(3);
      const r = await cli(['debug', 'web', '--debugger', '/nonexistent/gdb'], { env });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'error: no debugger: /nonexistent/gdb is not installed or not on PATH\n',
      );
      expect(r.stderr).toContain('hint: install gdb');
      expect((await cli(['debug', 'nosuch'], { launcher: failing, env })).code).toBe(1);
    });
  });

  describe('status', () => {
    it('API, nodes, core count, core_pattern, version', async () => {
      const pattern = join(work, 'core_pattern');
      await writeFile(
        pattern,
        '|/usr/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h\n',
      );
      const r = await cli(['status', '--token', 't'], {
        env: { KOREDUMP_CORE_PATTERN_FILE: pattern },
      });
      expect(r.code).toBe(0);
      const host = (await run('hostname')).stdout.trim();
      expect(r.stdout).toBe(
        [
          `koredump API: ${api.url} (reachable, version 9.9.9)`,
          'Token: from --token',
          'Nodes: 2 (1 ready)',
          '  NODE    READY  CORES  VERSION  LAST ERROR',
          '  node-a  yes    3      9.9.9',
          '  node-b  no     -      -        timeout after 5000 ms',
          'Core count in cluster: 4', // node-b has no count: the list is counted
          `${pattern} [HOSTNAME=${host}]: |/usr/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h`,
          `koredumpctl version: ${CLI_VERSION}`,
          '',
        ].join('\n'),
      );
    });

    it('an unsupported core_pattern is flagged; an unreachable API fails the command', async () => {
      const pattern = join(work, 'core_pattern');
      await writeFile(pattern, 'core\n');
      const r = await cli(['status'], {
        env: { KOREDUMP_URL: 'http://127.0.0.1:1', KOREDUMP_CORE_PATTERN_FILE: pattern },
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('koredump API: unavailable\n');
      expect(r.stdout).toContain(
        ': core unsupported core_pattern! (koredump needs systemd-coredump)\n',
      );
      expect(r.stdout).toContain(`koredumpctl version: ${CLI_VERSION}\n`);
      expect(r.stderr).toBe(
        'error: cannot reach the koredump API at http://127.0.0.1:1/healthz: connection refused\nhint: check KOREDUMP_URL\n',
      );
    });
  });

  describe('version, help, completion', () => {
    it('version and -V', async () => {
      expect(await cli(['version'])).toEqual({
        stdout: `koredumpctl ${CLI_VERSION}\n`,
        stderr: '',
        code: 0,
      });
      expect(await cli(['-V'])).toEqual({ stdout: `${CLI_VERSION}\n`, stderr: '', code: 0 });
    });

    it.each(['list', 'info', 'get', 'dump', 'debug', 'groups', 'status', 'version', 'completion'])(
      '%s --help',
      async (cmd) => {
        const r = await cli([cmd, '--help']);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(
          /^Usage: koredumpctl (list|info|get\|dump|debug\|gdb|groups|status|version|completion) /,
        );
        expect(api.requests).toHaveLength(0);
      },
    );

    it('--help lists the commands and examples; help <command> works', async () => {
      const r = await cli(['--help']);
      expect(r.code).toBe(0);
      for (const c of [
        'list',
        'info',
        'get|dump',
        'debug|gdb',
        'groups',
        'status',
        'version',
        'completion',
      ]) {
        expect(r.stdout).toContain(`  ${c} `);
      }
      expect(r.stdout).toContain('Examples:\n  koredumpctl ');
      expect((await cli(['help', 'get'])).stdout).toMatch(
        /^Usage: koredumpctl get\|dump \[options\]/,
      );
      expect((await cli(['-h'])).stdout).toBe(r.stdout);
    });

    it('completion bash|zsh; anything else is a usage error', async () => {
      expect((await cli(['completion', 'bash'])).stdout).toContain(
        'complete -F _koredumpctl koredumpctl',
      );
      expect((await cli(['completion', 'zsh'])).stdout).toMatch(/^#compdef koredumpctl/);
      expect(await cli(['completion', 'fish'])).toMatchObject({ code: 2, stdout: '' });
      expect((await cli(['completion'])).code).toBe(2);
    });

    it('the bash completion completes commands, options and values', async () => {
      const script = (await cli(['completion', 'bash'])).stdout;
      const complete = async (...words: string[]): Promise<string[]> => {
        const file = join(work, 'completion.bash');
        await writeFile(file, script);
        const r = await run('bash', [
          '-c',
          `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _koredumpctl; printf '%s\\n' "\${COMPREPLY[@]}"`,
          file,
          ...words,
        ]);
        return r.stdout.split('\n').filter(Boolean);
      };
      expect(await complete('koredumpctl', 'st')).toEqual(['status']);
      expect(await complete('koredumpctl', 'get', '--out')).toEqual(['--output-dir']);
      expect(await complete('koredumpctl', 'list', '-o', 'ya')).toEqual(['yaml']);
      expect(await complete('koredumpctl', 'info', '-o', '')).toEqual(['human', 'json', 'yaml']);
      expect(await complete('koredumpctl', 'completion', '')).toEqual(['bash', 'zsh']);
      expect(await complete('koredumpctl', 'groups', '--sort', '')).toEqual(['lastSeen', 'count']);
      expect(await complete('koredumpctl', 'gr')).toEqual(['groups']);
    });
  });
});
