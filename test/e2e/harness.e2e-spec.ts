/**
 * Self-test of the real test-environment harness (test/support): real journald + systemd-coredump,
 * real crashes (plain, kubepods cgroup, conmon container), real journal fixture files and cores
 * compressed by the real CLIs. Needs root; see test/support/coredump-host.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startCoredumpHost, type CoredumpHost } from '../support/coredump-host.js';
import { buildCrasher, cgroup2Root, coredumpctlDump, crash } from '../support/crasher.js';
import { run, runBuffer, sha256File } from '../support/exec.js';
import {
  COREDUMP_MESSAGE_ID,
  coredumpEntry,
  setCoredumpXattrs,
  toExportFormat,
  writeCompressedCores,
  writeJournalFile,
} from '../support/fixtures.js';

const T = 60_000;
const POD_UID = '11111111-2222-3333-4444-555555555555';

async function head(file: string, n: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(n);
    const { bytesRead } = await fh.read(b, 0, n, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function xattrs(file: string): Promise<Record<string, string>> {
  const r = await run('getfattr', [
    '--absolute-names',
    '-d',
    '-m',
    '^user\\.coredump\\.',
    '-e',
    'text',
    file,
  ]);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^user\.coredump\.([^=]+)="(.*)"$/.exec(line);
    if (m) out[m[1]] = m[2]!;
  }
  return out;
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

describe('test harness (real journald + systemd-coredump)', () => {
  let host: CoredumpHost | undefined;
  let workDir: string;
  let crasher: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'koredump-harness-'));
    host = await startCoredumpHost();
    crasher = await buildCrasher(workDir);
  }, T);

  afterAll(async () => {
    await host?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, T);

  it(
    'crashes plainly: real .zst core, journal entry, xattrs, coredumpctl dump gives an ELF core',
    async () => {
      // A nested start shares the running setup and its stop() leaves everything running.
      const nested = await startCoredumpHost();
      try {
        expect(nested.startedJournald).toBe(false);
        expect(nested.startedCoredumpListener).toBe(false);
      } finally {
        await nested.stop();
      }

      const r = await crash(crasher, { sizeMiB: 2 });
      expect(r.coreFile).toMatch(
        new RegExp(
          `^/var/lib/systemd/coredump/core\\.crasher\\.0\\.[0-9a-f]{32}\\.${r.pid}\\.\\d+\\.zst$`,
        ),
      );
      expect(existsSync(r.coreFile)).toBe(true);
      expect(await head(r.coreFile, 4)).toEqual(ZSTD_MAGIC);
      expect(r.journal).toMatchObject({
        MESSAGE_ID: COREDUMP_MESSAGE_ID,
        PRIORITY: '2',
        SYSLOG_IDENTIFIER: 'systemd-coredump',
        COREDUMP_PID: String(r.pid),
        COREDUMP_UID: '0',
        COREDUMP_SIGNAL: '11',
        COREDUMP_SIGNAL_NAME: 'SIGSEGV',
        COREDUMP_COMM: 'crasher',
        COREDUMP_EXE: crasher,
        COREDUMP_ENVIRON: 'PATH=/usr/bin:/bin\n',
        COREDUMP_FILENAME: r.coreFile,
      });
      expect(Array.isArray(r.journal.COREDUMP_PROC_AUXV)).toBe(true); // binary field
      expect(await xattrs(r.coreFile)).toMatchObject({
        pid: String(r.pid),
        uid: '0',
        signal: '11',
        comm: 'crasher',
        exe: crasher,
      });

      const out = join(workDir, 'plain.core');
      await coredumpctlDump(r.pid, out);
      const elf = await head(out, 18);
      expect(elf.subarray(0, 4)).toEqual(ELF_MAGIC);
      expect(elf.readUInt16LE(16)).toBe(4); // ET_CORE
      const zstdOut = await runBuffer('zstd', ['-dc', r.coreFile]);
      expect(createHash('sha256').update(zstdOut.stdout).digest('hex')).toBe(await sha256File(out));
    },
    T,
  );

  it(
    'crashes with SIGABRT as another uid under another comm',
    async () => {
      const r = await crash(crasher, { signal: 'ABRT', uid: 65534, comm: 'my-app' });
      expect(basename(r.coreFile)).toMatch(
        new RegExp(`^core\\.my-app\\.65534\\.[0-9a-f]{32}\\.${r.pid}\\.`),
      );
      expect(r.journal).toMatchObject({
        COREDUMP_SIGNAL: '6',
        COREDUMP_SIGNAL_NAME: 'SIGABRT',
        COREDUMP_UID: '65534',
        COREDUMP_GID: '65534',
        COREDUMP_COMM: 'my-app',
        COREDUMP_ENVIRON: 'PATH=/usr/bin:/bin\n',
      });
      expect(existsSync(r.coreFile)).toBe(true);
    },
    T,
  );

  it(
    'crashes inside a real kubepods cgroup and removes the cgroups afterwards',
    async () => {
      const containerID = 'ab'.repeat(32);
      const r = await crash(crasher, { kubepods: { podUID: POD_UID, containerID } });
      const podSlice = `kubepods-burstable-pod${POD_UID.replace(/-/g, '_')}.slice`;
      const cg = r.journal.COREDUMP_CGROUP as string;
      expect(cg).toBe(
        `/kubepods.slice/kubepods-burstable.slice/${podSlice}/cri-containerd-${containerID}.scope`,
      );
      expect(cg).toContain(podSlice);
      expect(cg).toContain(`cri-containerd-${containerID}.scope`);
      expect(r.journal.COREDUMP_PROC_CGROUP).toContain(`0::${cg}`);
      expect(r.journal.COREDUMP_UNIT).toBe(`cri-containerd-${containerID}.scope`);
      expect(existsSync(r.coreFile)).toBe(true);
      expect(existsSync(join(await cgroup2Root(), 'kubepods.slice'))).toBe(false);

      const g = await crash(crasher, {
        kubepods: {
          podUID: POD_UID,
          containerID: 'cd'.repeat(32),
          qos: 'guaranteed',
          runtime: 'crio',
        },
      });
      expect(g.journal.COREDUMP_CGROUP).toBe(
        `/kubepods.slice/kubepods-pod${POD_UID.replace(/-/g, '_')}.slice/crio-${'cd'.repeat(32)}.scope`,
      );
    },
    T,
  );

  it(
    'crashes under a fake conmon: real COREDUMP_CONTAINER_CMDLINE, one core only',
    async () => {
      const name = `k8s_app_mypod_default_${POD_UID}_0`;
      const cid = '0123abcd'.repeat(8);
      const r = await crash(crasher, { conmon: { name, cid } });
      const cmdline = r.journal.COREDUMP_CONTAINER_CMDLINE as string;
      expect(cmdline).toMatch(/^\/usr\/bin\/conmon /);
      expect(cmdline).toContain(`-n ${name}`);
      expect(cmdline).toContain(`-b /run/containers/storage/overlay-containers/${cid}/userdata`);
      expect(cmdline).toContain(`-l /var/log/pods/default_mypod_${POD_UID}/app/0.log`);
      expect(r.journal.COREDUMP_EXE).toBe('/crasher');
      expect(r.journal.COREDUMP_ENVIRON).toBe('PATH=/usr/bin:/bin\n');
      expect(existsSync(r.coreFile)).toBe(true);
      const out = join(workDir, 'conmon.core');
      await coredumpctlDump(r.pid, out);
      expect((await head(out, 4)).equals(ELF_MAGIC)).toBe(true);

      // Exactly one core for this crash (no second core from a wrapper re-raising the signal).
      const since = Math.floor(Number(r.journal.COREDUMP_TIMESTAMP) / 1e6);
      const all = await run('journalctl', [
        '-o',
        'json',
        '--no-pager',
        `--since=@${since}`,
        `MESSAGE_ID=${COREDUMP_MESSAGE_ID}`,
        `COREDUMP_CONTAINER_CMDLINE=${cmdline}`,
      ]);
      expect(all.stdout.trim().split('\n')).toHaveLength(1);
      const conmonCores = await run('journalctl', [
        '-o',
        'json',
        '--no-pager',
        `--since=@${since}`,
        `MESSAGE_ID=${COREDUMP_MESSAGE_ID}`,
        'COREDUMP_COMM=conmon',
      ]);
      expect(conmonCores.stdout.trim()).toBe('');

      // conmon + kubepods cgroup (CRI-O layout) + SIGABRT + another comm, all at once.
      const cid2 = 'fe'.repeat(32);
      const both = await crash(crasher, {
        conmon: { name: `k8s_srv_mypod_default_${POD_UID}_1`, cid: cid2 },
        kubepods: { podUID: POD_UID, containerID: cid2, runtime: 'crio', qos: 'besteffort' },
        signal: 'ABRT',
        comm: 'srv',
      });
      expect(both.journal).toMatchObject({
        COREDUMP_SIGNAL: '6',
        COREDUMP_COMM: 'srv',
        COREDUMP_EXE: '/srv',
        COREDUMP_CGROUP: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_UID.replace(/-/g, '_')}.slice/crio-${cid2}.scope`,
      });
      expect(both.journal.COREDUMP_CONTAINER_CMDLINE).toContain(
        `-n k8s_srv_mypod_default_${POD_UID}_1`,
      );
      expect(existsSync(both.coreFile)).toBe(true);
    },
    T,
  );

  it(
    'writes a real .journal file from coredumpEntry() fixtures, binary fields included',
    async () => {
      const file = join(workDir, 'fixtures', 'cores.journal');
      const invalidUtf8 = Buffer.from([0x2f, 0x61, 0xff, 0xfe, 0x00, 0x0a, 0x42, 0xc3]);
      const a = coredumpEntry({
        pid: 4242,
        comm: 'app',
        timestampUsec: '1700000000000000',
        filename: 'core.app.0.0f1b2c3d4e5f60718293a4b5c6d7e8f9.4242.1700000000000000.zst',
        hostname: 'node-a',
        cgroup: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replace(/-/g, '_')}.slice/cri-containerd-${'ab'.repeat(32)}.scope`,
      });
      const b = coredumpEntry({
        pid: 4343,
        uid: 1000,
        signal: 6,
        comm: 'worker',
        exe: '/opt/w/worker',
        timestampUsec: '1700000100000000',
        containerCmdline: `/usr/bin/conmon -b /run/containers/storage/overlay-containers/${'0a'.repeat(32)}/userdata -n k8s_w_pod_ns_${POD_UID}_1`,
        extra: { COREDUMP_WEIRD: invalidUtf8 },
      });
      // export format round trip: binary form for the buffer (length-prefixed)
      const exp = toExportFormat([a, b]);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(invalidUtf8.length));
      expect(exp.includes(Buffer.concat([Buffer.from('COREDUMP_WEIRD\n'), len, invalidUtf8]))).toBe(
        true,
      );

      await writeJournalFile(file, [a, b]);
      await writeJournalFile(file, [a, b]); // overwrites, does not append
      const r = await run('journalctl', ['--file', file, '-o', 'json', '--all', '--no-pager']);
      const entries = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(entries).toHaveLength(2);
      const [ja, jb] = entries as [Record<string, unknown>, Record<string, unknown>];
      expect(ja).toMatchObject({
        MESSAGE_ID: COREDUMP_MESSAGE_ID,
        PRIORITY: '2',
        SYSLOG_IDENTIFIER: 'systemd-coredump',
        COREDUMP_PID: '4242',
        COREDUMP_SIGNAL_NAME: 'SIGSEGV',
        COREDUMP_TIMESTAMP: '1700000000000000',
        __REALTIME_TIMESTAMP: '1700000000500000',
        _BOOT_ID: '0f1b2c3d4e5f60718293a4b5c6d7e8f9',
        _HOSTNAME: 'node-a',
        COREDUMP_FILENAME:
          '/var/lib/systemd/coredump/core.app.0.0f1b2c3d4e5f60718293a4b5c6d7e8f9.4242.1700000000000000.zst',
        COREDUMP_UNIT: `cri-containerd-${'ab'.repeat(32)}.scope`,
      });
      expect(ja.MESSAGE).toMatch(
        /^Process 4242 \(app\) of user 0 dumped core\.\n\nStack trace of thread 4242:\n#0 /,
      );
      expect(ja.COREDUMP_PROC_AUXV).toEqual([...(a.fields.COREDUMP_PROC_AUXV as Buffer)]);
      expect(jb).toMatchObject({
        COREDUMP_PID: '4343',
        COREDUMP_UID: '1000',
        COREDUMP_SIGNAL: '6',
        COREDUMP_SIGNAL_NAME: 'SIGABRT',
        COREDUMP_EXE: '/opt/w/worker',
        COREDUMP_CONTAINER_CMDLINE: b.fields.COREDUMP_CONTAINER_CMDLINE,
      });
      expect(jb.COREDUMP_FILENAME).toBeUndefined();
      expect(jb.COREDUMP_WEIRD).toEqual([...invalidUtf8]);

      // systemd's own coredump tooling accepts the fixture
      const list = await run('coredumpctl', ['--file', file, '--no-pager', '--no-legend', 'list']);
      expect(list.stdout).toContain('4242');
      expect(list.stdout).toContain('4343');
    },
    T,
  );

  it(
    'writes zst/lz4/xz/uncompressed cores that the CLIs decompress to the content, plus xattrs',
    async () => {
      const content = Buffer.concat([randomBytes(1 << 20), Buffer.alloc(2 << 20, 0xab), ELF_MAGIC]);
      const want = createHash('sha256').update(content).digest('hex');
      const dir = join(workDir, 'cores');
      const base = `core.app.0.0f1b2c3d4e5f60718293a4b5c6d7e8f9.4242.1700000000000000`;
      const f = await writeCompressedCores(dir, base, content);
      expect(f).toEqual({
        zst: join(dir, `${base}.zst`),
        lz4: join(dir, `${base}.lz4`),
        xz: join(dir, `${base}.xz`),
        none: join(dir, base),
      });
      expect(await head(f.zst, 4)).toEqual(ZSTD_MAGIC);
      expect(await head(f.lz4, 4)).toEqual(Buffer.from([0x04, 0x22, 0x4d, 0x18])); // lz4 frame
      expect(await head(f.xz, 6)).toEqual(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
      expect(await sha256File(f.none)).toBe(want);
      for (const [cli, file] of [
        ['zstd', f.zst],
        ['lz4', f.lz4],
        ['xz', f.xz],
      ] as const) {
        const r = await runBuffer(cli, ['-dc', file]);
        expect(createHash('sha256').update(r.stdout).digest('hex')).toBe(want);
      }
      expect((await readFile(f.none)).equals(content)).toBe(true);

      await setCoredumpXattrs(f.zst, {
        pid: '4242',
        uid: '0',
        comm: 'app',
        exe: '/usr/bin/app with space',
        timestamp: '1700000000000000',
        hostname: 'node-a',
      });
      expect(await xattrs(f.zst)).toEqual({
        pid: '4242',
        uid: '0',
        comm: 'app',
        exe: '/usr/bin/app with space',
        timestamp: '1700000000000000',
        hostname: 'node-a',
      });
    },
    T,
  );
});
