import { createHash } from 'node:crypto';

/**
 * The pure part of the crash events the collector puts on pods (`kubectl describe pod` shows them):
 * names, message, the body of a new event and of an update, what the stored events say was already
 * reported, and the decision per core. No client here; the collector's CrashEventsService does the
 * calls.
 */

export const CORE_DUMPED_REASON = 'CoreDumped';
export const CRASH_EVENTS_COMPONENT = 'koredump-collector';
/** The newest core an event covers: its id and crash time (RFC 3339, milliseconds). */
export const LAST_CORE_ANNOTATION = 'koredump.io/last-core';
export const LAST_CORE_TIME_ANNOTATION = 'koredump.io/last-core-time';
/**
 * Every core reported with exactly that crash time, space-separated: real crash times have whole
 * seconds only (the kernel's %t), and a crash loop can dump twice in one second.
 */
export const LAST_CORES_ANNOTATION = 'koredump.io/last-cores';
/** Ids kept in LAST_CORES_ANNOTATION (more cores in one second of one pod are not told apart). */
const MAX_IDS_AT_MARK = 16;

/** The API server refuses longer messages (NoteLengthLimit). */
const MESSAGE_LIMIT = 1024;
/** Object names are DNS subdomains of at most 253 characters. */
const NAME_LIMIT = 253;

/** What an event says about one core (from the collector's core record). */
export interface CrashFacts {
  coreId: string;
  node: string;
  namespace: string;
  pod: string;
  podUID: string;
  container?: string;
  signal?: number;
  signalName?: string;
  comm?: string;
  exe?: string;
  /** Crash time, epoch milliseconds. */
  timestamp: number;
}

/** What the collector knows of a pod's current crash event. */
export interface CrashEventState {
  namespace: string;
  name: string;
  /** firstTimestamp of the event: the start of its rate-limit window (epoch ms). */
  windowStart: number;
  count: number;
  /** The crash time of the newest core the event covers: older cores are already reported. */
  lastCoreTime: number;
  /** The cores reported with exactly lastCoreTime. */
  lastCoreIds: readonly string[];
}

export interface CrashEventTiming {
  /** One event per pod per window; later crashes in the window update it. */
  windowMs: number;
  /** Cores older than this are never reported (no flood of old cores at startup). */
  lookbackMs: number;
}

export type CrashEventDecision =
  | { action: 'skip'; why: 'too-old' | 'reported' }
  | { action: 'create'; name: string }
  | { action: 'update'; name: string; count: number };

/** The wire shape of the parts of a core/v1 Event this module reads. */
export interface StoredCrashEvent {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  count?: number;
  firstTimestamp?: Date | string;
  lastTimestamp?: Date | string;
  reason?: string;
  reportingComponent?: string;
  source?: { component?: string };
}

/**
 * `<pod>.<16 hex>` like kubelet's event names; the hash of the pod uid and the first core of the
 * event, so a collector that restarts before it learnt of its own create gets 409 AlreadyExists
 * for the same core instead of a second event.
 */
export function crashEventName(pod: string, podUID: string, coreId: string): string {
  const hash = createHash('sha256').update(`${podUID}/${coreId}`).digest('hex').slice(0, 16);
  const prefix = pod.slice(0, NAME_LIMIT - hash.length - 1).replace(/[.-]+$/, '');
  return `${prefix}.${hash}`;
}

/** kubelet's fieldPath of a container, so event consumers can tell which container crashed. */
export function containerFieldPath(container: string | undefined): string | undefined {
  return container ? `spec.containers{${container}}` : undefined;
}

function signalText(f: CrashFacts): string {
  if (f.signalName && f.signal !== undefined) return `${f.signalName} (signal ${f.signal})`;
  if (f.signalName) return f.signalName;
  if (f.signal !== undefined) return `signal ${f.signal}`;
  return 'an unknown signal';
}

/** Control characters and quotes of a process name are shown escaped (it is chosen by the process). */
function quoted(s: string, max: number): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(cut);
}

/**
 * One line a person reads in `kubectl describe pod`: what crashed, how, where, and the command
 * that fetches the core.
 */
