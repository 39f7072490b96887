/**
 * Prometheus' own promtool, to check and unit-test the chart's alerting rules: taken from
 * Debian's `prometheus` package with `apt-get download` (not installed: no daemon, no user) and
 * extracted once into .cache/promtool/ (git-ignored). Needs root or a writable apt cache, like
 * the rest of the e2e tests.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { run } from './exec.js';
import { REPO_ROOT } from './helm.js';

const CACHE_DIR = join(REPO_ROOT, '.cache/promtool');
const PROMTOOL = join(CACHE_DIR, 'promtool');

let promtoolPath: Promise<string> | undefined;

export function ensurePromtool(): Promise<string> {
  promtoolPath ??= (async () => {
    if (existsSync(PROMTOOL)) return PROMTOOL;
    await mkdir(CACHE_DIR, { recursive: true });
    const work = await mkdtemp(join(tmpdir(), 'koredump-promtool-'));
    try {
      const download = () =>
        run('apt-get', ['download', '-qq', 'prometheus'], { cwd: work, timeoutMs: 300_000 });
      // No package lists yet (a fresh machine): read them once, then try again.
      await download().catch(async () => {
        await run('apt-get', ['update', '-qq'], { timeoutMs: 300_000 });
        await download();
      });
      const deb = (await readdir(work)).find((f) => /^prometheus_.*\.deb$/.test(f));
      if (!deb) throw new Error('apt-get download prometheus left no .deb');
      await run('dpkg-deb', ['-x', join(work, deb), join(work, 'root')], { timeoutMs: 120_000 });
      await rename(join(work, 'root/usr/bin/promtool'), `${PROMTOOL}.tmp`);
      await rename(`${PROMTOOL}.tmp`, PROMTOOL);
      return PROMTOOL;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  })();
  return promtoolPath;
}

/** Runs promtool; resolves with its result whatever the exit code. */
export async function promtool(args: string[], cwd: string) {
  return run(await ensurePromtool(), args, { cwd, timeoutMs: 60_000, allowFailure: true });
}
