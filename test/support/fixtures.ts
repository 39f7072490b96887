/**
 * Synthetic but real-format fixtures: journal export format → real .journal files (via
 * systemd-journal-remote), realistic systemd-coredump entries, cores compressed by the real CLIs,
 * and user.coredump.* xattrs. See test-environment.md §2.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { run } from './exec.js';

export const COREDUMP_MESSAGE_ID = 'fc2e22bc6ee647b6b90729ab34a250b1';
/** _BOOT_ID used when an entry has none. */
export const FIXTURE_BOOT_ID = '0f1b2c3d4e5f60718293a4b5c6d7e8f9';
export const FIXTURE_MACHINE_ID = '5eedf00d5eedf00d5eedf00d5eedf00d';
const CORE_DIR = '/var/lib/systemd/coredump';
const JOURNAL_REMOTE = '/usr/lib/systemd/systemd-journal-remote';

export interface FixtureEntry {
  fields: Record<string, string | Buffer>;
  /** __REALTIME_TIMESTAMP (µs since the epoch, decimal string) when fields do not carry one. */
  realtimeUsec?: string;
}

const FIELD_NAME = /^[A-Z_][A-Z0-9_]*$/;

function pushField(out: Buffer[], name: string, value: string | Buffer): void {
  if (!FIELD_NAME.test(name) || name.length > 64) {
    throw new Error(`invalid journal field name ${JSON.stringify(name)}`);
  }
  const b = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  // Text form NAME=value\n cannot carry a newline; use the binary form for anything but plain text.
  if (b.some((c) => c < 0x20 && c !== 0x09)) {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(b.length));
    out.push(Buffer.from(`${name}\n`), len, b, Buffer.from('\n'));
  } else {
    out.push(Buffer.from(`${name}=`), b, Buffer.from('\n'));
  }
}

function str(v: string | Buffer | undefined): string | undefined {
  return v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString('utf8') : v;
}

/**
 * Journal export format (binary safe). Adds __REALTIME_TIMESTAMP (realtimeUsec, else now + i µs),
 * __MONOTONIC_TIMESTAMP (realtime minus a fake boot time one hour before the earliest entry) and
 * _BOOT_ID (FIXTURE_BOOT_ID) when absent. __CURSOR is dropped (journal-remote makes new ones).
 */
export function toExportFormat(entries: FixtureEntry[]): Buffer {
  const now = BigInt(Date.now()) * 1000n;
  const realtimes = entries.map((e, i) => {
    const r = str(e.fields.__REALTIME_TIMESTAMP) ?? e.realtimeUsec;
    if (r !== undefined && !/^\d+$/.test(r)) throw new Error(`bad realtime timestamp ${r}`);
    return r !== undefined ? BigInt(r) : now + BigInt(i);
  });
  const bootRealtime =
    realtimes.reduce((a, b) => (b < a ? b : a), realtimes[0] ?? now) - 3_600_000_000n;
  const out: Buffer[] = [];
  entries.forEach((e, i) => {
    const rt = realtimes[i];
    const mono = str(e.fields.__MONOTONIC_TIMESTAMP) ?? String(rt - bootRealtime);
    pushField(out, '__REALTIME_TIMESTAMP', rt.toString());
    pushField(out, '__MONOTONIC_TIMESTAMP', mono);
    pushField(out, '_BOOT_ID', e.fields._BOOT_ID ?? FIXTURE_BOOT_ID);
    for (const [k, v] of Object.entries(e.fields)) {
      if (k === '__REALTIME_TIMESTAMP' || k === '__MONOTONIC_TIMESTAMP' || k === '_BOOT_ID') {
        continue;
      }
      if (k === '__CURSOR') continue;
      pushField(out, k, v);
    }
    out.push(Buffer.from('\n'));
  });
  return Buffer.concat(out);
}

/**
 * Writes a real journal file: export format piped into `systemd-journal-remote -o path -`.
 * path must end in .journal; an existing file is removed first (journal-remote would append).
 */
