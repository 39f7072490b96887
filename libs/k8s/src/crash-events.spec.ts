import { describe, expect, it } from '@jest/globals';

import {
  crashEventMessage,
  crashEventName,
  crashEventState,
  crashEventUpdate,
  decideCrashEvent,
  latestCrashEventState,
  LAST_CORE_ANNOTATION,
  LAST_CORE_TIME_ANNOTATION,
  LAST_CORES_ANNOTATION,
  newCrashEvent,
  reportedState,
  type CrashEventState,
  type CrashFacts,
  type StoredCrashEvent,
} from './crash-events.js';

const T0 = Date.parse('2026-11-28T12:00:00.250Z');
const MIN = 60_000;
const timing = { windowMs: 10 * MIN, lookbackMs: 60 * MIN };

const facts = (over: Partial<CrashFacts> = {}): CrashFacts => ({
  coreId: 'core.app.0.0123456789abcdef0123456789abcdef.4242.1800000000000000.zst',
  node: 'node-a',
  namespace: 'team-a',
  pod: 'web-5d8f7c9b4-x7k2p',
  podUID: '11111111-2222-4333-8444-555555555555',
  container: 'app',
  signal: 11,
  signalName: 'SIGSEGV',
  comm: 'app',
  timestamp: T0,
  ...over,
});

const state = (over: Partial<CrashEventState> = {}): CrashEventState => ({
  namespace: 'team-a',
  name: 'web-5d8f7c9b4-x7k2p.0123456789abcdef',
  windowStart: T0,
  count: 1,
  lastCoreTime: T0,
  lastCoreIds: [facts().coreId],
  ...over,
});

describe('crashEventName', () => {
  it('is the pod name and a hash of the pod uid and the core: stable, distinct per core', () => {
    const a = crashEventName('web-1', 'uid-1', 'core.a');
    expect(a).toMatch(/^web-1\.[0-9a-f]{16}$/);
    expect(crashEventName('web-1', 'uid-1', 'core.a')).toBe(a);
    expect(crashEventName('web-1', 'uid-1', 'core.b')).not.toBe(a);
    // Same pod name, a new pod (new uid): another event.
    expect(crashEventName('web-1', 'uid-2', 'core.a')).not.toBe(a);
  });

  it('stays a valid DNS subdomain of at most 253 characters for the longest pod names', () => {
    const pod = `${'a'.repeat(62)}.${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(64)}`;
    expect(pod).toHaveLength(253);
    const name = crashEventName(pod, 'uid', 'core.x');
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
    // A cut that ends in '-' or '.' is trimmed rather than leaving an invalid label.
    const cut = crashEventName(`${'a'.repeat(235)}-${'b'.repeat(17)}`, 'uid', 'core.x');
    expect(cut).toMatch(/^a+\.[0-9a-f]{16}$/);
  });
});

