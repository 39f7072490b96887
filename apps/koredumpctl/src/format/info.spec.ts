import { describe, expect, it } from '@jest/globals';

import { formatInfo } from './info.js';

describe('formatInfo', () => {
  const message = [
    'Process 101 (app) of user 1000 dumped core.',
    '',
    'Stack trace of thread 101:',
    '#0  0x000055d9dfcdb2f1 main (app + 0x12f1)',
    '',
  ].join('\n');
  const record = {
    id: 'core.app.1000.b.101.1767225601000000.zst',
    node: 'worker-1',
    hostname: 'worker-1.example',
    namespace: 'team-a',
    pod: 'web-1',
    container: 'app',
    image: 'registry/web:1',
    imageID: 'registry/web@sha256:aa',
    workload: { kind: 'Deployment', name: 'web' },
    attribution: { source: 'api' },
    COREDUMP_PID: 101,
    COREDUMP_UID: 1000,
    COREDUMP_GID: 1000,
    COREDUMP_SIGNAL: 11,
    COREDUMP_SIGNAL_NAME: 'SIGSEGV',
    COREDUMP_COMM: 'app',
    COREDUMP_EXE: '/usr/bin/app',
    COREDUMP_CMDLINE: '/usr/bin/app --serve',
    COREDUMP_CGROUP: '/kubepods.slice/x.scope',
    COREDUMP_FILENAME: '/var/lib/systemd/coredump/core.app.1000.b.101.1767225601000000.zst',
    COREDUMP_HOSTNAME: { base64: Buffer.from('web-1').toString('base64') },
    size: 3 * 1024 * 1024,
    compression: 'zst',
    truncated: true,
    timestamp: new Date(2026, 0, 1, 0, 0, 1).getTime(),
    redacted: ['COREDUMP_ENVIRON'],
    MESSAGE: message,
  };

  it('prints labels right-aligned, cluster identity first, the stack trace last', () => {
    const text = formatInfo(record, undefined, record.timestamp + 60_000);
    const lines = text.split('\n');
    expect(lines[0]).toBe('       Core ID: core.app.1000.b.101.1767225601000000.zst');
    expect(text).toContain('          Node: worker-1 (host worker-1.example)\n');
    expect(text).toContain('     Namespace: team-a\n');
    expect(text).toContain('         Image: registry/web:1 (registry/web@sha256:aa)\n');
    expect(text).toContain('      Workload: Deployment/web\n');
    expect(text).toContain('   Attribution: api\n');
    expect(text).toContain('           PID: 101 (app)\n');
    expect(text).toContain('        Signal: 11 (SEGV)\n');
    expect(text).toMatch(/ {5}Timestamp: Thu 2026-01-01 00:00:01 \S+ \(1min ago\)\n/);
    expect(text).toContain('  Command Line: /usr/bin/app --serve\n');
    expect(text).toContain('      Hostname: web-1\n'); // {base64} decoded
    expect(text).toContain(
      '       Storage: /var/lib/systemd/coredump/core.app.1000.b.101.1767225601000000.zst (truncated, zst-compressed)\n',
    );
    expect(text).toContain('  Size on Disk: 3.0M\n');
    expect(text).toContain('      Redacted: COREDUMP_ENVIRON (needs get coredumps/sensitive)\n');
    expect(
      text.endsWith(
        [
          '       Message: Process 101 (app) of user 1000 dumped core.',
          '',
          '                Stack trace of thread 101:',
          '                #0  0x000055d9dfcdb2f1 main (app + 0x12f1)',
          '',
        ].join('\n'),
      ),
    ).toBe(true);
  });

  it('leaves out what is unknown', () => {
    const text = formatInfo({ id: 'core.x' });
    expect(text).toBe('       Core ID: core.x\n       Storage: core.x (present)\n');
  });
});
