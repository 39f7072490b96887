/**
 * Real crashes for e2e tests and benchmarks: a small C program that dies with SIGSEGV or SIGABRT,
 * optionally as another uid, inside a real kubepods cgroup, or under a fake conmon so that
 * systemd-coredump records COREDUMP_CONTAINER_CMDLINE (see test-environment.md §2).
 * Needs a host prepared by startCoredumpHost().
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rmdir, writeFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { hostDiagnostics } from './coredump-host.js';
import { run, sleep, waitFor } from './exec.js';
import { COREDUMP_MESSAGE_ID } from './fixtures.js';

export { COREDUMP_MESSAGE_ID };
const CLEAN_PATH = '/usr/bin:/bin';

const CRASHER_C = String.raw`/* koredump test crasher: allocate argv[1] MiB (default 1), fill it, then crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1;
  size_t n = mib << 20;
  unsigned char *volatile p = malloc(n ? n : 1);
  if (p == NULL) {
    perror("malloc");
    return 2;
  }
  memset(p, 0xAB, n);
  for (size_t i = 0; i < n; i += 4096) p[i] = (unsigned char)(i >> 12); /* one marker per page */
  printf("crasher %d: %zu MiB, about to crash\n", (int)getpid(), mib);
  fflush(stdout);
  if (argc > 2 && strcmp(argv[2], "abort") == 0) abort();
  *(volatile int *)0 = 1;
  return 0;
}
`;

/*
 * A stand-in for CRI-O's conmon: stays in the host mount namespace (so systemd-coredump uses its
 * command line as COREDUMP_CONTAINER_CMDLINE) and forks the "container": a child that enters a new
 * mount namespace, pivot_root()s into a directory holding a static crasher and execs it. The child
 * is the process that crashes (same pid from fork to crash); nothing re-raises the signal, so there
 * is exactly one core. Configuration comes from KOREDUMP_CONMON_* variables, which the crasher does
 * not inherit (it gets PATH only).
 */
const CONMON_C = String.raw`#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "conmon: %s: %s\n", what, strerror(errno));
  _exit(127);
}

