import { describe, expect, it } from '@jest/globals';

import { corePatternOk, formatNodes, parseNodes } from './status.js';

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
