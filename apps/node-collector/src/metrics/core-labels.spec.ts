import { describe, expect, it } from '@jest/globals';
import { OTHER_LABEL_VALUE } from '@koredump/http';

import type { CoreRecord } from '../cores/core-record.js';
import { CoreLabels } from './core-labels.js';

const record = (fields: Partial<CoreRecord>): CoreRecord =>
  ({ id: 'core.x', attribution: { source: 'none' }, ...fields }) as CoreRecord;

describe('CoreLabels', () => {
  it('uses namespace, container and signal name; "" where unknown', () => {
    const labels = new CoreLabels();
    const r = record({ namespace: 'team-a', container: 'app', COREDUMP_SIGNAL_NAME: 'SIGSEGV' });
    expect([labels.namespace(r), labels.container(r), labels.signal(r)]).toEqual([
      'team-a',
      'app',
      'SIGSEGV',
    ]);
    const host = record({});
    expect([labels.namespace(host), labels.container(host), labels.signal(host)]).toEqual([
      '',
      '',
      '',
    ]);
  });

  it('names a signal from its number, and never passes odd text through', () => {
    const labels = new CoreLabels();
    expect(labels.signal(record({ COREDUMP_SIGNAL: 6 }))).toBe('SIGABRT');
    expect(labels.signal(record({ COREDUMP_SIGNAL: 99 }))).toBe('99');
    expect(labels.signal(record({ COREDUMP_SIGNAL_NAME: 'SIGRTMIN+3' }))).toBe('SIGRTMIN+3');
    expect(labels.signal(record({ COREDUMP_SIGNAL_NAME: '/var/lib/x', COREDUMP_SIGNAL: 11 }))).toBe(
      'SIGSEGV',
    );
    expect(labels.signal(record({ COREDUMP_SIGNAL_NAME: 'core.abc' }))).toBe('');
  });

  it('folds namespaces beyond the 200th distinct one into the other bucket', () => {
    const labels = new CoreLabels();
    for (let i = 0; i < 200; i++) {
      expect(labels.namespace(record({ namespace: `ns-${i}` }))).toBe(`ns-${i}`);
    }
    expect(labels.namespace(record({ namespace: 'ns-200' }))).toBe(OTHER_LABEL_VALUE);
    expect(labels.namespace(record({ namespace: 'ns-7' }))).toBe('ns-7');
    // Containers have their own budget.
    expect(labels.container(record({ container: 'app' }))).toBe('app');
  });
});