int main(void) {
  const char *root = getenv("KOREDUMP_CONMON_ROOT");
  const char *exe = getenv("KOREDUMP_CONMON_EXE");
  const char *size = getenv("KOREDUMP_CONMON_SIZE");
  const char *mode = getenv("KOREDUMP_CONMON_MODE");
  const char *procs = getenv("KOREDUMP_CONMON_CGROUP_PROCS");
  if (root == NULL || exe == NULL) {
    fprintf(stderr, "conmon: KOREDUMP_CONMON_ROOT and KOREDUMP_CONMON_EXE are required\n");
    return 2;
  }
  if (procs != NULL && *procs != '\0') {
    int fd = open(procs, O_WRONLY);
    if (fd < 0 || dprintf(fd, "%d\n", (int)getpid()) < 0) die("join cgroup");
    close(fd);
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0) die("unshare(CLONE_NEWNS)");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("make / private");
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) != 0) die("bind mount root");
    if (chdir(root) != 0) die("chdir root");
    if (syscall(SYS_pivot_root, ".", "old") != 0) die("pivot_root");
    if (chdir("/") != 0) die("chdir /");
    char *args[] = {(char *)exe, (char *)(size ? size : "1"), (char *)(mode ? mode : "segv"), NULL};
    char *env[] = {"PATH=/usr/bin:/bin", NULL};
    execve(exe, args, env);
    die("execve");
  }
  printf("%d\n", (int)pid);
  fflush(stdout);
  int st;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) die("waitpid");
  }
  if (WIFSIGNALED(st)) {
    fprintf(stderr, "conmon: container process %d killed by signal %d%s\n", (int)pid, WTERMSIG(st),
            WCOREDUMP(st) ? " (core dumped)" : "");
  } else {
    fprintf(stderr, "conmon: container process %d exited with %d\n", (int)pid, WEXITSTATUS(st));
  }
  return 0;
}
`;

const builds = new Map<string, Promise<string>>();

async function compile(workDir: string, name: string, source: string, flags: string[]) {
  const src = join(workDir, `${name}.c`);
  const bin = join(workDir, name);
  try {
    const [oldSrc, binStat, srcStat] = await Promise.all([
      readFile(src, 'utf8'),
      stat(bin),
      stat(src),
    ]);
    if (oldSrc === source && binStat.mtimeMs >= srcStat.mtimeMs) return bin; // cached on disk
  } catch {
    // not built yet
  }
  await writeFile(src, source);
  // -ffile-prefix-map makes the binary independent of workDir, so staged copies (stageCopy) are
  // shared across runs instead of piling up in /tmp.
  await run(
    'gcc',
    ['-g', '-O0', `-ffile-prefix-map=${workDir}=/koredump-crasher`, ...flags, '-o', bin, src],
    {
      timeoutMs: 60_000,
    },
  );
  return bin;
}

/**
 * Compiles `crasher` (gcc -g), `crasher-static` (for the conmon container root) and `conmon` into
 * workDir. Returns the path of `crasher`. Cached per workDir (in memory and on disk).
 */
export function buildCrasher(workDir: string): Promise<string> {
  let p = builds.get(workDir);
  if (!p) {
    p = (async () => {
      await mkdir(workDir, { recursive: true });
      const [crasher] = await Promise.all([
        compile(workDir, 'crasher', CRASHER_C, []),
        compile(workDir, 'crasher-static', CRASHER_C, ['-static']),
        compile(workDir, 'conmon', CONMON_C, []),
      ]);
      return crasher;
    })();
    builds.set(workDir, p);
    p.catch(() => builds.delete(workDir));
  }
  return p;
}

export interface CrashResult {
  pid: number;
  /** Absolute path of the core file systemd-coredump wrote (COREDUMP_FILENAME). */
  coreFile: string;
  /** The journal entry as `journalctl -o json --all` prints it. */
  journal: Record<string, unknown>;
  /** The executable that crashed, as seen from the host. */
  exe: string;
  /** The cgroup (relative to the cgroup2 root) the crasher ran in, when kubepods was given. */
  cgroup?: string;
}

export interface KubepodsOptions {
  podUID: string;
  containerID: string;
  /** Default 'burstable'. */
  qos?: 'guaranteed' | 'burstable' | 'besteffort';
  /** Default 'cri-containerd'. */
  runtime?: 'cri-containerd' | 'crio' | 'docker';
}

export interface CrashOptions {
  /** MiB the crasher allocates and fills before crashing. Default 1. */
  sizeMiB?: number;
  /** Default 'SEGV'. */
  signal?: 'SEGV' | 'ABRT';
  /** Copy the binary to this name first so COREDUMP_COMM differs (the kernel keeps 15 chars). */
  comm?: string;
  /** Run via setpriv --reuid/--regid --clear-groups (gid = uid). Not with conmon. */
  uid?: number;
  /** Run inside a real systemd-driver kubepods cgroup (cgroup2); the cgroups are removed afterwards. */
  kubepods?: KubepodsOptions;
  /** Crash inside a pivot_root "container" under a fake conmon, making COREDUMP_CONTAINER_CMDLINE real. */
  conmon?: { name: string; cid: string };
  /** Default 15000. */
  timeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------

/** Copies the binary to a world-readable dir (so other uids can exec it) under the given name. */
async function stageCopy(src: string, name: string): Promise<string> {
  if (!/^[^/\0]+$/.test(name) || name === '.' || name === '..') {
    throw new Error(`invalid comm ${JSON.stringify(name)}`);
  }
  const content = await readFile(src);
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `koredump-crasher-${hash}`);
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  const dest = join(dir, name);
  if (!existsSync(dest)) {
    const tmp = `${dest}.${process.pid}.tmp`;
    await copyFile(src, tmp);
    await chmod(tmp, 0o755);
    await rename(tmp, dest);
  }
  return dest;
}

/** The container root for conmon mode: <workDir>/conmon-root with /<name> (static) and /old. */
async function stageConmonRoot(crasherPath: string, name: string): Promise<string> {
  const staticBin = join(dirname(crasherPath), 'crasher-static');
  if (!existsSync(staticBin)) {
    throw new Error(`${staticBin} not found: conmon mode needs a crasher from buildCrasher()`);
  }
  if (!/^[^/\0]+$/.test(name) || name === 'old') throw new Error(`invalid comm ${name}`);
  const root = join(dirname(crasherPath), 'conmon-root');
  await mkdir(join(root, 'old'), { recursive: true });
  const dest = join(root, name);
  const [a, b] = await Promise.all([readFile(staticBin), readFile(dest).catch(() => undefined)]);
  if (!b || !a.equals(b)) {
    await copyFile(staticBin, `${dest}.tmp`);
    await chmod(`${dest}.tmp`, 0o755);
    await rename(`${dest}.tmp`, dest);
  }
  return root;
}

/** Where cgroup2 is mounted: /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones. */
export async function cgroup2Root(): Promise<string> {
  const mounts: string[] = [];
  for (const line of (await readFile('/proc/self/mountinfo', 'utf8')).split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post || post.split(' ')[0] !== 'cgroup2') continue;
    mounts.push(pre.split(' ')[4]);
  }
  for (const want of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    if (mounts.includes(want)) return want;
  }
  if (mounts[0]) return mounts[0];
  throw new Error('no cgroup2 mount found in /proc/self/mountinfo');
}

/** The systemd-driver cgroup path kubelet + the runtime would create for this container. */
export function kubepodsCgroupPath(k: KubepodsOptions): string {
  const uid = k.podUID.replace(/-/g, '_');
  const qos = k.qos ?? 'burstable';
  const parts = ['kubepods.slice'];
  if (qos === 'guaranteed') parts.push(`kubepods-pod${uid}.slice`);
  else parts.push(`kubepods-${qos}.slice`, `kubepods-${qos}-pod${uid}.slice`);
  parts.push(`${k.runtime ?? 'cri-containerd'}-${k.containerID}.scope`);
  return '/' + parts.join('/');
}

async function makeCgroup(
  rel: string,
): Promise<{ procsFile: string; cleanup: () => Promise<void> }> {
  const root = await cgroup2Root();
  const created: string[] = [];
  let cur = root;
  for (const part of rel.split('/').filter(Boolean)) {
    cur = join(cur, part);
    if (!existsSync(cur)) {
      await mkdir(cur);
      created.push(cur);
    }
  }
  return {
    procsFile: join(cur, 'cgroup.procs'),
    cleanup: async () => {
      for (const dir of created.reverse()) {
        for (let i = 0; ; i++) {
          try {
            await rmdir(dir);
            break;
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            // ENOENT: gone. ENOTEMPTY: a concurrent crash made a child cgroup. EBUSY: a task is
            // still in it (the crashed one being reaped, or a concurrent crash): retry ~1 s, then
            // leave it rather than mask the caller's result.
            if (code !== 'EBUSY' || i >= 50) break;
            await sleep(20);
          }
        }
      }
    },
  };
}

function conmonArgs(c: { name: string; cid: string }): string[] {
  const args = [
    '-b',
    `/run/containers/storage/overlay-containers/${c.cid}/userdata`,
    '-c',
    c.cid,
    '--exit-dir',
    '/var/run/crio/exits',
  ];
  // k8s_<container>_<pod>_<namespace>_<pod uid>_<attempt> → the kubelet log path conmon gets.
  const parts = c.name.split('_');
  if (parts.length === 6 && parts[0] === 'k8s') {
    const [, ctr, pod, ns, uid, attempt] = parts;
    args.push('-l', `/var/log/pods/${ns}_${pod}_${uid}/${ctr}/${attempt}.log`);
  }
  args.push(
    '--log-level',
    'info',
    '-n',
    c.name,
    '-P',
    `/run/containers/storage/overlay-containers/${c.cid}/userdata/conmon-pidfile`,
    '-p',
    `/run/containers/storage/overlay-containers/${c.cid}/userdata/pidfile`,
    '-r',
    '/usr/bin/runc',
    '--runtime-arg',
    '--root=/run/runc',
    '--socket-dir-path',
    '/var/run/crio',
    '-u',
    c.cid,
    '-s',
  );
  return args;
}

async function journalEntriesFor(
  pid: number,
  sinceSec: number,
): Promise<Array<Record<string, unknown>>> {
  const r = await run(
    'journalctl',
    [
      '-o',
      'json',
      '--all',
      '--no-pager',
      `--since=@${sinceSec}`,
      `MESSAGE_ID=${COREDUMP_MESSAGE_ID}`,
      `COREDUMP_PID=${pid}`,
    ],
    { allowFailure: true, timeoutMs: 10_000 },
  );
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => Number(e.COREDUMP_TIMESTAMP) >= sinceSec * 1e6); // pid_max is small: pids recur
}

async function crashDiagnostics(pid: number, sinceSec: number): Promise<string> {
  const recent = await run(
    'journalctl',
    [
      '--no-pager',
      '-o',
      'short-precise',
      `--since=@${sinceSec}`,
      '-n',
      '10',
      '_COMM=systemd-coredum',
    ],
    { allowFailure: true },
  );
  const kernel = await run('journalctl', ['--no-pager', '-k', `--since=@${sinceSec}`, '-n', '10'], {
    allowFailure: true,
  });
  return [
    await hostDiagnostics(),
    `journal entries for COREDUMP_PID=${pid}: ${(await journalEntriesFor(pid, sinceSec)).length}`,
    `--- systemd-coredump log ---\n${recent.stdout.trim() || recent.stderr.trim()}`,
    `--- kernel log ---\n${kernel.stdout.trim()}`,
  ].join('\n');
}

/**
 * Runs the crasher with a clean environment (PATH only) and waits until the journal has the
 * systemd-coredump entry (MESSAGE_ID=fc2e…) for its pid and the core file it names exists.
 */
export async function crash(crasherPath: string, opts: CrashOptions = {}): Promise<CrashResult> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  const sinceSec = Math.floor(Date.now() / 1000); // COREDUMP_TIMESTAMP is %t: whole seconds
  const mode = opts.signal === 'ABRT' ? 'abort' : 'segv';
  const expected = opts.signal === 'ABRT' ? 'SIGABRT' : 'SIGSEGV';
  const size = String(opts.sizeMiB ?? 1);
  if (!Number.isInteger(opts.sizeMiB ?? 1) || (opts.sizeMiB ?? 1) < 0) {
    throw new Error(`sizeMiB must be a non-negative integer, got ${opts.sizeMiB}`);
  }
  if (opts.conmon && opts.uid !== undefined) {
    throw new Error('crash(): uid and conmon cannot be combined (pivot_root needs root)');
  }

  const cg = opts.kubepods ? kubepodsCgroupPath(opts.kubepods) : undefined;
  const cgroup = cg ? await makeCgroup(cg) : undefined;
  try {
    let pid: number;
    let exe: string;
    let output: string;
    if (opts.conmon) {
      const name = opts.comm ?? 'crasher';
      const root = await stageConmonRoot(crasherPath, name);
      exe = join(root, name);
      const r = await run(join(dirname(crasherPath), 'conmon'), conmonArgs(opts.conmon), {
        argv0: '/usr/bin/conmon',
        cwd: '/',
        env: {
          PATH: CLEAN_PATH,
          KOREDUMP_CONMON_ROOT: root,
          KOREDUMP_CONMON_EXE: `/${name}`,
          KOREDUMP_CONMON_SIZE: size,
          KOREDUMP_CONMON_MODE: mode,
          KOREDUMP_CONMON_CGROUP_PROCS: cgroup?.procsFile ?? '',
        },
        timeoutMs,
      });
      output = r.stdout + r.stderr;
      // conmon prints the child's pid on a line of its own; the child (same stdout) may print its
      // own "about to crash" line before or after it.
      pid = Number(r.stdout.split('\n').find((line) => /^\d+$/.test(line.trim())));
      const signo = opts.signal === 'ABRT' ? 6 : 11;
      if (!Number.isInteger(pid) || pid <= 0 || !r.stderr.includes(`killed by signal ${signo}`)) {
        throw new Error(`fake conmon: no child killed by signal ${signo}:\n${output}`);
      }
    } else {
      exe =
        opts.comm !== undefined || opts.uid !== undefined
          ? await stageCopy(crasherPath, opts.comm ?? basename(crasherPath))
          : crasherPath;
      const argv = [
        '-i',
        `PATH=${CLEAN_PATH}`,
        ...(opts.uid !== undefined
          ? ['/usr/bin/setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups']
          : []),
        exe,
        size,
        mode,
      ];
      const r = cgroup
        ? // $0 = cgroup.procs; exec keeps the pid: sh → env → [setpriv →] crasher.
          await run(
            '/bin/sh',
            ['-c', 'echo $$ > "$0" && exec /usr/bin/env "$@"', cgroup.procsFile, ...argv],
            {
              cwd: '/',
              env: { PATH: CLEAN_PATH },
              timeoutMs,
              allowFailure: true,
            },
          )
        : await run('/usr/bin/env', argv, {
            cwd: '/',
            env: { PATH: CLEAN_PATH },
            timeoutMs,
            allowFailure: true,
          });
      output = r.stdout + r.stderr;
      pid = r.pid;
      if (r.signal !== expected) {
        throw new Error(
          `crasher did not die from ${expected} (code ${r.code}, signal ${r.signal}):\n${output}`,
        );
      }
    }

    const journal = await waitFor(
      `the systemd-coredump journal entry and core file of pid ${pid} (${exe})`,
      async () => {
        const entries = await journalEntriesFor(pid, sinceSec);
        const e = entries[entries.length - 1];
        if (!e) return undefined;
        const f = e.COREDUMP_FILENAME;
        return typeof f === 'string' && existsSync(f) ? e : undefined;
      },
      {
        timeoutMs: Math.max(deadline - Date.now(), 1000),
        intervalMs: 50,
        onTimeout: async () =>
          `crasher output:\n${output}\n${await crashDiagnostics(pid, sinceSec)}`,
      },
    );
    return { pid, coreFile: journal.COREDUMP_FILENAME as string, journal, exe, cgroup: cg };
  } finally {
    await cgroup?.cleanup();
  }
}

/** `coredumpctl dump <pid> -o outFile` (the newest core of that pid). */
export async function coredumpctlDump(pid: number, outFile: string): Promise<void> {
  await run('coredumpctl', ['--no-pager', '-q', 'dump', String(pid), '-o', outFile], {
    timeoutMs: 60_000,
  });
}
