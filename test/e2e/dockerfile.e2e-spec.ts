/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call --
   rendered chart YAML is untyped JSON; these tests walk it freely. */
/**
 * The container image without a Docker engine: the Dockerfile is parsed, its build stage is
 * replayed on exactly the files .dockerignore lets into the build context (npm ci replaced by the
 * installed node_modules), every path it copies into the runtime image must then exist, the
 * entry points the image and the chart name must start, and image and chart must agree (user,
 * paths, ports). The capability mechanism is tested in dockerfile-capabilities.e2e-spec.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';

import { freePort } from '../support/collector.js';
import {
  contextFiles,
  copies,
  labels,
  parseDockerfile,
  parseDockerignore,
  stageByRef,
  words,
  type Copy,
  type Dockerfile,
} from '../support/dockerfile.js';
import { run } from '../support/exec.js';
import { REPO_ROOT, renderChart, type K8sObject } from '../support/helm.js';

const df: Dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const ignore = parseDockerignore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  version: string;
};
const buildStage = stageByRef(df, 'build')!;
const runtime = df.stages[df.stages.length - 1];
const runtimeCopies = (): Copy[] => copies(df).filter((c) => c.stage === runtime.index);
const BUILD_WORKDIR = '/src';

let ctx: string;
let chart: K8sObject[];
const children: ChildProcess[] = [];

/** `npm run X` invocations of a stage's RUN instructions. */
function npmRuns(stage = buildStage): string[] {
  return stage.instructions
    .filter((x) => x.keyword === 'RUN')
    .flatMap((x) => [...x.args.matchAll(/npm run (?:--\S+ )*([\w:.-]+)/g)].map((m) => m[1]));
}

/** Where a path of the runtime image comes from in the replayed build stage (or undefined). */
function localPathOfImagePath(imagePath: string): string | undefined {
  for (const c of runtimeCopies().reverse()) {
    if (c.from !== 'build' || c.sources.length !== 1) continue;
    const dest = c.absDest.replace(/\/$/, '');
    if (imagePath !== dest && !imagePath.startsWith(`${dest}/`)) continue;
    const src = posix.join(c.sources[0], imagePath.slice(dest.length));
    if (!src.startsWith(`${BUILD_WORKDIR}/`)) return undefined;
    return join(ctx, src.slice(BUILD_WORKDIR.length + 1));
  }
  return undefined;
}

