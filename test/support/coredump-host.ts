/**
 * Turns this machine (root, PID 1 not systemd) into a host where a real crash goes
 * kernel → systemd-coredump (pipe) → /run/systemd/coredump (socket mode) → core file + journal entry,
 * as described in /work/shared/reference/test-environment.md §2.
 *
 * startCoredumpHost() starts systemd-journald and a systemd-socket-activate stand-in for
 * systemd-coredump.socket only when they are not already running, points kernel.core_pattern at
 * systemd-coredump, and stop() undoes exactly what that call did.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, rmdir, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pidExists, sleep, spawnDetached, waitFor, type DetachedProcess } from './exec.js';

export const CORE_DIR = '/var/lib/systemd/coredump';
export const JOURNALD_BIN = '/lib/systemd/systemd-journald';
export const COREDUMP_BIN = '/lib/systemd/systemd-coredump';
export const COREDUMP_SOCKET = '/run/systemd/coredump';
export const JOURNAL_SOCKET = '/run/systemd/journal/socket';
export const JOURNAL_STDOUT_SOCKET = '/run/systemd/journal/stdout';
const JOURNAL_SOCKETS = [
  JOURNAL_SOCKET,
  JOURNAL_STDOUT_SOCKET,
  '/run/systemd/journal/dev-log',
  '/run/systemd/journal/io.systemd.journal',
];
const SYSCTL_FILE = '/usr/lib/sysctl.d/50-coredump.conf';
/** Our drop-in. "zz-" so it sorts after (= overrides) ordinary drop-ins. */
export const HARNESS_DROPIN = '/run/systemd/coredump.conf.d/zz-koredump-test-harness.conf';
const HARNESS_DROPIN_TEXT =
  '# Written by koredump test/support/coredump-host.ts; removed by stop().\n' +
  '[Coredump]\nStorage=external\nCompress=yes\n';
const LOG_DIR = join(tmpdir(), 'koredump-harness');
const READY_TIMEOUT_MS = 10_000;

export interface CoredumpHost {
  /** '/var/lib/systemd/coredump' */
  coreDir: string;
  /** True if this call started systemd-journald (stop() will stop it). */
  startedJournald: boolean;
  /** True if this call started the /run/systemd/coredump listener (stop() will stop it). */
  startedCoredumpListener: boolean;
  /** Restores kernel.core_pattern and stops only the daemons this call started (and removes their stale sockets). */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Socket and process inspection (no side effects: nothing connects to the daemons).

interface UnixSocket {
  listening: boolean;
  /** 1 stream, 2 dgram, 5 seqpacket */
  type: number;
}

/** Bound unix sockets by path, from /proc/net/unix (host network namespace). */
async function boundUnixSockets(): Promise<Map<string, UnixSocket[]>> {
  const text = await readFile('/proc/net/unix', 'utf8');
  const map = new Map<string, UnixSocket[]>();
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8 || !cols[7].startsWith('/')) continue;
    const flags = parseInt(cols[3], 16);
    const s: UnixSocket = { listening: (flags & 0x10000) !== 0, type: parseInt(cols[4], 16) };
    const list = map.get(cols[7]) ?? [];
    list.push(s);
    map.set(cols[7], list);
  }
  return map;
}

async function journaldListening(): Promise<boolean> {
  const m = await boundUnixSockets();
  return (
    (m.get(JOURNAL_SOCKET) ?? []).some((s) => s.type === 2) &&
    (m.get(JOURNAL_STDOUT_SOCKET) ?? []).some((s) => s.listening)
  );
}

async function coredumpListening(): Promise<boolean> {
  const m = await boundUnixSockets();
  return (m.get(COREDUMP_SOCKET) ?? []).some((s) => s.listening && s.type === 5);
}

/** Live (non-zombie) pids whose comm equals comm (the kernel truncates comm to 15 chars). */
async function pidsByComm(comm: string): Promise<number[]> {
  const want = comm.slice(0, 15);
  const pids: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8'); // "pid (comm) S ..."
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const state = stat.slice(close + 2, close + 3);
      if (stat.slice(open + 1, close) === want && state !== 'Z' && state !== 'X') {
        pids.push(Number(e));
      }
    } catch {
      // raced with exit
    }
  }
  return pids;
}

/** Removes socket files at these paths that no live socket is bound to any more. */
async function removeStaleSockets(paths: readonly string[]): Promise<void> {
  const bound = await boundUnixSockets();
  for (const p of paths) {
    if (bound.has(p)) continue;
    try {
      if ((await lstat(p)).isSocket()) await rm(p, { force: true });
    } catch {
      // absent
    }
  }
}

