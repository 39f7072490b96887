import { describe, expect, it } from '@jest/globals';

import { COREDUMP_DEFAULTS } from './coredump-conf.js';
import { nodeHealthWarnings, pipesToSystemdCoredump, type NodeHealthFacts } from './node-health.js';

const G = 2 ** 30;
const PATTERN = '|/usr/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h';
const healthy: NodeHealthFacts = {
  corePattern: PATTERN,
  conf: { ...COREDUMP_DEFAULTS },
  confProblems: [],
  usedBytes: 1 * G,
  filesystemBytes: 100 * G,
  filesystemFreeBytes: 50 * G,
  journalReadable: true,
  largestPodMemoryLimit: { bytes: 2 * G, quantity: '2Gi', pod: 'team-a/web-1', container: 'app' },
};
const codes = (f: Partial<NodeHealthFacts>): string[] =>
  nodeHealthWarnings({ ...healthy, ...f }).map((w) => w.code);

describe('pipesToSystemdCoredump', () => {
  it.each<[string, boolean]>([
    [PATTERN, true],
    ['|/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h %d', true],
    ['| /usr/lib/systemd/systemd-coredump %P', true],
    ['|systemd-coredump', true],
    ['core', false],
    ['/tmp/core.%e.%p', false],
    ['|/usr/share/apport/apport -p%p', false],
    ['|/usr/lib/systemd/systemd-coredumpx %P', false],
    ['/usr/lib/systemd/systemd-coredump', false],
  ])('%s -> %s', (pattern, ok) => {
    expect(pipesToSystemdCoredump(pattern)).toBe(ok);
  });
});

describe('nodeHealthWarnings', () => {
  it('a well set-up node has none', () => {
    expect(nodeHealthWarnings(healthy)).toEqual([]);
  });

  it('core_pattern not piping to systemd-coredump, or unreadable', () => {
    expect(nodeHealthWarnings({ ...healthy, corePattern: 'core' })).toEqual([
      {
        code: 'core-pattern-not-systemd-coredump',
        message:
          'kernel.core_pattern is "core", not a pipe to systemd-coredump: koredump will not see the cores',
      },
    ]);
    expect(
      nodeHealthWarnings({ ...healthy, corePattern: undefined, corePatternError: 'ENOENT' }),
    ).toEqual([
      {
        code: 'core-pattern-unreadable',
        message:
          'cannot read kernel.core_pattern (ENOENT): whether cores reach systemd-coredump is unknown',
      },
    ]);
  });

  it('Storage=none and Storage=journal keep no files for koredump', () => {
    expect(codes({ conf: { ...COREDUMP_DEFAULTS, storage: 'none' } })).toEqual(['storage-none']);
    expect(codes({ conf: { ...COREDUMP_DEFAULTS, storage: 'journal' } })).toEqual([
      'storage-journal',
    ]);
  });

  it('ExternalSizeMax below the largest pod memory limit: cores will be truncated', () => {
    expect(
      nodeHealthWarnings({ ...healthy, conf: { ...COREDUMP_DEFAULTS, externalSizeMax: 1 * G } }),
    ).toEqual([
      {
        code: 'external-size-max-below-pod-memory',
        message:
          'ExternalSizeMax=1G is below the largest pod memory limit on the node (2Gi, team-a/web-1 container app): cores will be truncated',
      },
    ]);
    // equal is enough; infinity is never below
    expect(codes({ conf: { ...COREDUMP_DEFAULTS, externalSizeMax: 2 * G } })).toEqual([]);
    expect(codes({ conf: { ...COREDUMP_DEFAULTS, externalSizeMax: null } })).toEqual([]);
    // no pods with limits: nothing to compare with
    expect(
      codes({
        conf: { ...COREDUMP_DEFAULTS, externalSizeMax: 1 * G },
        largestPodMemoryLimit: undefined,
      }),
    ).toEqual([]);
  });

  it('ProcessSizeMax below the largest limit (ExternalSizeMax large enough): no stack trace', () => {
    expect(
      nodeHealthWarnings({ ...healthy, conf: { ...COREDUMP_DEFAULTS, processSizeMax: G } }),
    ).toEqual([
      {
        code: 'process-size-max-below-pod-memory',
        message:
          'ProcessSizeMax=1G is below the largest pod memory limit on the node (2Gi, team-a/web-1 container app): larger cores get no stack trace',
      },
    ]);
  });

  it('MaxUse nearly reached (configured or default), KeepFree nearly reached, disk nearly full', () => {
    expect(codes({ conf: { ...COREDUMP_DEFAULTS, maxUse: 1.1 * G } })).toEqual([
      'max-use-nearly-reached',
    ]);
    // default MaxUse on a 100G filesystem: 4G
    expect(codes({ usedBytes: 3.5 * G })).toEqual([]);
    expect(codes({ usedBytes: 3.7 * G })).toEqual(['max-use-nearly-reached']);
    expect(codes({ conf: { ...COREDUMP_DEFAULTS, maxUse: 0 }, usedBytes: 90 * G })).toEqual([]);
    // default KeepFree on 20G: 15 % = 3G (disk nearly full: below 1G)
    const small = { filesystemBytes: 20 * G };
    expect(codes({ ...small, filesystemFreeBytes: 3.3 * G })).toEqual(['keep-free-nearly-reached']);
    expect(codes({ ...small, filesystemFreeBytes: 3.4 * G })).toEqual([]);
    expect(
      codes({ conf: { ...COREDUMP_DEFAULTS, keepFree: 0 }, filesystemFreeBytes: 4 * G }),
    ).toEqual(['disk-nearly-full']);
    expect(nodeHealthWarnings({ ...healthy, filesystemFreeBytes: 2 * G })).toEqual([
      {
        code: 'keep-free-nearly-reached',
        message:
          '2G free on the coredump filesystem, KeepFree=4G: systemd-coredump deletes the oldest cores to keep that free',
      },
      {
        code: 'disk-nearly-full',
        message: 'the coredump filesystem is nearly full (2G of 100G free): new cores may not fit',
      },
    ]);
  });

  it('configuration problems, an unreadable core directory and an unreadable journal', () => {
    expect(
      nodeHealthWarnings({
        ...healthy,
        confProblems: [{ file: '/etc/systemd/coredump.conf', line: 3, message: 'x; ignored' }],
        coreDirError: 'EACCES',
        usedBytes: undefined,
        journalReadable: false,
        journalError: 'journalctl exited with 1',
      }),
    ).toEqual([
      { code: 'coredump-conf-invalid', message: '/etc/systemd/coredump.conf:3: x; ignored' },
      { code: 'coredump-dir-unreadable', message: 'cannot read the coredump directory: EACCES' },
      {
        code: 'journal-unreadable',
        message:
          'the journal is not readable (journalctl exited with 1): cores lack their metadata and stack traces',
      },
    ]);
  });
});
