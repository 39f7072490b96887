/**
 * Shared support for the benchmarks in bench/ (one bench = one process = one report). Compiled
 * with them by `npm run bench:build` (bench/tsconfig.json) into .bench/build/bench/support.js.
 *
 * What it offers (use these instead of copying; a typical bench's main is at the bottom):
 *
 *   Report and output
 *     Report                 rows + notes of one bench: `addRow`, `errorRow`, `note` (bound,
 *                            destructure them), `table()`, `begin()` (prints the title and the
 *                            machine facts), `finish(startedMs, fixedNotes)` (prints the results,
 *                            writes .bench/<name>-latest.md, sets the exit code: 1 if a row errored)
 *     Verdict, Row           'PASS' | 'FAIL' | 'info' | 'error'; one table row
 *     log(msg)               `[bench hh:mm:ss] msg` on stderr
 *     ms, mibs, pctOf        number formatting: "12.3", "950 MiB/s", "87 %"
 *     percentile, median     nearest-rank percentile of a sample (NaN when empty)
 *     machineFacts, loadInfo the "## Machine" section; load average + busiest processes
 *
 *   Cleanup (undo registry, one per process)
 *     undo.track(what, fn)   registers an undo; the returned function runs it once, unregistered
 *                            ({ last: true }: on abort only after main unwound, e.g. a temp dir)
 *     undo.undoAll()         runs the registered undos, newest first, each bounded to 15 s
 *     undo.checkAborted()    throws 'interrupted' once the run is being aborted (call in loops)
 *     undo.shuttingDown      true once abort() started
 *     undo.abort(why, code)  undo all, let main unwind (≤ 10 s), undo again, exit(code)
 *     runMain(main, opts)    runs main with SIGINT/SIGTERM/SIGHUP → abort(…, 130), an optional
 *                            overall deadline → abort(…, 1), and exit 1 on an uncaught error
 *     killChild(child)       SIGTERM, SIGKILL after a grace period; bounded
 *     removeTree(path)       rm -rf that tolerates files still being written
 *     after(ms, value)       an unref'd timer for Promise.race
 *     benchWorkDir(prefix)   mkdtemp dir, removed by undo (kept with BENCH_KEEP=1)
 *
 *   Environment
 *     KEEP                   BENCH_KEEP=1: keep temp dirs and fixtures
 *     wantedRows(default)    the set of rows named by BENCH_ROWS (comma-separated), or default
 *     repoRoot()             the repository root (above .bench/build or bench/)
 *     ensureBuilt(apps)      checks dist/apps/<app>/src/main.js and links .bench/build/dist to it
 *                            (test/support's spawnBuilt* run `<build>/dist/apps/…/main.js`)
 *
 *   Clients and tools
 *     httpGet, Timed         timed GET on an http.Agent (body decoded only when asked for)
 *     getJson                GET that must answer 200, parsed as JSON
 *     pool(n, limit, fn)     fn(0..n-1) with at most `limit` at once, results in order
 *     wrk, haveWrk           `wrk --latency` (p50/p99/req/s); haveWrk() false with BENCH_CLIENT=node
 *     curl(url, opts)        download to /dev/null: HTTP code, bytes, seconds, bytes/s
 *     startNginx(dir, http)  nginx on a free 127.0.0.1 port with the given http{} directives
 *     ProcSampler            VmRSS max per phase (20 ms samples), VmHWM, CPU time of a pid
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { availableParallelism, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { freePort } from '../test/support/collector.js';
import { run, sleep } from '../test/support/exec.js';

export const MiB = 1 << 20;
export const GiB = 1 << 30;

/** BENCH_KEEP=1: keep the temp dir and the fixtures in it. */
export const KEEP = process.env.BENCH_KEEP === '1';

/** The rows named by BENCH_ROWS (comma-separated), or `defaults` (same format). */
export function wantedRows(defaults: string): Set<string> {
  return new Set((process.env.BENCH_ROWS ?? defaults).split(',').map((s) => s.trim()));
}

// ---------------------------------------------------------------------------------------------
// Output

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export const ms = (v: number): string =>
  v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
