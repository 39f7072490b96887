import { describe, expect, it } from '@jest/globals';

import { parseSignal, signalMatches } from './signal.js';

describe('parseSignal', () => {
  it.each([
    ['11', 11, 'SIGSEGV'],
    ['SIGSEGV', 11, 'SIGSEGV'],
    ['segv', 11, 'SIGSEGV'],
    ['sigabrt', 6, 'SIGABRT'],
    ['ABRT', 6, 'SIGABRT'],
    ['24', 24, 'SIGXCPU'],
  ])('%s', (input, number, name) => {
    expect(parseSignal(input)).toEqual({ number, name });
  });

  it.each(['0', '99', 'SIGFOO', 'x'])('rejects %s', (bad) => {
    expect(() => parseSignal(bad)).toThrow(/signal/);
  });
});

describe('signalMatches', () => {
  it('compares names when the record has one, else numbers', () => {
    const segv = parseSignal('segv');
    expect(signalMatches(segv, { COREDUMP_SIGNAL: 11, COREDUMP_SIGNAL_NAME: 'SIGSEGV' })).toBe(
      true,
    );
    expect(signalMatches(segv, { COREDUMP_SIGNAL: 6, COREDUMP_SIGNAL_NAME: 'SIGABRT' })).toBe(
      false,
    );
    expect(signalMatches(segv, { COREDUMP_SIGNAL: 11 })).toBe(true);
    expect(signalMatches(segv, {})).toBe(false);
  });
});
