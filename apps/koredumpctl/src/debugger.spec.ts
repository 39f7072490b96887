import { describe, expect, it } from '@jest/globals';

import { debuggerArgv, splitCommandLine } from './debugger.js';

describe('splitCommandLine', () => {
  it.each([
    ['gdb', ['gdb']],
    ['gdb -q  -batch', ['gdb', '-q', '-batch']],
    [
      `gdb -ex "thread apply all bt" -ex 'info reg'`,
      ['gdb', '-ex', 'thread apply all bt', '-ex', 'info reg'],
    ],
    ['a\\ b "c\\"d" ""', ['a b', 'c"d', '']],
    ['', []],
  ])('%s', (text, words) => {
    expect(splitCommandLine(text)).toEqual(words);
  });

  it('rejects an unbalanced quote', () => {
    expect(() => splitCommandLine('gdb "x')).toThrow(/unbalanced/);
  });
});

describe('debuggerArgv', () => {
  it('gdb: [args] [exe] -c core', () => {
    expect(debuggerArgv(['gdb', '-q'], ['-batch'], '/c/core', '/usr/bin/app')).toEqual([
      'gdb',
      '-q',
      '-batch',
      '/usr/bin/app',
      '-c',
      '/c/core',
    ]);
    expect(debuggerArgv(['/usr/bin/gdb'], [], '/c/core', undefined)).toEqual([
      '/usr/bin/gdb',
      '-c',
      '/c/core',
    ]);
  });

  it('lldb: --core core [exe]', () => {
    expect(debuggerArgv(['lldb'], [], '/c/core', '/bin/x')).toEqual([
      'lldb',
      '--core',
      '/c/core',
      '/bin/x',
    ]);
  });
});
