/**
 * Small promise helpers around child_process for the e2e test harness and the benchmark script.
 * No shell is involved unless the caller runs one explicitly.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, openSync, closeSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

export interface RunOptions {
  /** Written to the child's stdin (which is then closed). Mutually exclusive with stdinFile. */
  input?: string | Buffer;
  /** Path of a file streamed to the child's stdin. */
  stdinFile?: string;
  /** Stream the child's stdout into this file instead of capturing it (result.stdout is then empty). */
  stdoutFile?: string;
  cwd?: string;
  /** The complete environment of the child (not merged with process.env). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Replaces argv[0] of the child (the file executed is still `cmd`). */
  argv0?: string;
  /** Kill the child (SIGKILL) and reject after this many ms. Default: no timeout. */
  timeoutMs?: number;
  /** Resolve even on a non-zero exit or a signal (inspect code/signal yourself). */
  allowFailure?: boolean;
}

export interface RunResult<T extends string | Buffer = string> {
  stdout: T;
  stderr: string;
  /** Exit code, or null when the child died from a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
}

/** Rejection of run()/runBuffer(): carries everything needed for a useful test failure message. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly cmd: string,
    readonly args: readonly string[],
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

function fmtCmd(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function runInternal(
  cmd: string,
  args: readonly string[],
  opts: RunOptions,
): Promise<RunResult<Buffer>> {
  return new Promise((resolve, reject) => {
    let outFd: number | undefined;
    if (opts.stdoutFile !== undefined) outFd = openSync(opts.stdoutFile, 'w', 0o644);
    const stdio: StdioOptions = [
      opts.input !== undefined || opts.stdinFile !== undefined ? 'pipe' : 'ignore',
      outFd ?? 'pipe',
      'pipe',
    ];
    const child = spawn(cmd, [...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      argv0: opts.argv0,
      stdio,
    });
    if (outFd !== undefined) closeSync(outFd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs)
        : undefined;
    if (child.stdin) {
      // EPIPE when the child exits early is reported through the exit status instead.
      child.stdin.on('error', () => undefined);
      if (opts.stdinFile !== undefined) {
        const src = createReadStream(opts.stdinFile);
        src.on('error', (e) => {
          child.kill('SIGKILL');
          reject(e);
        });
        src.pipe(child.stdin);
      } else {
        child.stdin.end(opts.input);
      }
    }
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot run ${fmtCmd(cmd, args)}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(
          new CommandError(
            `${fmtCmd(cmd, args)} timed out after ${opts.timeoutMs} ms; stderr: ${stderr.trim()}`,
            cmd,
            args,
            code,
            signal,
            stdout.toString('utf8'),
            stderr,
          ),
        );
        return;
      }
      if (!opts.allowFailure && (code !== 0 || signal !== null)) {
        const how = signal !== null ? `was killed by ${signal}` : `exited with ${code}`;
        reject(
          new CommandError(
            `${fmtCmd(cmd, args)} ${how}: ${stderr.trim() || stdout.toString('utf8').trim()}`,
            cmd,
            args,
            code,
            signal,
            stdout.toString('utf8'),
            stderr,
          ),
        );
        return;
      }
      resolve({ stdout, stderr, code, signal, pid: child.pid ?? -1 });
    });
  });
}

/** Runs a command, captures stdout (utf8) and stderr; rejects with CommandError (stderr in the message) on failure. */
export async function run(
  cmd: string,
  args: readonly string[] = [],
  opts: RunOptions = {},
): Promise<RunResult> {
  const r = await runInternal(cmd, args, opts);
  return { ...r, stdout: r.stdout.toString('utf8') };
}

/** Like run(), but stdout stays binary. */
export function runBuffer(
  cmd: string,
  args: readonly string[] = [],
  opts: RunOptions = {},
): Promise<RunResult<Buffer>> {
  return runInternal(cmd, args, opts);
}

export interface DetachedProcess {
  pid: number;
  /** Resolves when the process exits (only observable from the process that spawned it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts a long-running daemon in its own session (setsid), stdin from /dev/null, stdout+stderr
 * appended to logFile (or discarded). The child does not keep the Node event loop alive.
 */
export function spawnDetached(
  cmd: string,
  args: readonly string[] = [],
  opts: { logFile?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<DetachedProcess> {
  return new Promise((resolve, reject) => {
    const fd = opts.logFile !== undefined ? openSync(opts.logFile, 'a', 0o644) : undefined;
    const child = spawn(cmd, [...args], {
      detached: true,
      cwd: opts.cwd ?? '/',
      env: opts.env ?? { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      stdio: ['ignore', fd ?? 'ignore', fd ?? 'ignore'],
    });
    if (fd !== undefined) closeSync(fd);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      child.on('exit', (code, signal) => res({ code, signal }));
    });
    child.once('error', (e) =>
      reject(new Error(`cannot start ${fmtCmd(cmd, args)}: ${e.message}`)),
    );
    child.once('spawn', () => {
      child.unref();
      resolve({ pid: child.pid!, exited });
    });
  });
}

/** sha256 (hex) of a file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('error', reject)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Copies a readable file to a writable path, streamed (helper for large fixtures). */
export function copyStream(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = createWriteStream(to);
    w.on('error', reject).on('finish', () => resolve());
    createReadStream(from).on('error', reject).pipe(w);
  });
}

export const sleep = (ms: number): Promise<void> => delay(ms);

/** True if a process with this pid exists (zombies included). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Polls `probe` until it returns something other than undefined/false, or rejects after timeoutMs
 * with `Timed out after N ms waiting for <what>` plus the detail from `onTimeout`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs: number; intervalMs?: number; onTimeout?: () => Promise<string> | string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 50;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() >= deadline) {
      const detail = opts.onTimeout ? await opts.onTimeout() : '';
      throw new Error(
        `Timed out after ${opts.timeoutMs} ms waiting for ${what}${detail ? `\n${detail}` : ''}`,
      );
    }
    await delay(interval);
  }
}

/**
 * waitFor with the e2e suites' defaults: polls every 25 ms, fails after timeoutMs (10 s, generous
 * on a busy machine) with `Timed out after N ms waiting for <what>`; returns what the probe found.
 */
export function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  return waitFor(what, probe, { timeoutMs, intervalMs: 25 });
}