describe('crashEventMessage', () => {
  it('says what crashed, how, where, and how to get the core', () => {
    expect(crashEventMessage(facts())).toBe(
      'Container app, process "app" dumped core on SIGSEGV (signal 11) on node node-a: ' +
        'core core.app.0.0123456789abcdef0123456789abcdef.4242.1800000000000000.zst. ' +
        'Get it with: koredumpctl get node-a core.app.0.0123456789abcdef0123456789abcdef.4242.1800000000000000.zst',
    );
  });

  it('copes with unknown container, process and signal name', () => {
    const m = crashEventMessage(
      facts({ container: undefined, comm: undefined, signalName: undefined, signal: 6 }),
    );
    expect(m).toMatch(/^A process dumped core on signal 6 on node node-a: core /);
    expect(crashEventMessage(facts({ signal: undefined, signalName: undefined }))).toContain(
      'on an unknown signal',
    );
  });

  it('escapes a hostile process name and stays within the API limit of 1024 characters', () => {
    const m = crashEventMessage(facts({ comm: 'x\n"y"\u001b[31m' }));
    expect(m).toContain('process "x\\n\\"y\\"\\u001b[31m"');
    expect(m).not.toContain('\n');
    const long = crashEventMessage(facts({ coreId: 'c'.repeat(2000), node: 'n' }));
    expect(long.length).toBeLessThanOrEqual(1024);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('newCrashEvent and crashEventUpdate', () => {
  it('builds a Warning CoreDumped event on the pod and its container, reported by the node', () => {
    const ev = newCrashEvent(facts(), 'web.abc');
    expect(ev).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: 'web.abc',
        namespace: 'team-a',
        annotations: {
          [LAST_CORE_ANNOTATION]: facts().coreId,
          [LAST_CORE_TIME_ANNOTATION]: '2026-11-28T12:00:00.250Z',
          [LAST_CORES_ANNOTATION]: facts().coreId,
        },
      },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: 'team-a',
        name: 'web-5d8f7c9b4-x7k2p',
        uid: '11111111-2222-4333-8444-555555555555',
        fieldPath: 'spec.containers{app}',
      },
      type: 'Warning',
      reason: 'CoreDumped',
      count: 1,
      source: { component: 'koredump-collector', host: 'node-a' },
      reportingComponent: 'koredump-collector',
      reportingInstance: 'node-a',
    });
    expect(ev.firstTimestamp).toEqual(new Date(T0));
    expect(ev.lastTimestamp).toEqual(new Date(T0));
    expect(newCrashEvent(facts({ container: undefined }), 'x').involvedObject.fieldPath).toBe(
      undefined,
    );
  });

  it('updates count, last time, message and the newest-core annotations', () => {
    const later = facts({ coreId: 'core.two', timestamp: T0 + 5000 });
    expect(crashEventUpdate(later, state({ count: 2 }))).toEqual({
      metadata: {
        annotations: {
          [LAST_CORE_ANNOTATION]: 'core.two',
          [LAST_CORE_TIME_ANNOTATION]: new Date(T0 + 5000).toISOString(),
          [LAST_CORES_ANNOTATION]: 'core.two',
        },
      },
      count: 3,
      lastTimestamp: new Date(T0 + 5000),
      message: crashEventMessage(later),
    });
  });
});

describe('crashEventState and latestCrashEventState (what a restarted collector reads back)', () => {
  const stored = (name: string, last: string, over: Partial<StoredCrashEvent> = {}) => ({
    metadata: {
      name,
      namespace: 'team-a',
      annotations: {
        [LAST_CORE_ANNOTATION]: `core.${name}`,
        [LAST_CORE_TIME_ANNOTATION]: last,
      } as Record<string, string>,
    },
    reason: 'CoreDumped',
    reportingComponent: 'koredump-collector',
    count: 4,
    firstTimestamp: '2026-11-28T12:00:00Z',
    lastTimestamp: last.replace(/\.\d+Z$/, 'Z'),
    ...over,
  });

  it('takes the window from firstTimestamp and the millisecond mark from the annotation', () => {
    expect(crashEventState(stored('a', '2026-11-28T12:03:00.750Z'))).toEqual({
      namespace: 'team-a',
      name: 'a',
      windowStart: Date.parse('2026-11-28T12:00:00Z'),
      count: 4,
      lastCoreTime: Date.parse('2026-11-28T12:03:00.750Z'),
      lastCoreIds: ['core.a'],
    });
    const ev = stored('b', '2026-11-28T12:03:00.000Z');
    ev.metadata.annotations![LAST_CORES_ANNOTATION] = 'core.x core.b';
    expect(crashEventState(ev)?.lastCoreIds).toEqual(['core.x', 'core.b']);
  });

  it('falls back to lastTimestamp when the annotations are gone', () => {
    const ev = stored('a', '2026-11-28T12:03:00.750Z');
    ev.metadata.annotations = {};
    expect(crashEventState(ev)?.lastCoreTime).toBe(Date.parse('2026-11-28T12:03:00Z'));
  });

  it('picks our newest event and ignores other reporters of the same reason', () => {
    const events: StoredCrashEvent[] = [
      stored('old', '2026-11-28T12:01:00.000Z'),
      stored('new', '2026-11-28T12:20:00.000Z', { firstTimestamp: '2026-11-28T12:15:00Z' }),
      stored('theirs', '2026-11-28T13:00:00.000Z', {
        reportingComponent: 'someone-else',
        source: { component: 'someone-else' },
      }),
      // An old-style event of ours (only source.component set) still counts.
      stored('legacy', '2026-11-28T12:10:00.000Z', {
        reportingComponent: undefined,
        source: { component: 'koredump-collector' },
      }),
    ];
    expect(latestCrashEventState(events)?.name).toBe('new');
    expect(latestCrashEventState(events.slice(2, 3))).toBeUndefined();
    expect(latestCrashEventState([])).toBeUndefined();
  });
});