export const mibs = (bytesPerSec: number): string => `${(bytesPerSec / MiB).toFixed(0)} MiB/s`;
export const pctOf = (a: number, b: number): string => `${((100 * a) / b).toFixed(0)} %`;

/** Nearest-rank percentile (p in 0..100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
export const median = (v: readonly number[]): number => percentile(v, 50);

export type Verdict = 'PASS' | 'FAIL' | 'info' | 'error';

export interface Row {
  n: string;
  metric: string;
  measured: string;
  target: string;
  verdict: Verdict;
}

/**
 * The report of one bench: a markdown table of rows (# | Metric | Measured | Target | Verdict)
 * and notes. `addRow`, `errorRow` and `note` are bound: `const { addRow, errorRow, note } = report`.
 */
export class Report {
  readonly rows: Row[] = [];
  readonly notes: string[] = [];
  private facts = '';

  /**
   * @param name   file stem: the report is written to .bench/<name>-latest.md
   * @param title  the report's heading, e.g. "koredump node-collector benchmark"
   * @param tools  commands whose versions the machine facts list (nginx, zstd, curl)
   */
  constructor(
    readonly name: string,
    readonly title: string,
    private readonly tools: readonly FactTool[] = [],
  ) {}

  /** A note under the table (also logged now). */
  readonly note = (msg: string): void => {
    this.notes.push(msg);
    log(msg);
  };

  readonly addRow = (
    n: string,
    metric: string,
    measured: string,
    target = '—',
    verdict: Verdict = 'info',
  ): void => {
    this.rows.push({ n, metric, measured, target, verdict });
  };

