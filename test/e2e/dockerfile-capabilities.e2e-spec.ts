/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call --
   rendered chart YAML is untyped JSON; these tests walk it freely. */
/**
 * The capability mechanism of the image, reproduced on this host (root needed; no Docker):
 *
 * - cores (root:root 0640) and journal files (0640) are readable with CAP_DAC_READ_SEARCH alone;
 * - a NON-ROOT process only gets it from a file capability (Kubernetes puts capabilities.add in
 *   the bounding set and sets no ambient capabilities), so the Dockerfile's setcap'ed copies of
 *   node and journalctl are replayed here from the Dockerfile itself, and the built collector is
 *   run exactly as the chart runs it (uid/gid, bounding set, PATH, command) with `setpriv`;
 * - no_new_privs (allowPrivilegeEscalation: false) disables file capabilities;
 * - a file-capability binary cannot even start where the cap is not in the bounding set, which is
 *   why the aggregator uses the image's plain node.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../support/collector.js';
import { parseDockerfile } from '../support/dockerfile.js';
import { run } from '../support/exec.js';
import { coredumpEntry, writeJournalFile } from '../support/fixtures.js';
import { REPO_ROOT, renderChart } from '../support/helm.js';

const isRoot = process.getuid?.() === 0;
const tools = ['setcap', 'setpriv', 'journalctl'].map((t) =>
  ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].map((d) => join(d, t)).find((p) => existsSync(p)),
);
const haveTools = tools.every(Boolean);
const [SETCAP, SETPRIV] = tools as string[];
const COLLECTOR_MAIN = join(REPO_ROOT, 'dist/apps/node-collector/src/main.js');
const DAC_READ_SEARCH_BIT = 1n << 2n;

// Root is needed to make root-owned fixtures, set file capabilities and switch users; `npm test`
// runs as root. Missing tools fail the suite (scripts/install-test-deps.sh installs them).
// Not skipped without root: a capability check that did not run must not look like a pass.
const runIt = describe;

/** An image path mapped into the scratch root (`/usr/libexec/…` → `<root>/usr/libexec/…`). */
let root: string;
const inRoot = (imagePath: string) => join(root, imagePath);

interface CollectorSpec {
  command: string[];
  path: string;
  uid: number;
  gid: number;
  add: string[];
  noNewPrivs: boolean;
}
let spec: CollectorSpec;
let coreDir: string;
let journalDir: string;
let coreName: string;
let coreBytes: Buffer;
const children: ChildProcess[] = [];

interface Started {
  url: string;
  pid: number;
  output: () => string;
}

/** Starts the built collector as the chart's container would run it, under setpriv. */
async function startCollector(opts: {
  node: string;
  path: string;
  noNewPrivs: boolean;
  bounding: string[];
  /**
   * Exec through a capability-less non-root shell first, so the collector starts with an empty
   * permitted set, as Docker (before 24.0.6, also via cri-dockerd) starts non-root containers.
   * false: the permitted set holds the added capability before the exec, as containerd (and
   * runc with its OCI spec) leaves it.
   */
  clearPermitted: boolean;
}): Promise<Started> {
  const port = await freePort();
  const args = [
    `--reuid=${spec.uid}`,
    `--regid=${spec.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    `--bounding-set=-all${opts.bounding.map((c) => `,+${c.toLowerCase()}`).join('')}`,
    ...(opts.noNewPrivs ? ['--no-new-privs'] : []),
    '--',
    ...(opts.clearPermitted ? ['/bin/sh', '-c', 'exec "$@"', 'sh'] : []),
    opts.node,
    COLLECTOR_MAIN,
  ];
  const child = spawn(SETPRIV, args, {
    cwd: '/',
    env: {
      PATH: opts.path,
      HOST: '127.0.0.1',
      PORT: String(port),
      FAKE_K8S: '1',
      NO_TOKENS: '1',
      KOREDUMP_NODE_NAME: 'capability-test',
      KOREDUMP_COREDUMP_DIR: coreDir,
      KOREDUMP_JOURNAL_DIR: journalDir,
      KOREDUMP_POD_LOGS_DIR: '/nonexistent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`collector exited with ${child.exitCode}:\n${out}`);
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`collector did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid: child.pid!, output: () => out };
}

function capSet(pid: number, name: 'CapEff' | 'CapPrm' | 'CapInh' | 'CapAmb' | 'CapBnd'): bigint {
  const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  return BigInt(`0x${m![1]}`);
}

function descendants(pid: number): number[] {
  const kids = readdirSync(`/proc/${pid}/task`).flatMap((t) =>
    readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number),
  );
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

async function listed(url: string): Promise<Array<Record<string, unknown>>> {
  return (await (await fetch(`${url}/apiv1/cores`)).json()) as Array<Record<string, unknown>>;
}

