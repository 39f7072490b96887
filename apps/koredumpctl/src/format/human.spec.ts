import { describe, expect, it } from '@jest/globals';

import { formatHuman, formatHumanBlock } from './human.js';
import { ANSI, stripAnsi } from './style.js';

describe('formatHuman (the original 0.4.0 layout)', () => {
  const core = {
    id: 'core.app.1000.b.101.1767225601000000.zst',
    node: 'worker-1',
    namespace: 'team-a',
    pod: 'web-1',
    container: 'app',
    image: 'registry/web:1',
    COREDUMP_PID: 101,
    COREDUMP_UID: 1000,
    COREDUMP_GID: 1000,
    COREDUMP_SIGNAL: 11,
    COREDUMP_SIGNAL_NAME: 'SIGSEGV',
    COREDUMP_COMM: 'app',
    COREDUMP_CMDLINE: '/usr/bin/app --serve',
    COREDUMP_TIMESTAMP: '2026-01-01T00:00:01Z',
  };

  it('prints one block per core', () => {
    expect(formatHumanBlock(core)).toBe(
      [
        '- ID: core.app.1000.b.101.1767225601000000.zst',
        '  Node: worker-1',
        '  Cmdline: "/usr/bin/app --serve"',
        '  COMM: "app" | PID: 101 | UID: 1000 | GID: 1000',
        '  Pod: web-1 | Container: app | Namespace: team-a',
        '  Image: registry/web:1',
        '  Signal: SIGSEGV (11)',
        '  Timestamp: 2026-01-01T00:00:01Z',
      ].join('\n'),
    );
  });

  it('prints missing values as empty strings and reads image_name', () => {
    const block = formatHumanBlock({ id: 'core.x', image_name: 'quay.io/x:1' });
    expect(block).toContain('  Node: \n');
    expect(block).toContain('  Cmdline: ""\n');
    expect(block).toContain('  Image: quay.io/x:1\n');
    expect(block).toContain('  Signal:  ()\n');
    expect(block).not.toContain('undefined');
  });

  it('bolds the labels on a terminal only', () => {
    const styled = formatHuman([core], ANSI);
    expect(styled).toContain('\x1b[1mID:\x1b[22m');
    expect(stripAnsi(styled)).toBe(formatHuman([core]));
    expect(formatHuman([core, core]).split('- ID:').length).toBe(3);
  });
});