  /** A row whose measurement failed: its first error line in the table, the stack in a note. */
  readonly errorRow = (n: string, metric: string, target: string, err: unknown): void => {
    // eslint-disable-next-line no-control-regex
    const plain = (x: string) => x.replace(/\x1b\[[0-9;]*m/g, '');
    const e = err instanceof Error ? err : new Error(String(err));
    const lines = plain(e.message)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    // "collector exited with 1:" says little; add the first line that names an error.
    let summary = lines[0] ?? 'unknown error';
    const cause = lines.slice(1).find((l) => /error|exception|fail/i.test(l));
    if (summary.endsWith(':') && cause) summary += ` ${cause.replace(/^.*?\]\s*/, '')}`;
    this.addRow(
      n,
      metric,
      `error: ${summary.slice(0, 200).replace(/\|/g, '\\|')}`,
      target,
      'error',
    );
    const detail = plain(e.stack ?? e.message);
    this.note(
      `row ${n} (${metric}) failed: ${detail.length > 1500 ? `${detail.slice(0, 1500)} …` : detail}`,
    );
  };

  table(): string {
    const esc = (s: string) => s.replace(/\n/g, ' ');
    const out = ['| # | Metric | Measured | Target | Verdict |', '|---|---|---|---|---|'];
    for (const r of this.rows) {
      out.push(
        `| ${r.n} | ${esc(r.metric)} | ${esc(r.measured)} | ${esc(r.target)} | ${r.verdict} |`,
      );
    }
    return out.join('\n');
  }

  /** Prints the title and the machine facts (and keeps them for the file). */
  async begin(): Promise<void> {
    this.facts = await machineFacts(this.tools);
    console.log(`# ${this.title}\n\n${this.facts}\n`);
  }

  /**
   * Prints the results (table, `fixedNotes`, then the notes gathered, then the load at the end),
   * writes .bench/<name>-latest.md and sets process.exitCode (1 if a row errored, else 0).
   */
  async finish(startedMs: number, fixedNotes: readonly string[] = []): Promise<void> {
    const report = [
      `## Results (${((performance.now() - startedMs) / 1000).toFixed(0)} s)`,
      '',
      this.table(),
      '',
      '## Notes',
      '',
      ...fixedNotes.map((n) => `- ${n}`),
      ...this.notes.map((n) => `- ${n.replace(/\n/g, '\n  ')}`),
      `- at end: ${await loadInfo()}`,
      '',
    ].join('\n');
    console.log(report);
    const outDir = join(repoRoot(), '.bench');
    await mkdir(outDir, { recursive: true });
    const file = join(outDir, `${this.name}-latest.md`);
    await writeFile(file, `# ${this.title}\n\n${this.facts}\n\n${report}`);
    log(`report written to ${file}`);
    process.exitCode = this.rows.some((r) => r.verdict === 'error') ? 1 : 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Machine facts

export type FactTool = 'nginx' | 'zstd' | 'curl';

/** The "## Machine" section: CPU, memory, kernel, node and tool versions, commit, load. */
export async function machineFacts(tools: readonly FactTool[] = []): Promise<string> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  const mhz = /cpu MHz\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim();
  let commit = 'unknown';
  try {
    commit = (await run('git', ['-C', repoRoot(), 'rev-parse', '--short', 'HEAD'])).stdout.trim();
    const dirty = (
      await run('git', ['-C', repoRoot(), 'status', '--porcelain', '--', 'apps', 'libs'])
    ).stdout.trim();
    if (dirty) commit += ' (+ uncommitted changes in apps/libs)';
  } catch {
    // not a git checkout
  }
  const versions = [`node ${process.version}`];
  for (const tool of tools) versions.push(await toolVersion(tool));
  return [
    '## Machine',
    '',
    `- date: ${new Date().toISOString()}`,
    `- nproc: ${availableParallelism()}`,
    `- CPU: ${model}${mhz ? ` (${Number(mhz).toFixed(0)} MHz)` : ''}`,
    `- memory: ${(totalmem() / GiB).toFixed(1)} GiB; kernel ${release()}`,
    `- ${versions.join('; ')}`,
    `- koredump commit ${commit}`,
    `- at start: ${await loadInfo()}`,
  ].join('\n');
}

async function toolVersion(tool: FactTool): Promise<string> {
  switch (tool) {
    case 'nginx':
      return (await run('nginx', ['-v'], { allowFailure: true })).stderr
        .trim()
        .replace(/^nginx version: /, '');
    case 'zstd':
      return (await run('zstd', ['-V'], { allowFailure: true })).stdout.trim().split('\n')[0];
    case 'curl':
      return (await run('curl', ['-V'], { allowFailure: true })).stdout
        .split('\n')[0]
        .split(' ')
        .slice(0, 2)
        .join(' ');
  }
}

/** Load average and the busiest processes: the VM is shared, so say how busy it was. */
export async function loadInfo(): Promise<string> {
  const [l1, l5] = loadavg();
  const ps = await run('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu', '--no-headers'], {
    allowFailure: true,
  });
  const busy = ps.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([cpu]) => Number(cpu) >= 5)
    .slice(0, 4)
    .map(([cpu, comm]) => `${comm} ${cpu} %`);
  return `load average ${l1.toFixed(2)} (1 min), ${l5.toFixed(2)} (5 min)${busy.length ? `; busiest (ps %CPU): ${busy.join(', ')}` : ''}${l1 > 0.5 ? ' — machine not idle, expect noise' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started or created registers an undo; undo runs in finally and on signals.

/** A timer for Promise.race that does not keep the process alive. */
export function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((res) => setTimeout(() => res(value), ms).unref());
}

export class Undo {
  private readonly undos = new Map<
    number,
    { what: string; fn: () => Promise<void> | void; last: boolean }
  >();
  private seq = 0;
  private stopping = false;
  /** main()'s promise, so that abort() can let it unwind before exiting. */
  mainDone: Promise<unknown> = Promise.resolve();

  /** True once abort() started: rows should stop, main should not write a report. */
  get shuttingDown(): boolean {
    return this.stopping;
  }

  /**
   * Registers an undo action; the returned function runs it (once) and unregisters it. `last`:
   * abort() runs it only after main has unwound (a temp dir that rows may still write into).
   */
  readonly track = (
    what: string,
    fn: () => Promise<void> | void,
    opts: { last?: boolean } = {},
  ): (() => Promise<void>) => {
    const id = ++this.seq;
    this.undos.set(id, { what, fn, last: opts.last ?? false });
    return async () => {
      const u = this.undos.get(id);
      if (!u) return;
      this.undos.delete(id);
      try {
        await u.fn();
      } catch (err) {
        log(`cleanup of ${u.what} failed: ${(err as Error).message}`);
      }
    };
  };

  /** Runs every registered undo, newest first, each bounded to 15 s (but `last` ones if asked). */
  readonly undoAll = async (opts: { exceptLast?: boolean } = {}): Promise<void> => {
    for (const id of [...this.undos.keys()].reverse()) {
      const u = this.undos.get(id);
      if (!u || (opts.exceptLast && u.last)) continue;
      this.undos.delete(id);
      try {
        await Promise.race([u.fn(), after(15_000, undefined)]);
      } catch (err) {
        log(`cleanup of ${u.what} failed: ${(err as Error).message}`);
      }
    }
  };

  /** Called between steps of a row: stop starting new work once the run is being aborted. */
  readonly checkAborted = (): void => {
    if (this.stopping) throw new Error('interrupted');
  };

  /**
   * Signal or deadline: undo everything at once (which also makes running rows fail fast), let
   * the rows notice `shuttingDown` and unwind (bounded), undo what they registered meanwhile, exit.
   */
  readonly abort = async (reason: string, code: number): Promise<never> => {
    if (!this.stopping) {
      this.stopping = true;
      log(`${reason}: cleaning up`);
      await this.undoAll({ exceptLast: true });
      await Promise.race([this.mainDone.catch(() => undefined), after(10_000, undefined)]);
      await this.undoAll();
    }
    process.exit(code);
  };
}

/** The process's undo registry (the helpers below register what they start in it). */
export const undo = new Undo();

/**
 * Runs a bench's main: SIGINT/SIGTERM/SIGHUP abort with exit code 130, `deadlineMs` (optional)
 * aborts with 1; an error escaping main is printed, everything undone, exit code 1. main sets
 * process.exitCode itself (Report.finish does).
 */
export function runMain(main: () => Promise<void>, opts: { deadlineMs?: number } = {}): void {
  if (opts.deadlineMs) {
    setTimeout(() => void undo.abort('overall deadline exceeded', 1), opts.deadlineMs).unref();
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => void undo.abort(`got ${sig}`, 130));
  }
  undo.mainDone = main().catch(async (err: unknown) => {
    if (undo.shuttingDown) return;
    console.error(err);
    await undo.undoAll();
    process.exit(1);
  });
}

/** Kills a child process: SIGTERM, then SIGKILL after graceMs; bounded. */
export async function killChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  if (exited()) return;
  const done = once(child, 'exit').catch(() => undefined);
  child.kill('SIGTERM');
  await Promise.race([done, after(graceMs, undefined)]);
  if (!exited()) {
    child.kill('SIGKILL');
    await Promise.race([done, after(2000, undefined)]);
  }
}

/**
 * rm -rf that tolerates files still being written (an interrupted fixture generation): retries,
 * then removes once more after in-flight writes have landed.
 */
export async function removeTree(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  await sleep(100); // a ref'd timer: an unref'd one would let the process exit right here
  await rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

/**
 * A fresh temp dir `<tmpdir>/<prefix>XXXXXX`, registered for removal (kept with BENCH_KEEP=1);
 * `remove` removes it now.
 */
export async function benchWorkDir(
  prefix: string,
): Promise<{ work: string; remove: () => Promise<void> }> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  const remove = undo.track(
    `temp dir ${work}`,
    () => (KEEP ? log(`kept ${work}`) : removeTree(work)),
    { last: true },
  );
  log(`temp dir ${work}`);
  return { work, remove };
}

// ---------------------------------------------------------------------------------------------
// Paths and the built apps

export function repoRoot(): string {
  for (let d = __dirname; d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'apps', 'node-collector'))) {
      return d;
    }
  }
  throw new Error(`repository root not found above ${__dirname}`);
}

/**
 * test/support's spawnBuiltCollector()/spawnBuiltAggregator() run
 * `<test/support>/../../dist/apps/<app>/src/main.js`. The benches run compiled from .bench/build,
 * so make .bench/build/dist point at the repository's dist/ (after checking it has these apps).
 */
export function ensureBuilt(apps: readonly ('node-collector' | 'aggregator')[]): void {
  const root = repoRoot();
  for (const app of apps) {
    const main = join(root, `dist/apps/${app}/src/main.js`);
    if (!existsSync(main)) throw new Error(`${main} missing: run npm run build first`);
  }
  const buildRoot = join(__dirname, '..');
  if (buildRoot === root) return;
  const link = join(buildRoot, 'dist');
  try {
    lstatSync(link);
  } catch {
    symlinkSync(join(root, 'dist'), link);
  }
  for (const app of apps) {
    if (!existsSync(join(link, `apps/${app}/src/main.js`))) {
      throw new Error(`${link} does not lead to the built ${app}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP client (keep-alive, in process)

export interface Timed {
  /** Time to the end of the body. */
  ms: number;
  /** Time to the response headers. */
  ttfb: number;
  status: number;
  bytes: number;
  /** Only with keepBody ('' otherwise). */
  body: string;
  headers: IncomingHttpHeaders;
}

/**
 * GET with timing; the body is only decoded when asked for (a client busy decoding would add
 * its own delay to the next answers it is waiting for). Fails after timeoutMs without an answer.
 */
export function httpGet(
  url: string,
  agent: Agent,
  keepBody = false,
  timeoutMs = 30_000,
  headers: Record<string, string> = {},
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { agent, timeout: timeoutMs, headers }, (res) => {
      const ttfb = performance.now() - t0;
      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keepBody) chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          ms: performance.now() - t0,
          ttfb,
          status: res.statusCode ?? 0,
          bytes,
          body: keepBody ? Buffer.concat(chunks).toString('utf8') : '',
          headers: res.headers,
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no response in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET that must answer 200; the body parsed as JSON. */
export async function getJson<T>(
  url: string,
  agent: Agent,
  headers: Record<string, string> = {},
): Promise<T> {
  const r = await httpGet(url, agent, true, 30_000, headers);
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${r.body.slice(0, 200)}`);
  return JSON.parse(r.body) as T;
}

/** fn(0) … fn(n - 1), at most `limit` at once; the results in order. */
export async function pool<T>(
  n: number,
  limit: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// wrk and curl

export interface WrkResult {
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  requests: number;
  rps: number;
}

export interface WrkOptions {
  /** wrk -t (default 1). */
  threads?: number;
  /** Extra request headers ("Name: value"). */
  headers?: string[];
  /** A wrk Lua script (-s), e.g. one that cycles through paths. */
  script?: string;
}

/**
 * `wrk --latency` (C, HdrHistogram): far less client CPU than node:http on a 2-core box. Fails on
 * non-2xx answers and socket errors.
 */
export async function wrk(
  url: string,
  connections: number,
  seconds: number,
  opts: WrkOptions = {},
): Promise<WrkResult> {
  const r = await run(
    'wrk',
    [
      `-t${opts.threads ?? 1}`,
      `-c${connections}`,
      `-d${seconds}s`,
      '--latency',
      '--timeout',
      '10s',
      ...(opts.headers ?? []).flatMap((h) => ['-H', h]),
      ...(opts.script ? ['-s', opts.script] : []),
      url,
    ],
    { timeoutMs: (seconds + 30) * 1000 },
  );
  const out = r.stdout;
  const dur = (v: string, unit: string) =>
    Number(v) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 }[unit] ?? NaN);
  const pct = (p: number) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`no ${p}% line in wrk output:\n${out}`);
    return dur(m[1], m[2]);
  };
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) throw new Error(`wrk: ${non2xx[1]} non-2xx responses`);
  const sockErr = /Socket errors: (.*)/.exec(out);
  if (sockErr) throw new Error(`wrk: socket errors ${sockErr[1]}`);
  return {
    p50: pct(50),
    p99: pct(99),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
  };
}

let wrkAvailable: boolean | undefined;
/** Whether wrk is installed (always false with BENCH_CLIENT=node: use the node:http client). */
export async function haveWrk(): Promise<boolean> {
  if (process.env.BENCH_CLIENT === 'node') return false;
  wrkAvailable ??=
    (await run('wrk', ['-v'], { allowFailure: true }).catch(() => undefined)) !== undefined;
  return wrkAvailable;
}

export interface CurlResult {
  code: number;
  bytes: number;
  seconds: number;
  /** Bytes per second. */
  speed: number;
}

export interface CurlOptions {
  /** Extra curl arguments (e.g. --limit-rate, -r). */
  extra?: string[];
  /** curl --max-time (default 300). */
  maxTimeS?: number;
  /** HTTP codes that count as success (default 200 only). */
  okCodes?: readonly number[];
}

/** Downloads url to /dev/null with curl. */
export async function curl(url: string, opts: CurlOptions = {}): Promise<CurlResult> {
  const maxTimeS = opts.maxTimeS ?? 300;
  const r = await run(
    'curl',
    [
      '-s',
      '-o',
      '/dev/null',
      '--max-time',
      String(maxTimeS),
      ...(opts.extra ?? []),
      '-w',
      '%{http_code} %{size_download} %{time_total} %{speed_download}',
      url,
    ],
    { timeoutMs: (maxTimeS + 10) * 1000 },
  );
  const [code, bytes, seconds, speed] = r.stdout.trim().split(/\s+/).map(Number);
  if (!(opts.okCodes ?? [200]).includes(code)) throw new Error(`curl ${url}: HTTP ${code}`);
  return { code, bytes, seconds, speed };
}

// ---------------------------------------------------------------------------------------------
// nginx

export interface Nginx {
  url: string;
  stop: () => Promise<void>;
}

/**
 * Debian nginx (one worker, no daemon) on a free 127.0.0.1 port, files under `dir`. `http(port)`
 * gives the directives inside http{} besides the temp paths (typically a `server { listen
 * 127.0.0.1:<port>; … }`). Waits until it answers GET `readyPath` (any status).
 */
export async function startNginx(
  dir: string,
  http: (port: number) => string[],
  readyPath = '/',
): Promise<Nginx> {
  const port = await freePort();
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  const errLog = join(dir, 'error.log');
  await writeFile(
    conf,
    [
      'daemon off;',
      'master_process on;',
      'worker_processes 1;',
      'user root;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${errLog} warn;`,
      'events { worker_connections 64; }',
      'http {',
      `  client_body_temp_path ${tmp}/body;`,
      `  proxy_temp_path ${tmp}/proxy;`,
      `  fastcgi_temp_path ${tmp}/fastcgi;`,
      `  uwsgi_temp_path ${tmp}/uwsgi;`,
      `  scgi_temp_path ${tmp}/scgi;`,
      ...http(port).map((l) => `  ${l}`),
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf, '-e', errLog], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const stop = undo.track(`nginx pid ${child.pid}`, () => killChild(child));
  child.on('error', () => undefined);
  const url = `http://127.0.0.1:${port}`;
  const agent = new Agent({ keepAlive: false });
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `nginx exited (${child.exitCode ?? child.signalCode}): ${readFileSync(errLog, 'utf8').slice(-500)}`,
        );
      }
      try {
        await httpGet(`${url}${readyPath}`, agent, false, 1000);
        break;
      } catch {
        if (i >= 100) throw new Error('nginx did not answer within 5 s');
        await sleep(50);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    agent.destroy();
  }
  return { url, stop };
}

// ---------------------------------------------------------------------------------------------
// /proc sampling

/** Samples VmRSS of a process every 20 ms (max per phase, in KiB) and reads its CPU time. */
export class ProcSampler {
  /** Max VmRSS (KiB) seen per phase; set `phase` to start a new one. */
  readonly maxRssKiB = new Map<string, number>();
  samples = 0;
  phase = 'idle';
  private timer?: NodeJS.Timeout;
  constructor(private readonly pid: number) {}
  /** VmRSS and VmHWM now, in KiB. */
  read(): { rss: number; hwm: number } {
    const s = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return {
      rss: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? NaN),
      hwm: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? NaN),
    };
  }
  /** user and system CPU seconds so far (USER_HZ = 100 on Linux). */
  cpu(): { user: number; sys: number } {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 };
  }
  get maxOverall(): number {
    return Math.max(0, ...this.maxRssKiB.values());
  }
  start(): void {
    this.timer = setInterval(() => {
      try {
        const { rss } = this.read();
        this.maxRssKiB.set(this.phase, Math.max(this.maxRssKiB.get(this.phase) ?? 0, rss));
        this.samples++;
      } catch {
        // process gone
      }
    }, 20);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}