async function logTail(file: string): Promise<string> {
  try {
    const t = await readFile(file, 'utf8');
    return `--- ${file} (tail) ---\n${t.split('\n').slice(-20).join('\n')}`;
  } catch {
    return `(no log at ${file})`;
  }
}

async function startDaemon(
  what: string,
  cmd: string,
  args: string[],
  logFile: string,
  ready: () => Promise<boolean>,
): Promise<DetachedProcess> {
  const proc = await spawnDetached(cmd, args, { logFile });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void proc.exited.then((x) => (exited = x));
  await waitFor(
    `${what} (pid ${proc.pid}) to listen`,
    async () => {
      if (exited) {
        throw new Error(
          `${what} exited early (code ${exited.code}, signal ${exited.signal})\n${await logTail(logFile)}`,
        );
      }
      return ready();
    },
    { timeoutMs: READY_TIMEOUT_MS, intervalMs: 20, onTimeout: () => logTail(logFile) },
  );
  return proc;
}

async function stopDaemon(proc: DetachedProcess): Promise<void> {
  if (!pidExists(proc.pid)) return;
  let done = false;
  void proc.exited.then(() => (done = true));
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 5000;
  while (!done && Date.now() < deadline) await sleep(20);
  if (!done) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await Promise.race([proc.exited, sleep(2000)]);
  }
}

// ---------------------------------------------------------------------------------------------
// sysctl and coredump.conf

function sysctlPath(key: string): string {
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

/** key=value pairs of /usr/lib/sysctl.d/50-coredump.conf (core_pattern, core_pipe_limit, suid_dumpable). */
export async function packageCoredumpSysctls(): Promise<Map<string, string>> {
  const text = await readFile(SYSCTL_FILE, 'utf8');
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().replace(/^-/, '').replace(/\//g, '.');
    out.set(key, line.slice(eq + 1).trim());
  }
  if (!out.get('kernel.core_pattern')?.startsWith('|')) {
    throw new Error(`${SYSCTL_FILE} does not set a kernel.core_pattern pipe`);
  }
  return out;
}

async function readSysctl(key: string): Promise<string> {
  return (await readFile(sysctlPath(key), 'utf8')).replace(/\n$/, '');
}

async function writeSysctl(key: string, value: string): Promise<void> {
  await writeFile(sysctlPath(key), value);
}

const CONF_DIRS = [
  '/etc/systemd/coredump.conf.d',
  '/run/systemd/coredump.conf.d',
  '/usr/local/lib/systemd/coredump.conf.d',
  '/usr/lib/systemd/coredump.conf.d',
];

/**
 * The Storage= that systemd-coredump will use, and the file that set it: coredump.conf first, then
 * drop-ins in basename order (a basename in an earlier dir masks the same name in later dirs).
 */
async function effectiveStorage(): Promise<{ value: string; file: string }> {
  const files: string[] = ['/etc/systemd/coredump.conf'];
  const byName = new Map<string, string>();
  for (const dir of CONF_DIRS) {
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const n of names) if (n.endsWith('.conf') && !byName.has(n)) byName.set(n, join(dir, n));
  }
  files.push(...[...byName.keys()].sort().map((n) => byName.get(n)!));
  let value = 'external';
  let file = '(default)';
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch {
      continue;
    }
    for (const raw of text.split('\n')) {
      const m = /^\s*Storage\s*=\s*(\S*)\s*$/.exec(raw);
      if (m) {
        value = m[1] || 'external';
        file = f;
      }
    }
  }
  return { value, file };
}

// ---------------------------------------------------------------------------------------------

interface Shared {
  refs: number;
  teardown: () => Promise<void>;
  info: Omit<CoredumpHost, 'stop'>;
}
let shared: Shared | undefined;
let lock: Promise<unknown> = Promise.resolve();

function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const p = lock.then(fn, fn);
  lock = p.catch(() => undefined);
  return p;
}

/**
 * Makes sure journald and the coredump socket listener run and the kernel pipes cores to
 * systemd-coredump. Safe to call when they already run (then stop() leaves them running).
 * Nested calls in one process share one setup; the last stop() tears it down.
 */
export function startCoredumpHost(): Promise<CoredumpHost> {
  return serialized(async () => {
    if (!shared) shared = await setUp();
    const first = shared.refs === 0;
    shared.refs++;
    const mine = shared;
    let stopped = false;
    return {
      coreDir: mine.info.coreDir,
      // Only the call that did the setup "started" the daemons; nested calls share them.
      startedJournald: first && mine.info.startedJournald,
      startedCoredumpListener: first && mine.info.startedCoredumpListener,
      stop: () =>
        serialized(async () => {
          if (stopped) return;
          stopped = true;
          if (--mine.refs === 0) {
            if (shared === mine) shared = undefined;
            await mine.teardown();
          }
        }),
    };
  });
}