export async function writeJournalFile(path: string, entries: FixtureEntry[]): Promise<void> {
  if (!path.endsWith('.journal')) {
    throw new Error(`journal file name must end in .journal: ${path}`);
  }
  await rm(path, { force: true });
  await mkdir(dirname(path), { recursive: true });
  const r = await run(JOURNAL_REMOTE, ['-o', path, '-'], {
    input: toExportFormat(entries),
    timeoutMs: 60_000,
  });
  const m = /Finishing after writing (\d+) entries/.exec(r.stderr);
  if (m && Number(m[1]) !== entries.length) {
    throw new Error(
      `systemd-journal-remote wrote ${m[1]} of ${entries.length} entries to ${path}:\n${r.stderr}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

const SIGNAL_NAMES: Record<number, string> = {
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  11: 'SIGSEGV',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  31: 'SIGSYS',
};

/** A realistic x86-64 auxv (AT_* pairs of little-endian u64), binary like the real field. */
function fakeAuxv(uid: number, gid: number): Buffer {
  const pairs: Array<[number, bigint]> = [
    [33, 0x7ffd5a1f0000n], // AT_SYSINFO_EHDR
    [51, 3376n], // AT_MINSIGSTKSZ
    [16, 0x178bfbffn], // AT_HWCAP
    [6, 4096n], // AT_PAGESZ
    [17, 100n], // AT_CLKTCK
    [3, 0x55d9dfcda040n], // AT_PHDR
    [4, 56n], // AT_PHENT
    [5, 13n], // AT_PHNUM
    [7, 0x7f6749518000n], // AT_BASE
    [8, 0n], // AT_FLAGS
    [9, 0x55d9dfcdb0f0n], // AT_ENTRY
    [11, BigInt(uid)], // AT_UID
    [12, BigInt(uid)], // AT_EUID
    [13, BigInt(gid)], // AT_GID
    [14, BigInt(gid)], // AT_EGID
    [23, 0n], // AT_SECURE
    [25, 0x7ffd5a1e2a09n], // AT_RANDOM
    [26, 2n], // AT_HWCAP2
    [31, 0x7ffd5a1e3fe6n], // AT_EXECFN
    [15, 0x7ffd5a1e2a19n], // AT_PLATFORM
    [0, 0n], // AT_NULL
  ];
  const b = Buffer.alloc(pairs.length * 16);
  pairs.forEach(([k, v], i) => {
    b.writeBigUInt64LE(BigInt(k), i * 16);
    b.writeBigUInt64LE(v, i * 16 + 8);
  });
  return b;
}

/** COREDUMP_UNIT / COREDUMP_SLICE the way systemd derives them from the cgroup path. */
function unitAndSlice(cgroup: string): { unit?: string; slice: string } {
  const parts = cgroup.split('/').filter(Boolean);
  const unitIdx = parts.findLastIndex((p) => /\.(service|scope)$/.test(p));
  const before = unitIdx >= 0 ? parts.slice(0, unitIdx) : parts;
  const slice = before.filter((p) => p.endsWith('.slice')).pop() ?? '-.slice';
  return { unit: unitIdx >= 0 ? parts[unitIdx] : undefined, slice };
}

/**
 * A realistic systemd-coredump journal entry (systemd 252 field set): MESSAGE_ID fc2e…, PRIORITY=2,
 * SYSLOG_IDENTIFIER=systemd-coredump, multi-line MESSAGE with a stack trace, COREDUMP_* fields,
 * binary COREDUMP_PROC_AUXV, COREDUMP_FILENAME when filename is given (relative names are put in
 * /var/lib/systemd/coredump), _HOSTNAME/COREDUMP_HOSTNAME = hostname. `extra` overrides anything.
 * Defaults: uid 0, gid = uid, signal 11, exe /usr/bin/<comm>, hostname 'fixture-node',
 * cgroup /system.slice/<comm>.service. __REALTIME_TIMESTAMP = timestampUsec + 0.5 s.
 */
export function coredumpEntry(opts: {
  filename?: string;
  pid: number;
  uid?: number;
  gid?: number;
  signal?: number;
  comm: string;
  exe?: string;
  hostname?: string;
  timestampUsec: string;
  cgroup?: string;
  containerCmdline?: string;
  extra?: Record<string, string | Buffer>;
}): FixtureEntry {
  if (!/^\d+$/.test(opts.timestampUsec)) throw new Error(`bad timestampUsec ${opts.timestampUsec}`);
  const uid = opts.uid ?? 0;
  const gid = opts.gid ?? uid;
  const signal = opts.signal ?? 11;
  const comm = opts.comm;
  const exe = opts.exe ?? `/usr/bin/${comm}`;
  const exeBase = exe.split('/').pop() ?? comm;
  const hostname = opts.hostname ?? 'fixture-node';
  const cgroup = opts.cgroup ?? `/system.slice/${comm}.service`;
  const { unit, slice } = unitAndSlice(cgroup);
  const pid = String(opts.pid);
  const realtime = (BigInt(opts.timestampUsec) + 500_000n).toString();
  const message = [
    `Process ${pid} (${comm}) of user ${uid} dumped core.`,
    '',
    `Stack trace of thread ${pid}:`,
    `#0  0x000055d9dfcdb2f1 main (${exeBase} + 0x12f1)`,
    '#1  0x00007f674934f24a __libc_start_call_main (libc.so.6 + 0x2724a)',
    '#2  0x00007f674934f305 __libc_start_main_impl (libc.so.6 + 0x27305)',
    `#3  0x000055d9dfcdb0f1 _start (${exeBase} + 0x10f1)`,
    'ELF object binary architecture: AMD x86-64',
    '',
  ].join('\n');
  const fields: Record<string, string | Buffer> = {
    _MACHINE_ID: FIXTURE_MACHINE_ID,
    _HOSTNAME: hostname,
    _RUNTIME_SCOPE: 'system',
    _TRANSPORT: 'journal',
    _UID: '995',
    _GID: '995',
    _COMM: 'systemd-coredum',
    _CAP_EFFECTIVE: '0',
    _PID: String(opts.pid + 2),
    _SOURCE_REALTIME_TIMESTAMP: (BigInt(realtime) - 800n).toString(),
    PRIORITY: '2',
    SYSLOG_IDENTIFIER: 'systemd-coredump',
    CODE_FILE: '../src/coredump/coredump.c',
    CODE_LINE: '1064',
    CODE_FUNC: 'submit_coredump',
    MESSAGE_ID: COREDUMP_MESSAGE_ID,
    MESSAGE: message,
    COREDUMP_PID: pid,
    COREDUMP_UID: String(uid),
    COREDUMP_GID: String(gid),
    COREDUMP_SIGNAL: String(signal),
    COREDUMP_SIGNAL_NAME: SIGNAL_NAMES[signal] ?? `SIG${signal}`,
    COREDUMP_TIMESTAMP: opts.timestampUsec,
    COREDUMP_RLIMIT: '9223372036854775808',
    COREDUMP_HOSTNAME: hostname,
    COREDUMP_COMM: comm,
    COREDUMP_EXE: exe,
    COREDUMP_CMDLINE: `${exe} --serve`,
    COREDUMP_CGROUP: cgroup,
    ...(unit ? { COREDUMP_UNIT: unit } : {}),
    COREDUMP_SLICE: slice,
    COREDUMP_CWD: '/',
    COREDUMP_ROOT: '/',
    COREDUMP_ENVIRON: 'PATH=/usr/bin:/bin\n',
    COREDUMP_OPEN_FDS: '0:/dev/null\npos:\t0\nflags:\t0100000\nmnt_id:\t24\nino:\t3\n',
    COREDUMP_PROC_STATUS:
      `Name:\t${comm}\nUmask:\t0022\nState:\tR (running)\nTgid:\t${pid}\nPid:\t${pid}\nPPid:\t1\n` +
      `Uid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t${gid}\t${gid}\t${gid}\t${gid}\nCoreDumping:\t1\nThreads:\t1\n`,
    COREDUMP_PROC_MAPS:
      `55d9dfcda000-55d9dfcdb000 r--p 00000000 fe:00 2146625                    ${exe}\n` +
      `55d9dfcdb000-55d9dfcdc000 r-xp 00001000 fe:00 2146625                    ${exe}\n` +
      '7f6749328000-7f674934e000 r--p 00000000 fe:00 1835079                    /usr/lib/x86_64-linux-gnu/libc.so.6\n',
    COREDUMP_PROC_LIMITS:
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
      'Max core file size        0                    unlimited            bytes     \n',
    COREDUMP_PROC_CGROUP: `0::${cgroup}\n`,
    COREDUMP_PROC_MOUNTINFO: '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n',
    COREDUMP_PROC_AUXV: fakeAuxv(uid, gid),
    COREDUMP_DUMPABLE: '1',
    COREDUMP_PACKAGE_JSON: '{"elfType":"coredump","elfArchitecture":"AMD x86-64"}',
  };
  if (opts.containerCmdline !== undefined) {
    fields.COREDUMP_CONTAINER_CMDLINE = opts.containerCmdline;
  }
  if (opts.filename !== undefined) {
    fields.COREDUMP_FILENAME = isAbsolute(opts.filename)
      ? opts.filename
      : join(CORE_DIR, opts.filename);
  }
  Object.assign(fields, opts.extra ?? {});
  return { fields, realtimeUsec: realtime };
}

// ---------------------------------------------------------------------------------------------

/**
 * Writes <dir>/<base> (uncompressed, what Compress=no produces) and <base>.zst/.lz4/.xz made by the
 * zstd, lz4 (frame format) and xz CLIs. Returns the absolute paths.
 */
export async function writeCompressedCores(
  dir: string,
  baseName: string,
  content: Buffer,
): Promise<{ zst: string; lz4: string; xz: string; none: string }> {
  if (baseName.includes('/')) throw new Error(`baseName must not contain '/': ${baseName}`);
  await mkdir(dir, { recursive: true });
  const none = join(dir, baseName);
  const files = { zst: `${none}.zst`, lz4: `${none}.lz4`, xz: `${none}.xz`, none };
  await writeFile(none, content);
  await Promise.all([
    run('zstd', ['-q', '-c', '--', none], { stdoutFile: files.zst }),
    run('lz4', ['-q', '-z', '-c', '--', none], { stdoutFile: files.lz4 }),
    run('xz', ['-q', '-z', '-c', '--', none], { stdoutFile: files.xz }),
  ]);
  return files;
}

/** Sets user.coredump.<name> xattrs (as systemd-coredump does: raw value, no trailing NUL). */
export async function setCoredumpXattrs(
  file: string,
  attrs: Record<string, string>,
): Promise<void> {
  for (const [name, value] of Object.entries(attrs)) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`invalid xattr name ${name}`);
    // Hex so setfattr never reinterprets the value (it treats 0x…, 0s… and "…" specially).
    const v = value === '' ? [] : ['-v', `0x${Buffer.from(value, 'utf8').toString('hex')}`];
    await run('setfattr', ['-n', `user.coredump.${name}`, ...v, '--', file]);
  }
}
