import { describe, expect, it } from '@jest/globals';

import {
  buildCoreRecord,
  LIST_FIELDS,
  redactRecord,
  summarizeCrash,
  toFullRecord,
  toListRecord,
} from './core-record.js';

const BOOT = '0123456789abcdef0123456789abcdef';
const file = (id: string, over: Partial<{ size: number; mtimeMs: number }> = {}) => ({
  id,
  size: 100,
  mtimeMs: 1_700_000_000_500,
  ino: 7,
  ...over,
});
const base = { nodeName: 'worker-1', arch: 'x86_64' };
const POD = '11111111-2222-3333-4444-555555555555';
const CID = 'ab'.repeat(32);

describe('buildCoreRecord', () => {
  it('prefers the journal over xattrs, the name and stat', () => {
    const r = buildCoreRecord({
      ...base,
      file: file(`core.name.5.${BOOT}.9.1700000001000000.zst`),
      journal: {
        COREDUMP_COMM: 'journal',
        COREDUMP_PID: 42,
        COREDUMP_SIGNAL: 11,
        COREDUMP_TIMESTAMP: '2023-11-14T22:13:22Z',
        _HOSTNAME: 'host-a',
      },
      xattrs: { COREDUMP_COMM: 'xattr' },
    });
    expect(r).toMatchObject({
      id: `core.name.5.${BOOT}.9.1700000001000000.zst`,
      node: 'worker-1',
      hostname: 'host-a',
      ARCH: 'x86_64',
      COREDUMP_COMM: 'journal',
      COREDUMP_PID: 42,
      COREDUMP_UID: 5,
      COREDUMP_SIGNAL_NAME: 'SIGSEGV',
      timestamp: Date.parse('2023-11-14T22:13:22Z'),
      compression: 'zst',
      size: 100,
      truncated: false,
    });
  });

  it('falls back to xattrs (converted like journal fields) when there is no journal entry', () => {
    const r = buildCoreRecord({
      ...base,
      file: file('core.weird'),
      xattrs: {
        COREDUMP_PID: '77',
        COREDUMP_SIGNAL: '6',
        COREDUMP_TIMESTAMP: '1700000002000000',
        COREDUMP_COMM: 'x',
        COREDUMP_RLIMIT: '-1',
      },
    });
    expect(r).toMatchObject({
      COREDUMP_PID: 77,
      COREDUMP_SIGNAL: 6,
      COREDUMP_SIGNAL_NAME: 'SIGABRT',
      COREDUMP_TIMESTAMP: '2023-11-14T22:13:22Z',
      COREDUMP_COMM: 'x',
      COREDUMP_RLIMIT: '-1',
      compression: 'none',
    });
  });

  it('falls back to the file name, then to the mtime, for the timestamp', () => {
    expect(
      buildCoreRecord({ ...base, file: file(`core.a.0.${BOOT}.1.1700000003000000.lz4`) }),
    ).toMatchObject({
      COREDUMP_TIMESTAMP: '2023-11-14T22:13:23Z',
      timestamp: 1_700_000_003_000,
      COREDUMP_COMM: 'a',
      COREDUMP_PID: 1,
      compression: 'lz4',
    });
    expect(buildCoreRecord({ ...base, file: file('core.unparsable') })).toMatchObject({
      COREDUMP_TIMESTAMP: '2023-11-14T22:13:20.500000Z',
      timestamp: 1_700_000_000_500,
    });
  });

  it('attributes from conmon, with the cgroup giving UID and container ID', () => {
    const r = buildCoreRecord({
      ...base,
      file: file('core.x'),
      journal: {
        COREDUMP_CGROUP: `/kubepods.slice/kubepods-pod${POD.replace(/-/g, '_')}.slice/crio-${CID}.scope`,
        COREDUMP_CONTAINER_CMDLINE: `/usr/bin/conmon -c ${CID} -n k8s_ctr_pod-a_ns-a_${POD}_3`,
      },
    });
    expect(r).toMatchObject({
      namespace: 'ns-a',
      pod: 'pod-a',
      container: 'ctr',
      podUID: POD,
      containerID: CID,
      attribution: { source: 'conmon' },
    });
  });

  it('uses the UTS hostname as the pod name only for pod cgroups that do not share the node hostname', () => {
    const cgroup = `/kubepods/besteffort/pod${POD}/${CID}`;
    expect(
      buildCoreRecord({
        ...base,
        file: file('core.x'),
        journal: { COREDUMP_CGROUP: cgroup, COREDUMP_HOSTNAME: 'web-0', _HOSTNAME: 'node' },
      }),
    ).toMatchObject({ pod: 'web-0', attribution: { source: 'hostname' } });
    const hostNetwork = buildCoreRecord({
      ...base,
      file: file('core.x'),
      journal: { COREDUMP_CGROUP: cgroup, COREDUMP_HOSTNAME: 'node', _HOSTNAME: 'node' },
    });
    expect(hostNetwork.pod).toBeUndefined();
    expect(hostNetwork.attribution).toEqual({ source: 'none' });
    const hostProcess = buildCoreRecord({
      ...base,
      file: file('core.x'),
      journal: { COREDUMP_CGROUP: '/system.slice/foo.service', COREDUMP_HOSTNAME: 'other' },
    });
    expect(hostProcess).toMatchObject({ attribution: { source: 'none' } });
    expect(hostProcess.podUID).toBeUndefined();
  });

  it('cross-checks /proc/PID/cgroup when COREDUMP_CGROUP is missing (cgroup v1)', () => {
    const r = buildCoreRecord({
      ...base,
      file: file('core.x'),
      journal: {
        COREDUMP_PROC_CGROUP: `12:memory:/kubepods/burstable/pod${POD}/${CID}\n1:name=systemd:/kubepods/burstable/pod${POD}/${CID}\n`,
      },
    });
    expect(r).toMatchObject({ podUID: POD, containerID: CID });
  });

  it('marks truncated cores', () => {
    expect(
      buildCoreRecord({ ...base, file: file('core.x'), journal: { COREDUMP_TRUNCATED: '1' } })
        .truncated,
    ).toBe(true);
  });
});