export function crashEventMessage(f: CrashFacts): string {
  const who = [
    f.container ? `container ${f.container}` : undefined,
    f.comm ? `process ${quoted(f.comm, 64)}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const text =
    `${who ? `${who[0].toUpperCase()}${who.slice(1)}` : 'A process'} dumped core on ` +
    `${signalText(f)} on node ${f.node}: core ${f.coreId}. ` +
    `Get it with: koredumpctl get ${f.node} ${f.coreId}`;
  return text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT - 1)}…` : text;
}

/** The cores reported at the new mark once `f` is reported on top of `state`. */
export function idsAtMark(state: CrashEventState | undefined, f: CrashFacts): string[] {
  const same = state && state.lastCoreTime === f.timestamp ? state.lastCoreIds : [];
  return [...same.filter((id) => id !== f.coreId), f.coreId].slice(-MAX_IDS_AT_MARK);
}

/** The state after reporting `f` (as a new event when `created`, else on `state`'s event). */
export function reportedState(
  state: CrashEventState | undefined,
  f: CrashFacts,
  decision: { action: 'create' | 'update'; name: string; count?: number },
): CrashEventState {
  const mark = { lastCoreTime: f.timestamp, lastCoreIds: idsAtMark(state, f) };
  if (decision.action === 'update' && state) {
    return { ...state, ...mark, count: decision.count ?? state.count + 1 };
  }
  return {
    namespace: f.namespace,
    name: decision.name,
    windowStart: f.timestamp,
    count: 1,
    ...mark,
  };
}

function annotations(f: CrashFacts, ids: readonly string[]): Record<string, string> {
  return {
    [LAST_CORE_ANNOTATION]: f.coreId,
    [LAST_CORE_TIME_ANNOTATION]: new Date(f.timestamp).toISOString(),
    [LAST_CORES_ANNOTATION]: ids.join(' '),
  };
}

/** The core/v1 Event for the first core of a window (POST body). */
export function newCrashEvent(f: CrashFacts, name: string) {
  const at = new Date(f.timestamp);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: f.namespace, annotations: annotations(f, [f.coreId]) },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: f.namespace,
      name: f.pod,
      uid: f.podUID,
      fieldPath: containerFieldPath(f.container),
    },
    type: 'Warning',
    reason: CORE_DUMPED_REASON,
    message: crashEventMessage(f),
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
    source: { component: CRASH_EVENTS_COMPONENT, host: f.node },
    reportingComponent: CRASH_EVENTS_COMPONENT,
    reportingInstance: f.node,
  };
}

/** The JSON merge patch that folds one more core into `state`'s event. */
export function crashEventUpdate(f: CrashFacts, state: CrashEventState) {
  return {
    metadata: { annotations: annotations(f, idsAtMark(state, f)) },
    count: state.count + 1,
    lastTimestamp: new Date(f.timestamp),
    message: crashEventMessage(f),
  };
}

function epochMs(v: Date | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Whether a stored event is one of ours (events of other reporters may share the reason). */
export function isCrashEvent(ev: StoredCrashEvent): boolean {
  return (
    ev.reason === CORE_DUMPED_REASON &&
    (ev.reportingComponent === CRASH_EVENTS_COMPONENT ||
      ev.source?.component === CRASH_EVENTS_COMPONENT)
  );
}

/** What a stored event says: its window and the newest core it covers. */
export function crashEventState(ev: StoredCrashEvent): CrashEventState | undefined {
  const name = ev.metadata?.name;
  const namespace = ev.metadata?.namespace;
  const last = epochMs(ev.lastTimestamp);
  const first = epochMs(ev.firstTimestamp) ?? last;
  if (!name || !namespace || first === undefined) return undefined;
  const notes = ev.metadata?.annotations ?? {};
  // The annotation keeps milliseconds; lastTimestamp (whole seconds on the wire) is the fallback
  // for an event whose annotations someone removed.
  const lastCoreTime = epochMs(notes[LAST_CORE_TIME_ANNOTATION]) ?? last ?? first;
  const ids = (notes[LAST_CORES_ANNOTATION] ?? '').split(' ').filter(Boolean);
  const newest = notes[LAST_CORE_ANNOTATION];
  if (newest && !ids.includes(newest)) ids.push(newest);
  return {
    namespace,
    name,
    windowStart: first,
    count: ev.count ?? 1,
    lastCoreTime,
    lastCoreIds: ids,
  };
}

/** Of a pod's stored events, the state of our newest one (undefined: nothing reported yet). */
export function latestCrashEventState(
  events: readonly StoredCrashEvent[],
): CrashEventState | undefined {
  let latest: CrashEventState | undefined;
  for (const ev of events) {
    if (!isCrashEvent(ev)) continue;
    const state = crashEventState(ev);
    if (state && (!latest || state.lastCoreTime > latest.lastCoreTime)) latest = state;
  }
  return latest;
}

/**
 * Whether the event already covers `f`: cores before its mark, and those reported at the mark.
 * The mark is what makes a restarted collector report nothing twice.
 */
export function isReported(state: CrashEventState | undefined, f: CrashFacts): boolean {
  if (!state) return false;
  return (
    f.timestamp < state.lastCoreTime ||
    (f.timestamp === state.lastCoreTime && state.lastCoreIds.includes(f.coreId))
  );
}

/**
 * What to do about one core of a pod, given the pod's current event: nothing (too old, or
 * already reported), a new event (no event yet, or its window is over), or one more count on the
 * current one.
 */
export function decideCrashEvent(
  state: CrashEventState | undefined,
  f: CrashFacts,
  now: number,
  timing: CrashEventTiming,
): CrashEventDecision {
  if (now - f.timestamp > timing.lookbackMs) return { action: 'skip', why: 'too-old' };
  if (isReported(state, f)) return { action: 'skip', why: 'reported' };
  if (state && f.timestamp - state.windowStart < timing.windowMs) {
    return { action: 'update', name: state.name, count: state.count + 1 };
  }
  return { action: 'create', name: crashEventName(f.pod, f.podUID, f.coreId) };
}
