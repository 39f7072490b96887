import { describe, expect, it } from '@jest/globals';

import { leftOutSummary, leftOutWarning, MAX_NAMED_NODES } from './warning.js';

describe('Warning header', () => {
  it('is absent when no node was left out', () => {
    expect(leftOutWarning([])).toBeUndefined();
  });

  it('names each node left out, with why', () => {
    expect(
      leftOutWarning([
        { node: 'node-b', reason: 'timeout after 5000 ms' },
        { node: 'node-c', reason: 'unreachable: ECONNREFUSED' },
      ]),
    ).toBe(
      '199 koredump "nodes left out: node-b (timeout after 5000 ms), node-c (unreachable: ECONNREFUSED)"',
    );
  });

  it('escapes quotes and backslashes, and keeps to printable ASCII', () => {
    const w = leftOutWarning([{ node: 'n', reason: 'HTTP 500: say "hi" \\ bye\r\nnext ✓' }])!;
    expect(w).toBe('199 koredump "nodes left out: n (HTTP 500: say \\"hi\\" \\\\ bye??next ?)"');
    expect(w).toMatch(/^[\x20-\x7e]*$/);
  });

  it('shortens long reasons and counts nodes beyond the first 50', () => {
    const many = Array.from({ length: MAX_NAMED_NODES + 7 }, (_, i) => ({
      node: `node-${i}`,
      reason: 'x'.repeat(500),
    }));
    const summary = leftOutSummary(many);
    expect(summary).toMatch(/, and 7 more$/);
    expect(summary).not.toContain(`node-${MAX_NAMED_NODES} (`);
    expect(summary).toContain('x...');
    expect(summary.length).toBeLessThan(10_000);
  });
});
