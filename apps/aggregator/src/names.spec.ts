import { describe, expect, it } from '@jest/globals';

import { isValidNamespace, isValidNodeName, labelSelectorProblem } from './names.js';

describe('node names', () => {
  it.each([
    'node-a',
    'worker-1.example.com',
    'ip-10-0-1-7.eu-west-1.compute.internal',
    '127.0.0.1',
    'a',
    `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
  ])('accepts %s', (name) => expect(isValidNodeName(name)).toBe(true));

  it.each([
    '',
    'Node-A',
    'node_a',
    'a/b',
    '..',
    '.a',
    'a.',
    'a..b',
    '-a',
    'a-',
    'user@host',
    'host:5001',
    'a%2Fb',
    'http://x',
    'a b',
    'a\0',
    'ä',
    `${'a'.repeat(64)}`,
    `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
  ])('rejects %j', (name) => expect(isValidNodeName(name)).toBe(false));

  it('checks namespaces as DNS-1123 labels', () => {
    expect(isValidNamespace('koredump')).toBe(true);
    expect(isValidNamespace('a.b')).toBe(false);
    expect(isValidNamespace('A')).toBe(false);
    expect(isValidNamespace('a'.repeat(64))).toBe(false);
  });
});

describe('label selectors', () => {
  it.each([
    'app.kubernetes.io/name=koredump,app.kubernetes.io/component=node-collector',
    'app==x',
    'app!=x',
    'app',
    '!app',
    'env in (prod, staging),tier notin (web)',
    'app=',
  ])('accepts %s', (s) => expect(labelSelectorProblem(s)).toBeUndefined());

  it.each([
    ['', /empty/],
    ['a=1,', /empty requirement/],
    ['bad key=1', /cannot parse|invalid/],
    ['-a=1', /invalid label key/],
    ['a=b c', /cannot parse/],
    ['a in (x y)', /invalid label value/],
    [`a=${'v'.repeat(64)}`, /invalid label value/],
  ])('rejects %j', (s, problem) => expect(labelSelectorProblem(s)).toMatch(problem));
});