describe('decideCrashEvent', () => {
  const now = T0 + 1000;

  it('creates the first event of a pod', () => {
    expect(decideCrashEvent(undefined, facts(), now, timing)).toEqual({
      action: 'create',
      name: crashEventName(facts().pod, facts().podUID, facts().coreId),
    });
  });

  it('counts further crashes in the window on the same event', () => {
    const f = facts({ coreId: 'core.2', timestamp: T0 + 9 * MIN });
    expect(decideCrashEvent(state({ count: 3 }), f, T0 + 9 * MIN, timing)).toEqual({
      action: 'update',
      name: state().name,
      count: 4,
    });
  });

  it('starts a new event once the window is over', () => {
    const f = facts({ coreId: 'core.3', timestamp: T0 + 10 * MIN });
    expect(decideCrashEvent(state({ lastCoreTime: T0 + 9 * MIN }), f, f.timestamp, timing)).toEqual(
      { action: 'create', name: crashEventName(f.pod, f.podUID, 'core.3') },
    );
  });

  it('skips cores at or before the newest reported one (restart, repeated updates)', () => {
    const s = state({ lastCoreTime: T0 + 5000 });
    expect(decideCrashEvent(s, facts(), now + 5000, timing)).toEqual({
      action: 'skip',
      why: 'reported',
    });
    expect(decideCrashEvent(s, facts({ timestamp: T0 + 5000 }), now + 5000, timing).action).toBe(
      'skip',
    );
    expect(decideCrashEvent(s, facts({ timestamp: T0 + 5001 }), now + 5000, timing).action).toBe(
      'update',
    );
  });

  it('never reports cores older than the lookback (no flood at startup)', () => {
    expect(decideCrashEvent(undefined, facts(), T0 + 61 * MIN, timing)).toEqual({
      action: 'skip',
      why: 'too-old',
    });
    expect(decideCrashEvent(undefined, facts(), T0 + 60 * MIN, timing).action).toBe('create');
  });

  it('tells apart cores of the same second (real crash times have whole seconds)', () => {
    const s1 = reportedState(undefined, facts({ coreId: 'core.1', timestamp: T0 }), {
      action: 'create',
      name: 'ev',
    });
    expect(s1).toMatchObject({ name: 'ev', count: 1, windowStart: T0, lastCoreIds: ['core.1'] });
    const second = facts({ coreId: 'core.2', timestamp: T0 });
    const d = decideCrashEvent(s1, second, T0, timing);
    expect(d).toEqual({ action: 'update', name: 'ev', count: 2 });
    const s2 = reportedState(s1, second, d as { action: 'update'; name: string; count: number });
    expect(s2).toMatchObject({ count: 2, lastCoreTime: T0, lastCoreIds: ['core.1', 'core.2'] });
    expect(decideCrashEvent(s2, second, T0, timing).action).toBe('skip');
    expect(
      decideCrashEvent(s2, facts({ coreId: 'core.1', timestamp: T0 }), T0, timing).action,
    ).toBe('skip');
    // A later second starts the list afresh.
    const third = facts({ coreId: 'core.3', timestamp: T0 + 1000 });
    expect(
      reportedState(s2, third, { action: 'update', name: 'ev', count: 3 }).lastCoreIds,
    ).toEqual(['core.3']);
    // The list is bounded.
    let s = s1;
    for (let i = 0; i < 40; i++) {
      s = reportedState(s, facts({ coreId: `c${i}`, timestamp: T0 }), {
        action: 'update',
        name: 'ev',
        count: s.count + 1,
      });
    }
    expect(s.lastCoreIds).toHaveLength(16);
    expect(s.lastCoreIds.at(-1)).toBe('c39');
  });
});
