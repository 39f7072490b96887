import { describe, expect, it } from '@jest/globals';

import { normalizeArgs } from './argv.js';

describe('normalizeArgs (options before the command, as the original allowed)', () => {
  it.each([
    [
      ['-o', 'json', 'list'],
      ['list', '-o', 'json'],
    ],
    [
      ['--token=x', 'get', '-a'],
      ['get', '--token=x', '-a'],
    ],
    [
      ['--token', 'x', 'get', '-a'],
      ['get', '--token', 'x', '-a'],
    ],
    [
      ['-n', 'default', '-1', 'get'],
      ['get', '-n', 'default', '-1'],
    ],
    [
      ['-v', 'status'],
      ['status', '-v'],
    ],
    [
      ['-v', 'dump', 'node', 'id'],
      ['dump', '-v', 'node', 'id'],
    ],
  ])('%j -> %j', (args, expected) => {
    expect(normalizeArgs(args)).toEqual(expected);
  });

  it.each([
    [[]],
    [['list', '-o', 'json']],
    [['-o', 'json']],
    [['-n', 'list']], // "list" is the namespace
    [['myapp', 'get']], // a MATCH, then a MATCH
    [['-ojson', 'myapp']],
    [['--', 'status']],
  ])('leaves %j alone', (args) => {
    expect(normalizeArgs(args)).toEqual(args);
  });
});