/** Waits until the core is listed; returns its record once the journal fields are in (or the last one). */
async function recordOf(
  url: string,
  withJournalMs: number,
): Promise<Record<string, unknown> | undefined> {
  const deadline = Date.now() + withJournalMs;
  let last: Record<string, unknown> | undefined;
  for (;;) {
    last = (await listed(url)).find((r) => r.id === coreName) ?? last;
    if (last?.COREDUMP_EXE !== undefined || Date.now() > deadline) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
}

runIt('image capability mechanism (non-root collector, file capability DAC_READ_SEARCH)', () => {
  beforeAll(async () => {
    if (!isRoot) {
      throw new Error(
        'needs root (npm test runs as root): it sets file capabilities and switches users',
      );
    }
    if (!haveTools) {
      throw new Error('setcap (apt: libcap2-bin), setpriv (util-linux) and journalctl are needed');
    }
    if (!existsSync(COLLECTOR_MAIN)) {
      throw new Error(`${COLLECTOR_MAIN} missing: run \`npm run build\` first`);
    }
    // What the chart runs.
    const ds = (await renderChart()).find((o) => o.kind === 'DaemonSet')!;
    const c = ds.spec.template.spec.containers.find((x: any) => x.name === 'node-collector');
    spec = {
      command: c.command,
      path: c.env.find((e: any) => e.name === 'PATH').value,
      uid: c.securityContext.runAsUser,
      gid: c.securityContext.runAsGroup,
      add: c.securityContext.capabilities.add,
      noNewPrivs: c.securityContext.allowPrivilegeEscalation === false,
    };
    root = await mkdtemp(join(tmpdir(), 'koredump-caps-'));
    await chmod(root, 0o755);

    // The Dockerfile's copies and setcap calls, replayed: `install -o root -g koredump -m MODE
    // SRC DST` then `setcap CAPS DST`. SRC is this host's node (the image's /usr/local/bin/node)
    // and journalctl.
    const setup = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))
      .instructions.filter((x) => x.keyword === 'RUN')
      .map((x) => x.args)
      .join('\n');
    const hostBinary: Record<string, string> = {
      '/usr/local/bin/node': process.execPath,
      '/usr/bin/journalctl': tools[2]!,
    };
    const installs = [...setup.matchAll(/install -o root -g koredump -m (0\d{3}) (\S+) (\S+);/g)];
    expect(installs.length).toBe(2);
    for (const [, mode, src, dst] of installs) {
      await mkdir(join(inRoot(dst), '..'), { recursive: true, mode: 0o755 });
      await copyFile(hostBinary[src], inRoot(dst));
      await chown(inRoot(dst), 0, spec.gid);
      await chmod(inRoot(dst), parseInt(mode, 8));
    }
    for (const [, caps, dst] of setup.matchAll(/setcap (\S+) (\S+);/g)) {
      await run(SETCAP, [caps, inRoot(dst)]);
    }
    for (const d of [
      '/usr',
      '/usr/libexec',
      '/usr/libexec/koredump',
      '/usr/libexec/koredump/bin',
    ]) {
      await chmod(inRoot(d), 0o755);
    }

    // A host as systemd-coredump leaves it: a 0755 directory of root:root 0640 cores, and a
    // journal directory and file only root may read.
    coreDir = join(root, 'host/var/lib/systemd/coredump');
    journalDir = join(root, 'host/run/log/journal/5eedf00d5eedf00d5eedf00d5eedf00d');
    await mkdir(coreDir, { recursive: true });
    await mkdir(journalDir, { recursive: true });
    for (const d of [
      'host',
      'host/var',
      'host/var/lib',
      'host/var/lib/systemd',
      'host/run',
      'host/run/log',
    ]) {
      await chmod(join(root, d), 0o755);
    }
    await chmod(coreDir, 0o755);
    const usec = `${Date.now()}000`;
    coreName = `core.capcheck.0.0123456789abcdef0123456789abcdef.4242.${usec}.zst`;
    coreBytes = randomBytes(64 * 1024);
    await writeFile(join(coreDir, coreName), coreBytes, { mode: 0o640 });
    await writeJournalFile(join(journalDir, 'system.journal'), [
      coredumpEntry({
        filename: join(coreDir, coreName),
        pid: 4242,
        comm: 'capcheck',
        exe: '/usr/bin/capcheck-from-the-journal',
        timestampUsec: usec,
      }),
    ]);
    await chmod(join(journalDir, 'system.journal'), 0o640);
    await chmod(journalDir, 0o750);
    await chmod(join(journalDir, '..'), 0o755);
  }, 60_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('the chart runs the collector as documented: uid/gid 10001, bounding set {DAC_READ_SEARCH}, escalation allowed', () => {
    expect(spec).toMatchObject({
      uid: 10001,
      gid: 10001,
      add: ['DAC_READ_SEARCH'],
      noNewPrivs: false,
    });
    expect(spec.command[0]).toBe('/usr/libexec/koredump/node');
  });

  it('DAC_READ_SEARCH alone reads a core and the journal; without it neither (DAC_OVERRIDE would also do, but also writes)', async () => {
    const read = async (cap: string | undefined) => {
      const caps = cap
        ? [`--inh-caps=-all,+${cap}`, `--ambient-caps=+${cap}`, `--bounding-set=-all,+${cap}`]
        : ['--inh-caps=-all', '--bounding-set=-all'];
      const base = ['--reuid=65534', '--regid=65534', '--clear-groups', ...caps, '--'];
      const cat = await run(SETPRIV, [...base, 'cat', join(coreDir, coreName)], {
        allowFailure: true,
      });
      const jr = await run(
        SETPRIV,
        [...base, tools[2]!, '-D', journalDir, '-o', 'json', '--no-pager'],
        { allowFailure: true },
      );
      return {
        core: cat.code === 0 && cat.stdout.length > 0,
        journal: jr.code === 0 && jr.stdout.includes('capcheck-from-the-journal'),
      };
    };
    expect(await read(undefined)).toEqual({ core: false, journal: false });
    expect(await read('dac_read_search')).toEqual({ core: true, journal: true });
    expect(await read('dac_override')).toEqual({ core: true, journal: true });
  }, 30_000);

  const chartPath = () =>
    spec.path
      .split(':')
      .map((d) => (d.startsWith('/usr/libexec/koredump') ? inRoot(d) : d))
      .join(':');

  /** Asserts the collector and its journalctl hold exactly DAC_READ_SEARCH and serve the core with its journal entry. */
  async function expectWorks(c: Started): Promise<void> {
    expect(capSet(c.pid, 'CapEff')).toBe(DAC_READ_SEARCH_BIT);
    expect(capSet(c.pid, 'CapBnd')).toBe(DAC_READ_SEARCH_BIT);
    expect(capSet(c.pid, 'CapInh')).toBe(0n);
    expect(capSet(c.pid, 'CapAmb')).toBe(0n);
    const rec = await recordOf(c.url, 10_000);
    expect(rec).toMatchObject({ id: coreName, COREDUMP_EXE: '/usr/bin/capcheck-from-the-journal' });
    const journalctl = descendants(c.pid).filter(
      (p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'journalctl',
    );
    expect(journalctl.length).toBeGreaterThan(0);
    for (const p of journalctl) expect(capSet(p, 'CapEff')).toBe(DAC_READ_SEARCH_BIT);
    const res = await fetch(`${c.url}/apiv1/cores/download/${coreName}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(coreBytes)).toBe(true);
    expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
  }

  /** Asserts the collector runs but can read neither the core nor its journal entry. */
  async function expectReadsNothing(c: Started): Promise<void> {
    expect(capSet(c.pid, 'CapEff')).toBe(0n);
    const rec = await recordOf(c.url, 2_000);
    expect(rec?.id).toBe(coreName); // the directory is world-readable, the files are not
    expect(rec?.COREDUMP_EXE).toBeUndefined();
    expect((await fetch(`${c.url}/apiv1/cores/download/${coreName}`)).status).not.toBe(200);
  }

  it.each([
    ['containerd (permitted set kept until the exec)', false],
    ['Docker < 24.0.6 / cri-dockerd (permitted set emptied before the exec)', true],
  ])(
    'as the chart runs it, on %s: the collector and its journalctl get DAC_READ_SEARCH from the file capability',
    async (_, clearPermitted) => {
      await expectWorks(
        await startCollector({
          node: inRoot(spec.command[0]),
          path: chartPath(),
          noNewPrivs: spec.noNewPrivs,
          bounding: spec.add,
          clearPermitted,
        }),
      );
    },
    60_000,
  );

  it('without file capabilities (capabilities.add alone, the plain binaries) the collector can read neither', async () => {
    await expectReadsNothing(
      await startCollector({
        node: process.execPath,
        path: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        noNewPrivs: false,
        bounding: spec.add,
        clearPermitted: false,
      }),
    );
  }, 60_000);

  it('collector.allowPrivilegeEscalation=false (no_new_privs) works only where the runtime keeps the permitted set', async () => {
    const base = {
      node: inRoot(spec.command[0]),
      path: chartPath(),
      noNewPrivs: true,
      bounding: spec.add,
    };
    await expectWorks(await startCollector({ ...base, clearPermitted: false }));
    await expectReadsNothing(await startCollector({ ...base, clearPermitted: true }));
  }, 60_000);

  it('the file-capability node cannot start without DAC_READ_SEARCH in the bounding set (why the aggregator uses plain node)', async () => {
    /** Runs `node -e 0` as the image's user with no capabilities at all. */
    const withoutCapabilities = (node: string) =>
      run(
        SETPRIV,
        [
          `--reuid=${spec.uid}`,
          `--regid=${spec.gid}`,
          '--clear-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          '--',
          node,
          '-e',
          '0',
        ],
        { allowFailure: true },
      );
    const r = await withoutCapabilities(inRoot(spec.command[0]));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Operation not permitted/);
    const plain = await withoutCapabilities(process.execPath);
    expect(plain.code).toBe(0);
  }, 30_000);
});
