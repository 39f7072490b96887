import { describe, expect, it } from '@jest/globals';

import { renderProgress } from './progress.js';

describe('renderProgress', () => {
  it('shows percent, bar, bytes, rate and ETA within the width', () => {
    const line = renderProgress(
      {
        label: 'core.app.zst',
        done: 50 * 1024 * 1024,
        total: 100 * 1024 * 1024,
        transferred: 50 * 1024 * 1024,
        elapsedMs: 5000,
      },
      100,
    );
    expect(line).toMatch(/^core\.app\.zst\s+50% \[#+ +\] 50\.0M\/100M {2}10\.0M\/s {2}ETA 00:05$/);
    expect(line.length).toBeLessThanOrEqual(100);
  });

  it('counts the rate on this transfer only (a resumed part does not inflate it)', () => {
    const line = renderProgress(
      { label: 'c', done: 90 * 1024, total: 100 * 1024, transferred: 10 * 1024, elapsedMs: 1000 },
      80,
    );
    expect(line).toContain('10.0K/s');
    expect(line).toContain('ETA 00:01');
  });

  it('without a total: bytes and rate only; a long label is shortened', () => {
    const line = renderProgress(
      { label: 'x'.repeat(200), done: 2048, transferred: 2048, elapsedMs: 1000 },
      60,
    );
    expect(line).toMatch(/…x+ {2}2\.0K {2}2\.0K\/s$/);
    expect(line.length).toBeLessThanOrEqual(60);
  });

  it('unknown rate gives an unknown ETA', () => {
    expect(
      renderProgress({ label: 'c', done: 0, total: 10, transferred: 0, elapsedMs: 0 }, 80),
    ).toContain('ETA --:--');
  });
});