async function setUp(): Promise<Shared> {
  if (process.getuid?.() !== 0) throw new Error('startCoredumpHost() needs root');
  for (const bin of [JOURNALD_BIN, COREDUMP_BIN, '/usr/bin/systemd-socket-activate']) {
    if (!existsSync(bin)) {
      throw new Error(`${bin} is missing; run scripts/install-test-deps.sh`);
    }
  }
  await mkdir(LOG_DIR, { recursive: true });
  await mkdir(CORE_DIR, { recursive: true, mode: 0o755 });

  const undo: Array<() => Promise<void>> = [];
  const teardown = async (): Promise<void> => {
    const errors: unknown[] = [];
    for (const u of undo.reverse()) {
      try {
        await u();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw new AggregateError(errors, 'CoredumpHost.stop() failed');
  };

  try {
    // 1. journald
    let startedJournald = false;
    if (!(await journaldListening())) {
      // A journald without its sockets is starting up or shutting down (someone else's):
      // never start a second one; wait until it listens or is gone.
      const state = await waitFor(
        'a running systemd-journald to listen or exit',
        async () =>
          (await journaldListening())
            ? 'listening'
            : (await pidsByComm('systemd-journald')).length === 0
              ? 'absent'
              : undefined,
        { timeoutMs: READY_TIMEOUT_MS },
      );
      if (state === 'absent') {
        await removeStaleSockets(JOURNAL_SOCKETS);
        const log = join(LOG_DIR, 'journald.log');
        const proc = await startDaemon(
          'systemd-journald',
          JOURNALD_BIN,
          [],
          log,
          journaldListening,
        );
        startedJournald = true;
        undo.push(async () => {
          await stopDaemon(proc);
          await removeStaleSockets(JOURNAL_SOCKETS);
        });
      }
    }

    // 2. /run/systemd/coredump listener (stands in for systemd-coredump.socket, Accept=yes)
    let startedCoredumpListener = false;
    if (!(await coredumpListening())) {
      await removeStaleSockets([COREDUMP_SOCKET]);
      await mkdir('/run/systemd', { recursive: true });
      const log = join(LOG_DIR, 'coredump-socket.log');
      const proc = await startDaemon(
        'systemd-socket-activate on /run/systemd/coredump',
        '/usr/bin/systemd-socket-activate',
        ['--seqpacket', '--accept', '-l', COREDUMP_SOCKET, COREDUMP_BIN],
        log,
        coredumpListening,
      );
      startedCoredumpListener = true;
      undo.push(async () => {
        await stopDaemon(proc);
        await removeStaleSockets([COREDUMP_SOCKET]);
      });
    }

    // 3. coredump.conf: files on disk (Storage=external), never Storage=journal/none left around.
    //    (Re)written on every setup, so a drop-in left behind by a killed run is cleaned up too.
    await mkdir(dirname(HARNESS_DROPIN), { recursive: true });
    await writeFile(HARNESS_DROPIN, HARNESS_DROPIN_TEXT);
    undo.push(async () => {
      await rm(HARNESS_DROPIN, { force: true });
      await rmdir(dirname(HARNESS_DROPIN)).catch(() => undefined); // only if empty
    });
    const storage = await effectiveStorage();
    if (storage.value !== 'external') {
      throw new Error(
        `systemd-coredump would use Storage=${storage.value} (set in ${storage.file}); ` +
          `remove that drop-in so cores are written to ${CORE_DIR}`,
      );
    }

    // 4. sysctls from the package's sysctl.d file (core_pattern first is what matters).
    for (const [key, value] of await packageCoredumpSysctls()) {
      const old = await readSysctl(key);
      if (old === value) continue;
      await writeSysctl(key, value);
      undo.push(() => writeSysctl(key, old));
    }

    return {
      refs: 0,
      teardown,
      info: { coreDir: CORE_DIR, startedJournald, startedCoredumpListener },
    };
  } catch (e) {
    await teardown().catch(() => undefined);
    throw e;
  }
}

/** For diagnostics in error messages. */
export async function hostDiagnostics(): Promise<string> {
  const lines: string[] = [];
  try {
    lines.push(`kernel.core_pattern=${await readSysctl('kernel.core_pattern')}`);
  } catch (e) {
    lines.push(`core_pattern unreadable: ${(e as Error).message}`);
  }
  lines.push(`journald listening: ${await journaldListening()}`);
  lines.push(`coredump socket listening: ${await coredumpListening()}`);
  const storage = await effectiveStorage();
  lines.push(`Storage=${storage.value} (${basename(storage.file)})`);
  return lines.join('\n');
}
