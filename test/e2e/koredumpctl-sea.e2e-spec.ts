/**
 * The single executable (`npm run build:cli` → dist/koredumpctl, Node's SEA) on a host without
 * Node: run with nothing but an empty directory on PATH. And the npm package's `bin` launchers.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { CoreRecord } from '../../apps/koredumpctl/src/core-record.js';
import { CLI_VERSION } from '../../apps/koredumpctl/src/version.js';
import { run } from '../support/exec.js';
import {
  CLI_BUNDLE,
  ensureCliBundle,
  ensureCliExecutable,
  startKoredumpStack,
  type KoredumpStack,
} from '../support/koredumpctl.js';

jest.setTimeout(60_000);

const BOOT = '0123456789abcdef0123456789abcdef';
const ROOT = join(__dirname, '../..');

describe('koredumpctl as a single executable, and as the npm bin', () => {
  let work: string;
  let noNode: string;
  let exe: string;
  let stack: KoredumpStack;

  /** Runs a program with an environment of only PATH=<empty dir> (as `env -i PATH=…`). */
  const bare = (cmd: string, args: string[], extra: Record<string, string> = {}) =>
    run(cmd, args, {
      env: { PATH: noNode, ...extra },
      cwd: work,
      allowFailure: true,
      timeoutMs: 30_000,
    });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'koredumpctl-sea-'));
    noNode = join(work, 'empty-bin');
    await mkdir(noNode);
    const coreDir = join(work, 'coredump');
    await mkdir(coreDir);
    await mkdir(join(work, 'journal'));
    await writeFile(join(coreDir, `core.sea.0.${BOOT}.7.1767225607000000`), Buffer.alloc(4096, 7));
    const [built, s] = await Promise.all([
      ensureCliExecutable(),
      startKoredumpStack({
        node: 'node-sea',
        collectorEnv: {
          KOREDUMP_COREDUMP_DIR: coreDir,
          KOREDUMP_JOURNAL_DIR: join(work, 'journal'),
        },
      }),
    ]);
    exe = built;
    stack = s;
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is a native executable, and the test PATH has no node', async () => {
    const fh = await open(exe, 'r');
    const magic = Buffer.alloc(4);
    await fh.read(magic, 0, 4, 0);
    await fh.close();
    expect(magic.toString('latin1')).toBe('\x7fELF');
    const which = await bare('/bin/sh', ['-c', 'command -v node || echo "no node"']);
    expect(which.stdout).toBe('no node\n');
  });

  it('koredumpctl version runs without Node on PATH', async () => {
    const r = await bare(exe, ['version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`koredumpctl ${CLI_VERSION}\n`);
    expect(r.code).toBe(0);
  });

  it('koredumpctl list talks to the API', async () => {
    const api = (await (await fetch(`${stack.url}/apiv1/cores`)).json()) as CoreRecord[];
    expect(api).toHaveLength(1);
    const json = await bare(exe, ['list', '-o', 'json', '--server', stack.url]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(api);
    const human = await bare(exe, ['list'], { KOREDUMP_URL: stack.url });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(
      `- ID: core.sea.0.${BOOT}.7.1767225607000000\n  Node: node-sea\n`,
    );
    const usage = await bare(exe, ['list', '-o', 'nope']);
    expect(usage.code).toBe(2);
  });

  it('named kubectl-koredump it is a kubectl plugin', async () => {
    const plugin = join(noNode, 'kubectl-koredump');
    await symlink(exe, plugin);
    const r = await bare(plugin, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: kubectl koredump \[command\]/);
    expect(r.stdout).toContain('  kubectl koredump status ');
  });

  it('the npm bin launchers run the bundle', async () => {
    await ensureCliBundle();
    expect(CLI_BUNDLE).toBe(join(ROOT, 'dist/koredumpctl.cjs'));
    const bin = join(ROOT, 'apps/koredumpctl/bin');
    const v = await run(process.execPath, [join(bin, 'koredumpctl.js'), 'version'], {
      env: { PATH: noNode },
    });
    expect(v.stdout).toBe(`koredumpctl ${CLI_VERSION}\n`);
    const h = await run(process.execPath, [join(bin, 'kubectl-koredump.js'), 'get', '--help'], {
      env: { PATH: noNode },
    });
    expect(h.stdout).toMatch(/^Usage: kubectl koredump get\|dump /);
  });
});