describe('record views', () => {
  const record = buildCoreRecord({
    ...base,
    file: file('core.x'),
    journal: {
      MESSAGE: 'trace',
      COREDUMP_ENVIRON: 'SECRET=1',
      COREDUMP_COMM: 'x',
      COREDUMP_FILENAME: '/var/lib/systemd/coredump/core.x',
    },
  });

  it('the list view has only the compact fields', () => {
    const list = toListRecord(record);
    expect(Object.keys(list).every((k) => (LIST_FIELDS as readonly string[]).includes(k))).toBe(
      true,
    );
    expect(list).toMatchObject({ id: 'core.x', COREDUMP_COMM: 'x' });
    expect(list).not.toHaveProperty('MESSAGE');
    expect(list).not.toHaveProperty('COREDUMP_ENVIRON');
  });

  it('the full view has every field, sorted, without undefined values', () => {
    const full = toFullRecord(record);
    expect(full).toMatchObject({ MESSAGE: 'trace', COREDUMP_ENVIRON: 'SECRET=1' });
    expect(Object.keys(full)).toEqual([...Object.keys(full)].sort());
    expect(Object.values(full)).not.toContain(undefined);
  });
});

describe('redactRecord', () => {
  it('removes environment, /proc snapshots and fds, cuts the command line to the program', () => {
    const out = redactRecord({
      id: 'core.x',
      COREDUMP_CMDLINE: '/usr/bin/app --password=hunter2 "two words"',
      COREDUMP_ENVIRON: 'TOKEN=secret',
      COREDUMP_PROC_MAPS: 'maps',
      COREDUMP_PROC_STATUS: 'status',
      COREDUMP_OPEN_FDS: 'fds',
      MESSAGE: 'stack trace',
      COREDUMP_COMM: 'app',
    });
    expect(out).toEqual({
      id: 'core.x',
      COREDUMP_CMDLINE: '/usr/bin/app',
      MESSAGE: 'stack trace',
      COREDUMP_COMM: 'app',
      redacted: [
        'COREDUMP_CMDLINE',
        'COREDUMP_ENVIRON',
        'COREDUMP_OPEN_FDS',
        'COREDUMP_PROC_MAPS',
        'COREDUMP_PROC_STATUS',
      ],
    });
  });

  it('leaves a record with nothing sensitive unmarked', () => {
    expect(redactRecord({ id: 'core.x', COREDUMP_CMDLINE: '/bin/true' })).toEqual({
      id: 'core.x',
      COREDUMP_CMDLINE: '/bin/true',
    });
  });
});

describe('stack trace and signature in the record', () => {
  const message = [
    'Process 42 (app) of user 0 dumped core.',
    '',
    'Stack trace of thread 42:',
    '#0  0x000055d9dfcdb2f1 crash_here (app + 0x12f1)',
    '#1  0x000055d9dfcdb301 main (app + 0x1301)',
    'ELF object binary architecture: AMD x86-64',
    '',
  ].join('\n');
  const journal = {
    COREDUMP_COMM: 'app',
    COREDUMP_EXE: '/usr/bin/app',
    COREDUMP_PID: 42,
    COREDUMP_SIGNAL: 11,
    COREDUMP_TIMESTAMP: '2023-11-14T22:13:22Z',
    MESSAGE: message,
  };
  const id = `core.app.0.${BOOT}.42.1700000002000000.zst`;

  it('parses MESSAGE into stacktrace, topFrames and signature; the list keeps only the signature', () => {
    const r = buildCoreRecord({ ...base, file: file(id), journal });
    expect(r.stacktrace?.crashingThread).toBe(42);
    expect(r.topFrames).toEqual([
      { function: 'crash_here', module: 'app' },
      { function: 'main', module: 'app' },
    ]);
    expect(r.signature).toMatch(/^[0-9a-f]{16}$/);
    const list = toListRecord(r);
    expect(list.signature).toBe(r.signature);
    expect(list).not.toHaveProperty('stacktrace');
    expect(list).not.toHaveProperty('topFrames');
    expect(list).not.toHaveProperty('MESSAGE');
  });

  it('the index (MESSAGE dropped, summary kept) gets the same signature as the full record', () => {
    const full = buildCoreRecord({ ...base, file: file(id), journal });
    const { MESSAGE: _m, ...indexed } = journal;
    const crash = summarizeCrash(journal);
    const fromIndex = buildCoreRecord({ ...base, file: file(id), journal: indexed, crash });
    expect(fromIndex.signature).toBe(full.signature);
    expect(fromIndex.topFrames).toEqual(full.topFrames);
    expect(fromIndex.stacktrace).toBeUndefined();
  });

  it('names the signal from its number when the journal has no COREDUMP_SIGNAL_NAME', () => {
    const withName = summarizeCrash({ ...journal, COREDUMP_SIGNAL_NAME: 'SIGSEGV' });
    expect(summarizeCrash(journal)?.signature).toBe(withName?.signature);
  });

  it('has no signature without a stack trace', () => {
    const r = buildCoreRecord({ ...base, file: file(id), journal: { ...journal, MESSAGE: 'x' } });
    expect(r.signature).toBeUndefined();
    expect(r.stacktrace).toBeUndefined();
  });
});