async function startAndProbe(
  name: string,
  args: string[],
  env: Record<string, string>,
  port: number,
): Promise<{ status: number; body: string }> {
  const child = spawn(process.execPath, args, {
    cwd: ctx,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      return { status: res.status, body: await res.text() };
    } catch {
      if (Date.now() > deadline) {
        throw new Error(`${name} did not answer /healthz in 30 s:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

beforeAll(async () => {
  // The build context, as `docker build .` would send it.
  ctx = await mkdtemp(join(tmpdir(), 'koredump-docker-context-'));
  for (const f of contextFiles(REPO_ROOT, ignore)) {
    await mkdir(join(ctx, posix.dirname(f)), { recursive: true });
    await cp(join(REPO_ROOT, f), join(ctx, f));
  }
  // `npm ci` of the build stage: the installed dependencies stand in (same lockfile).
  await symlink(join(REPO_ROOT, 'node_modules'), join(ctx, 'node_modules'));
  for (const script of npmRuns()) {
    if (!pkg.scripts[script]) continue; // reported by its own test
    await run('npm', ['run', '--silent', script], { cwd: ctx, timeoutMs: 300_000 });
  }
  chart = await renderChart();
}, 400_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  if (ctx) await rm(ctx, { recursive: true, force: true });
});

describe('Dockerfile', () => {
  it('is multi-stage: a Node 20 bookworm build stage and a Node 20 bookworm-slim runtime', () => {
    expect(df.stages.length).toBeGreaterThanOrEqual(2);
    const nodeVersion = df.globalArgs.NODE_VERSION;
    expect(nodeVersion).toMatch(/^20\.\d+\.\d+$/);
    expect(process.versions.node.split('.')[0]).toBe(nodeVersion.split('.')[0]);
    expect(buildStage.image).toBe('node:${NODE_VERSION}-bookworm');
    expect(runtime.image).toBe('node:${NODE_VERSION}-bookworm-slim');
    // Only the runtime stage is shipped: nothing of the build stage but what is copied.
    expect(runtime.name).toBe('runtime');
  });

  it('builds with npm ci + npm run build (+ build:cli) and prunes the dev dependencies', () => {
    const runs = buildStage.instructions.filter((x) => x.keyword === 'RUN').map((x) => x.args);
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(npmRuns()).toEqual(expect.arrayContaining(['build', 'build:cli']));
    expect(runs.some((r) => /\bnpm prune --omit=dev\b/.test(r))).toBe(true);
  });

  it('every `npm run` script it executes exists in package.json', () => {
    const missing = npmRuns().filter((s) => !pkg.scripts[s]);
    expect({ missingScripts: missing }).toEqual({ missingScripts: [] });
  });

  it('every COPY from the build context names files that are in the context', () => {
    const files = new Set(contextFiles(REPO_ROOT, ignore));
    for (const c of copies(df).filter((x) => !x.from)) {
      for (const s of c.sources) {
        const present =
          s === '.'
            ? files.size > 0
            : files.has(s) || [...files].some((f) => f.startsWith(`${s}/`));
        expect({ line: c.line, source: s, present }).toEqual({
          line: c.line,
          source: s,
          present: true,
        });
      }
    }
  });

  it('.dockerignore keeps local builds, dependencies and secrets out, and the build inputs in', () => {
    const files = contextFiles(REPO_ROOT, ignore);
    for (const banned of ['node_modules/', 'dist/', '.git/', '.cache/', 'coverage/', '.bench/']) {
      expect(files.filter((f) => f.startsWith(banned))).toEqual([]);
    }
    expect(files.filter((f) => /(^|\/)\.env(\.|$)/.test(f) || f.endsWith('.log'))).toEqual([]);
    for (const needed of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
    ]) {
      expect(files).toContain(needed);
    }
    expect(files.some((f) => f.startsWith('apps/node-collector/src/'))).toBe(true);
    expect(files.some((f) => f.startsWith('libs/'))).toBe(true);
  });

  it('every path the runtime stage copies from the build stage exists after the build (replayed on the context)', () => {
    const fromBuild = runtimeCopies().filter((c) => c.from === 'build');
    expect(fromBuild.length).toBeGreaterThanOrEqual(5);
    for (const c of fromBuild) {
      for (const s of c.sources) {
        expect(s.startsWith(`${BUILD_WORKDIR}/`)).toBe(true);
        const local = join(ctx, s.slice(BUILD_WORKDIR.length + 1));
        expect({ line: c.line, source: s, exists: existsSync(local) }).toEqual({
          line: c.line,
          source: s,
          exists: true,
        });
      }
    }
    // The runtime image does not carry the build's dev-only outputs it does not need.
    expect(fromBuild.map((c) => c.sources[0])).not.toContain(`${BUILD_WORKDIR}/dist`);
  });

  it('runs as a numeric non-root user, the one the chart runs as', () => {
    const user = runtime.instructions.filter((x) => x.keyword === 'USER').pop();
    expect(user?.args).toBe('10001:10001');
    const collector = chart.find((o) => o.kind === 'DaemonSet')!.spec.template.spec.containers[0];
    expect(collector.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001 });
    const useradd = runtime.instructions.find(
      (x) => x.keyword === 'RUN' && x.args.includes('useradd'),
    )!;
    expect(useradd.args).toMatch(/groupadd --system --gid 10001 koredump/);
    expect(useradd.args).toMatch(/useradd --system --uid 10001 --gid 10001/);
  });

  it('has the OCI image labels', () => {
    const l = labels(runtime);
    for (const k of [
      'title',
      'description',
      'version',
      'revision',
      'created',
      'licenses',
      'source',
      'base.name',
    ]) {
      expect(l[`org.opencontainers.image.${k}`]).toBeTruthy();
    }
    expect(l['org.opencontainers.image.licenses']).toBe('MIT');
    const version = runtime.instructions.find(
      (x) => x.keyword === 'ARG' && x.args.startsWith('VERSION='),
    );
    expect(version?.args).toBe(`VERSION=${pkg.version}`);
  });

  it('installs journalctl, sets cap_dac_read_search=ep on copies of node and journalctl, and leaves no setuid file', () => {
    const setup = runtime.instructions
      .filter((x) => x.keyword === 'RUN')
      .map((x) => x.args)
      .join('\n');
    expect(setup).toMatch(/apt-get install -y --no-install-recommends systemd\b/);
    expect(setup).toMatch(
      /install -o root -g koredump -m 0750 \/usr\/local\/bin\/node \/usr\/libexec\/koredump\/node/,
    );
    expect(setup).toMatch(
      /install -o root -g koredump -m 0750 \/usr\/bin\/journalctl \/usr\/libexec\/koredump\/bin\/journalctl/,
    );
    expect([...setup.matchAll(/setcap (\S+) (\S+);/g)].map((m) => [m[1], m[2]])).toEqual([
      ['cap_dac_read_search=ep', '/usr/libexec/koredump/node'],
      ['cap_dac_read_search=ep', '/usr/libexec/koredump/bin/journalctl'],
    ]);
    expect(setup).toMatch(/find \/ -xdev -type f -perm \/6000 -exec chmod a-s/);
    // Not the shared node: the aggregator (no DAC_READ_SEARCH in its bounding set) would get EPERM.
    expect(setup).not.toMatch(/setcap \S+ \/usr\/local\/bin\/node/);
  });

  it('the paths the chart executes are in the image: collector, aggregator, koredumpctl installer', () => {
    const ds = chart.find((o) => o.kind === 'DaemonSet')!.spec.template.spec;
    const dep = chart.find((o) => o.kind === 'Deployment')!.spec.template.spec;
    const setup = runtime.instructions
      .filter((x) => x.keyword === 'RUN')
      .map((x) => x.args)
      .join('\n');
    const collector = ds.containers[0];
    // The collector's interpreter and the journalctl it finds first are created by the Dockerfile.
    expect(setup).toContain(` ${collector.command[0]};`);
    const path = collector.env.find((e: any) => e.name === 'PATH').value as string;
    expect(setup).toContain(` ${path.split(':')[0]}/journalctl;`);
    // The JavaScript entry points come from the build output.
    for (const script of [collector.command[1], dep.containers[0].command[1]]) {
      const local = localPathOfImagePath(script);
      expect({ script, local: local && existsSync(local) }).toEqual({ script, local: true });
    }
    // The installer copies /usr/local/bin/koredumpctl, the single executable built by build:cli.
    const installer = ds.initContainers[0].command.join(' ');
    const src = /src=(\S+)/.exec(installer)![1];
    const local = localPathOfImagePath(src);
    expect({ src, exists: !!local && existsSync(local) }).toEqual({ src, exists: true });
    expect(statSync(local!).mode & 0o111).not.toBe(0);
    // The workdir the chart sets is the image's.
    expect(collector.workingDir).toBe(
      runtime.instructions.filter((x) => x.keyword === 'WORKDIR').pop()!.args,
    );
  });

  it('CMD (node-collector with FAKE_K8S=1 NO_TOKENS=1) starts and answers /healthz', async () => {
    const cmd = words(runtime.instructions.filter((x) => x.keyword === 'CMD').pop()!.args);
    expect(cmd[0]).toBe('node');
    const port = await freePort();
    const empty = await mkdtemp(join(tmpdir(), 'koredump-cmd-'));
    try {
      const r = await startAndProbe(
        'node-collector',
        cmd.slice(1),
        {
          FAKE_K8S: '1',
          NO_TOKENS: '1',
          KOREDUMP_NODE_NAME: 'image-test',
          KOREDUMP_COREDUMP_DIR: empty,
          KOREDUMP_JOURNAL_DIR: empty,
        },
        port,
      );
      expect(r.status).toBe(200);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  }, 60_000);

  it('the aggregator entry point the chart runs starts and answers /healthz', async () => {
    const dep = chart.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    const script = localPathOfImagePath(dep.command[1])!;
    const port = await freePort();
    const r = await startAndProbe(
      'aggregator',
      [script],
      {
        FAKE_K8S: '1',
        NO_TOKENS: '1',
        KOREDUMP_COLLECTORS: 'image-test=http://127.0.0.1:9',
        KOREDUMP_DAEMONSET_PORT: '5001',
      },
      port,
    );
    expect(r.status).toBe(200);
  }, 60_000);

  it('the koredumpctl single executable runs (--help)', async () => {
    const bin = localPathOfImagePath('/usr/local/bin/koredumpctl')!;
    const r = await run(bin, ['--help'], {
      allowFailure: true,
      timeoutMs: 30_000,
      env: { PATH: '/usr/bin:/bin' },
    });
    expect({ code: r.code, out: r.stdout + r.stderr }).toMatchObject({ code: 0 });
    expect(r.stdout + r.stderr).toMatch(/koredumpctl/);
  }, 60_000);
});
