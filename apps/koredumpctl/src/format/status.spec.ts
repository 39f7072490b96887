import { describe, expect, it } from '@jest/globals';

import {
  corePatternOk,
  formatConfSize,
  formatNodeHealth,
  formatNodes,
  parseNodes,
} from './status.js';

describe('parseNodes', () => {
  it("reads the aggregator's NodeStatusDto array", () => {
    expect(
      parseNodes([
        { node: 'b', source: 'static', ready: true, reachable: true, cores: 3, version: '0.1.0' },
        {
          node: 'a',
          source: 'pod',
          ready: false,
          reachable: false,
          lastError: 'timeout after 5000 ms',
        },
      ]),
    ).toEqual([
      {
        node: 'a',
        ready: false,
        cores: undefined,
        version: undefined,
        lastError: 'timeout after 5000 ms',
      },
      { node: 'b', ready: true, cores: 3, version: '0.1.0', lastError: undefined },
    ]);
  });

  it('reads other shapes liberally', () => {
    expect(
      parseNodes({
        nodes: [{ name: 'x', status: 'Ready', coreCount: 2, error: { message: 'boom' } }],
      }),
    ).toEqual([{ node: 'x', ready: true, cores: 2, version: undefined, lastError: 'boom' }]);
    expect(parseNodes({ y: { up: false } })).toEqual([
      { node: 'y', ready: false, cores: undefined, version: undefined, lastError: undefined },
    ]);
    expect(parseNodes('nonsense')).toEqual([]);
  });
});

describe('formatNodes', () => {
  it('prints a table', () => {
    expect(
      formatNodes([
        { node: 'node-a', ready: true, cores: 3, version: '0.1.0' },
        { node: 'node-bb', ready: false, lastError: 'unreachable: ECONNREFUSED' },
      ]),
    ).toBe(
      [
        '  NODE     READY  CORES  VERSION  LAST ERROR',
        '  node-a   yes    3      0.1.0',
        '  node-bb  no     -      -        unreachable: ECONNREFUSED',
        '',
      ].join('\n'),
    );
  });
});

describe('corePatternOk', () => {
  it.each([
    ['|/usr/lib/systemd/systemd-coredump %P %u %g %s %t 9223372036854775808 %h', true],
    ['|/lib/systemd/systemd-coredump %P %u %g %s %t %c %h', true],
    ['core', false],
    ['/tmp/core.%e.%p', false],
    ['|/usr/share/apport/apport -p%p', false],
  ])('%s', (pattern, ok) => {
    expect(corePatternOk(pattern)).toBe(ok);
  });
});

describe('node health', () => {
  const G = 2 ** 30;
  const report = (over: Record<string, unknown> = {}) => ({
    node: 'node-a',
    kernel: { corePattern: '|/lib/systemd/systemd-coredump %P', pipesToSystemdCoredump: true },
    coredumpConf: { storage: 'external', externalSizeMax: 32 * G },
    storage: { filesystemAvailableBytes: 12 * G, oldestCoreAgeSeconds: 90061 },
    journal: { readable: true },
    warnings: [],
    ...over,
  });

  it('parseNodes reads the merged health report and healthError', () => {
    const [a, b] = parseNodes([
      { node: 'node-a', ready: true, health: report() },
      { node: 'node-b', ready: true, healthError: 'unreachable: ECONNREFUSED' },
    ]);
    expect(a.health).toEqual({
      corePattern: '|/lib/systemd/systemd-coredump %P',
      pipesToSystemdCoredump: true,
      storage: 'external',
      externalSizeMax: 32 * G,
      freeBytes: 12 * G,
      oldestCoreAgeSeconds: 90061,
      journalReadable: true,
      journalError: undefined,
      warnings: [],
    });
    expect(b).toMatchObject({ health: undefined, healthError: 'unreachable: ECONNREFUSED' });
  });

  it('formatNodeHealth: a table, a WARNING line per warning, and why a node has no report', () => {
    const nodes = parseNodes([
      {
        node: 'node-a',
        health: report({
          coredumpConf: { storage: 'external', externalSizeMax: G },
          warnings: [
            {
              code: 'external-size-max-below-pod-memory',
              message:
                'ExternalSizeMax=1G is below the largest pod memory limit on the node (2Gi, ns/p container c): cores will be truncated',
            },
          ],
        }),
      },
      {
        node: 'node-b',
        health: report({
          kernel: { corePattern: 'core', pipesToSystemdCoredump: false },
          coredumpConf: { storage: 'journal', externalSizeMax: null },
          storage: {},
          journal: { readable: false },
        }),
      },
      { node: 'node-c', healthError: 'timeout after 5000 ms' },
    ]);
    expect(formatNodeHealth(nodes)).toBe(
      [
        'Node health:',
        '  NODE    CORE_PATTERN          STORAGE   EXTERNALSIZEMAX  FREE   OLDEST CORE  JOURNAL',
        '  node-a  ok                    external  1G               12.0G  1d 1h        ok',
        '  node-b  NOT systemd-coredump  journal   infinity         -      -            unreadable',
        '  node-c  ?                     ?         ?                ?      ?            no report: timeout after 5000 ms',
        'WARNING node-a: ExternalSizeMax=1G is below the largest pod memory limit on the node (2Gi, ns/p container c): cores will be truncated',
        '',
      ].join('\n'),
    );
  });

  it('prints nothing for an API without health information', () => {
    expect(formatNodeHealth(parseNodes([{ node: 'x', ready: true, cores: 1 }]))).toBe('');
  });

  it('formatConfSize', () => {
    expect([32 * G, 1.5 * G, 767 * 2 ** 20, 100, null, undefined].map(formatConfSize)).toEqual([
      '32G',
      '1.5G',
      '767M',
      '100',
      'infinity',
      '-',
    ]);
  });
});

it('node health text from the server cannot carry terminal escapes', () => {
  const [n] = parseNodes([
    { node: 'x', health: { warnings: [{ code: 'c', message: 'bad\x1b[2Jthing\n' }] } },
  ]);
  expect(n.health?.warnings).toEqual([{ code: 'c', message: 'bad?[2Jthing?' }]);
});
